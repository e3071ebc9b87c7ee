"""Whether a person's training certificate counts on a day, and which certificate an application shows.

A certificate belongs to a person, not to one dataset: once a reviewer accepted it, it counts for every grant
whose terms ask for training until it runs out, on its own expiry date or earlier when the terms say how many
days after completion a course still counts (`Training.valid_days`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.access import service as access
from accord.db import utcnow
from accord.errors import InvalidInput
from accord.policy import service as policies
from accord.policy.schema import Training
from accord.training.models import TrainingCertificate


def parse_date(value: object, field: str) -> date:
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
    certs = list(
        db.scalars(
            select(TrainingCertificate)
            .where(TrainingCertificate.user_id == user_id)
            .order_by(TrainingCertificate.id.desc())
        )
    )
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
    app = access.facts(db, app_id)
    if app is None:
        return None
    attached = db.scalar(
        select(TrainingCertificate)
        .where(TrainingCertificate.application_id == app_id)
        .order_by(TrainingCertificate.id.desc())
        .limit(1)
    )
    if attached is not None and attached.status != "rejected":
        return attached
    accepted = db.scalars(
        select(TrainingCertificate)
        .where(TrainingCertificate.user_id == app.applicant_id, TrainingCertificate.status == "accepted")
        .order_by(TrainingCertificate.id.desc())
    )
    return pick(attached, accepted, terms_training(db, app.dataset_id, app.policy_version), utcnow().date())


def pick(
    attached: TrainingCertificate | None,
    accepted: Iterable[TrainingCertificate],
    training: Training | None,
    today: date,
) -> TrainingCertificate | None:
    """`for_application`'s choice, given the latest certificate uploaded with the application and the applicant's
    accepted ones (newest first): the review queue makes it for a whole page from one query."""
    if attached is not None and attached.status != "rejected":
        return attached
    for cert in accepted:
        if counts(cert, training, today):
            return cert
    return attached  # a rejected one: the applicant is told why


STAGES = {
    "none": "none uploaded yet",
    "waiting": "waiting for a reviewer",
    "ran out": "it ran out",
    "not accepted": "the last one was not accepted",
}


def stage(cert: TrainingCertificate | None, training: Training | None, today: date) -> str:
    """Where an application's certificate stands, in a word or two: none, waiting, accepted, ran out, not
    accepted."""
    if cert is None:
        return "none"
    if counts(cert, training, today):
        return "accepted"
    return {"pending": "waiting", "accepted": "ran out", "rejected": "not accepted"}[cert.status]
