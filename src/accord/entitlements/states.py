"""What became of the access an approved application granted: active, revoked, expired or paused.

An application stays "approved" for good; its grant does not. Every page (and the API) that shows an
application's state shows this next to it, so a revoked licensee is never told "approved" alone.
Read in two queries however many applications are listed: their grants, and each dataset's current terms.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.entitlements.grants import ended_by_lapse, for_dataset
from accord.entitlements.models import Entitlement
from accord.identity import service as identity
from accord.identity.models import User
from accord.policy import service as policies

State = Literal["active", "not_started", "expired", "revoked", "paused"]


class GrantState(BaseModel):
    """The grant of one application, as its applicant and the dataset's reviewers see it."""

    entitlement_id: int
    state: State
    since: datetime | None  # revoked, expired: when; not started: when it starts
    expires_at: datetime | None
    reason: str  # why it was revoked, or why it is paused; empty otherwise

    @property
    def words(self) -> str:
        day = f"{self.since:%Y-%m-%d}" if self.since else ""
        if self.state == "revoked":
            return f"Access revoked on {day}"
        if self.state == "expired":
            return f"Access expired on {day}"
        if self.state == "not_started":
            return f"Access starts on {day}"
        if self.state == "paused":
            return "Access paused until you accept the new terms"
        return f"Access active until {self.expires_at:%Y-%m-%d}" if self.expires_at else "Access active"


def _state_of(ent: Entitlement, current_terms: int | None, at: datetime) -> GrantState:
    # In the order entitlements.check refuses (decisions._out_of_force): a revocation outweighs an expiry, both
    # outweigh new terms; a revocation dated after `at` does not count yet, as downloads are allowed until then.
    # (A pause for a missing training certificate is told on the download page, which checks it in full.)
    state: State = "active"
    since: datetime | None = None
    reason = ""
    if ent.revoked_at is not None and ent.revoked_at <= at:
        state, since, reason = "revoked", ent.revoked_at, ent.revoke_reason or ""
    elif ent.starts_at > at:
        state, since = "not_started", ent.starts_at
    elif ent.expires_at is not None and ent.expires_at <= at:
        state, since = "expired", ent.expires_at
    elif current_terms is not None and current_terms > ent.policy_version:
        state, reason = (
            "paused",
            (
                f"the terms changed (version {ent.policy_version} → {current_terms}); "
                "accept the new terms on the download page to resume downloading"
            ),
        )
    return GrantState(entitlement_id=ent.id, state=state, since=since, expires_at=ent.expires_at, reason=reason)


def for_applications(
    db: Session, application_ids: Iterable[int], *, at: datetime | None = None
) -> dict[int, GrantState]:
    """application id → the state of the grant it gave, for those of `application_ids` that gave one."""
    ids = sorted(set(application_ids))
    if not ids:
        return {}
    grants = list(db.scalars(select(Entitlement).where(Entitlement.application_id.in_(ids))))
    if not grants:
        return {}
    current = policies.current_versions(db)
    at = at or utcnow()
    return {
        g.application_id: _state_of(g, current.get(g.dataset_id), at) for g in grants if g.application_id is not None
    }


def for_grants(db: Session, grants: Iterable[Entitlement], *, at: datetime | None = None) -> dict[int, GrantState]:
    """entitlement id → its state, as its application shows it (one query for the datasets' current terms)."""
    current = policies.current_versions(db)
    at = at or utcnow()
    return {g.id: _state_of(g, current.get(g.dataset_id), at) for g in grants}


def for_application(db: Session, application_id: int, *, at: datetime | None = None) -> GrantState | None:
    return for_applications(db, [application_id], at=at).get(application_id)


def for_grant(db: Session, ent: Entitlement, *, at: datetime | None = None) -> GrantState:
    """The state of one grant, with or without an application (a licence record states it)."""
    current = policies.current(db, ent.dataset_id)
    return _state_of(ent, current.version if current else None, at or utcnow())


@dataclass(frozen=True)
class Holder:
    """A row of a dataset's "who has access" list, for its curators."""

    grant: Entitlement
    email: str
    state: str  # "active" | "pending" (not started) | "expired" | "revoked"
    decidable: bool  # a curator's revocation can be made permanent or lifted; a lapse (the system ended it) cannot


def holders(db: Session, dataset_id: int, *, actor: User | str, at: datetime | None = None) -> list[Holder]:
    """Everyone who holds or held access to the dataset, newest first, with their address (one query for all).
    Each grant's state is the one its application shows (`_state_of`): a revocation dated later counts from then."""
    grants = list(reversed(for_dataset(db, dataset_id, actor=actor)))
    people = identity.users_by_id(db, {g.user_id for g in grants})
    at = at or utcnow()
    out = []
    for g in grants:
        derived = _state_of(g, None, at).state  # no terms given: new terms pause downloads, not who holds access
        state = "pending" if derived == "not_started" else derived
        out.append(Holder(g, people[g.user_id].email, state, state == "revoked" and not ended_by_lapse(db, g)))
    return out
