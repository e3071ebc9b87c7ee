"""Entitlements: who may download which dataset versions, from where, until when. Delivery asks only `check`.

This door grants, revokes and re-accepts, and tells licensees what changed. Re-exported here: the download
decision (entitlements/decisions.py), reading the grants (entitlements/grants.py), revocations that stick (make
permanent, lift, who may apply again: entitlements/standing.py) and what grants became, for the pages and answers
that show an application's state (entitlements/states.py).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from accord.audit import service as audit
from accord.catalog import service as catalog
from accord.db import unit_of_work, utcnow
from accord.entitlements import standing, states, tallies
from accord.entitlements.decisions import FILE_LIST_PRIVATE as FILE_LIST_PRIVATE
from accord.entitlements.decisions import Decision as Decision
from accord.entitlements.decisions import check as check
from accord.entitlements.decisions import explain as explain
from accord.entitlements.decisions import file_list_is_public as file_list_is_public
from accord.entitlements.decisions import may_read_file_list as may_read_file_list
from accord.entitlements.decisions import require as require
from accord.entitlements.decisions import require_file_list as require_file_list
from accord.entitlements.decisions import terms_in_force as terms_in_force
from accord.entitlements.grants import ended_by_lapse as ended_by_lapse
from accord.entitlements.grants import ever_held as ever_held
from accord.entitlements.grants import for_dataset as for_dataset
from accord.entitlements.grants import held_by as held_by
from accord.entitlements.grants import live as live
from accord.entitlements.grants import newest as newest
from accord.entitlements.grants import revoked_count as revoked_count
from accord.entitlements.grants import revoked_since as revoked_since
from accord.entitlements.models import Entitlement
from accord.entitlements.standing import Revocation as Revocation
from accord.entitlements.standing import barred as barred
from accord.entitlements.standing import lift as lift
from accord.entitlements.standing import make_permanent as make_permanent
from accord.entitlements.standing import may_apply as may_apply
from accord.entitlements.standing import require_may_apply as require_may_apply
from accord.entitlements.standing import revocations as revocations
from accord.entitlements.states import GrantState as GrantState
from accord.entitlements.states import Holder as Holder
from accord.entitlements.states import holders as holders
from accord.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from accord.identity.models import User
from accord.notify import service as notify
from accord.policy import service as policies

# Re-exported under the door's names. Assigned, since the type checker counts a renamed import as private.
bar_refusal = standing.refusal
grant_state_of = states.for_application
grant_state = states.for_grant
grant_states_of = states.for_applications
states_of_grants = states.for_grants
# Counted for the custodian's dashboard (entitlements/tallies.py)
GRANT_STATES = tallies.STATES
held_at = tallies.held_at
grant_counts = tallies.counts

WARN_BEFORE = timedelta(days=14)


def check_networks(values: Iterable[object] | None) -> list[str]:
    """CIDR ranges, normalised; InvalidInput (field "networks") naming the first that is not one."""
    return _networks(values)


def _networks(values: Iterable[object] | None) -> list[str]:
    out: list[str] = []
    for value in values or []:
        try:
            out.append(str(ipaddress.ip_network(str(value).strip(), strict=False)))
        except ValueError:
            raise InvalidInput(f"not a network range (CIDR): {value!r}", field="networks") from None
    return out


def grant(
    db: Session,
    *,
    dataset_id: int,
    user_id: int,
    policy_version: int,
    actor: User | None,
    application_id: int | None = None,
    unit: str = "",
    networks: Iterable[object] = (),
    starts_at: datetime | None = None,
) -> Entitlement:
    """Create a grant inside the caller's transaction (an approval commits it together with its event)."""
    terms = policies.get(db, dataset_id, policy_version)
    starts_at = starts_at or utcnow()
    covers = None
    if not terms.policy.covers_future_versions:
        current = catalog.latest_published(db, dataset_id)
        covers = current.id if current else None
    ent = Entitlement(
        dataset_id=dataset_id,
        user_id=user_id,
        application_id=application_id,
        policy_version=policy_version,
        version_id=covers,
        unit=unit.strip(),
        networks=_networks(networks),
        starts_at=starts_at,
        expires_at=starts_at + timedelta(days=terms.policy.access_days) if terms.policy.access_days else None,
    )
    db.add(ent)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="entitlement.granted",
        object=("entitlement", ent.id),
        data={
            "dataset_id": dataset_id,
            "user_id": user_id,
            "version_id": covers,
            "expires_at": ent.expires_at,
            "unit": ent.unit,
        },
    )
    return ent


def get(db: Session, entitlement_id: int, *, dataset_id: int | None = None) -> Entitlement:
    """The grant; with `dataset_id`, only if it is that dataset's (a page addressed by dataset asks so)."""
    ent = db.get(Entitlement, entitlement_id)
    if ent is None or (dataset_id is not None and ent.dataset_id != dataset_id):
        raise NotFound("no such access grant" + (" for this dataset" if dataset_id is not None else ""))
    return ent


def revoke(
    db: Session, entitlement_id: int, *, actor: User | str, reason: str, at: datetime | None = None
) -> Entitlement:
    """End a grant now (curators; the licensee is told why by e-mail). The custodian's 'terminate' is this."""
    ent = get(db, entitlement_id)
    catalog.require_curator(actor, ent.dataset_id)
    if not reason.strip():
        raise InvalidInput("say why access ends; the licensee is told", field="reason")
    with unit_of_work(db):
        if ent.revoked_at is None:
            ent.revoked_at = at or utcnow()
            ent.revoked_by_id = actor.id if isinstance(actor, User) else None
            ent.revoke_reason = reason.strip()
            ds = catalog.dataset_by_id(db, ent.dataset_id)
            licensee = db.get_one(User, ent.user_id)  # the foreign key holds it
            audit.record(
                db,
                actor=actor,
                action="entitlement.revoked",
                object=("entitlement", ent.id),
                data={"reason": ent.revoke_reason},
                dataset=ent.dataset_id,
            )
            notify.enqueue(
                db, "access-revoked", to=licensee.email, name=licensee.name, dataset=ds.title, reason=ent.revoke_reason
            )
    return ent


def reaccept(db: Session, entitlement_id: int, *, actor: User, version: int, signed_as: str = "") -> Entitlement:
    """The licensee accepts the dataset's current terms; a paused grant resumes. `version` is the one the
    licensee read: an older page (the terms changed again meanwhile) is refused rather than accepted unseen."""
    ent = get(db, entitlement_id)
    if not isinstance(actor, User) or actor.id != ent.user_id:
        raise PermissionDenied("only the licensee who holds this grant can accept its terms")
    now = utcnow()
    if ent.revoked_at is not None:
        raise Conflict(f"this access was ended on {ent.revoked_at:%Y-%m-%d}; apply again from the dataset page")
    if ent.expires_at is not None and ent.expires_at <= now:
        raise Conflict(f"this access expired on {ent.expires_at:%Y-%m-%d}; renew it from the dataset page")
    current = policies.get(db, ent.dataset_id)
    if version != current.version:
        raise Conflict(
            f"the terms are now at version {current.version}, not {version}; "
            "read the current terms and accept them again",
            field="version",
        )
    with unit_of_work(db):
        if ent.policy_version != current.version:
            old = ent.policy_version
            ent.policy_version = current.version
            audit.record(
                db,
                actor=actor,
                action="entitlement.reaccepted",
                object=("entitlement", ent.id),
                data={"from": old, "to": current.version, "signed_as": signed_as.strip()},
                dataset=ent.dataset_id,
            )
    return ent


def terms_changed(db: Session, dataset_id: int, *, version: int, note: str = "", base_url: str = "") -> list[int]:
    """In the caller's unit of work (a new terms version was just stored): tell every current licensee, once,
    that their access pauses until they accept `version`, with what changed and the link to accept it.
    Returns the grants whose holders were told."""
    now = utcnow()
    grants = list(
        db.scalars(
            select(Entitlement)
            .where(
                Entitlement.dataset_id == dataset_id,
                Entitlement.policy_version < version,
                Entitlement.revoked_at.is_(None),
                or_(Entitlement.expires_at.is_(None), Entitlement.expires_at > now),
            )
            .order_by(Entitlement.id)
        )
    )
    if not grants:
        return []
    ds = catalog.dataset_by_id(db, dataset_id)
    changes: dict[int, list[policies.ClauseChange]] = {}  # per old version: licensees may be on different ones
    told: set[int] = set()
    for ent in grants:
        if ent.user_id in told:  # two grants of one dataset: one mail
            continue
        told.add(ent.user_id)
        if ent.policy_version not in changes:
            changes[ent.policy_version] = policies.compare(db, dataset_id, ent.policy_version, version)
        licensee = db.get_one(User, ent.user_id)  # the foreign key holds it
        notify.enqueue(
            db,
            "terms-changed",
            to=licensee.email,
            name=licensee.name,
            dataset=ds.title,
            old=ent.policy_version,
            new=version,
            note=note.strip(),
            changes=changes[ent.policy_version],
            link=f"{base_url}/datasets/{ds.slug}/terms/accept",
        )
    ids = [ent.id for ent in grants]
    audit.record(
        db,
        actor="system",
        action="entitlement.terms_change_told",
        object=("dataset", dataset_id),
        data={"version": version, "grants": ids, "licensees": len(told)},
    )
    return ids


def warn_expiring(db: Session, *, now: datetime | None = None) -> int:
    """Daily: tell licensees whose access ends within two weeks (once per grant). Returns how many were told."""
    now = now or utcnow()
    told = 0
    with unit_of_work(db):
        due = db.scalars(
            select(Entitlement).where(
                Entitlement.revoked_at.is_(None),
                Entitlement.expires_at.is_not(None),
                Entitlement.expires_at > now,
                Entitlement.expires_at <= now + WARN_BEFORE,
                Entitlement.expiry_warned_at.is_(None),
            )
        )
        for ent in due:
            licensee = db.get_one(User, ent.user_id)  # the foreign key holds it
            ds = catalog.dataset_by_id(db, ent.dataset_id)
            notify.enqueue(
                db,
                "access-expiring",
                to=licensee.email,
                name=licensee.name,
                dataset=ds.title,
                expires=f"{ent.expires_at:%Y-%m-%d}",
            )
            ent.expiry_warned_at = now
            audit.record(
                db,
                actor="system",
                action="entitlement.expiry_warned",
                object=("entitlement", ent.id),
                dataset=ent.dataset_id,
            )
            told += 1
    return told


def follow_cut(db: Session, old_version_id: int, new_version_id: int, *, actor: User | str, reason: str) -> int:
    """Grants of one version that was cut (files removed at a data subject's request) now name the cut: the same
    files less the removed ones, so the licensee keeps access without applying again. Inside the caller's unit
    of work; one audit event per grant moved."""
    moved = 0
    for ent in db.scalars(select(Entitlement).where(Entitlement.version_id == old_version_id)):
        ent.version_id = new_version_id
        audit.record(
            db,
            actor=actor,
            action="entitlement.version_replaced",
            object=("entitlement", ent.id),
            data={"from": old_version_id, "to": new_version_id, "reason": reason},
            dataset=ent.dataset_id,
        )
        moved += 1
    return moved


def add_unit(
    db: Session, entitlement_id: int, *, unit: str, networks: Iterable[object], actor: User | str, request_id: int
) -> Entitlement:
    """In the caller's unit of work (an approved request's): the grant covers another unit of the licensee's
    organisation. A grant limited to its site's networks takes in the unit's; one open to any address stays
    open (adding ranges would narrow it)."""
    ent = get(db, entitlement_id)
    at = utcnow()
    if ent.revoked_at is not None or (ent.expires_at is not None and ent.expires_at <= at):
        raise Conflict("this access has ended; its scope can no longer change")
    ranges = _networks(networks)
    if ent.networks and not ranges:
        raise InvalidInput("this access is limited to its site's networks: name the other unit's", field="networks")
    added = {"unit": unit.strip(), "networks": ranges, "request_id": request_id, "at": at.isoformat()}
    ent.added_units = [*(ent.added_units or []), added]
    if ent.networks:
        ent.networks = [*ent.networks, *(n for n in ranges if n not in ent.networks)]
    audit.record(
        db,
        actor=actor,
        action="entitlement.unit_added",
        object=("entitlement", ent.id),
        data={"dataset_id": ent.dataset_id, "unit": added["unit"], "networks": ranges, "request_id": request_id},
    )
    return ent


def in_force(db: Session, user_id: int, dataset_id: int, *, at: datetime | None = None) -> Entitlement | None:
    """The user's newest grant of the dataset that is neither revoked nor expired (paused ones count: a
    licensee waiting to accept new terms still owes, and may still ask)."""
    held = live(db, at or utcnow(), user_id=user_id, dataset_id=dataset_id)
    return held[-1] if held else None
