"""Deletion notices: after a removal, each licensee is told exactly which of the removed files their download
log shows they received (path and sha256), by a due date, and attests that they deleted every copy. A grant
holder who received none of them gets the shorter notice that the dataset changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.audit import service as audit
from accord.catalog import service as catalog
from accord.db import unit_of_work, utcnow
from accord.delivery import service as delivery
from accord.entitlements import service as entitlements
from accord.errors import AccordError, Conflict, InvalidInput, NotFound
from accord.identity import service as identity
from accord.identity.models import User
from accord.notify import service as notify
from accord.policy import service as policies
from accord.policy.schema import Policy
from accord.privacy.models import DeletionNotice, RemovalRequest

if TYPE_CHECKING:
    from accord.catalog.models import DatasetVersion
    from accord.entitlements.models import Entitlement
    from accord.runtime import Runtime

DUE_DAYS = 30
REMIND_BEFORE = timedelta(days=7)
ATTESTATION = (
    "I deleted these files from every copy I or my unit hold, including the copies at my site, "
    "and from any backup I control."
)


def send(
    rt: Runtime, db: Session, req: RemovalRequest, new_version: DatasetVersion, removed: set[str], *, now: datetime
) -> dict[str, int]:
    """Inside the caller's transaction: one notice per licensee, listing what they received."""
    ds = catalog.dataset_by_id(db, req.dataset_id)
    held: dict[int, list[dict[str, Any]]] = {}
    for vid, files in catalog.versions_holding(db, ds.id, removed).items():
        by_sha: dict[str, list[tuple[str, str, int]]] = {}
        for label, path, sha, size in files:
            by_sha.setdefault(sha, []).append((label, path, size))
        for user_id, shas in delivery.received(rt, db, vid, set(by_sha)).items():
            for sha in sorted(shas):
                held.setdefault(user_id, []).extend(
                    {"version": label, "path": path, "sha256": sha, "size": size} for label, path, size in by_sha[sha]
                )
    grants = {g.user_id: g for g in entitlements.live(db, now, dataset_id=ds.id)}
    terms = policies_in_force(db, ds.id)
    due = now + timedelta(days=terms.privacy.deletion_days if terms else DUE_DAYS)
    people = identity.users_by_id(db, set(held) | set(grants))
    counts = {"delete": 0, "changed": 0}
    base = rt.settings.base_url.rstrip("/")
    for user_id in sorted(set(held) | set(grants)):
        wanted = held.get(user_id, [])
        kind = "delete" if wanted else "changed"
        grant = grants.get(user_id)
        notice = DeletionNotice(
            request_id=req.id,
            dataset_id=ds.id,
            user_id=user_id,
            entitlement_id=grant.id if grant else None,
            kind=kind,
            files=wanted,
            created_at=now,
            due_at=due,
            attested_at=None if wanted else now,  # nothing to delete, nothing to attest
        )
        db.add(notice)
        db.flush()
        notify.enqueue(
            db,
            "removal-notice" if wanted else "removal-changed",
            to=people[user_id].email,
            dataset=ds.title,
            count=len(wanted),
            files=wanted[:50],
            more=max(len(wanted) - 50, 0),
            due=due.date().isoformat(),
            version=new_version.label,
            link=f"{base}/privacy/notices/{notice.id}",
            command=f"accord privacy apply {notice.id} --to <your copy>",
        )
        counts[kind] += 1
    return {"notices_delete": counts["delete"], "notices_changed": counts["changed"]}


def notices_for(db: Session, user: User) -> list[DeletionNotice]:
    return list(
        db.scalars(select(DeletionNotice).where(DeletionNotice.user_id == user.id).order_by(DeletionNotice.id.desc()))
    )


def notice(db: Session, notice_id: int, *, user: User) -> DeletionNotice:
    """A licensee's own notice; curators of its dataset may read any of them."""
    notice = db.get(DeletionNotice, notice_id)
    if notice is None or (
        notice.user_id != user.id and not identity.has_role(user, "curator", dataset_id=notice.dataset_id)
    ):
        raise NotFound("no such deletion notice")
    return notice


def attest(db: Session, notice_id: int, *, user: User, confirmed: bool, now: datetime | None = None) -> DeletionNotice:
    """The licensee's statement that they deleted the listed files (only theirs; once)."""
    notice = db.get(DeletionNotice, notice_id)
    if notice is None or notice.user_id != user.id:
        raise NotFound("no such deletion notice")
    if notice.attested_at is not None:
        raise Conflict("this notice is already answered" if notice.files else "this notice needs no answer")
    if not confirmed:
        raise InvalidInput("tick the statement to attest that you deleted the files", field="confirm")
    with unit_of_work(db):
        notice.attested_at, notice.attestation = now or utcnow(), ATTESTATION
        audit.record(
            db,
            actor=user,
            action="deletion_notice.attested",
            object=("deletion_notice", notice.id),
            data={"files": len(notice.files), "request_id": notice.request_id},
            dataset=notice.dataset_id,
        )
    return notice


@dataclass
class Overdue:
    notice: DeletionNotice
    dataset: str  # slug
    email: str
    days_over: int


def overdue_notices(db: Session, *, actor: User | str | None, now: datetime | None = None) -> list[Overdue]:
    """The curators' dashboard: unanswered deletion notices past their due date, for the datasets they curate,
    the longest overdue first."""
    now = now or utcnow()
    rows: list[Overdue] = []
    query = select(DeletionNotice).where(DeletionNotice.attested_at.is_(None), DeletionNotice.due_at < now)
    found = [n for n in db.scalars(query.order_by(DeletionNotice.due_at)) if _curates(actor, n.dataset_id)]
    people = identity.users_by_id(db, {n.user_id for n in found})
    slugs: dict[int, str] = {}
    for n in found:
        if n.dataset_id not in slugs:
            slugs[n.dataset_id] = catalog.dataset_by_id(db, n.dataset_id).slug
        rows.append(Overdue(n, slugs[n.dataset_id], people[n.user_id].email, (now - n.due_at).days))
    return rows


def _curates(actor: User | str | None, dataset_id: int) -> bool:
    try:
        catalog.require_curator(actor, dataset_id)
    except AccordError:
        return False
    return True


def open_notices(db: Session, *, dataset_id: int | None = None) -> list[DeletionNotice]:
    query = select(DeletionNotice).where(DeletionNotice.attested_at.is_(None))
    if dataset_id is not None:
        query = query.where(DeletionNotice.dataset_id == dataset_id)
    return list(db.scalars(query.order_by(DeletionNotice.due_at)))


def remind(rt: Runtime, now: datetime | None = None) -> int:
    """Once, a week before the due date, and once when overdue: tell the licensee again (daily job)."""
    now = now or utcnow()
    told = 0
    with rt.session() as db, unit_of_work(db):
        for notice in open_notices(db):
            soon = notice.due_at - now <= REMIND_BEFORE
            if not soon or (notice.reminded_at and (notice.reminded_at >= notice.due_at or now < notice.due_at)):
                continue
            user = identity.user_by_id(db, notice.user_id)
            ds = catalog.dataset_by_id(db, notice.dataset_id)
            notify.enqueue(
                db,
                "removal-reminder",
                to=user.email,
                dataset=ds.title,
                count=len(notice.files),
                due=notice.due_at.date().isoformat(),
                overdue=now > notice.due_at,
                link=f"{rt.settings.base_url.rstrip('/')}/privacy/notices/{notice.id}",
            )
            notice.reminded_at = now
            audit.record(
                db,
                actor="system",
                action="deletion_notice.reminded",
                object=("deletion_notice", notice.id),
                dataset=notice.dataset_id,
            )
            told += 1
    return told


def policies_in_force(db: Session, dataset_id: int) -> Policy | None:
    current = policies.current(db, dataset_id)
    return current.policy if current else None


def paused(
    db: Session, ent: Entitlement, policy: Policy, at: datetime
) -> tuple[tuple[str, str] | None, datetime | None]:
    """The `entitlements.pauses` hook: where the terms say so, access pauses while one of the holder's deletion
    notices for this dataset is past due and unanswered; (None, the first due date) otherwise, so a cached
    answer holds until then."""
    if not policy.privacy.pause_while_notice_overdue:
        return None, None
    due = db.scalar(
        select(DeletionNotice.due_at)
        .where(
            DeletionNotice.user_id == ent.user_id,
            DeletionNotice.dataset_id == ent.dataset_id,
            DeletionNotice.attested_at.is_(None),
        )
        .order_by(DeletionNotice.due_at)
        .limit(1)
    )
    if due is None:
        return None, None
    if due > at:
        return None, due
    return (
        "privacy",
        "your access is paused: a deletion notice for this dataset is past its due date; delete the files it "
        "lists and attest it on your notices page, /privacy/notices",
    ), None
