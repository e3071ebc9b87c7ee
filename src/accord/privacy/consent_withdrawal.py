"""Withdrawing consent: the subject's private link proves who they are, so the removal request it opens is
received at once, with their label, its legal clock running. A curator can record a withdrawal that came on paper.
Either way the subject gets the private link to follow the request."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import update
from sqlalchemy.orm import Session

from accord.audit import service as audit
from accord.catalog import service as catalog
from accord.db import rows_matched, unit_of_work, utcnow
from accord.errors import Conflict, InvalidInput
from accord.identity import service as identity
from accord.identity.models import User
from accord.notify import service as notify
from accord.privacy.consent import _sha, record_of
from accord.privacy.models import ConsentRecord, RemovalRequest
from accord.privacy.requests import ANSWER_WITHIN, LinkInvalid, _limit

if TYPE_CHECKING:
    from accord.runtime import Runtime


@dataclass
class Withdrawn:
    record: ConsentRecord
    request: RemovalRequest
    follow_link: str  # shown once to the subject, and e-mailed


def consent_by_link(db: Session, token: str) -> ConsentRecord:
    """The record a withdrawal link belongs to; LinkInvalid for a forged or malformed one."""
    rid, _, secret = (token or "").partition(".")
    if not rid.isdigit() or not secret or len(rid) > 12:
        raise LinkInvalid("this withdrawal link is not valid")
    record = db.get(ConsentRecord, int(rid))
    if record is None or not hmac.compare_digest(record.withdraw_hash, _sha(secret)):
        raise LinkInvalid("this withdrawal link is not valid")
    return record


def _email(email: str) -> str:
    try:
        return validate_email((email or "").strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise InvalidInput("give an e-mail address we can write to about your request", field="email") from None


def _open_request(
    rt: Runtime,
    db: Session,
    record: ConsentRecord,
    *,
    email: str,
    why: str,
    address_hash: str,
    now: datetime,
    actor: User | str | None,
) -> Withdrawn:
    """Inside the caller's unit of work: the received request, the curators told, the subject given a follow link."""
    ds = catalog.dataset_by_id(db, record.dataset_id)
    follow, due_at = secrets.token_urlsafe(24), now + ANSWER_WITHIN
    req = RemovalRequest(
        dataset_id=ds.id,
        email=email,
        what=f"every image with the subject label {record.subject}: consent withdrawn",
        why=(why or "").strip()[:5000],
        labels=[record.subject],
        paths=[],
        follow_hash=_sha(follow),
        address_hash=address_hash,
        created_at=now,
        status="received",
        proven_at=now,
        due_at=due_at,
    )
    db.add(req)
    db.flush()
    record.withdrawn_at, record.removal_request_id = now, req.id
    base = rt.settings.base_url.rstrip("/")
    follow_link = f"{base}/privacy/follow/{req.id}.{follow}"
    due = due_at.date().isoformat()
    notify.enqueue(db, "consent-withdrawn", to=email, dataset=ds.title, due=due, follow=follow_link)
    for curator in identity.curator_emails(db, ds.id):
        notify.enqueue(
            db, "removal-to-review", to=curator, dataset=ds.title, due=due, link=f"{base}/privacy/requests/{req.id}"
        )
    audit.record(
        db,
        actor=actor,
        action="consent.withdrawn",
        object=("consent_record", record.id),
        data={"dataset_id": ds.id, "removal_request_id": req.id, "by_link": actor is None},
    )
    return Withdrawn(record, req, follow_link)


def _used(record: ConsentRecord) -> str:
    return (
        f"consent was already withdrawn with this link on {record.withdrawn_at:%Y-%m-%d}; "
        "follow the request from the private link we sent then"
    )


def withdraw(
    rt: Runtime, db: Session, token: str, *, email: str, why: str = "", address: str = "", now: datetime | None = None
) -> Withdrawn:
    """The subject's own withdrawal, by their private link, no account needed. The link works once."""
    now = now or utcnow()
    record = consent_by_link(db, token)
    if record.withdrawn_at is not None:
        raise LinkInvalid(_used(record))
    email = _email(email)
    address_hash = hmac.new(rt.secret.encode(), (address or "").encode(), "sha256").hexdigest()
    _limit(db, email=email, address_hash=address_hash, now=now)
    with unit_of_work(db):
        # Conditional on still standing: two submissions racing open one request.
        claimed = rows_matched(
            db,
            update(ConsentRecord)
            .where(ConsentRecord.id == record.id, ConsentRecord.withdrawn_at.is_(None))
            .values(withdrawn_at=now)
            .execution_options(synchronize_session=False),
        )
        if claimed != 1:
            raise LinkInvalid("consent was already withdrawn with this link")
        done = _open_request(rt, db, record, email=email, why=why, address_hash=address_hash, now=now, actor=None)
    return done


def withdraw_for(
    rt: Runtime,
    db: Session,
    dataset_id: int,
    subject: str,
    *,
    actor: User | str | None,
    email: str,
    why: str = "",
    now: datetime | None = None,
) -> Withdrawn:
    """A curator records a withdrawal the subject sent on paper (or by post, or in person)."""
    now = now or utcnow()
    record = record_of(db, dataset_id, subject, actor=actor)
    if record.withdrawn_at is not None:
        raise Conflict(f"consent of subject {subject} was already withdrawn on {record.withdrawn_at:%Y-%m-%d}")
    email = _email(email)
    with unit_of_work(db):
        return _open_request(rt, db, record, email=email, why=why, address_hash="", now=now, actor=actor)
