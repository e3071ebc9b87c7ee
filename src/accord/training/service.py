"""Training certificates: upload (with an application, or later as a renewal), review, and whether a person
holds one valid today.

A certificate belongs to a person, not to one dataset: once a reviewer accepted it, it counts for every grant
whose terms ask for training until it runs out. It runs out on its own expiry date, or earlier when the terms
say how many days after completion a course still counts (`Training.valid_days`). Every upload is a new row,
so what was shown and decided stays on record.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accord.access import scan, workflow
from accord.access.common import is_reviewer
from accord.access.events import load
from accord.audit import service as audit
from accord.catalog import service as catalog
from accord.catalog.models import Dataset
from accord.db import unit_of_work, utcnow
from accord.entitlements.models import Entitlement
from accord.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied, TooLarge
from accord.identity.models import User
from accord.notify import service as notify
from accord.policy import service as policies
from accord.policy.schema import Training
from accord.training.models import TrainingCertificate

MAX_BYTES = scan.MAX_SCAN_BYTES  # the same limit as a signed scan: a certificate is a page or two
STATUSES = ("pending", "accepted", "rejected")
WARN_BEFORE = timedelta(days=14)
# Reviewers are told about an upload unless it sits on an application they have not been sent yet.
NOT_YET_SENT = {workflow.Status.draft.value, workflow.Status.returned.value,
                workflow.Status.awaiting_signatory.value}


# --- dates and validity ----------------------------------------------------------------------------------

def parse_date(value, field: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    if not text:
        raise InvalidInput("give the date (YYYY-MM-DD)", field=field)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"not a date: {text!r}; write it as YYYY-MM-DD", field=field) from None


def valid_until(cert: TrainingCertificate, training: Training | None = None) -> date:
    """The first day the certificate no longer counts: its expiry, or sooner when the terms limit how long a
    course counts after it was completed."""
    end = cert.expires_on
    if training is not None:
        end = min(end, cert.completed_on + timedelta(days=training.valid_days))
    return end


def counts(cert: TrainingCertificate, training: Training | None, today: date) -> bool:
    return cert.status == "accepted" and today < valid_until(cert, training)


@dataclass(frozen=True)
class Standing:
    """Where a person stands for terms that ask for training, on one day."""

    ok: bool
    state: str  # "valid" | "pending" | "expired" | "rejected" | "missing"
    until: date | None = None  # valid: until when; expired: since when
    reason: str = ""  # the last rejection's reason


def standing(db: Session, user_id: int, training: Training, today: date) -> Standing:
    """One query: the person's certificates, best first."""
    certs = list(db.scalars(select(TrainingCertificate).where(TrainingCertificate.user_id == user_id)
                            .order_by(TrainingCertificate.id.desc())))
    valid = [c for c in certs if counts(c, training, today)]
    if valid:
        return Standing(True, "valid", max(valid_until(c, training) for c in valid))
    if any(c.status == "pending" and today < valid_until(c, training) for c in certs):
        return Standing(False, "pending")
    accepted = [valid_until(c, training) for c in certs if c.status == "accepted"]
    if accepted:
        return Standing(False, "expired", max(accepted))
    if certs and certs[0].status == "rejected":
        return Standing(False, "rejected", reason=certs[0].reject_reason or "")
    return Standing(False, "missing")


def terms_training(db: Session, dataset_id: int, version: int | None = None) -> Training | None:
    terms = policies.current(db, dataset_id) if version is None else policies.get(db, dataset_id, version)
    return terms.policy.training if terms is not None else None


# --- which certificate an application shows ----------------------------------------------------------------

def for_application(db: Session, app_id: int) -> TrainingCertificate | None:
    """The latest certificate uploaded with the application; without one (or when it was rejected), the applicant's
    latest accepted certificate that still counts today (a person trained once need not upload it for every
    dataset)."""
    from accord.access.models import Application

    app = db.get(Application, app_id)
    if app is None:
        return None
    attached = db.scalar(select(TrainingCertificate).where(TrainingCertificate.application_id == app_id)
                         .order_by(TrainingCertificate.id.desc()).limit(1))
    if attached is not None and attached.status != "rejected":
        return attached
    accepted = db.scalars(select(TrainingCertificate).where(TrainingCertificate.user_id == app.applicant_id,
                                                            TrainingCertificate.status == "accepted")
                          .order_by(TrainingCertificate.id.desc()))
    return pick(attached, accepted, terms_training(db, app.dataset_id, app.policy_version), utcnow().date())


def pick(attached: TrainingCertificate | None, accepted, training: Training | None,
         today: date) -> TrainingCertificate | None:
    """`for_application`'s choice, given the latest certificate uploaded with the application and the applicant's
    accepted ones (newest first): the review queue makes it for a whole page from one query."""
    if attached is not None and attached.status != "rejected":
        return attached
    for cert in accepted:
        if counts(cert, training, today):
            return cert
    return attached  # a rejected one: the applicant is told why


STAGES = {"none": "none uploaded yet", "waiting": "waiting for a reviewer", "ran out": "it ran out",
          "not accepted": "the last one was not accepted"}


def stage(cert: TrainingCertificate | None, training: Training | None, today: date) -> str:
    """Where an application's certificate stands, in a word or two: none, waiting, accepted, ran out, not
    accepted."""
    if cert is None:
        return "none"
    if counts(cert, training, today):
        return "accepted"
    return {"pending": "waiting", "accepted": "ran out", "rejected": "not accepted"}[cert.status]


def still_needed(db: Session, app_id: int, training: Training | None) -> str | None:
    """For an application's "what is still needed": the certificate and where it stands, or None."""
    if training is None:
        return None
    where = stage(for_application(db, app_id), training, utcnow().date())
    return None if where == "accepted" else f"an accepted training certificate ({STAGES[where]})"


def require_for_submit(db: Session, app_id: int, training: Training | None) -> None:
    """An application whose terms ask for training is sent with a certificate that can still be accepted."""
    if training is None:
        return
    cert = for_application(db, app_id)
    today = utcnow().date()
    if cert is None:
        raise InvalidInput(f"upload your certificate of {training.name} (with its dates) before submitting",
                           field="certificate")
    if cert.status == "rejected":
        raise InvalidInput(f"your training certificate was not accepted ({cert.reject_reason}); upload another "
                           "one before submitting", field="certificate")
    if today >= valid_until(cert, training):
        raise InvalidInput(f"your training certificate counts only until {valid_until(cert, training)}; upload a "
                           "current one before submitting", field="certificate")


def satisfied(db: Session, app_id: int, training: Training | None) -> bool:
    if training is None:
        return True
    cert = for_application(db, app_id)
    return cert is not None and counts(cert, training, utcnow().date())


def require_for_approval(db: Session, app_id: int, training: Training | None) -> None:
    if training is None or satisfied(db, app_id, training):
        return
    cert = for_application(db, app_id)
    if cert is None:
        raise IllegalTransition("cannot approve: these terms need a training certificate and the applicant has "
                                "not uploaded one")
    if cert.status == "accepted":
        raise IllegalTransition(f"cannot approve: the applicant's training certificate ran out on "
                                f"{valid_until(cert, training)}")
    raise IllegalTransition(f"cannot approve until the applicant's training certificate is accepted (it is "
                            f"{cert.status}); accept it on this page first")


# --- uploading -----------------------------------------------------------------------------------------------

def _context(db: Session, actor: User, application_id: int | None, dataset_slug: str | None):
    """(dataset id, application id, application status, Training) of an upload, checking the uploader's right."""
    if application_id is not None:
        from accord.access.common import applicant_only

        loaded = load(db, application_id)
        applicant_only(loaded, actor, "add a certificate to")
        if loaded.state.status in workflow.TERMINAL:
            raise IllegalTransition(f"this application is {loaded.state.status.value}; upload a renewed "
                                    "certificate from the dataset's download page")
        training = terms_training(db, loaded.row.dataset_id, loaded.row.policy_version)
        dataset_id, status = loaded.row.dataset_id, loaded.state.status.value
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
    holds = db.scalar(select(Entitlement.id).where(Entitlement.user_id == actor.id,
                                                   Entitlement.dataset_id == dataset.id).limit(1))
    if holds is None:
        raise PermissionDenied("you hold no access to this dataset; add your certificate to your application")
    return dataset


def upload(rt, db: Session, *, actor: User, data: bytes, course: str, completed_on, expires_on,
           filename: str = "", application_id: int | None = None, dataset_slug: str | None = None,
           base_url: str = "") -> TrainingCertificate:
    """Store a certificate (PDF, PNG or JPEG, checked by its bytes) as pending until a reviewer decides."""
    dataset_id, application_id, app_status, training = _context(db, actor, application_id, dataset_slug)
    if len(data) > MAX_BYTES:
        raise TooLarge(f"the certificate is larger than {MAX_BYTES // (1024 * 1024)} MB", field="certificate")
    if not data:
        raise InvalidInput("choose the certificate file to upload", field="certificate")
    try:
        kind = scan.sniff(data)
    except InvalidInput as exc:  # the scan's words are about a signed agreement
        raise InvalidInput(exc.message.replace("the signed agreement", "the certificate"),
                           field="certificate") from None
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
        raise InvalidInput(f"these terms count a course for {training.valid_days} days after completion; this "
                           "one is too old", field="completed_on")
    sha = hashlib.sha256(data).hexdigest()
    with unit_of_work(db):
        rt.store.put_bytes(sha, data)  # before the commit: a rollback leaves an unreferenced blob only
        cert = TrainingCertificate(user_id=actor.id, application_id=application_id, dataset_id=dataset_id,
                                   sha256=sha, media_type=kind, size=len(data), filename=_filename(filename),
                                   course=course, completed_on=completed, expires_on=expires, status="pending",
                                   uploaded_at=utcnow())
        db.add(cert)
        db.flush()
        audit.record(db, actor=actor, action="training.uploaded", object=("training_certificate", cert.id),
                     data={"sha256": sha, "application": application_id, "dataset_id": dataset_id,
                           "expires_on": str(expires)})
        if app_status not in NOT_YET_SENT:
            _tell_reviewers(db, cert, actor, base_url=base_url)
    return cert


def _filename(name: str) -> str:
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in name if ch.isprintable() and ch not in '"')[:200]


def _tell_reviewers(db: Session, cert: TrainingCertificate, holder: User, *, base_url: str) -> None:
    from accord.access.escalation import reviewers_of

    ds = db.get(Dataset, cert.dataset_id)
    for reviewer in reviewers_of(db, cert.dataset_id):
        if reviewer.id != holder.id:
            notify.enqueue(db, "training-to-review", to=reviewer.email, name=reviewer.name, dataset=ds.title,
                           holder=holder.name or holder.email, base_url=base_url.rstrip("/"),
                           path=_review_path(cert))


def _review_path(cert: TrainingCertificate) -> str:
    return f"/review/{cert.application_id}" if cert.application_id else "/review/training"


# --- reading -------------------------------------------------------------------------------------------------

def _reviews(user: User, cert: TrainingCertificate) -> bool:
    return cert.dataset_id is not None and is_reviewer(user, cert.dataset_id)


def _sees(db: Session, viewer: User, cert: TrainingCertificate) -> bool:
    """The holder, and the reviewers of a dataset the holder applied for (an accepted certificate also serves the
    holder's applications for other datasets, whose reviewers must be able to open it)."""
    if cert.user_id == viewer.id or _reviews(viewer, cert):
        return True
    from accord.access.models import Application

    applied = db.scalars(select(Application.dataset_id).where(Application.applicant_id == cert.user_id).distinct())
    return any(is_reviewer(viewer, dataset_id) for dataset_id in applied)


def get(db: Session, cert_id: int, *, viewer: User) -> TrainingCertificate:
    """For its holder and the reviewers of the datasets the holder applied for; others are told nothing.
    Only the reviewers of the dataset it was uploaded for decide on it."""
    cert = db.get(TrainingCertificate, cert_id)
    if cert is None or not _sees(db, viewer, cert):
        raise NotFound(f"no training certificate {cert_id}")
    return cert


def file(rt, db: Session, cert_id: int, *, viewer: User) -> tuple[bytes, TrainingCertificate]:
    cert = get(db, cert_id, viewer=viewer)
    with rt.store.open(cert.sha256) as fh:
        return fh.read(), cert


def mine(db: Session, user: User) -> list[TrainingCertificate]:
    """The user's certificates, newest first."""
    return list(db.scalars(select(TrainingCertificate).where(TrainingCertificate.user_id == user.id)
                           .order_by(TrainingCertificate.id.desc())))


def to_review(db: Session, reviewer: User) -> list[TrainingCertificate]:
    """Pending certificates in the datasets this user reviews (not their own), oldest first."""
    rows = db.scalars(select(TrainingCertificate).where(TrainingCertificate.status == "pending")
                      .order_by(TrainingCertificate.id))
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


def _decide(db: Session, cert: TrainingCertificate, status: str, actor: User, at: datetime, reason=None) -> None:
    """Only a pending certificate is decided, once: of two reviewers deciding at the same moment one is told."""
    done = db.execute(update(TrainingCertificate)
                      .where(TrainingCertificate.id == cert.id, TrainingCertificate.status == "pending")
                      .values(status=status, reviewed_by_id=actor.id, reviewed_at=at, reject_reason=reason)
                      .execution_options(synchronize_session=False)).rowcount
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
        audit.record(db, actor=actor, action="training.accepted", object=("training_certificate", cert.id),
                     data={"user_id": cert.user_id, "expires_on": str(cert.expires_on)})
        holder = db.get(User, cert.user_id)
        notify.enqueue(db, "training-accepted", to=holder.email, name=holder.name, course=cert.course,
                       expires=str(cert.expires_on))
        from accord.access import service as access

        access.training_accepted(db, cert.user_id, at=now)
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
        audit.record(db, actor=actor, action="training.rejected", object=("training_certificate", cert.id),
                     data={"user_id": cert.user_id, "reason": reason})
        holder = db.get(User, cert.user_id)
        notify.enqueue(db, "training-rejected", to=holder.email, name=holder.name, course=cert.course,
                       reason=reason)
    return cert


# --- the daily warning ---------------------------------------------------------------------------------------

def warn_expiring(db: Session, *, now: datetime | None = None, base_url: str = "") -> int:
    """Daily: tell each holder whose accepted certificate stops counting within two weeks for a grant they
    still hold (once per certificate), unless a later one already covers them. Returns how many were told."""
    now = now or utcnow()
    today = now.date()
    told = 0
    with unit_of_work(db):
        due = list(db.scalars(select(TrainingCertificate)
                              .where(TrainingCertificate.status == "accepted",
                                     TrainingCertificate.expiry_warned_at.is_(None),
                                     TrainingCertificate.expires_on > today)
                              .order_by(TrainingCertificate.id)))
        for cert in due:
            needs = _trainings_held(db, cert.user_id, now)
            if not needs:
                continue
            ends = min(valid_until(cert, t) for _, t in needs)
            if not today < ends <= today + WARN_BEFORE:
                continue
            if standing(db, cert.user_id, needs[0][1], ends).ok:  # a later certificate carries on
                continue
            holder = db.get(User, cert.user_id)
            names = sorted({ds.title for ds, _ in needs})
            notify.enqueue(db, "training-expiring", to=holder.email, name=holder.name, course=cert.course,
                           expires=str(ends), datasets=names, base_url=base_url.rstrip("/"),
                           paths=sorted({f"/datasets/{ds.slug}/download" for ds, _ in needs}))
            cert.expiry_warned_at = now
            audit.record(db, actor="system", action="training.expiry_warned",
                         object=("training_certificate", cert.id), data={"ends": str(ends)})
            told += 1
    return told


def _trainings_held(db: Session, user_id: int, now: datetime) -> list[tuple[Dataset, Training]]:
    """(dataset, training) for each live grant of the user whose terms ask for training."""
    out = []
    grants = db.scalars(select(Entitlement).where(Entitlement.user_id == user_id, Entitlement.revoked_at.is_(None)))
    for ent in grants:
        if ent.expires_at is not None and ent.expires_at <= now:
            continue
        training = terms_training(db, ent.dataset_id, ent.policy_version)
        if training is not None:
            out.append((db.get(Dataset, ent.dataset_id), training))
    return out


def end_lapsed(db: Session, *, now: datetime | None = None) -> list[int]:
    """Daily: where the terms say access ends with the certificate (`on_expiry: end`), revoke the grants of holders
    whose accepted certificate ran out with no other one counting (until then `entitlements.check` pauses them).
    Each revocation is its own transaction, audited, and told to the licensee. Returns the grant ids."""
    from accord.entitlements import service as entitlements

    now = now or utcnow()
    today = now.date()
    terms: dict[tuple[int, int], Training | None] = {}
    ended = []
    live = list(db.scalars(select(Entitlement).where(Entitlement.revoked_at.is_(None)).order_by(Entitlement.id)))
    for ent in live:
        if ent.expires_at is not None and ent.expires_at <= now:
            continue
        key = (ent.dataset_id, ent.policy_version)
        if key not in terms:
            terms[key] = terms_training(db, *key)
        required = terms[key]
        if required is None or required.on_expiry != "end":
            continue
        held = standing(db, ent.user_id, required, today)
        if held.state == "expired":
            entitlements.revoke(db, ent.id, actor="system", at=now,
                                reason=f"your training certificate ran out on {held.until}, and these terms end "
                                       "access when it does; apply again with a current certificate")
            ended.append(ent.id)
    return ended
