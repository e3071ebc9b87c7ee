"""The signed licence record: who holds access to which published version, under which terms, as of when.

A licensee cites it in a paper's data-availability statement; anyone checks it with the platform certificate
and stock OpenSSL, as a manifest is checked (accord.signing: detached ECDSA P-256 / SHA-256, DER, over the exact
bytes). The record is JSON with sorted keys, and what is signed is its text as sent, so nothing has to be
re-encoded to check it. It goes to its licensee and to the dataset's curators; each one issued is audited with
the SHA-256 of its bytes, so the platform can later confirm that it issued a record shown to it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from accord import signing
from accord.access import service as access
from accord.audit import service as audit
from accord.catalog.models import DatasetVersion
from accord.db import unit_of_work, utcnow
from accord.entitlements import service as entitlements
from accord.entitlements.models import Entitlement
from accord.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from accord.exports.schemas import LicenceRecordOut
from accord.exports.versions import Actor, curates, page_url, published_version
from accord.identity import service as identity
from accord.identity.models import User
from accord.policy import service as policies

if TYPE_CHECKING:
    from accord.runtime import Runtime

FORMAT = "accord-licence-record/1"
IN_FORCE = ("active", "paused", "not_started")  # paused: downloads wait for new terms; the licence stands
ONLY_THEIRS = "a licence record goes to its licensee and to the dataset's curators only"


def _when(at: datetime | None) -> str | None:
    if at is None:
        return None
    at = at if at.tzinfo else at.replace(tzinfo=UTC)  # SQLite gives naive UTC back
    return at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def terms_sha256(document: dict[str, Any]) -> str:
    """SHA-256 of the terms as canonical JSON (keys sorted, no spaces, UTF-8): the `policy` member of
    GET /api/v1/datasets/{slug}/policy?version=N, re-encoded so, gives the same hash."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _holder(db: Session, dataset_id: int, *, actor: Actor, licensee: str | None) -> User:
    """Whose record: the actor's own, or (curators) the licensee named by e-mail address."""
    if licensee is not None and licensee.strip():
        if actor is None:
            raise NotAuthenticated("log in: " + ONLY_THEIRS)
        if isinstance(actor, User) and licensee.strip().lower() == actor.email:
            return actor
        if not curates(actor, dataset_id):
            raise PermissionDenied(ONLY_THEIRS)  # said before the address is read: nothing is revealed
        try:
            address = identity.normalize_email(licensee)
        except InvalidInput as exc:
            raise InvalidInput(exc.message, field="licensee") from None
        try:
            return identity.user_by_email(db, address)
        except NotFound:
            raise NotFound(f"nobody with the address {address} holds access to this dataset") from None
    if actor is None:
        raise NotAuthenticated("log in to get your licence record")
    if isinstance(actor, str):
        raise InvalidInput("say whose licence record: the licensee's e-mail address", field="licensee")
    return actor


def _grant(db: Session, holder: User, version: DatasetVersion, *, own: bool, at: datetime) -> Entitlement:
    """The holder's grant covering the version: one in force before an ended one, the newest first."""
    grants = [
        g
        for g in entitlements.held_by(db, holder)
        if g.dataset_id == version.dataset_id and g.version_id in (None, version.id)
    ]
    if not grants:
        who = "you hold" if own else f"{holder.email} holds"
        raise NotFound(f"{who} no access to version {version.label} of {version.dataset.slug}")
    grants.sort(key=lambda g: (entitlements.grant_state(db, g, at=at).state in IN_FORCE, g.id), reverse=True)
    return grants[0]


def _organisation(db: Session, holder: User, ent: Entitlement) -> str:
    """As the licensee gave it in their application, else the registered organisation of their address."""
    facts = access.facts(db, ent.application_id) if ent.application_id is not None else None
    if facts is not None and facts.organisation:
        return facts.organisation
    registered = identity.organisation_by_domain(db, holder.email.rsplit("@", 1)[-1])
    return registered.name if registered is not None else ""


def _record(
    db: Session, holder: User, ent: Entitlement, version: DatasetVersion, *, base_url: str, at: datetime, key: str
) -> dict[str, Any]:
    ds = version.dataset
    terms = policies.get(db, ds.id, ent.policy_version)
    base = base_url.rstrip("/")
    return {
        "format": FORMAT,
        "issued_at": _when(at),
        "issuer": {"platform": base, "certificate": f"{base}/api/v1/signing-key", "certificate_fingerprint": key},
        "licensee": {"name": holder.name, "organisation": _organisation(db, holder, ent), "unit": ent.unit},
        "grant": {
            "id": ent.id,
            "status": entitlements.grant_state(db, ent, at=at).state,
            "starts_at": _when(ent.starts_at),
            "expires_at": _when(ent.expires_at),
            "revoked_at": _when(ent.revoked_at),
            "covers": "every published version" if ent.version_id is None else f"version {version.label} only",
        },
        "terms": {
            "version": terms.version,
            "sha256": terms_sha256(terms.row.document),
            "url": f"{base}/api/v1/datasets/{ds.slug}/policy?version={terms.version}",
            "page": page_url(base, ds.slug) + "#licence-h",
        },
        "dataset": {"slug": ds.slug, "title": ds.title, "custodian": ds.custodian, "url": page_url(base, ds.slug)},
        "version": {
            "label": version.label,
            "published_at": _when(version.published_at),
            "root_hash": version.root_hash,
            "manifest_sha256": version.manifest_sha256,
            "file_count": version.file_count,
            "total_bytes": version.total_bytes,
        },
    }


def licence_record(
    rt: Runtime,
    db: Session,
    slug: str,
    label: str,
    *,
    actor: Actor,
    licensee: str | None = None,
    at: datetime | None = None,
) -> LicenceRecordOut:
    """The signed record of a licensee's access to a published version: their own, or any licensee's for the
    dataset's curators (`licensee`: an e-mail address). Audited with the record's SHA-256."""
    version = published_version(db, slug, label, actor=actor)
    holder = _holder(db, version.dataset_id, actor=actor, licensee=licensee)
    at = at or utcnow()
    ent = _grant(db, holder, version, own=isinstance(actor, User) and holder.id == actor.id, at=at)
    keys = signing.platform_keys(rt.settings.data_dir)
    fingerprint = signing.fingerprint(signing.load_cert(keys.cert.read_bytes()))
    record = _record(db, holder, ent, version, base_url=rt.settings.base_url, at=at, key=fingerprint)
    text = json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    data = text.encode()
    signature = signing.sign(data, keys)
    with unit_of_work(db):
        audit.record(
            db,
            actor=actor,
            action="licence_record.issued",
            object=("entitlement", ent.id),
            data={
                "version_id": version.id,
                "sha256": hashlib.sha256(data).hexdigest(),
                "issued_at": record["issued_at"],
            },
        )
    name = f"{slug}-{label}-licence-record.json"
    return LicenceRecordOut(
        record=text,
        signature=base64.b64encode(signature).decode(),
        certificate_url=record["issuer"]["certificate"],
        certificate_fingerprint=fingerprint,
        verify=f"openssl dgst -sha256 -verify accord-signing.pem -signature {name}.sig {name}",
        filename=name,
    )
