"""Delivery: short-lived signed links to a licensee's files, and what such a link serves.

Issuing links asks `entitlements` (one database round trip per listing page). Serving a link does not touch
the database: the link's HMAC says who and what, a process-local revocation cache says whether the grant still
stands, and a version's file list (immutable once published) is cached per process for shards and SHA256SUMS.
"""
from __future__ import annotations

import hashlib
import math
import mimetypes
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from itsdangerous import URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import signing
from accord.catalog import service as catalog
from accord.catalog.models import Dataset, DatasetVersion, Item
from accord.db import utcnow
from accord.delivery import links, tarshard
from accord.delivery.links import Link, LinkInvalid
from accord.delivery.log import DownloadLogWriter
from accord.delivery.revocations import RevocationCache
from accord.entitlements import service as entitlements
from accord.entitlements.models import Entitlement
from accord.errors import NotFound
from accord.identity.models import User

MAX_PAGE = 10_000
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f"\\/;]')


# --- per-process state: revocations, the download log, version file lists ------------------------------

@dataclass
class VersionFiles:
    """What serving a version's shards and SHA256SUMS needs, loaded once per process (it never changes)."""

    version_id: int
    name: str  # "<dataset>-<label>", for file names
    manifest_sha: str | None
    members: list[tarshard.Member]
    target: int = tarshard.DEFAULT_TARGET
    signature: bytes | None = None  # the manifest's, made on first request (ECDSA signatures differ each time)

    @cached_property
    def shards(self) -> list[tarshard.Shard]:
        return [tarshard.Shard(group) for group in tarshard.plan(self.members, target=self.target)]

    @cached_property
    def sums(self) -> bytes:
        """`sha256sum -c` input: '<sha256>  <path>' per file, in path order."""
        return "".join(f"{m.sha256}  {m.path}\n" for m in self.members).encode()


class FilesCache:
    def __init__(self, sessions, *, keep: int = 4, shard_target: int = tarshard.DEFAULT_TARGET):
        self.sessions = sessions
        self.keep = keep
        self.shard_target = shard_target
        self._cache: OrderedDict[int, VersionFiles] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, version_id: int) -> VersionFiles:
        with self._lock:
            if version_id in self._cache:
                self._cache.move_to_end(version_id)
                return self._cache[version_id]
        files = self._load(version_id)
        with self._lock:
            self._cache[version_id] = files
            while len(self._cache) > self.keep:
                self._cache.popitem(last=False)
        return files

    def _load(self, version_id: int) -> VersionFiles:
        with self.sessions() as db:
            row = db.execute(select(DatasetVersion.label, DatasetVersion.manifest_sha256, Dataset.slug)
                             .join(Dataset, Dataset.id == DatasetVersion.dataset_id)
                             .where(DatasetVersion.id == version_id)).first()
            if row is None:
                raise NotFound("this dataset version no longer exists")
            members = [tarshard.Member(p, s, h) for p, s, h in
                       db.execute(select(Item.path, Item.size, Item.sha256)
                                  .where(Item.version_id == version_id).order_by(Item.path))]
        return VersionFiles(version_id, f"{row.slug}-{row.label}", row.manifest_sha256, members,
                            self.shard_target)


@dataclass
class State:
    revocations: RevocationCache
    log: DownloadLogWriter
    files: FilesCache


def state(rt) -> State:
    """This process's delivery state for the runtime (built on first use)."""
    found = rt._extras.get("delivery")
    if found is None:
        found = rt._extras.setdefault("delivery", State(
            RevocationCache(rt.session, lookback=rt.settings.link_ttl),
            DownloadLogWriter(rt.session), FilesCache(rt.session)))
    return found


# --- issuing links ---------------------------------------------------------------------------------------

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


def _url(rt, user: User, grant: Entitlement, obj: str, expires: int, until: float | None, name: str) -> str:
    token = links.sign(rt.secret, Link(user.id, grant.id, obj, expires, grant.dataset_id, grant.policy_version,
                                       tuple(grant.networks or ()), until))
    return f"/dl/{token}/{safe_name(name)}"


def safe_name(name: str) -> str:
    """The last path part, without characters that could break a header or a URL path."""
    base = _UNSAFE_NAME.sub("_", name.rsplit("/", 1)[-1]).strip() or "download"
    return base[:200]


def listing(rt, db: Session, user: User | None, slug: str, label: str, *, address: str | None = None,
            offset: int = 0, limit: int = 1000, now: datetime | None = None) -> Listing:
    """The licensee's files of one version with fresh signed links (one page), plus manifest, sums, shards."""
    version = catalog.get_version(db, slug, label)
    if version.status == "draft":
        raise NotFound(f"{slug} has no version {label!r}")
    if version.status == "withdrawn":
        raise NotFound(f"version {label} of {slug} was withdrawn: {version.withdrawn_reason}")
    decision = entitlements.check(db, user, version.dataset_id, version.id, at=now, address=address)
    if not decision.allowed:
        raise _refusal(rt, db, decision)
    grant = decision.entitlement
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
    files = [FileLink(i.path, i.size, i.sha256, i.media_type,
                      _url(rt, user, grant, f"item:{vid}:{i.sha256}", expires, until, i.path)) for i in items]
    cached = state(rt).files.get(vid)
    shards = [ShardLink(n, s.size, len(s.members), s.members[0].path, s.members[-1].path,
                        _url(rt, user, grant, f"shard:{vid}:{n}", expires, until,
                             f"{cached.name}-{n:04d}.tar"))
              for n, s in enumerate(cached.shards)]
    return Listing(slug, label, version.root_hash, version.file_count, version.total_bytes, offset, limit,
                   expires_at, files,
                   _url(rt, user, grant, f"manifest:{vid}", expires, until, f"{cached.name}-manifest.jsonl"),
                   _url(rt, user, grant, f"sha256sums:{vid}", expires, until, "SHA256SUMS"), shards,
                   _url(rt, user, grant, f"manifest-sig:{vid}", expires, until, f"{cached.name}-manifest.sig"))


# --- serving a link --------------------------------------------------------------------------------------

@dataclass
class Target:
    """What one link serves: `redirect` (S3), else `read` (any byte range), and `path` if a whole local file
    holds the bytes (for sendfile or nginx)."""

    link: Link
    version_id: int
    filename: str
    media_type: str
    etag: str
    size: int = 0
    path: Path | None = None
    relative: str | None = None  # the file's path inside the blob folder (for X-Accel-Redirect)
    redirect: str | None = None
    read: Callable[[int, int], Iterator[bytes]] | None = None


def _peek(token: str) -> str:
    """The object a token names, before checking it (links.check then verifies signature and object)."""
    try:
        _ok, payload = URLSafeSerializer("").loads_unsafe(token)
        return str(payload[2])
    except Exception:  # noqa: BLE001 (anything unreadable is simply an invalid link, reported by check)
        return ""


def resolve(rt, token: str, *, name: str | None = None, user_id: int | None = None, now: float | None = None,
            address: str | None = None, db: Session | None = None) -> Target:
    """Check the link (HMAC, expiry, account, revocation, the grant's end, terms, site; no database) and say what
    it serves."""
    st = state(rt)
    obj = _peek(token)
    try:
        link = links.check(rt.secret, token, object=obj, now=now, user_id=user_id, revoked=st.revocations.revoked,
                           terms_now=st.revocations.terms_version, address=address)
    except (links.LinkExpired, links.GrantRevoked, links.GrantEnded, links.TermsChanged,
            links.OutsideNetwork) as exc:
        link = _recheck(rt, exc, address=address, now=now, db=db)
    kind, _, rest = link.object.partition(":")
    vid_text, _, arg = rest.partition(":")
    try:
        vid = int(vid_text)
    except ValueError:
        raise LinkInvalid("this download link names nothing that can be downloaded") from None
    expires_in = max(int(link.expires - (now if now is not None else time.time())), 1)
    if kind == "item":
        filename = safe_name(name) if name else arg
        return _blob(rt, link, vid, arg, filename, arg, expires_in)
    files = st.files.get(vid)
    if kind == "manifest":
        if not files.manifest_sha:
            raise NotFound("this version has no manifest yet")
        return _blob(rt, link, vid, files.manifest_sha, f"{files.name}-manifest.jsonl", files.manifest_sha,
                     expires_in, media_type="application/jsonl")
    if kind == "manifest-sig":
        body = manifest_signature(rt, files)
        return Target(link, vid, f"{files.name}-manifest.sig", "application/octet-stream",
                      etag=f"sig-{files.manifest_sha}-{hashlib.sha256(body).hexdigest()[:16]}", size=len(body),
                      read=lambda start, end: iter([body[start:end]]))
    if kind == "sha256sums":
        body = files.sums
        return Target(link, vid, "SHA256SUMS", "text/plain; charset=utf-8",
                      etag=f"sums-{files.manifest_sha or vid}", size=len(body),
                      read=lambda start, end: iter([body[start:end]]))
    if kind == "shard" and arg.isdigit() and int(arg) < len(files.shards):
        shard = files.shards[int(arg)]
        return Target(link, vid, f"{files.name}-{int(arg):04d}.tar", "application/x-tar", etag=shard.etag,
                      size=shard.size, read=lambda start, end: shard.read(start, end, lambda sha: _seekable(rt, sha)))
    raise LinkInvalid("this download link names nothing that can be downloaded")


REFUSALS = {"revoked": links.GrantRevoked, "terms_changed": links.TermsChanged, "network": links.OutsideNetwork}


def _recheck(rt, refused: links.Refused, *, address: str | None, now: float | None, db: Session | None) -> Link:
    """The refusal path, and only it, asks the database: for the grant's specific reason (revoked, with the
    curator's words; expired, with the date; paused for new terms, with where to read and accept them; outside
    the site's networks), or to find that the cache was stale (the terms were accepted since) and serve after all.
    Past the moment the link says its grant stops counting, the reason is the grant's as of that moment (its
    expiry, or the training certificate that ran out), and a grant that counts again (a renewed certificate was
    accepted) only needs a fresh link, which carries the new end: serving this one would ask the database on
    every request."""
    link = refused.link
    at = datetime.fromtimestamp(now, UTC) if now is not None else utcnow()
    lapsed = link.until is not None and at.timestamp() >= link.until
    if lapsed:
        at = max(at, datetime.fromtimestamp(link.until, UTC))
    if db is None:
        with rt.session() as own:
            return _recheck(rt, refused, address=address, now=now, db=own)
    decision = entitlements.explain(db, link.grant_id, at=at, address=address)
    if lapsed and decision.allowed:
        raise links.LinkExpired("this download link has expired; open the dataset page for a fresh one", link=link)
    if isinstance(refused, links.LinkExpired) and not lapsed and decision.code not in ("revoked", "expired",
                                                                                       "no_grant"):
        raise refused  # the grant stands (or pauses, which a fresh listing says): the link only needs renewing
    if decision.allowed:
        return link
    raise _refusal(rt, db, decision, link)


def _refusal(rt, db: Session, decision: entitlements.Decision, link: Link | None = None) -> links.Refused:
    """The grant's reason as a refusal; paused access says where to read and accept the new terms."""
    details, reason = {}, decision.reason
    if decision.needs_reacceptance:
        slug = catalog.dataset_by_id(db, decision.entitlement.dataset_id).slug
        details["terms_url"] = f"{rt.settings.base_url.rstrip('/')}/datasets/{slug}/terms/accept"
        reason = f"{reason}: {details['terms_url']}"
    return REFUSALS.get(decision.code, links.GrantEnded)(reason, link=link, details=details)


def _blob(rt, link: Link, vid: int, sha: str, filename: str, etag: str, expires_in: int,
          media_type: str | None = None) -> Target:
    media_type = media_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    target = Target(link, vid, filename, media_type, etag)
    url = rt.store.presigned_url(sha, expires_in=expires_in, filename=filename)
    if url:
        target.redirect = url
        return target
    path = rt.store.local_path(sha)
    if path is not None:
        target.path = path
        target.relative = path.relative_to(rt.store.root).as_posix()
        target.size = path.stat().st_size
    else:
        target.size = rt.store.size(sha)  # a small blob inside a pack

    def read(start: int, end: int) -> Iterator[bytes]:
        with rt.store.open(sha) as f:
            f.seek(start)
            left = end - start
            while left:
                data = f.read(min(1 << 20, left))
                if not data:
                    raise OSError(f"blob {sha} is shorter than recorded")
                left -= len(data)
                yield data
    target.read = read
    return target


def manifest_signature(rt, files: VersionFiles) -> bytes:
    """The platform's signature of the version's manifest bytes (made once per process and version)."""
    if not files.manifest_sha:
        raise NotFound("this version has no manifest yet")
    if files.signature is None:
        with closing(rt.store.open(files.manifest_sha)) as f:
            data = f.read()
        if signing.root_hash(data) != files.manifest_sha:
            raise OSError(f"manifest blob {files.manifest_sha} does not match its hash")
        files.signature = signing.sign(data, signing.platform_keys(rt.settings.data_dir))
    return files.signature


@dataclass(frozen=True)
class SigningKey:
    cert_pem: bytes
    public_pem: bytes
    fingerprint: str  # SHA-256 of the certificate, colon-separated hex (as openssl prints it)


def signing_key(rt) -> SigningKey:
    keys = signing.platform_keys(rt.settings.data_dir)
    pem = keys.cert.read_bytes()
    cert = signing.load_cert(pem)
    return SigningKey(pem, signing.public_pem(cert), signing.fingerprint(cert))


class _Skipping:
    """A forward-only stream (S3 body) made to look seekable for shard reads: seeking skips bytes."""

    def __init__(self, stream):
        self.stream = stream

    def seek(self, pos: int) -> None:
        while pos:
            data = self.stream.read(min(pos, 1 << 20))
            if not data:
                raise OSError("blob is shorter than recorded")
            pos -= len(data)

    def read(self, n: int) -> bytes:
        return self.stream.read(n)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.stream.close()


def _seekable(rt, sha: str):
    f = rt.store.open(sha)
    return f if hasattr(f, "seekable") and f.seekable() else _Skipping(f)


def record(rt, target: Target, offset: int, nbytes: int) -> None:
    """Log bytes sent for a link (batched; see log.py)."""
    state(rt).log.add(user_id=target.link.user_id, entitlement_id=target.link.grant_id,
                      version_id=target.version_id, object=target.link.object, offset=offset, nbytes=nbytes)

