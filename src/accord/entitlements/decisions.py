"""May this person download (this version of) this dataset now, from this address, and may they read a version's
file list: one answer with one reason. Delivery asks only `check` (and `explain`, for a link it issued)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import plugins
from accord.catalog import service as catalog
from accord.catalog.models import DatasetVersion
from accord.db import utcnow
from accord.entitlements.models import Entitlement
from accord.errors import NotAuthenticated, NotFound, PermissionDenied
from accord.identity.models import User
from accord.policy import service as policies


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
    if not decision.allowed or decision.entitlement is None:  # an allowed decision always names its grant
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
