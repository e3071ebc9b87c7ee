"""A data subject's removal request from submission to proof, and the private link they follow it by.

Nothing happens until the contact address is proven by a one-use link. Secrets (the proof link's and the follow
link's) are kept only as sha256 hashes. The requester's photo waits in a private folder until the search has run
and is then deleted (an audit event). A requester learns nothing but their own request's progress."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.audit import service as audit
from accord.catalog import service as catalog
from accord.db import unit_of_work, utcnow
from accord.errors import InvalidInput, NotFound, PermissionDenied, RateLimited, TooLarge
from accord.identity import service as identity
from accord.jobs import service as jobs
from accord.notify import service as notify
from accord.privacy import desk, faces, photo_store
from accord.privacy.models import RemovalRequest

if TYPE_CHECKING:
    from accord.runtime import Runtime

ANSWER_WITHIN = timedelta(days=30)  # GDPR Art. 12(3): one month
PROOF_TTL = timedelta(days=7)
MAX_PHOTO_BYTES = 10 * 1024 * 1024
PER_EMAIL_PER_DAY = 3
PER_ADDRESS_PER_HOUR = 10
MAX_LIST = 50  # labels or path patterns


class LinkInvalid(PermissionDenied): ...


def _sha(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _lines(value: str | Iterable[str] | None, field: str) -> list[str]:
    items = value.splitlines() if isinstance(value, str) else list(value or ())
    items = [str(v).strip()[:300] for v in items if str(v).strip()]
    if len(items) > MAX_LIST:
        raise InvalidInput(f"at most {MAX_LIST} {field}, one per line", field=field)
    return items


@dataclass
class Submitted:
    request: RemovalRequest
    follow_link: str  # shown once to the requester (and e-mailed after proof)


def submit(
    rt: Runtime,
    db: Session,
    *,
    dataset: str,
    email: str,
    what: str,
    why: str = "",
    labels: str | Iterable[str] = (),
    paths: str | Iterable[str] = (),
    photo: bytes | None = None,
    address: str = "",
    now: datetime | None = None,
) -> Submitted:
    """Record an unproven request and e-mail its proof link. Refuses past the per-address and per-e-mail limits."""
    now = now or utcnow()
    try:
        ds = catalog.dataset_by_slug(db, dataset)
    except NotFound:
        raise NotFound("no such dataset") from None
    if catalog.latest_published(db, ds.id) is None:
        raise InvalidInput(f"{ds.title} has no published version, so it holds no one's images", field="dataset")
    try:
        email = validate_email((email or "").strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise InvalidInput("give an e-mail address we can write to", field="email") from None
    what = (what or "").strip()
    if not what:
        raise InvalidInput("say what should be removed (for example: every picture of me)", field="what")
    labels, paths = _lines(labels, "labels"), _lines(paths, "paths")
    if photo is not None and len(photo) > MAX_PHOTO_BYTES:
        raise TooLarge(f"the photo is larger than {MAX_PHOTO_BYTES // 2**20} MB; send a smaller one")
    if photo:
        _check_photo(photo)
    address_hash = hmac.new(rt.secret.encode(), (address or "").encode(), "sha256").hexdigest()
    _limit(db, email=email, address_hash=address_hash, now=now)
    proof, follow = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    with unit_of_work(db):
        req = RemovalRequest(
            dataset_id=ds.id,
            email=email,
            what=what[:5000],
            why=(why or "").strip()[:5000],
            labels=labels,
            paths=paths,
            proof_hash=_sha(proof),
            follow_hash=_sha(follow),
            address_hash=address_hash,
            created_at=now,
        )
        db.add(req)
        db.flush()
        if photo:
            key = f"{req.id}-{secrets.token_hex(8)}"
            target = photo_store.photo_dir(rt) / key
            target.write_bytes(photo)
            os.chmod(target, 0o600)
            req.photo_key = key
        base = rt.settings.base_url.rstrip("/")
        notify.enqueue(
            db,
            "removal-prove",
            to=email,
            dataset=ds.title,
            link=f"{base}/privacy/prove/{req.id}.{proof}",
            follow=f"{base}/privacy/follow/{req.id}.{follow}",
            days=PROOF_TTL.days,
        )
        audit.record(
            db,
            actor=None,
            action="removal.submitted",
            object=("removal_request", req.id),
            data={"dataset_id": ds.id, "photo": bool(photo), "labels": len(labels), "paths": len(paths)},
        )
    return Submitted(req, f"{rt.settings.base_url.rstrip('/')}/privacy/follow/{req.id}.{follow}")


def _check_photo(data: bytes) -> None:
    """A photo the search can read (faces.open_image's limits); it is read again when the search runs."""
    faces.open_image(data, field="photo")


def _limit(db: Session, *, email: str, address_hash: str, now: datetime) -> None:
    by_email = db.scalar(
        select(func.count(RemovalRequest.id)).where(
            RemovalRequest.email == email, RemovalRequest.created_at > now - timedelta(days=1)
        )
    )
    if (by_email or 0) >= PER_EMAIL_PER_DAY:
        raise RateLimited(
            "this address has sent several requests today; follow them from the links we e-mailed, "
            "or try again tomorrow",
            retry_after=24 * 3600,
        )
    by_address = db.scalar(
        select(func.count(RemovalRequest.id)).where(
            RemovalRequest.address_hash == address_hash, RemovalRequest.created_at > now - timedelta(hours=1)
        )
    )
    if (by_address or 0) >= PER_ADDRESS_PER_HOUR:
        raise RateLimited("too many requests from this network; try again in an hour", retry_after=3600)


def _open(db: Session, token: str, column: str) -> RemovalRequest:
    rid, _, secret = (token or "").partition(".")
    if not rid.isdigit() or not secret or len(rid) > 12:
        raise LinkInvalid("this link is not valid")
    req = db.get(RemovalRequest, int(rid))
    kept = getattr(req, column) if req is not None else None
    if req is None or not kept or not hmac.compare_digest(kept, _sha(secret)):
        raise LinkInvalid("this link is not valid (it may have been used already)")
    return req


def prove(rt: Runtime, db: Session, token: str, *, now: datetime | None = None) -> RemovalRequest:
    """The one-use proof link: the request is received, its clock starts, and the files it names (by subject
    label or file name) are looked for at once, so the curators open it with its first matches."""
    now = now or utcnow()
    req = _open(db, token, "proof_hash")
    if now - req.created_at > PROOF_TTL:
        raise LinkInvalid(f"this link expired after {PROOF_TTL.days} days; send the request again")
    with unit_of_work(db):
        req.proof_hash = None  # one use
        req.status, req.proven_at, req.due_at = "received", now, now + ANSWER_WITHIN
        ds = catalog.dataset_by_id(db, req.dataset_id)
        notify.enqueue(db, "removal-received", to=req.email, dataset=ds.title, due=req.due_at.date().isoformat())
        for curator in identity.curator_emails(db, ds.id):
            notify.enqueue(
                db,
                "removal-to-review",
                to=curator,
                dataset=ds.title,
                due=req.due_at.date().isoformat(),
                link=f"{rt.settings.base_url.rstrip('/')}/privacy/requests/{req.id}",
            )
        audit.record(
            db, actor=None, action="removal.proven", object=("removal_request", req.id), dataset=req.dataset_id
        )
    if req.labels or req.paths:
        desk.search(db, req.id, actor="system")
    if req.photo_key:  # the face search is heavier: a job (its photo is deleted once it has run)
        jobs.submit(rt, "privacy_photo_search", {"request_id": req.id}, actor="system")
    return req


def follow(db: Session, token: str) -> RemovalRequest:
    """The requester's own request, by its private link; nothing about anyone else."""
    return _open(db, token, "follow_hash")


def stages(req: RemovalRequest) -> list[tuple[str, datetime | None]]:
    """What the follow page shows: each stage and when it was reached."""
    ended = req.decided_at if req.status in ("done", "declined") else None
    return [
        ("sent", req.created_at),
        ("received", req.proven_at),
        ("under review", req.reviewed_at),
        ("declined" if req.status == "declined" else "done", ended),
    ]


def requests_from(db: Session, email: str) -> list[RemovalRequest]:
    """The proven removal requests sent from an address, newest first, for its owner's own record (an unproven
    one may have been typed in by anyone)."""
    query = select(RemovalRequest).where(
        func.lower(RemovalRequest.email) == email.strip().lower(), RemovalRequest.proven_at.is_not(None)
    )
    return list(db.scalars(query.order_by(RemovalRequest.id.desc())))
