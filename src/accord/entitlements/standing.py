"""Revocations that stick. A grant a curator revoked sends every new application of its holder for the dataset
to a person, whatever the terms' review mode, until a curator decides what the revocation means afterwards:
permanent (the holder may not apply again, nor renew) or lifted (the holder's applications are reviewed as
anyone's again). A grant the system ended (a certificate ran out) is a lapse, not a revocation, and does not
count. Each decision is one unit of work with its audit event and the licensee's e-mail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.audit import service as audit
from accord.catalog import service as catalog
from accord.db import unit_of_work, utcnow
from accord.entitlements.grants import ended_by_lapse
from accord.entitlements.models import Entitlement
from accord.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from accord.identity.models import User
from accord.notify import service as notify

PERMANENT, LIFTED = "permanent", "lifted"


@dataclass(frozen=True)
class Revocation:
    """One revocation of a person's grant, as a reviewer (or the curator deciding on it) reads it."""

    grant_id: int
    revoked_at: datetime
    revoked_by: str  # the curator's name, or "Accord" when the account is gone
    reason: str
    standing: str | None  # None: undecided; PERMANENT; LIFTED
    standing_at: datetime | None = None
    standing_by: str | None = None
    standing_reason: str | None = None

    @property
    def holds(self) -> bool:
        """Whether it still keeps new applications from automatic (or bulk) approval."""
        return self.standing != LIFTED

    def sentence(self) -> str:
        """For the history check, which the applicant reads too: what and when, not who (reviewers see that)."""
        text = f"access was revoked on {self.revoked_at:%Y-%m-%d}: {self.reason}"
        if self.standing == PERMANENT:
            text += f" (made permanent on {self.standing_at:%Y-%m-%d}: {self.standing_reason})"
        elif self.standing == LIFTED:
            text += f" (lifted on {self.standing_at:%Y-%m-%d}: {self.standing_reason})"
        return text


def _by_person(db: Session, ent: Entitlement) -> bool:
    return ent.revoked_at is not None and not ended_by_lapse(db, ent)


def _name(db: Session, user_id: int | None) -> str | None:
    user = db.get(User, user_id) if user_id is not None else None
    return user.name or user.email if user is not None else None


def _of(db: Session, ent: Entitlement) -> Revocation:
    assert ent.revoked_at is not None  # only revoked grants are listed
    return Revocation(
        ent.id,
        ent.revoked_at,
        _name(db, ent.revoked_by_id) or "Accord",
        ent.revoke_reason or "",
        ent.standing,
        ent.standing_at,
        _name(db, ent.standing_by_id) if ent.standing else None,
        ent.standing_reason,
    )


def revocations(db: Session, user_id: int, dataset_id: int) -> list[Revocation]:
    """The person's revoked grants of the dataset, newest first (lapses left out)."""
    grants = db.scalars(
        select(Entitlement)
        .where(
            Entitlement.user_id == user_id, Entitlement.dataset_id == dataset_id, Entitlement.revoked_at.is_not(None)
        )
        .order_by(Entitlement.revoked_at.desc(), Entitlement.id.desc())
    )
    return [_of(db, ent) for ent in grants if _by_person(db, ent)]


def holding(db: Session, user_id: int, dataset_id: int) -> list[Revocation]:
    """The revocations that send the person's next application for the dataset to a reviewer."""
    return [r for r in revocations(db, user_id, dataset_id) if r.holds]


def barred(db: Session, user_id: int, dataset_id: int) -> Revocation | None:
    """The permanent revocation that keeps the person from applying for the dataset again, if any."""
    return next((r for r in revocations(db, user_id, dataset_id) if r.standing == PERMANENT), None)


def refusal(db: Session, dataset_id: int, barring: Revocation) -> str:
    """Why applying (or renewing) is refused, and whom to write to."""
    ds = catalog.dataset_by_id(db, dataset_id)
    name = ds.title.split(":")[0]
    contact = ds.custodian_contact.strip() or f"see /datasets/{ds.slug}"
    who = ds.custodian_short or ds.custodian
    return (
        f"you may not apply for {name} again: your access was revoked on {barring.revoked_at:%Y-%m-%d} "
        f"({barring.reason}) and the revocation was made permanent on {barring.standing_at:%Y-%m-%d}; "
        f"if you think this is wrong, write to {who} ({contact})"
    )


def require_may_apply(db: Session, user: User, dataset_id: int) -> None:
    """Refuse a new application or a renewal after a permanent revocation, saying why and whom to write to."""
    barring = barred(db, user.id, dataset_id)
    if barring is not None:
        raise PermissionDenied(refusal(db, dataset_id, barring))


def may_apply(db: Session, user: User | None, dataset_id: int) -> bool:
    return user is not None and barred(db, user.id, dataset_id) is None


# --- the curator's decisions -------------------------------------------------------------------------------


def make_permanent(db: Session, entitlement_id: int, *, actor: User | str, reason: str) -> Entitlement:
    """The holder may not apply for the dataset again (nor renew); they are told why and whom to write to."""
    return _decide(db, entitlement_id, PERMANENT, actor=actor, reason=reason)


def lift(db: Session, entitlement_id: int, *, actor: User | str, reason: str) -> Entitlement:
    """The holder may apply again, and their applications are reviewed as anyone's (click-through terms
    approve them automatically again). The grant itself stays ended: lifting is not restoring access."""
    return _decide(db, entitlement_id, LIFTED, actor=actor, reason=reason)


def _decide(db: Session, entitlement_id: int, standing: str, *, actor: User | str, reason: str) -> Entitlement:
    ent = db.get(Entitlement, entitlement_id)
    if ent is None:
        raise NotFound("no such access grant")
    catalog.require_curator(actor, ent.dataset_id)
    if not reason.strip():
        raise InvalidInput("say why; it is kept with the revocation and the licensee is told", field="reason")
    if ent.revoked_at is None:
        raise Conflict("this access has not been revoked; revoke it first")
    if not _by_person(db, ent):
        raise Conflict(
            "this access ended by itself when something it needs ran out; it can be renewed, "
            "there is no revocation to decide on"
        )
    with unit_of_work(db):
        if ent.standing != standing:
            before = ent.standing
            ent.standing, ent.standing_at, ent.standing_reason = standing, utcnow(), reason.strip()
            ent.standing_by_id = actor.id if isinstance(actor, User) else None
            action = "entitlement.revocation_permanent" if standing == PERMANENT else "entitlement.revocation_lifted"
            audit.record(
                db,
                actor=actor,
                action=action,
                object=("entitlement", ent.id),
                data={
                    "reason": ent.standing_reason,
                    "before": before,
                    "user_id": ent.user_id,
                    "dataset_id": ent.dataset_id,
                },
            )
            ds = catalog.dataset_by_id(db, ent.dataset_id)
            licensee = db.get_one(User, ent.user_id)  # the foreign key holds it
            notify.enqueue(
                db,
                f"revocation-{standing}",
                to=licensee.email,
                name=licensee.name,
                dataset=ds.title,
                reason=ent.standing_reason,
                revoked=f"{ent.revoked_at:%Y-%m-%d}",
                contact=ds.custodian_contact or ds.custodian,
                slug=ds.slug,
            )
    return ent
