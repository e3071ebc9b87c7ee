"""Entitlements: who may download which dataset versions, from where, until when. Delivery asks only `check`."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from accord import plugins
from accord.audit import service as audit
from accord.catalog import service as catalog
from accord.catalog.models import DatasetVersion
from accord.db import unit_of_work, utcnow
from accord.entitlements.models import Entitlement
from accord.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from accord.identity.models import User
from accord.notify import service as notify
from accord.policy import service as policies

WARN_BEFORE = timedelta(days=14)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    entitlement: Entitlement | None = None
    needs_reacceptance: bool = False  # the terms changed: re-accept (see the clause diff) to resume
    needs_training: bool = False  # upload (or wait for the review of) a training certificate to resume
    code: str = ""  # for programs: revoked, expired, not_started, other_version, terms_changed, network, ...
    # Allowed: the moment this access stops counting unless something changes (the grant's expiry, or the end
    # of the training certificate its terms need, whichever comes first); None: no end in sight. Download
    # links carry it, so that they stop on time without asking the database.
    until: datetime | None = None


def _networks(values) -> list[str]:
    out = []
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
    actor,
    application_id: int | None = None,
    unit: str = "",
    networks=(),
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
            licensee = db.get(User, ent.user_id)
            audit.record(
                db,
                actor=actor,
                action="entitlement.revoked",
                object=("entitlement", ent.id),
                data={"reason": ent.revoke_reason},
            )
            notify.enqueue(
                db, "access-revoked", to=licensee.email, name=licensee.name, dataset=ds.title, reason=ent.revoke_reason
            )
    return ent


def check(
    db: Session,
    user: User | None,
    dataset_id: int,
    version_id: int | None = None,
    *,
    at: datetime | None = None,
    address: str | None = None,
) -> Decision:
    """May `user` download (this version of) this dataset now, from this address? One answer, one reason."""
    if user is None:
        return Decision(False, "log in to download", code="login")
    at = at or utcnow()
    grants = list(
        db.scalars(
            select(Entitlement)
            .where(Entitlement.user_id == user.id, Entitlement.dataset_id == dataset_id)
            .order_by(Entitlement.id.desc())
        )
    )
    if not grants:
        return Decision(False, "you have no access to this dataset; apply for it on the dataset page", code="no_grant")
    reasons = []
    for ent in grants:
        decision = _decide(db, ent, version_id, at, address)
        if decision.allowed:
            return decision
        reasons.append(decision)
    return reasons[0]


def explain(
    db: Session,
    entitlement_id: int,
    version_id: int | None = None,
    *,
    at: datetime | None = None,
    address: str | None = None,
) -> Decision:
    """The answer for one grant, the one a download link was issued under. The link server asks this only
    once its caches said no, to tell the licensee the specific reason (or to learn its cache was stale)."""
    ent = db.get(Entitlement, entitlement_id)
    if ent is None:
        return Decision(False, "this access no longer exists; apply for it on the dataset page", code="no_grant")
    return _decide(db, ent, version_id, at or utcnow(), address)


def _decide(db: Session, ent: Entitlement, version_id: int | None, at: datetime, address: str | None) -> Decision:
    why, until = _refusal(db, ent, version_id, at, address)
    if why is None:
        return Decision(True, "access granted", ent, until=until)
    code, reason = why
    return Decision(
        False, reason, ent, needs_reacceptance=code == "terms_changed", needs_training=code == "training", code=code
    )


def _out_of_force(db: Session, ent: Entitlement, version_id: int | None, at: datetime) -> tuple[str, str] | None:
    """(code, reason) when `ent` is not in force at `at` or does not cover the version; None when it holds."""
    if ent.revoked_at is not None and ent.revoked_at <= at:
        return "revoked", f"your access was ended on {ent.revoked_at:%Y-%m-%d}: {ent.revoke_reason}"
    if ent.starts_at > at:
        return "not_started", f"your access starts on {ent.starts_at:%Y-%m-%d}"
    if ent.expires_at is not None and ent.expires_at <= at:
        return "expired", f"your access expired on {ent.expires_at:%Y-%m-%d}; renew it from the dataset page"
    if version_id is not None and ent.version_id is not None and version_id != ent.version_id:
        version = db.get(DatasetVersion, version_id)
        label = version.label if version else version_id
        return "other_version", f"your access covers another version of this dataset, not {label}"
    return None


def _refusal(
    db: Session, ent: Entitlement, version_id: int | None, at: datetime, address: str | None
) -> tuple[tuple[str, str] | None, datetime | None]:
    """(code, reason) when `ent` does not allow the download at `at`; else None and when it stops counting."""
    lapsed = _out_of_force(db, ent, version_id, at)
    if lapsed is not None:
        return lapsed, None
    current = policies.current(db, ent.dataset_id)
    if current is not None and current.version > ent.policy_version:
        return (
            "terms_changed",
            (
                f"the terms changed (version {ent.policy_version} → {current.version}); "
                "accept the new terms to resume downloading"
            ),
        ), None
    until = ent.expires_at
    if current is not None:  # the grant's terms (checked just above): other domains may pause it
        for pause in plugins.provided("entitlements.pauses"):
            why, ends = pause(db, ent, current.policy, at)
            if why is not None:
                return why, None
            if ends is not None:
                until = min(until, ends) if until is not None else ends
    if ent.networks and not _from(address, ent.networks):
        return (
            "network",
            (
                "this licence allows downloads only from the site named in the application"
                + (f", not from {address}" if address else "")
            ),
        ), None
    return None, until


def terms_in_force(db: Session) -> dict[int, int]:
    """Each dataset's current terms version: a link issued under an older one is paused (one small query,
    asked by the link server every few seconds, never per request)."""
    return policies.current_versions(db)


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
            )
    return ent


def _from(address: str | None, networks: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(n) for n in networks)


def require(
    db: Session,
    user: User | None,
    dataset_id: int,
    version_id: int | None = None,
    *,
    at: datetime | None = None,
    address: str | None = None,
) -> Entitlement:
    decision = check(db, user, dataset_id, version_id, at=at, address=address)
    if not decision.allowed:
        raise PermissionDenied(decision.reason)
    return decision.entitlement


# --- who may read a version's file list ----------------------------------------------------------------

FILE_LIST_PRIVATE = "a version's file list is shared with its licensees only; apply for access on the dataset page"


def file_list_is_public(db: Session, dataset_id: int) -> bool:
    """The dataset's current terms publish its file list (privacy.publish_manifest, off unless they say so)."""
    terms = policies.current(db, dataset_id)
    return terms is not None and terms.policy.privacy.publish_manifest


def require_file_list(db: Session, user: User | None, version: DatasetVersion, *, at: datetime | None = None) -> None:
    """The one rule for what would tell whoever holds a photo whether, and as whom, a person is in a dataset: a
    version's manifest, item list and SHA256SUMS (paths, sha256, subject labels, attributes). They go to the
    dataset's curators (and admins), to licensees whose grant is in force and covers this version (a grant of
    another version is not enough, one of every version is), and to anyone when the terms publish the file list.
    A grant paused for new terms, training or network still counts: it pauses downloads, and its holder has the
    files already. A draft exists for its curators only (NotFound); a published or withdrawn version is listed
    publicly, so others are told why: log in (NotAuthenticated) or apply (PermissionDenied)."""
    if catalog.can_curate(user, version.dataset_id):
        return
    if version.status == "draft":
        raise NotFound(f"{version.dataset.slug} has no version {version.label!r}")
    if file_list_is_public(db, version.dataset_id):
        return
    if user is None:
        raise NotAuthenticated("log in: " + FILE_LIST_PRIVATE)
    at = at or utcnow()
    grants = db.scalars(
        select(Entitlement).where(Entitlement.user_id == user.id, Entitlement.dataset_id == version.dataset_id)
    )
    if not any(_out_of_force(db, ent, version.id, at) is None for ent in grants):
        raise PermissionDenied(FILE_LIST_PRIVATE)


def may_read_file_list(db: Session, user: User | None, version: DatasetVersion) -> bool:
    try:
        require_file_list(db, user, version)
    except (NotFound, PermissionDenied):
        return False
    return True


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


def live(db: Session, now: datetime, *, user_id: int | None = None) -> list[Entitlement]:
    """Grants neither revoked nor expired at `now` (of one user, or everyone's), oldest first."""
    query = select(Entitlement).where(
        Entitlement.revoked_at.is_(None), or_(Entitlement.expires_at.is_(None), Entitlement.expires_at > now)
    )
    if user_id is not None:
        query = query.where(Entitlement.user_id == user_id)
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
    changes: dict[int, list] = {}  # per old version: licensees may be on different ones
    told: set[int] = set()
    for ent in grants:
        if ent.user_id in told:  # two grants of one dataset: one mail
            continue
        told.add(ent.user_id)
        if ent.policy_version not in changes:
            changes[ent.policy_version] = policies.compare(db, dataset_id, ent.policy_version, version)
        licensee = db.get(User, ent.user_id)
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
            licensee = db.get(User, ent.user_id)
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
            audit.record(db, actor="system", action="entitlement.expiry_warned", object=("entitlement", ent.id))
            told += 1
    return told


# Revocations that stick (make permanent, lift, who may apply again): entitlements.standing, through this door.
from accord.entitlements.standing import barred, lift, make_permanent, may_apply, require_may_apply, revocations
from accord.entitlements.standing import refusal as bar_refusal

# The door: what grants became, for the pages and answers that show an application's state.
from accord.entitlements.states import GrantState, Holder, holders
from accord.entitlements.states import for_application as grant_state_of
from accord.entitlements.states import for_applications as grant_states_of
