"""The curators' side of a removal request: the queue with its legal clock, finding the files, and the decision,
which cuts a new version without them and sends every licensee the notice that fits what they received."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from accord.audit import service as audit
from accord.catalog import service as catalog
from accord.db import unit_of_work, utcnow
from accord.entitlements import service as entitlements
from accord.errors import IllegalTransition, InvalidInput, NotFound, PermissionDenied
from accord.identity import service as identity
from accord.identity.models import User
from accord.notify import service as notify
from accord.privacy import notices, photo_store
from accord.privacy.models import RemovalMatch, RemovalRequest

if TYPE_CHECKING:
    from accord.catalog.models import Item
    from accord.runtime import Runtime

REMOVED = "removed at a data subject's request"
OPEN = ("received", "under_review")


def require_desk(actor: User | str | None, dataset_id: int) -> None:
    """Curators of the dataset and admins; a string actor is the server's shell."""
    catalog.require_curator(actor, dataset_id)


def require_any_desk(actor: User | str | None) -> None:
    """The queue's gate: a curator of some dataset, an admin, or the server's shell."""
    if isinstance(actor, User) and not actor.may_curate:
        raise PermissionDenied("the privacy desk is for the datasets' curators and the admins")


def get(db: Session, request_id: int, *, actor: User | str | None) -> RemovalRequest:
    req = db.get(RemovalRequest, request_id)
    if req is None or req.status == "unproven":
        raise NotFound("no such removal request")
    try:
        require_desk(actor, req.dataset_id)
    except Exception:
        raise NotFound("no such removal request") from None  # no existence oracle for other datasets' curators
    return req


@dataclass
class QueueRow:
    request: RemovalRequest
    dataset: str
    days_left: int  # negative: overdue
    overdue: bool


def queue(
    db: Session, *, actor: User | str | None, include_closed: bool = False, now: datetime | None = None
) -> list[QueueRow]:
    """Proven requests for the datasets the actor curates, the most urgent first."""
    now = now or utcnow()
    query = select(RemovalRequest).where(RemovalRequest.status != "unproven")
    if not include_closed:
        query = query.where(RemovalRequest.status.in_(OPEN))
    rows: list[QueueRow] = []
    slugs: dict[int, str] = {}
    for req in db.scalars(query.order_by(RemovalRequest.due_at, RemovalRequest.id)):
        if isinstance(actor, User) and not identity.has_role(actor, "curator", dataset_id=req.dataset_id):
            continue
        if req.dataset_id not in slugs:
            slugs[req.dataset_id] = catalog.dataset_by_id(db, req.dataset_id).slug
        left = (req.due_at - now).days if req.due_at else 0
        rows.append(QueueRow(req, slugs[req.dataset_id], left, req.status in OPEN and left < 0))
    return rows


@dataclass
class Match:
    match: RemovalMatch
    path: str
    subject: str | None
    sha256: str
    media_type: str


def matches(db: Session, req: RemovalRequest) -> list[Match]:
    out = []
    for m in db.scalars(
        select(RemovalMatch).where(RemovalMatch.request_id == req.id).order_by(RemovalMatch.score.desc())
    ):
        item = catalog.item_by_id(db, m.item_id)
        out.append(Match(m, item.path, item.subject, item.sha256, item.media_type))
    return out


def search(
    db: Session,
    request_id: int,
    *,
    actor: User | str | None,
    labels: Iterable[str] | None = None,
    paths: Iterable[str] | None = None,
) -> list[Match]:
    """Find the request's files in the dataset's current version by subject label and path pattern (the
    requester's, or the curator's own when given). Adds to the matches found so far; opens the review."""
    req = get(db, request_id, actor=actor)
    if req.status not in OPEN:
        raise IllegalTransition(f"this request is {req.status}; nothing more to search for")
    version = catalog.latest_published(db, req.dataset_id)
    if version is None:
        raise IllegalTransition("the dataset has no published version left")
    found = catalog.matching(
        db, version.id, labels=req.labels if labels is None else labels, patterns=req.paths if paths is None else paths
    )
    with unit_of_work(db):
        added = add_candidates(db, req, [Candidate(item.id, method, 1.0) for item, method in found], actor=actor)
        audit.record(
            db,
            actor=actor,
            action="removal.searched",
            object=("removal_request", req.id),
            data={"version_id": version.id, "found": len(found), "added": added},
            dataset=req.dataset_id,
        )
    return matches(db, req)


@dataclass(frozen=True)
class Candidate:
    item_id: int
    method: str  # label | path | phash | face
    score: float  # 1.0 for an exact label or path; a similarity otherwise


def add_candidates(
    db: Session, req: RemovalRequest, candidates: Iterable[Candidate], *, actor: User | str | None
) -> int:
    """Store what a search found (anything with item_id, method and score) for the curator to look at, keeping
    each item's best score per method; opens the review. Inside the caller's transaction."""
    known = {
        (m.item_id, m.method): m for m in db.scalars(select(RemovalMatch).where(RemovalMatch.request_id == req.id))
    }
    added = 0
    for c in candidates:
        row = known.get((c.item_id, c.method))
        if row is None:
            db.add(RemovalMatch(request_id=req.id, item_id=c.item_id, method=c.method, score=float(c.score)))
            added += 1
        elif c.score > row.score:
            row.score = float(c.score)
    _start_review(db, req, actor)
    return added


def _start_review(db: Session, req: RemovalRequest, actor: User | str | None) -> None:
    """A person's search opens the review; the automatic one at proof does not (the requester's page would say
    "under review" before anyone looked)."""
    if req.status == "received" and actor != "system":
        req.status, req.reviewed_at = "under_review", utcnow()
        req.reviewed_by_id = actor.id if isinstance(actor, User) else None


def select_matches(
    db: Session, request_id: int, item_ids: Iterable[int] = (), *, actor: User | str | None, labels: Iterable[str] = ()
) -> int:
    """The curator's choice of true matches (replaces the previous choice): the files named, and every file
    found whose subject label is among `labels` (bulk select by identity)."""
    req = get(db, request_id, actor=actor)
    if req.status not in OPEN:
        raise IllegalTransition(f"this request is {req.status}")
    found = matches(db, req)
    wanted = {int(i) for i in item_ids}
    unknown = wanted - {m.match.item_id for m in found}
    if unknown:
        raise InvalidInput("choose among the files found for this request")
    labels = {label.strip() for label in labels if label and label.strip()}
    wanted |= {m.match.item_id for m in found if m.subject and m.subject in labels}
    with unit_of_work(db):
        _start_review(db, req, actor)
        db.execute(update(RemovalMatch).where(RemovalMatch.request_id == req.id).values(selected=False))
        if wanted:
            db.execute(
                update(RemovalMatch)
                .where(RemovalMatch.request_id == req.id, RemovalMatch.item_id.in_(wanted))
                .values(selected=True)
            )
        audit.record(
            db,
            actor=actor,
            action="removal.selected",
            object=("removal_request", req.id),
            data={"items": len(wanted)},
            dataset=req.dataset_id,
        )
    return len(wanted)


def match_item(db: Session, request_id: int, item_id: int, *, actor: User | str | None) -> Item:
    """A file found for the request, for the curator's thumbnail; nothing else is shown this way."""
    req = get(db, request_id, actor=actor)
    hit = db.scalar(select(RemovalMatch.id).where(RemovalMatch.request_id == req.id, RemovalMatch.item_id == item_id))
    if hit is None:
        raise NotFound("no such file among this request's matches")
    return catalog.item_by_id(db, item_id)


def decline(rt: Runtime, db: Session, request_id: int, *, actor: User | str | None, reason: str) -> RemovalRequest:
    req = get(db, request_id, actor=actor)
    if req.status not in OPEN:
        raise IllegalTransition(f"this request is already {req.status}")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("say why, in words the requester will read", field="reason")
    with unit_of_work(db):
        req.status, req.decided_at, req.decision_reason = "declined", utcnow(), reason[:5000]
        req.decided_by_id = actor.id if isinstance(actor, User) else None
        db.execute(delete(RemovalMatch).where(RemovalMatch.request_id == req.id))  # nothing kept about them
        photo_store.delete_photo(rt, db, req, actor, why="declined")
        _tell_requester(db, req)
        audit.record(
            db, actor=actor, action="removal.declined", object=("removal_request", req.id), dataset=req.dataset_id
        )
    return req


def accept(
    rt: Runtime, db: Session, request_id: int, *, actor: User | str, note: str = "", now: datetime | None = None
) -> RemovalRequest:
    """Remove the selected files: a new published version without them (from the old blobs), the old one
    withdrawn, a deletion notice to every licensee, the requester told. One unit of work. A curator or the
    server's shell (no actor gets past `get`)."""
    now = now or utcnow()
    req = get(db, request_id, actor=actor)
    if req.status not in OPEN:
        raise IllegalTransition(f"this request is already {req.status}")
    chosen = set(
        db.scalars(select(RemovalMatch.item_id).where(RemovalMatch.request_id == req.id, RemovalMatch.selected))
    )
    if not chosen:
        raise InvalidInput("select the files to remove first (or decline the request with a reason)")
    version = catalog.latest_published(db, req.dataset_id)
    if version is None:
        raise IllegalTransition("the dataset has no published version left")
    with unit_of_work(db):
        cut = catalog.cut_without(db, rt.store, version.id, chosen, actor=actor, reason=REMOVED)
        removed = {item.sha256 for item in cut.removed}
        moved = entitlements.follow_cut(db, cut.old.id, cut.new.id, actor=actor, reason=REMOVED)
        sent = notices.send(rt, db, req, cut.new, removed, now=now)
        req.status, req.decided_at, req.decision_reason = "done", now, (note or "").strip()[:5000]
        req.decided_by_id = actor.id if isinstance(actor, User) else None
        req.old_version_id, req.new_version_id, req.removed_count = cut.old.id, cut.new.id, len(cut.removed)
        photo_store.delete_photo(rt, db, req, actor, why="decided")
        _tell_requester(db, req)
        audit.record(
            db,
            actor=actor,
            action="removal.accepted",
            object=("removal_request", req.id),
            dataset=req.dataset_id,
            data={
                "old_version_id": cut.old.id,
                "new_version_id": cut.new.id,
                "removed": len(cut.removed),
                "grants_moved": moved,
                **sent,
            },
        )
    return req


def _tell_requester(db: Session, req: RemovalRequest) -> None:
    ds = catalog.dataset_by_id(db, req.dataset_id)
    notify.enqueue(
        db,
        "removal-decided",
        to=req.email,
        dataset=ds.title,
        outcome=req.status,
        count=req.removed_count,
        reason=req.decision_reason,
    )


def overdue_requests(db: Session, now: datetime) -> list[RemovalRequest]:
    return list(
        db.scalars(
            select(RemovalRequest).where(
                RemovalRequest.status.in_(OPEN), RemovalRequest.due_at < now, RemovalRequest.escalated_at.is_(None)
            )
        )
    )


def escalate(rt: Runtime, now: datetime | None = None) -> int:
    """Tell the curators and admins once about each request past its month (the job runs daily)."""
    now = now or utcnow()
    told = 0
    with rt.session() as db, unit_of_work(db):
        for req in overdue_requests(db, now):
            ds = catalog.dataset_by_id(db, req.dataset_id)
            for to in identity.curator_emails(db, ds.id):
                notify.enqueue(
                    db,
                    "removal-overdue",
                    to=to,
                    dataset=ds.title,
                    days=(now - req.due_at).days if req.due_at else 0,
                    link=f"{rt.settings.base_url.rstrip('/')}/privacy/requests/{req.id}",
                )
            req.escalated_at = now
            audit.record(
                db,
                actor="system",
                action="removal.escalated",
                object=("removal_request", req.id),
                dataset=req.dataset_id,
            )
            told += 1
    return told
