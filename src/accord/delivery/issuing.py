"""Issuing links: a licensee's files of one version, each with a short-lived signed link, plus the manifest, its
signature, SHA256SUMS and the version's tar shards. Asks `entitlements` once per listing page."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from accord.catalog import service as catalog
from accord.db import utcnow
from accord.delivery import links
from accord.delivery.grants import refusal
from accord.delivery.links import Link
from accord.delivery.state import state
from accord.entitlements import service as entitlements
from accord.entitlements.models import Entitlement
from accord.errors import NotFound
from accord.identity.models import User

if TYPE_CHECKING:
    from accord.runtime import Runtime

MAX_PAGE = 10_000
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f"\\/;]')


@dataclass(frozen=True)
class FileLink:
    path: str
    size: int
    sha256: str
    media_type: str
    url: str


@dataclass(frozen=True)
class ShardLink:
    number: int
    size: int
    files: int
    first: str
    last: str
    url: str


@dataclass(frozen=True)
class Listing:
    dataset: str
    version: str
    root_hash: str | None
    file_count: int
    total_bytes: int
    offset: int
    limit: int
    expires_at: datetime
    files: list[FileLink]
    manifest_url: str
    sha256sums_url: str
    shards: list[ShardLink] = field(default_factory=list)
    manifest_sig_url: str = ""  # the platform's detached signature of the manifest (GET /api/v1/signing-key)


def _url(rt: Runtime, user: User, grant: Entitlement, obj: str, expires: int, until: float | None, name: str) -> str:
    token = links.sign(
        rt.secret,
        Link(
            user.id, grant.id, obj, expires, grant.dataset_id, grant.policy_version, tuple(grant.networks or ()), until
        ),
    )
    return f"/dl/{token}/{safe_name(name)}"


def safe_name(name: str) -> str:
    """The last path part, without characters that could break a header or a URL path."""
    base = _UNSAFE_NAME.sub("_", name.rsplit("/", 1)[-1]).strip() or "download"
    return base[:200]


def listing(
    rt: Runtime,
    db: Session,
    user: User | None,
    slug: str,
    label: str,
    *,
    address: str | None = None,
    offset: int = 0,
    limit: int = 1000,
    now: datetime | None = None,
) -> Listing:
    """The licensee's files of one version with fresh signed links (one page), plus manifest, sums, shards."""
    version = catalog.version_by_label(db, slug, label)
    if version.status == "draft":
        raise NotFound(f"{slug} has no version {label!r}")
    if version.status == "withdrawn":
        raise NotFound(f"version {label} of {slug} was withdrawn: {version.withdrawn_reason}")
    decision = entitlements.check(db, user, version.dataset_id, version.id, at=now, address=address)
    if not decision.allowed:
        raise refusal(rt, db, decision)
    grant = decision.entitlement
    assert user is not None and grant is not None  # an allowed decision names its licensee and grant
    now = now or utcnow()
    expires_at = now + rt.settings.link_ttl
    # A link never outlives the grant it was issued under: it carries the exact moment the grant stops counting
    # (its expiry, or the end of the training certificate its terms need) and is refused from then on with the
    # grant's reason. Rounding its own expiry up leaves that moment, not the whole second before it, in charge.
    until = decision.until.timestamp() if decision.until is not None else None
    if decision.until is not None:
        expires_at = min(expires_at, decision.until)
    expires = math.ceil(expires_at.timestamp())
    offset, limit = max(offset, 0), min(max(limit, 1), MAX_PAGE)
    items = catalog.list_items(db, version.id, offset=offset, limit=limit)
    vid = version.id
    files = [
        FileLink(
            i.path,
            i.size,
            i.sha256,
            i.media_type,
            _url(rt, user, grant, f"item:{vid}:{i.sha256}", expires, until, i.path),
        )
        for i in items
    ]
    cached = state(rt).files.get(vid)
    shards = [
        ShardLink(
            n,
            s.size,
            len(s.members),
            s.members[0].path,
            s.members[-1].path,
            _url(rt, user, grant, f"shard:{vid}:{n}", expires, until, f"{cached.name}-{n:04d}.tar"),
        )
        for n, s in enumerate(cached.shards)
    ]
    return Listing(
        slug,
        label,
        version.root_hash,
        version.file_count,
        version.total_bytes,
        offset,
        limit,
        expires_at,
        files,
        _url(rt, user, grant, f"manifest:{vid}", expires, until, f"{cached.name}-manifest.jsonl"),
        _url(rt, user, grant, f"sha256sums:{vid}", expires, until, "SHA256SUMS"),
        shards,
        _url(rt, user, grant, f"manifest-sig:{vid}", expires, until, f"{cached.name}-manifest.sig"),
    )
