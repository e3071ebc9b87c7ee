"""Grants counted for the custodian's dashboard: how many are active, paused for new terms, not started yet,
expired or revoked at a moment, in the order `states._state_of` decides a single grant's state, grouped in SQL."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import and_, case, func, literal_column, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from accord.entitlements.models import Entitlement
from accord.policy import service as policies

STATES = ("active", "paused", "not_started", "expired", "revoked")


def held_at(at: datetime) -> ColumnElement[bool]:
    """The grants someone holds at `at`: started, and neither revoked nor expired by then (new terms that
    pause downloads do not end a grant)."""
    return and_(
        or_(Entitlement.revoked_at.is_(None), Entitlement.revoked_at > at),
        Entitlement.starts_at <= at,
        or_(Entitlement.expires_at.is_(None), Entitlement.expires_at > at),
    )


def counts(db: Session, dataset_ids: Collection[int] | None, *, at: datetime) -> dict[str, int]:
    """state → how many grants of the given datasets (None: of every dataset) are in it at `at`. Two statements:
    the grants grouped by dataset, terms agreed and state, and each dataset's current terms (held grants under
    older terms are paused)."""
    state = case(
        (Entitlement.revoked_at <= at, literal_column("'revoked'")),
        (Entitlement.starts_at > at, literal_column("'not_started'")),
        (Entitlement.expires_at <= at, literal_column("'expired'")),
        else_=literal_column("'held'"),
    )
    inner = select(Entitlement.dataset_id, Entitlement.policy_version, state.label("state"))
    if dataset_ids is not None:
        inner = inner.where(Entitlement.dataset_id.in_(sorted(dataset_ids)))
    grants = inner.subquery("grants")
    rows = db.execute(
        select(grants.c.dataset_id, grants.c.policy_version, grants.c.state, func.count()).group_by(
            grants.c.dataset_id, grants.c.policy_version, grants.c.state
        )
    ).all()
    current = policies.current_versions(db)
    found = dict.fromkeys(STATES, 0)
    for dataset_id, agreed, name, n in rows:
        if name == "held":
            terms = current.get(dataset_id)
            name = "paused" if terms is not None and terms > agreed else "active"
        found[name] += n
    return found
