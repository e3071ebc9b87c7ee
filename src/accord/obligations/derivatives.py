"""The derivatives registry: a licensee declares what they made from a version (annotations, a subset, a
processed copy, a model); the terms decide whether the custodian must approve it first; approved or recorded
ones the custodian may list on the dataset's public page, crediting their authors, when the terms allow it and
the authors asked for it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.audit import service as audit
from accord.catalog import service as catalog
from accord.catalog.models import Dataset
from accord.db import unit_of_work, utcnow
from accord.errors import IllegalTransition, InvalidInput, NotFound, PermissionDenied
from accord.identity.models import User
from accord.obligations import rules
from accord.obligations.common import answers, holding, require_answers, tell_holder, tell_reviewers, text, version_of
from accord.obligations.models import Derivative
from accord.policy import service as policies

DECISIONS = ("approve", "refuse")


def declare(
    db: Session,
    dataset_slug: str,
    *,
    actor: User,
    kind: str,
    title: str,
    description: str = "",
    relation: str = "",
    location: str = "",
    licence: str = "",
    authors: str = "",
    wants_listing: bool = False,
    version: str | None = None,
    base_url: str = "",
) -> Derivative:
    """Record a derivative under the actor's grant in force: pending when the terms want it approved, else
    recorded. Its users' citation of the original comes from the terms (the dataset's first citation)."""
    dataset = catalog.visible_dataset(db, dataset_slug, actor)
    ent, policy = holding(db, actor, dataset)
    needs = rules.derivative_needs_approval(policy, kind)
    source = version_of(db, dataset, ent, version)
    title = text(title, "title", limit=300, required=True, label="what it is called")
    relation = text(relation, "relation", limit=4000)
    if policy.derivatives.state_relationship and len(relation) < 10:
        raise InvalidInput("these terms ask you to say how it relates to the original dataset", field="relation")
    if wants_listing and not rules.may_list(policy):
        raise InvalidInput("these terms do not let the custodian list derivatives", field="wants_listing")
    row = Derivative(
        dataset_id=dataset.id,
        version_id=source.id,
        entitlement_id=ent.id,
        declared_by_id=actor.id,
        kind=kind,
        title=title,
        description=text(description, "description", limit=4000),
        relation=relation,
        location=text(location, "location", limit=500),
        licence=text(licence, "licence", limit=300),
        authors=text(authors, "authors", limit=500) or (actor.name or ""),
        citation=policy.citations[0].text if policy.citations else "",
        wants_listing=bool(wants_listing),
        status="pending" if needs else "recorded",
        created_at=utcnow(),
    )
    with unit_of_work(db):
        db.add(row)
        db.flush()
        audit.record(
            db,
            actor=actor,
            action="derivative.declared",
            object=("derivative", row.id),
            data={"dataset_id": dataset.id, "version_id": source.id, "kind": kind, "status": row.status},
        )
        if needs or row.wants_listing:
            what = f"the derivative “{title}” ({'to approve' if needs else 'to list, if you wish'})"
            tell_reviewers(db, dataset, holder=actor, what=what, path="/review/obligations", base_url=base_url)
    return row


def get(db: Session, derivative_id: int, *, user: User | str | None) -> Derivative:
    """A derivative, for its declarer and the dataset's reviewers; a listed one for anyone."""
    row = db.get(Derivative, derivative_id)
    if row is None or not (row.listed or _sees(row, user)):
        raise NotFound(f"there is no derivative {derivative_id}")
    return row


def _sees(row: Derivative, user: User | str | None) -> bool:
    if user is None:
        return False
    return (isinstance(user, User) and user.id == row.declared_by_id) or answers(user, row.dataset_id)


def decide(
    db: Session,
    derivative_id: int,
    *,
    decision: str,
    actor: User | str,
    note: str = "",
    listed: bool = False,
    base_url: str = "",
) -> Derivative:
    """The custodian approves (optionally listing it) or refuses a pending derivative."""
    row = get(db, derivative_id, user=actor)
    require_answers(actor, row.dataset_id)
    if decision not in DECISIONS:
        raise InvalidInput(f"choose one of: {', '.join(DECISIONS)}", field="decision")
    if row.status != "pending":
        raise IllegalTransition(f"this derivative is {row.status}; only a pending one is decided")
    note = text(note, "note", limit=2000)
    if decision == "refuse" and len(note) < 3:
        raise InvalidInput("say why it is refused: the licensee reads this", field="note")
    dataset = catalog.dataset_by_id(db, row.dataset_id)
    with unit_of_work(db):
        row.status = "approved" if decision == "approve" else "refused"
        row.decided_by_id, row.decided_at, row.decision_note = getattr(actor, "id", None), utcnow(), note
        if decision == "approve" and listed:
            _check_listing(db, row)
            row.listed = True
        audit.record(
            db,
            actor=actor,
            action=f"derivative.{row.status}",
            object=("derivative", row.id),
            data={"dataset_id": row.dataset_id, "listed": row.listed},
        )
        tell_holder(
            db, row.declared_by_id, dataset, what=f"the derivative “{row.title}”", outcome=row.status,
            note=note, base_url=base_url,
        )  # fmt: skip
    return row


def set_listed(db: Session, derivative_id: int, *, listed: bool, actor: User | str) -> Derivative:
    """List (or stop listing) an approved or recorded derivative on the dataset's public page."""
    row = get(db, derivative_id, user=actor)
    require_answers(actor, row.dataset_id)
    if listed:
        if row.status not in ("approved", "recorded"):
            raise IllegalTransition(f"this derivative is {row.status}; only an approved or recorded one is listed")
        _check_listing(db, row)
    with unit_of_work(db):
        row.listed = listed
        if row.status == "recorded":  # the listing was its only question: answered, off the queue
            row.decided_by_id, row.decided_at = getattr(actor, "id", None), utcnow()
        audit.record(
            db,
            actor=actor,
            action="derivative.listed" if listed else "derivative.unlisted",
            object=("derivative", row.id),
            data={"dataset_id": row.dataset_id},
        )
    return row


def _check_listing(db: Session, row: Derivative) -> None:
    if not rules.may_list(policies.get(db, row.dataset_id).policy):
        raise InvalidInput("the dataset's terms do not let its custodian list derivatives", field="listed")
    if not row.wants_listing:
        raise InvalidInput("its authors did not ask to be listed", field="listed")


def withdraw(db: Session, derivative_id: int, *, actor: User) -> Derivative:
    """The declarer takes a pending declaration back (a decided one stays on record)."""
    row = get(db, derivative_id, user=actor)
    if row.declared_by_id != actor.id:
        raise PermissionDenied("only whoever declared it can withdraw it")
    if row.status != "pending":
        raise IllegalTransition(f"this derivative is {row.status}; only a pending one can be withdrawn")
    with unit_of_work(db):
        row.status = "withdrawn"
        audit.record(
            db, actor=actor, action="derivative.withdrawn", object=("derivative", row.id),
            data={"dataset_id": row.dataset_id},
        )  # fmt: skip
    return row


def listed_for(db: Session, dataset_id: int) -> list[Derivative]:
    """What the dataset's public page lists (newest first)."""
    return list(
        db.scalars(
            select(Derivative)
            .where(Derivative.dataset_id == dataset_id, Derivative.listed.is_(True))
            .order_by(Derivative.id.desc())
        )
    )


def of_user(db: Session, user: User, dataset: Dataset | None = None) -> list[Derivative]:
    query = select(Derivative).where(Derivative.declared_by_id == user.id)
    if dataset is not None:
        query = query.where(Derivative.dataset_id == dataset.id)
    return list(db.scalars(query.order_by(Derivative.id.desc())))


def to_answer(db: Session, dataset_ids: list[int]) -> list[Derivative]:
    """Pending derivatives, and recorded ones whose authors asked to be listed and are not yet, oldest first."""
    if not dataset_ids:
        return []
    return list(
        db.scalars(
            select(Derivative)
            .where(
                Derivative.dataset_id.in_(dataset_ids),
                (Derivative.status == "pending")
                | (
                    Derivative.status.in_(("recorded", "approved"))
                    & Derivative.wants_listing.is_(True)
                    & Derivative.listed.is_(False)
                    & Derivative.decided_at.is_(None)
                ),
            )
            .order_by(Derivative.id)
        )
    )
