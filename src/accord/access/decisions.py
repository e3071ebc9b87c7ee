"""Deciding applications: a reviewer approves (the final approval grants the dataset in the same unit of work),
rejects or returns one; click-through terms approve it automatically once nothing is left to check."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import plugins
from accord.access import history as past
from accord.access import requirements, workflow
from accord.access.common import ApplicationView, mail, reviewer_only, terms_of, view_of
from accord.access.events import Loaded, append, load
from accord.access.models import Application
from accord.audit import service as audit
from accord.db import unit_of_work, utcnow
from accord.entitlements import service as entitlements
from accord.identity.models import User
from accord.policy.schema import Policy, ReviewMode


def approve(db: Session, app_id: int, *, actor: User, note: str = "", base_url: str = "") -> ApplicationView:
    """Approve a submitted application (with a quorum, once enough reviewers have); the final approval
    grants the dataset to the applicant in the same transaction."""
    with unit_of_work(db):
        loaded = load(db, app_id)
        reviewer_only(loaded, actor)
        now = utcnow()
        event = workflow.decide_approve(loaded.state, actor=actor.id, at=now, note=note.strip())
        requirements.before_approval(db, app_id, terms_of(db, loaded).policy)
        append(db, loaded, event)
        audit.record(
            db,
            actor=actor,
            action="application.approved",
            object=("application", app_id),
            data={"note": note.strip(), "final": loaded.state.status is workflow.Status.approved},
            dataset=loaded.row.dataset_id,
        )
        if loaded.state.status is workflow.Status.approved:
            _grant(db, loaded, actor=actor, at=now)
            mail(db, "application-approved", loaded, note=note.strip(), base_url=base_url.rstrip("/"))
    return view_of(db, loaded, actor)


def reject(db: Session, app_id: int, *, actor: User, reason: str) -> ApplicationView:
    """Reject with a reason the applicant is told."""
    with unit_of_work(db):
        loaded = load(db, app_id)
        reviewer_only(loaded, actor)
        append(db, loaded, workflow.decide_reject(loaded.state, actor=actor.id, reason=reason, at=utcnow()))
        audit.record(
            db,
            actor=actor,
            action="application.rejected",
            object=("application", app_id),
            data={"reason": loaded.state.reason},
            dataset=loaded.row.dataset_id,
        )
        mail(db, "application-rejected", loaded, reason=loaded.state.reason)
    return view_of(db, loaded, actor)


def return_for_changes(db: Session, app_id: int, *, actor: User, comment: str) -> ApplicationView:
    """Send the application back to the applicant with what to change."""
    with unit_of_work(db):
        loaded = load(db, app_id)
        reviewer_only(loaded, actor)
        append(db, loaded, workflow.decide_return(loaded.state, actor=actor.id, comment=comment, at=utcnow()))
        audit.record(
            db,
            actor=actor,
            action="application.returned",
            object=("application", app_id),
            data={"comment": loaded.state.reason},
            dataset=loaded.row.dataset_id,
        )
        mail(db, "application-returned", loaded, comment=loaded.state.reason)
    return view_of(db, loaded, actor)


# --- approved automatically, once nothing is left to check -------------------------------------------------


def requirement_met(db: Session, user_id: int, *, at: datetime) -> list[int]:
    """In the caller's unit of work (a domain that provides a requirement saw it met for this user, e.g. a
    reviewer accepted their training certificate): approve the click-through applications waiting only for it."""
    done = []
    for app_id in db.scalars(
        select(Application.id)
        .where(Application.applicant_id == user_id, Application.status == workflow.Status.submitted.value)
        .order_by(Application.id)
    ):
        loaded = load(db, app_id)
        policy = terms_of(db, loaded).policy
        why = automatic(db, loaded, policy)
        if (
            why
            and may_approve(loaded.state)
            and requirements.met(db, app_id, policy)
            and approve_automatically(db, loaded, at, why=why)
        ):
            done.append(app_id)
    return done


def automatic(db: Session, loaded: Loaded, policy: Policy) -> str | None:
    """Why no person need review this application once its checks pass: click-through terms, or a reason
    another domain gives (`access.preapproved` in plugins.py: e.g. a party the custodian already approved)."""
    if policy.review.mode is ReviewMode.automatic:
        return "every check passed"
    for preapproved in plugins.provided("access.preapproved"):
        if why := preapproved(db, loaded.row):
            return str(why)
    return None


def approve_automatically(
    db: Session, loaded: Loaded, now: datetime, *, base_url: str = "", why: str = "every check passed"
) -> bool:
    """Approve an application no person need review (`automatic`) whose checks and requirements are all met
    (the caller asked `may_approve` and `requirements.met`), in the caller's unit of work; False when a
    revocation since its submission leaves it to a person."""
    if past.held_since(db, loaded, now):  # revoked after it was submitted: a person decides (access.history)
        return False
    append(db, loaded, workflow.decide_approve(loaded.state, actor=None, at=now, note=f"approved automatically: {why}"))
    audit.record(
        db,
        actor=None,
        action="application.approved",
        object=("application", loaded.id),
        data={"automatic": True, "why": why},
        dataset=loaded.row.dataset_id,
    )
    _grant(db, loaded, actor=None, at=now)
    mail(db, "application-approved", loaded, note="", base_url=base_url.rstrip("/"))
    return True


def _grant(db: Session, loaded: Loaded, *, actor: User | None, at: datetime) -> None:
    """The approval and the download entitlement commit together or not at all."""
    entitlements.grant(
        db,
        dataset_id=loaded.row.dataset_id,
        user_id=loaded.row.applicant_id,
        policy_version=loaded.row.policy_version,
        actor=actor,
        application_id=loaded.id,
        unit=str(loaded.state.answers.get("unit") or ""),
        starts_at=at,
    )


def may_approve(state: workflow.Application) -> bool:
    """Submitted, every check passed, the address confirmed and not held for a person by an earlier revocation."""
    return (
        state.status is workflow.Status.submitted
        and not state.failed_checks
        and state.email_verified
        and not past.on_hold(state)
    )
