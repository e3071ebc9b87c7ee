"""Training certificates: upload (with an application, or later as a renewal) and review. Whether a certificate
counts is `validity`'s; what applications and grants need of it is `requirement`'s; the daily warning and the end
of grants whose certificate ran out are `lapses`' (all re-exported here: this module is training's door).

Every upload is a new row, so what was shown and decided stays on record.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accord.access import service as access
from accord.audit import service as audit
from accord.catalog import service as catalog
from accord.catalog.models import Dataset
from accord.db import rows_matched, unit_of_work, utcnow
from accord.entitlements import service as entitlements
from accord.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied, TooLarge
from accord.identity.models import User
from accord.notify import service as notify
from accord.policy.schema import Training

# The door's: other packages read the `X as X` names from here (the form marks them re-exported for the type checker).
from accord.training.lapses import end_lapsed as end_lapsed
from accord.training.lapses import warn_expiring as warn_expiring
from accord.training.models import TrainingCertificate
from accord.training.requirement import certificate as certificate
from accord.training.requirement import paused as paused
from accord.training.validity import STAGES as STAGES
from accord.training.validity import Standing as Standing
from accord.training.validity import counts as counts
from accord.training.validity import for_application as for_application
from accord.training.validity import parse_date as parse_date
from accord.training.validity import pick as pick
from accord.training.validity import stage as stage
from accord.training.validity import standing as standing
from accord.training.validity import terms_training as terms_training
from accord.training.validity import valid_until as valid_until

if TYPE_CHECKING:
    from accord.runtime import Runtime

MAX_BYTES = access.MAX_SCAN_BYTES  # the same limit as a signed scan: a certificate is a page or two
STATUSES = ("pending", "accepted", "rejected")
# Reviewers are told about an upload unless it sits on an application they have not been sent yet.
NOT_YET_SENT = {access.Status.draft.value, access.Status.returned.value, access.Status.awaiting_signatory.value}


# --- uploading -----------------------------------------------------------------------------------------------


def _context(
    db: Session, actor: User, application_id: int | None, dataset_slug: str | None
) -> tuple[int, int | None, str | None, Training]:
    """(dataset id, application id, application status, Training) of an upload, checking the uploader's right."""
    if application_id is not None:
        loaded = access.load(db, application_id)
        access.applicant_only(loaded, actor, "add a certificate to")
        current = loaded.state.status
        assert current is not None, "a stored application has a status"
        if current in access.TERMINAL:
            raise IllegalTransition(
                f"this application is {current.value}; upload a renewed certificate from the dataset's download page"
            )
        training = terms_training(db, loaded.row.dataset_id, loaded.row.policy_version)
        dataset_id, status = loaded.row.dataset_id, current.value
    elif dataset_slug:
        dataset = may_renew(db, dataset_slug, actor=actor)
        training = terms_training(db, dataset.id)
        dataset_id, status = dataset.id, None
    else:
        raise InvalidInput("say which application or dataset the certificate is for", field="application")
    if training is None:
        raise InvalidInput("the terms of this dataset do not ask for a training certificate", field="certificate")
    return dataset_id, application_id, status, training


def may_renew(db: Session, dataset_slug: str, *, actor: User) -> Dataset:
    """Only a licensee of the dataset uploads a renewal for it (checked before an upload is read)."""
    dataset = catalog.visible_dataset(db, dataset_slug, actor)
    if not entitlements.ever_held(db, actor.id, dataset.id):
        raise PermissionDenied("you hold no access to this dataset; add your certificate to your application")
    return dataset


def upload(
    rt: Runtime,
    db: Session,
    *,
    actor: User,
    data: bytes,
    course: str,
    completed_on: object,
    expires_on: object,
    filename: str = "",
    application_id: int | None = None,
    dataset_slug: str | None = None,
    base_url: str = "",
) -> TrainingCertificate:
    """Store a certificate (PDF, PNG or JPEG, checked by its bytes) as pending until a reviewer decides."""
    dataset_id, application_id, app_status, training = _context(db, actor, application_id, dataset_slug)
    if len(data) > MAX_BYTES:
        raise TooLarge(f"the certificate is larger than {MAX_BYTES // (1024 * 1024)} MB", field="certificate")
    if not data:
        raise InvalidInput("choose the certificate file to upload", field="certificate")
    try:
        kind = access.sniff(data)
    except InvalidInput as exc:  # the scan's words are about a signed agreement
        raise InvalidInput(
            exc.message.replace("the signed agreement", "the certificate"), field="certificate"
        ) from None
    course = " ".join(str(course or "").split())
    if len(course) < 2:
        raise InvalidInput("name the course and who issued the certificate", field="course")
    if len(course) > 200:
        raise InvalidInput("the course name is too long (at most 200 characters)", field="course")
    completed, expires = parse_date(completed_on, "completed_on"), parse_date(expires_on, "expires_on")
    today = utcnow().date()
    if completed > today:
        raise InvalidInput("the completion date is in the future", field="completed_on")
    if expires <= completed:
        raise InvalidInput("the expiry date must come after the completion date", field="expires_on")
    if expires <= today:
        raise InvalidInput(f"this certificate expired on {expires}; upload a current one", field="expires_on")
    if today >= completed + timedelta(days=training.valid_days):
        raise InvalidInput(
            f"these terms count a course for {training.valid_days} days after completion; this one is too old",
            field="completed_on",
        )
    sha = hashlib.sha256(data).hexdigest()
    with unit_of_work(db):
        rt.store.put_bytes(sha, data)  # before the commit: a rollback leaves an unreferenced blob only
        cert = TrainingCertificate(
            user_id=actor.id,
            application_id=application_id,
            dataset_id=dataset_id,
            sha256=sha,
            media_type=kind,
            size=len(data),
            filename=_filename(filename),
            course=course,
            completed_on=completed,
            expires_on=expires,
            status="pending",
            uploaded_at=utcnow(),
        )
        db.add(cert)
        db.flush()
        audit.record(
            db,
            actor=actor,
            action="training.uploaded",
            object=("training_certificate", cert.id),
            data={"sha256": sha, "application": application_id, "dataset_id": dataset_id, "expires_on": str(expires)},
        )
        if app_status not in NOT_YET_SENT:
            _tell_reviewers(db, cert, actor, base_url=base_url)
    return cert


def _filename(name: str) -> str:
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in name if ch.isprintable() and ch not in '"')[:200]


def _tell_reviewers(db: Session, cert: TrainingCertificate, holder: User, *, base_url: str) -> None:
    if cert.dataset_id is None:  # its dataset was deleted a moment ago: nobody reviews it
        return
    ds = catalog.dataset_by_id(db, cert.dataset_id)
    for reviewer in access.reviewers_of(db, cert.dataset_id):
        if reviewer.id != holder.id:
            notify.enqueue(
                db,
                "training-to-review",
                to=reviewer.email,
                name=reviewer.name,
                dataset=ds.title,
                holder=holder.name or holder.email,
                base_url=base_url.rstrip("/"),
                path=_review_path(cert),
            )


def _review_path(cert: TrainingCertificate) -> str:
    return f"/review/{cert.application_id}" if cert.application_id else "/review/training"


# --- reading -------------------------------------------------------------------------------------------------


def _reviews(user: User, cert: TrainingCertificate) -> bool:
    return cert.dataset_id is not None and access.is_reviewer(user, cert.dataset_id)


def _sees(db: Session, viewer: User, cert: TrainingCertificate) -> bool:
    """The holder, and the reviewers of a dataset the holder applied for (an accepted certificate also serves the
    holder's applications for other datasets, whose reviewers must be able to open it)."""
    if cert.user_id == viewer.id or _reviews(viewer, cert):
        return True
    applied = access.datasets_applied_for(db, cert.user_id)
    return any(access.is_reviewer(viewer, dataset_id) for dataset_id in applied)


def get(db: Session, cert_id: int, *, viewer: User) -> TrainingCertificate:
    """For its holder and the reviewers of the datasets the holder applied for; others are told nothing.
    Only the reviewers of the dataset it was uploaded for decide on it."""
    cert = db.get(TrainingCertificate, cert_id)
    if cert is None or not _sees(db, viewer, cert):
        raise NotFound(f"no training certificate {cert_id}")
    return cert


def file(rt: Runtime, db: Session, cert_id: int, *, viewer: User) -> tuple[bytes, TrainingCertificate]:
    cert = get(db, cert_id, viewer=viewer)
    with rt.store.open(cert.sha256) as fh:
        return fh.read(), cert


def mine(db: Session, user: User) -> list[TrainingCertificate]:
    """The user's certificates, newest first."""
    return list(
        db.scalars(
            select(TrainingCertificate)
            .where(TrainingCertificate.user_id == user.id)
            .order_by(TrainingCertificate.id.desc())
        )
    )


def to_review(db: Session, reviewer: User) -> list[TrainingCertificate]:
    """Pending certificates in the datasets this user reviews (not their own), oldest first."""
    rows = db.scalars(
        select(TrainingCertificate).where(TrainingCertificate.status == "pending").order_by(TrainingCertificate.id)
    )
    return [c for c in rows if c.user_id != reviewer.id and _reviews(reviewer, c)]


# --- deciding ------------------------------------------------------------------------------------------------


def _decidable(db: Session, cert_id: int, actor: User) -> TrainingCertificate:
    cert = get(db, cert_id, viewer=actor)
    if not _reviews(actor, cert):
        raise PermissionDenied("only reviewers of the dataset decide on its training certificates")
    if cert.user_id == actor.id:
        raise PermissionDenied("you cannot decide on your own training certificate")
    if cert.status != "pending":
        raise Conflict(f"this certificate was already {cert.status}")
    return cert


def _decide(
    db: Session, cert: TrainingCertificate, status: str, actor: User, at: datetime, reason: str | None = None
) -> None:
    """Only a pending certificate is decided, once: of two reviewers deciding at the same moment one is told."""
    done = rows_matched(
        db,
        update(TrainingCertificate)
        .where(TrainingCertificate.id == cert.id, TrainingCertificate.status == "pending")
        .values(status=status, reviewed_by_id=actor.id, reviewed_at=at, reject_reason=reason)
        .execution_options(synchronize_session=False),
    )
    if done != 1:
        raise Conflict("another reviewer decided on this certificate a moment ago")
    db.refresh(cert)


def accept(db: Session, cert_id: int, *, actor: User) -> TrainingCertificate:
    """The certificate counts from now on: paused access resumes, and a click-through application waiting only
    for it is approved, in this same transaction."""
    cert = _decidable(db, cert_id, actor)
    with unit_of_work(db):
        now = utcnow()
        _decide(db, cert, "accepted", actor, now)
        audit.record(
            db,
            actor=actor,
            action="training.accepted",
            object=("training_certificate", cert.id),
            data={"user_id": cert.user_id, "expires_on": str(cert.expires_on)},
            dataset=cert.dataset_id,
        )
        holder = db.get_one(User, cert.user_id)
        notify.enqueue(
            db, "training-accepted", to=holder.email, name=holder.name, course=cert.course, expires=str(cert.expires_on)
        )
        access.requirement_met(db, cert.user_id, at=now)
    return cert


def reject(db: Session, cert_id: int, *, actor: User, reason: str) -> TrainingCertificate:
    """Refuse the certificate with a reason the holder is told; they can upload another one."""
    reason = " ".join(str(reason or "").split())
    cert = _decidable(db, cert_id, actor)
    if not reason:
        raise InvalidInput("tell the holder why the certificate is not accepted", field="reason")
    if len(reason) > 2000:
        raise InvalidInput("the reason is too long (at most 2000 characters)", field="reason")
    with unit_of_work(db):
        _decide(db, cert, "rejected", actor, utcnow(), reason=reason)
        audit.record(
            db,
            actor=actor,
            action="training.rejected",
            object=("training_certificate", cert.id),
            data={"user_id": cert.user_id, "reason": reason},
            dataset=cert.dataset_id,
        )
        holder = db.get_one(User, cert.user_id)
        notify.enqueue(db, "training-rejected", to=holder.email, name=holder.name, course=cert.course, reason=reason)
    return cert
