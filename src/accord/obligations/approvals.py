"""Requests for approval: to modify the data, to give it to a named party, to use it in another unit of the
licensee's organisation, or to use it commercially, where the terms allow each only with the custodian's
approval. An approval widens the grant exactly as asked (or less, never more): another unit joins the grant
with its networks; a named party may apply under the original's terms and is approved without a new review
while the grant it came from is in force. A refusal, or a grant that ended, changes nothing."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.access.models import Application
from accord.audit import service as audit
from accord.catalog import service as catalog
from accord.catalog.models import Dataset
from accord.db import unit_of_work, utcnow
from accord.entitlements import service as entitlements
from accord.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from accord.identity import service as identity
from accord.identity.models import User
from accord.obligations import rules
from accord.obligations.common import answers, holding, require_answers, tell_holder, tell_reviewers, text
from accord.obligations.models import ApprovalRequest

DECISIONS = ("approve", "refuse")


def ask(
    db: Session,
    dataset_slug: str,
    *,
    actor: User,
    kind: str,
    description: str,
    party_name: str = "",
    party_email: str = "",
    unit: str = "",
    networks: Iterable[object] = (),
    base_url: str = "",
) -> ApprovalRequest:
    """A request under the actor's grant in force, for what the terms allow only on approval."""
    dataset = catalog.visible_dataset(db, dataset_slug, actor)
    ent, policy = holding(db, actor, dataset)
    rules.request_allowed(policy, kind)
    row = ApprovalRequest(
        dataset_id=dataset.id,
        entitlement_id=ent.id,
        requested_by_id=actor.id,
        kind=kind,
        description=text(description, "description", limit=4000),
        created_at=utcnow(),
    )
    if len(row.description) < 10:
        raise InvalidInput("describe what you want to do and why (a sentence or two)", field="description")
    if kind == "redistribute":
        row.party_name = text(party_name, "party_name", limit=300, required=True, label="who would receive it")
        row.party_email = _email(party_email)
        if row.party_email == actor.email.lower():
            raise InvalidInput("name the party that would receive it, not yourself", field="party_email")
    if kind == "unit":
        row.unit = text(unit, "unit", limit=300, required=True, label="the other unit")
        if row.unit.lower() == ent.unit.strip().lower():
            raise InvalidInput("your access already covers this unit", field="unit")
        row.networks = entitlements.check_networks(networks)
        if ent.networks and not row.networks:
            raise InvalidInput(
                "your access is limited to your site's networks: name the other unit's (CIDR ranges)", field="networks"
            )
    if _open(db, ent.id, kind, row):
        raise Conflict("you already asked this; wait for the answer or withdraw that request")
    with unit_of_work(db):
        db.add(row)
        db.flush()
        audit.record(
            db,
            actor=actor,
            action="approval.requested",
            object=("approval_request", row.id),
            data={"dataset_id": dataset.id, "kind": kind, "entitlement_id": ent.id, "unit": row.unit},
        )
        tell_reviewers(
            db, dataset, holder=actor, what=f"a request: {rules.REQUEST_KINDS[kind].lower()}",
            path="/review/obligations", base_url=base_url,
        )  # fmt: skip
    return row


def _email(value: str) -> str:
    email = str(value or "").strip().lower()
    if "@" not in email or len(email) > 320 or " " in email or email.startswith("@") or email.endswith("@"):
        raise InvalidInput("give the e-mail address of the person who would receive it", field="party_email")
    return email


def _open(db: Session, entitlement_id: int, kind: str, row: ApprovalRequest) -> bool:
    query = select(func.count()).where(
        ApprovalRequest.entitlement_id == entitlement_id,
        ApprovalRequest.kind == kind,
        ApprovalRequest.status == "pending",
        ApprovalRequest.party_email == (row.party_email or ""),  # (column defaults are set only on insert)
        ApprovalRequest.unit == (row.unit or ""),
    )
    return bool(db.scalar(query.select_from(ApprovalRequest)))


def get(db: Session, request_id: int, *, user: User | str | None) -> ApprovalRequest:
    """A request, for whoever made it and the dataset's reviewers; to anyone else it does not exist."""
    row = db.get(ApprovalRequest, request_id)
    if (
        row is None
        or user is None
        or not ((isinstance(user, User) and user.id == row.requested_by_id) or answers(user, row.dataset_id))
    ):
        raise NotFound(f"there is no request {request_id}")
    return row


def decide(
    db: Session,
    request_id: int,
    *,
    decision: str,
    actor: User | str,
    conditions: str = "",
    note: str = "",
    networks: Iterable[object] | None = None,
    base_url: str = "",
) -> ApprovalRequest:
    """Approve (with conditions; for a unit, all or some of the networks asked for) or refuse a request."""
    row = get(db, request_id, user=actor)
    require_answers(actor, row.dataset_id)
    if decision not in DECISIONS:
        raise InvalidInput(f"choose one of: {', '.join(DECISIONS)}", field="decision")
    if row.status != "pending":
        raise IllegalTransition(f"this request is {row.status}; only a pending one is decided")
    note, conditions = text(note, "note", limit=2000), text(conditions, "conditions", limit=4000)
    if decision == "refuse" and len(note) < 3:
        raise InvalidInput("say why it is refused: the licensee reads this", field="note")
    granted = row.networks if networks is None else entitlements.check_networks(networks)
    beyond = [n for n in granted if n not in row.networks]
    if decision == "approve" and beyond:
        raise InvalidInput(
            f"an approval cannot allow more than was asked: {', '.join(beyond)} was not asked for", field="networks"
        )
    if decision == "approve" and row.kind == "unit" and row.networks and not granted:
        raise InvalidInput("allow at least one of the networks asked for, or refuse the request", field="networks")
    dataset = catalog.dataset_by_id(db, row.dataset_id)
    with unit_of_work(db):
        row.status = "approved" if decision == "approve" else "refused"
        row.decided_by_id, row.decided_at = getattr(actor, "id", None), utcnow()
        row.decision_note, row.conditions = note, conditions if decision == "approve" else ""
        if decision == "approve":
            _widen(db, row, granted, actor)
        audit.record(
            db,
            actor=actor,
            action=f"approval.{row.status}",
            object=("approval_request", row.id),
            data={"dataset_id": row.dataset_id, "kind": row.kind, "conditions": row.conditions},
        )
        tell_holder(
            db, row.requested_by_id, dataset, what=f"your request ({rules.REQUEST_KINDS[row.kind].lower()})",
            outcome=row.status + (f", on these conditions: {row.conditions}" if row.conditions else ""),
            note=note, base_url=base_url,
        )  # fmt: skip
    return row


def _widen(db: Session, row: ApprovalRequest, granted: list[str], actor: User | str) -> None:
    """What an approval changes besides its own record: another unit joins the grant (which must still be in
    force: a revoked or expired grant keeps its scope)."""
    ent = entitlements.get(db, row.entitlement_id)
    now = utcnow()
    if ent.revoked_at is not None or (ent.expires_at is not None and ent.expires_at <= now):
        raise Conflict("the licensee's access has ended since they asked; this request can only be refused")
    if row.kind == "unit":
        row.granted_networks = granted
        entitlements.add_unit(db, ent.id, unit=row.unit, networks=granted, actor=actor, request_id=row.id)


def withdraw(db: Session, request_id: int, *, actor: User) -> ApprovalRequest:
    row = get(db, request_id, user=actor)
    if row.requested_by_id != actor.id:
        raise PermissionDenied("only whoever asked can withdraw the request")
    if row.status != "pending":
        raise IllegalTransition(f"this request is {row.status}; only a pending one can be withdrawn")
    with unit_of_work(db):
        row.status = "withdrawn"
        audit.record(
            db, actor=actor, action="approval.withdrawn", object=("approval_request", row.id),
            data={"dataset_id": row.dataset_id},
        )  # fmt: skip
    return row


def of_user(db: Session, user: User, dataset: Dataset | None = None) -> list[ApprovalRequest]:
    query = select(ApprovalRequest).where(ApprovalRequest.requested_by_id == user.id)
    if dataset is not None:
        query = query.where(ApprovalRequest.dataset_id == dataset.id)
    return list(db.scalars(query.order_by(ApprovalRequest.id.desc())))


def to_answer(db: Session, dataset_ids: list[int]) -> list[ApprovalRequest]:
    if not dataset_ids:
        return []
    return list(
        db.scalars(
            select(ApprovalRequest)
            .where(ApprovalRequest.dataset_id.in_(dataset_ids), ApprovalRequest.status == "pending")
            .order_by(ApprovalRequest.id)
        )
    )


def preapproved(db: Session, application: Application) -> str | None:
    """(plugins `access.preapproved`) An application from a party the custodian approved giving the data to,
    while the grant of whoever asked is still in force: no new review."""
    applicant = identity.user_by_id(db, application.applicant_id)
    cleared = db.scalars(
        select(ApprovalRequest).where(
            ApprovalRequest.dataset_id == application.dataset_id,
            ApprovalRequest.kind == "redistribute",
            ApprovalRequest.status == "approved",
            ApprovalRequest.party_email == applicant.email.lower(),
        )
    )
    now = utcnow()
    for row in cleared:
        ent = entitlements.get(db, row.entitlement_id)
        if ent.revoked_at is None and (ent.expires_at is None or ent.expires_at > now):
            return f"the custodian approved giving the data to this party (request {row.id})"
    return None
