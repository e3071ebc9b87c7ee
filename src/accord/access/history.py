"""An applicant's past with one dataset, as its review needs it. A revocation a curator has not lifted, or a
rejection no later approval answered, sends the application to a person whatever the terms' review mode:
the history check fails with `hold`, which keeps it from automatic approval and from bulk approval, and the
reviewer's page says what happened, when, and who decided."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.access import checks, workflow
from accord.access.common import is_reviewer, reviewer_only
from accord.access.events import Loaded, append, load
from accord.access.models import Application
from accord.entitlements import service as entitlements
from accord.identity.models import User


def _rejections(db: Session, row: Application) -> list[str]:
    """Rejections of the applicant for this dataset since their last approved application for it."""
    rows = list(
        db.scalars(
            select(Application)
            .where(
                Application.applicant_id == row.applicant_id,
                Application.dataset_id == row.dataset_id,
                Application.id != row.id,
                Application.status.in_([workflow.Status.rejected.value, workflow.Status.approved.value]),
            )
            .order_by(Application.id.desc())
        )
    )
    out = []
    for earlier in rows:
        if earlier.status == workflow.Status.approved.value:
            break
        state = load(db, earlier.id).state
        when = f" on {earlier.decided_at:%Y-%m-%d}" if earlier.decided_at else ""
        out.append(f"application {earlier.id} was rejected{when}: {state.reason or 'no reason given'}")
    return out


def held(db: Session, row: Application) -> list[str]:
    """What in the applicant's past with this dataset asks for a person's decision, in the reviewer's words."""
    return [
        r.sentence() for r in entitlements.revocations(db, row.applicant_id, row.dataset_id) if r.holds
    ] + _rejections(db, row)


def on_hold(state: workflow.Application) -> bool:
    """A check said a person must decide: no automatic approval, no approval in bulk."""
    return any(not c.get("passed") and c.get("hold") for c in state.checks.values())


def held_since(db: Session, loaded: Loaded, at: datetime) -> bool:
    """Just before an automatic approval that comes after the submission (the e-mail was confirmed, a
    certificate accepted): a revocation since then holds it too. Recorded as a new history check."""
    reasons = held(db, loaded.row)
    if not reasons:
        return False
    result = checks.history(0, 0, reasons)
    append(db, loaded, workflow.decide_checks(loaded.state, results={result.name: result.as_dict()}, at=at))
    return True


def bulk_refusal(db: Session, app_id: int, actor: User) -> str | None:
    """Why an application may not be approved in bulk (its reviewer must open it), or None. Whoever may not
    decide on it hears what `approve` would tell them, and nothing of its history."""
    loaded = load(db, app_id)
    reviewer_only(loaded, actor)
    reasons = held(db, loaded.row)  # now, not only when it was submitted: a revocation since then counts too
    if not reasons and not on_hold(loaded.state):
        return None
    detail = "; ".join(reasons) or loaded.state.checks.get("history", {}).get("detail", "a person decides")
    return f"not approved in bulk: {detail}; open /review/{app_id} to decide"


def seen_by_reviewer(db: Session, state: workflow.Application, viewer: User | None) -> list[entitlements.Revocation]:
    """The applicant's revocations on this dataset (entitlements.standing.Revocation), for its reviewers'
    eyes only: who revoked and the curators' later decisions are not the applicant's page's business."""
    if state.dataset_id is None or state.applicant_id is None:
        return []
    if viewer is None or viewer.id == state.applicant_id or not is_reviewer(viewer, state.dataset_id):
        return []
    return entitlements.revocations(db, state.applicant_id, state.dataset_id)
