"""Applications left undecided past their terms' response time are escalated: every reviewer and curator of
the dataset is told, once, and the application is marked so the queue can show it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from accord.access import workflow
from accord.access.models import Application
from accord.access.queue import REVIEWING, response_days
from accord.audit import service as audit
from accord.catalog.models import Dataset
from accord.db import unit_of_work, utcnow
from accord.identity.models import RoleGrant, User
from accord.notify import service as notify


def reviewers_of(db: Session, dataset_id: int) -> list[User]:
    """Everyone who reviews or curates the dataset (its own grants and global ones), enabled accounts only."""
    return list(
        db.scalars(
            select(User)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(
                RoleGrant.role.in_(sorted(REVIEWING)),
                User.disabled_at.is_(None),
                or_(RoleGrant.dataset_id == dataset_id, RoleGrant.dataset_id.is_(None)),
            )
            .distinct()
            .order_by(User.id)
        )
    )


def overdue(db: Session, now: datetime) -> list[Application]:
    """Submitted, not yet escalated, and older than their terms' response time at `now`."""
    waiting = list(
        db.scalars(
            select(Application)
            .where(
                Application.status == workflow.Status.submitted.value,
                Application.submitted_at.is_not(None),
                Application.escalated_at.is_(None),
            )
            .order_by(Application.submitted_at, Application.id)
        )
    )
    days = response_days(db, {(a.dataset_id, a.policy_version) for a in waiting})
    return [
        a
        for a in waiting
        if (a.dataset_id, a.policy_version) in days
        and a.submitted_at is not None
        and now - a.submitted_at > timedelta(days=days[(a.dataset_id, a.policy_version)])
    ]


def escalate_overdue(db: Session, *, now: datetime | None = None, base_url: str = "") -> list[int]:
    """Tell every reviewer of each overdue application's dataset, mark it escalated; the ids escalated.

    Each application is its own unit of work, so one failure leaves the others escalated."""
    now = now or utcnow()
    done: list[int] = []
    for app in overdue(db, now):
        with unit_of_work(db):
            dataset = db.get_one(Dataset, app.dataset_id)
            applicant = db.get_one(User, app.applicant_id)
            submitted_at = app.submitted_at
            assert submitted_at is not None  # overdue() picks submitted applications only
            told = [r for r in reviewers_of(db, app.dataset_id) if r.id != app.applicant_id]
            for reviewer in told:
                notify.enqueue(
                    db,
                    "application-overdue",
                    to=reviewer.email,
                    name=reviewer.name,
                    dataset=dataset.title,
                    slug=dataset.slug,
                    application_id=app.id,
                    applicant=applicant.name,
                    submitted_at=submitted_at.date().isoformat(),
                    days=(now - submitted_at).days,
                    base_url=base_url,
                )
            app.escalated_at = now
            audit.record(
                db,
                actor="system",
                action="application.escalated",
                object=("application", app.id),
                data={"reviewers": [r.email for r in told]},
                dataset=app.dataset_id,
                at=now,
            )
        done.append(app.id)
    return done
