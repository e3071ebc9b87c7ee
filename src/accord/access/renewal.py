"""Renewal: a licensee whose access is about to end, has expired, or was ended by the system when something it
depends on ran out (a training certificate) applies again through the ordinary application flow, under the
dataset's current terms, with the answers of their last approved application filled in. Answers the current
terms no longer ask for are dropped; questions they added stay empty and show as missing, like any draft.
A grant ended by a person (a curator's revocation) is not renewed: that needs a fresh application. A renewal
goes through review like any application: after a revocation that was not lifted, a person decides it
(access.history); after one made permanent, there is no renewal at all."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.access import form
from accord.access.applicant import start
from accord.access.common import ApplicationView
from accord.access.events import load
from accord.access.models import Application
from accord.access.workflow import Status
from accord.catalog import service as catalog
from accord.db import utcnow
from accord.entitlements import service as entitlements
from accord.entitlements.models import Entitlement
from accord.errors import AccordError, Conflict
from accord.identity.models import User
from accord.policy import service as policies
from accord.policy.schema import Policy, Signatory


def why_not(db: Session, ent: Entitlement, *, now: datetime | None = None) -> str | None:
    """None when the grant can be renewed now; otherwise why not, in the licensee's words."""
    now = now or utcnow()
    barring = entitlements.barred(db, ent.user_id, ent.dataset_id)
    if barring is not None:  # a curator made a revocation permanent: no renewal either
        return entitlements.bar_refusal(db, ent.dataset_id, barring)
    if entitlements.ended_by_lapse(db, ent):
        return None
    if ent.revoked_at is not None:
        return (
            f"your access was ended on {ent.revoked_at:%Y-%m-%d} ({ent.revoke_reason}); only access that "
            "expires (or that ran out with a certificate) is renewed: apply again from the dataset page"
        )
    if ent.expires_at is None:
        return "your access has no end date; there is nothing to renew"
    if ent.expires_at - now > entitlements.WARN_BEFORE:
        opens = ent.expires_at - entitlements.WARN_BEFORE
        return (
            f"your access runs until {ent.expires_at:%Y-%m-%d}; you can renew it from {opens:%Y-%m-%d}, "
            "two weeks before it ends"
        )
    return None


def renewable(db: Session, user: User | None, dataset_id: int, *, now: datetime | None = None) -> Entitlement | None:
    """The user's newest grant of the dataset if it can be renewed now (for pages that offer a Renew button)."""
    if user is None:
        return None
    try:
        ent = entitlements.newest(db, user, dataset_id)
    except AccordError:
        return None
    return ent if why_not(db, ent, now=now) is None else None


def last_approved(db: Session, user: User, dataset_id: int, ent: Entitlement) -> Application | None:
    """The application behind the grant, else the user's newest approved one for the dataset."""
    if ent.application_id is not None:
        row = db.get(Application, ent.application_id)
        if row is not None and row.status == Status.approved.value:
            return row
    return db.scalar(
        select(Application)
        .where(
            Application.applicant_id == user.id,
            Application.dataset_id == dataset_id,
            Application.status == Status.approved.value,
        )
        .order_by(Application.decided_at.desc(), Application.id.desc())
        .limit(1)
    )


def carried_over(
    policy: Policy, answers: dict[str, Any], signatory: dict[str, Any] | None, *, account_email: str
) -> tuple[dict[str, str], dict[str, str] | None]:
    """The old answers the current terms still ask for and still accept, one by one (a field whose limits
    tightened, or an address that is no longer the account's, is left for the licensee to fill in again)."""
    kept: dict[str, str] = {}
    asked = {f.value for f in policy.applicant_fields}
    for name, value in answers.items():
        if name not in asked:
            continue
        try:
            kept.update(form.clean_answers(policy, {name: value}, account_email=account_email))
        except AccordError:
            continue
    who = None
    if signatory and policy.signatory is Signatory.legal_authority:
        try:
            who = form.clean_signatory(policy, signatory)
        except AccordError:
            who = None
    return kept, who


def require_renewable(db: Session, user: User, dataset_id: int) -> Entitlement:
    """The grant to renew, or NotFound (nothing to renew: apply) / Conflict (revoked, or time left) saying why."""
    ent = entitlements.newest(db, user, dataset_id)
    refusal = why_not(db, ent)
    if refusal:
        raise Conflict(refusal)
    return ent


def renew(db: Session, dataset_slug: str, *, actor: User) -> ApplicationView:
    """Start the renewal application (a draft under the current terms, prefilled); it goes on as any other."""
    dataset = catalog.visible_dataset(db, dataset_slug, actor)
    ent = require_renewable(db, actor, dataset.id)
    terms = policies.get(db, dataset.id)
    answers: dict[str, str] = {}
    who: dict[str, str] | None = None
    previous = last_approved(db, actor, dataset.id, ent)
    if previous is not None:
        state = load(db, previous.id).state
        answers, who = carried_over(terms.policy, state.answers, state.signatory, account_email=actor.email)
    return start(
        db,
        dataset.slug,
        actor=actor,
        answers=answers,
        signatory=who,
        renews=ent.id,
        prefilled_from=previous.id if previous is not None else None,
    )
