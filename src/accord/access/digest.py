"""How reviewers hear of new applications: a mail for each submitted one ("each", the default) or one mail
a day listing what waits in their datasets ("digest")."""
from __future__ import annotations

from datetime import datetime

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
        audit.record(db, actor=user, action="user.review_mail_set", object=("user", user.id),
                     data={"review_mail": mode})
    return user


def tell_reviewers(db: Session, app: Application, *, base_url: str = "") -> list[str]:
    """In the caller's unit of work: one mail to each reviewer of the dataset who chose "each"."""
    dataset = db.get(Dataset, app.dataset_id)
    applicant = db.get(User, app.applicant_id)
    told = []
    for reviewer in reviewers_of(db, app.dataset_id):
        if reviewer.review_mail != "each" or reviewer.id == app.applicant_id:
            continue
        notify.enqueue(db, "application-to-review", to=reviewer.email, name=reviewer.name, dataset=dataset.title,
                       slug=dataset.slug, application_id=app.id, applicant=applicant.name,
                       organisation=app.organisation, failed=[c for c in app.failed_checks.split(",") if c],
                       base_url=base_url)
        told.append(reviewer.email)
    return told


def send_digests(db: Session, *, now: datetime | None = None, base_url: str = "") -> list[str]:
    """One mail to each "digest" reviewer with submitted applications waiting; nothing when none wait."""
    now = now or utcnow()
    ids = db.scalars(select(User.id).join(RoleGrant, RoleGrant.user_id == User.id)
                     .where(User.review_mail == "digest", User.disabled_at.is_(None),
                            RoleGrant.role.in_(sorted(queue.REVIEWING))).distinct().order_by(User.id)).all()
    sent = []
    for user_id in ids:
        reviewer = db.get(User, user_id)
        page = queue.review_queue(db, reviewer, status="submitted", per_page=DIGEST_ROWS)
        if page.total == 0:
            continue
        with unit_of_work(db):
            notify.enqueue(db, "review-digest", to=reviewer.email, name=reviewer.name, rows=page.rows,
                           total=page.total, more=page.total - len(page.rows),
                           date=now.date().isoformat(), base_url=base_url)
            audit.record(db, actor="system", action="review.digest_sent", object=("user", reviewer.id),
                         data={"applications": [r.id for r in page.rows], "total": page.total}, at=now)
        sent.append(reviewer.email)
    return sent
