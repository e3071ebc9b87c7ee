"""Reading the grants: whose they are, the newest of a person's, those in force, those revoked (and whether by a
person or by a lapse). No unit of work here: the service's functions change grants."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from accord.audit import service as audit
from accord.catalog import service as catalog
from accord.entitlements.models import Entitlement
from accord.errors import NotFound
from accord.identity.models import User


def newest(db: Session, user: User, dataset_id: int) -> Entitlement:
    """The user's newest grant of a dataset (the one re-acceptance and renewal act on)."""
    ent = db.scalar(
        select(Entitlement)
        .where(Entitlement.user_id == user.id, Entitlement.dataset_id == dataset_id)
        .order_by(Entitlement.id.desc())
        .limit(1)
    )
    if ent is None:
        raise NotFound("you hold no access to this dataset; apply for it on the dataset page")
    return ent


def ended_by_lapse(db: Session, ent: Entitlement) -> bool:
    """Revoked by the system, not by a person: access that ended when something it depends on ran out (a
    training certificate, under terms that end access with it). Like an expiry, such access can be renewed."""
    if ent.revoked_at is None or ent.revoked_by_id is not None:
        return False
    revoked = next(
        (e for e in audit.recent(db, object=("entitlement", ent.id), limit=50) if e.action == "entitlement.revoked"),
        None,
    )
    return revoked is not None and revoked.actor == "system"


def held_by(db: Session, user: User) -> list[Entitlement]:
    return list(db.scalars(select(Entitlement).where(Entitlement.user_id == user.id).order_by(Entitlement.id)))


def ever_held(db: Session, user_id: int, dataset_id: int) -> bool:
    """Whether the user holds, or once held, access to the dataset (in force or not)."""
    return (
        db.scalar(
            select(Entitlement.id).where(Entitlement.user_id == user_id, Entitlement.dataset_id == dataset_id).limit(1)
        )
        is not None
    )


def live(db: Session, now: datetime, *, user_id: int | None = None, dataset_id: int | None = None) -> list[Entitlement]:
    """Grants neither revoked nor expired at `now` (of one user or dataset, or everyone's), oldest first."""
    query = select(Entitlement).where(
        Entitlement.revoked_at.is_(None), or_(Entitlement.expires_at.is_(None), Entitlement.expires_at > now)
    )
    if user_id is not None:
        query = query.where(Entitlement.user_id == user_id)
    if dataset_id is not None:
        query = query.where(Entitlement.dataset_id == dataset_id)
    return list(db.scalars(query.order_by(Entitlement.id)))


def for_dataset(db: Session, dataset_id: int, *, actor: User | str) -> list[Entitlement]:
    """Who holds access to the dataset: for its curators."""
    catalog.require_curator(actor, dataset_id)
    return list(db.scalars(select(Entitlement).where(Entitlement.dataset_id == dataset_id).order_by(Entitlement.id)))


def revoked_count(db: Session, user_id: int) -> int:
    """How many of this user's grants, for any dataset, were ever revoked (shown to reviewers)."""
    return (
        db.scalar(select(func.count()).where(Entitlement.user_id == user_id, Entitlement.revoked_at.is_not(None))) or 0
    )


def revoked_since(db: Session, since: datetime) -> list[int]:
    """Grants revoked after `since`: what a download server's in-memory revocation cache must learn."""
    return list(db.scalars(select(Entitlement.id).where(Entitlement.revoked_at >= since)))
