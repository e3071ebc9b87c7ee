"""How reviewers hear of new applications: a mail for each submitted one ("each", the default) or one mail
a day listing what waits in their datasets ("digest")."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.access import queue
from accord.access.escalation import reviewers_of
from accord.access.models import Application
from accord.audit import service as audit
from accord.catalog.models import Dataset
from accord.db import unit_of_work, utcnow
from accord.errors import InvalidInput
from accord.identity.models import RoleGrant, User
from accord.notify import service as notify

MODES = ("each", "digest")
DIGEST_ROWS = 100  # listed in one digest; the rest are counted


def set_review_mail(db: Session, user: User, mode: str) -> User:
    if mode not in MODES:
        raise InvalidInput(f"review mail: choose one of {', '.join(MODES)}", field="review_mail")
    with unit_of_work(db):
        user.review_mail = mode
        audit.record(
            db, actor=user, action="user.review_mail_set", object=("user", user.id), data={"review_mail": mode}
        )
    return user


def tell_reviewers(db: Session, app: Application, *, base_url: str = "") -> list[str]:
    """In the caller's unit of work: one mail to each reviewer of the dataset who chose "each"."""
    dataset = db.get_one(Dataset, app.dataset_id)
    applicant = db.get_one(User, app.applicant_id)
    told: list[str] = []
    for reviewer in reviewers_of(db, app.dataset_id):
        if reviewer.review_mail != "each" or reviewer.id == app.applicant_id:
            continue
        notify.enqueue(
            db,
            "application-to-review",
            to=reviewer.email,
            name=reviewer.name,
            dataset=dataset.title,
            slug=dataset.slug,
            application_id=app.id,
            applicant=applicant.name,
            organisation=app.organisation,
            failed=[c for c in app.failed_checks.split(",") if c],
            base_url=base_url,
        )
        told.append(reviewer.email)
    return told


def send_digests(db: Session, *, now: datetime | None = None, base_url: str = "") -> list[str]:
    """One mail to each "digest" reviewer with submitted applications waiting; nothing when none wait.

    At most one a day each, however often this runs (a restarted worker, two workers): a reviewer whose
    digest for today is already in the outbox is skipped."""
    now = now or utcnow()
    day = datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)
    ids = db.scalars(
        select(User.id)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(User.review_mail == "digest", User.disabled_at.is_(None), RoleGrant.role.in_(sorted(queue.REVIEWING)))
        .distinct()
        .order_by(User.id)
    ).all()
    sent: list[str] = []
    for user_id in ids:
        reviewer = db.get_one(User, user_id)
        page = queue.review_queue(db, reviewer, status="submitted", per_page=DIGEST_ROWS)
        if page.total == 0:
            continue
        with unit_of_work(db):
            # Two workers at once: the second waits here for the first's commit, then finds its digest.
            db.execute(select(User.id).where(User.id == user_id).with_for_update())
            if notify.queued(db, "review-digest", to=reviewer.email, since=day, until=day + timedelta(days=1)):
                continue
            msg = notify.enqueue(
                db,
                "review-digest",
                to=reviewer.email,
                name=reviewer.name,
                rows=page.rows,
                total=page.total,
                more=page.total - len(page.rows),
                date=day.date().isoformat(),
                base_url=base_url,
            )
            msg.created_at = now  # the day it counts for, when a caller gives the clock
            audit.record(
                db,
                actor="system",
                action="review.digest_sent",
                object=("user", reviewer.id),
                data={"applications": [r.id for r in page.rows], "total": page.total},
                at=now,
            )
        sent.append(reviewer.email)
    return sent
