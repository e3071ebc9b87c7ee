"""Serving a link: check it (HMAC, expiry, account, revocation, the grant's end, terms, site; no database unless
refused), say what it serves, and log the bytes that went out."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from itsdangerous import URLSafeSerializer
from sqlalchemy.orm import Session

from accord.delivery import files as blobs
from accord.delivery import links, shards
from accord.delivery.files import Target
from accord.delivery.grants import recheck
from accord.delivery.issuing import safe_name
from accord.delivery.links import LinkInvalid
from accord.delivery.state import State, state
from accord.errors import NotFound

if TYPE_CHECKING:
    from accord.runtime import Runtime


def _peek(token: str) -> str:
    """The object a token names, before checking it (links.check then verifies signature and object)."""
    try:
        _ok, payload = URLSafeSerializer("").loads_unsafe(token)
        return str(payload[2])
    except Exception:
        return ""


def resolve(
    rt: Runtime,
    token: str,
    *,
    name: str | None = None,
    user_id: int | None = None,
    now: float | None = None,
    address: str | None = None,
    db: Session | None = None,
) -> Target:
    """Check the link (HMAC, expiry, account, revocation, the grant's end, terms, site; no database) and say what
    it serves."""
    st = state(rt)
    obj = _peek(token)
    try:
        link = links.check(
            rt.secret,
            token,
            object=obj,
            now=now,
            user_id=user_id,
            revoked=st.revocations.revoked,
            terms_now=st.revocations.terms_version,
            address=address,
        )
    except (links.LinkExpired, links.GrantRevoked, links.GrantEnded, links.TermsChanged, links.OutsideNetwork) as exc:
        link = recheck(rt, exc, address=address, now=now, db=db)
    _not_withdrawn(st, link)
    target = _target(rt, link, name, now)
    target.address = address
    return target


def _version_of(link: links.Link) -> int | None:
    text = link.object.partition(":")[2].partition(":")[0]
    return int(text) if text.isdigit() else None


def _not_withdrawn(st: State, link: links.Link) -> None:
    vid = _version_of(link)
    gone = st.revocations.withdrawn_version(vid) if vid is not None else None
    if gone is not None:
        label, reason = gone
        raise links.VersionWithdrawn(
            f"this file is no longer offered: version {label} was withdrawn ({reason}); "
            "the dataset page offers the version that replaced it",
            link=link,
        )


def _target(rt: Runtime, link: links.Link, name: str | None, now: float | None) -> Target:
    kind, _, rest = link.object.partition(":")
    vid_text, _, arg = rest.partition(":")
    try:
        vid = int(vid_text)
    except ValueError:
        raise LinkInvalid("this download link names nothing that can be downloaded") from None
    expires_in = max(int(link.expires - (now if now is not None else time.time())), 1)
    if kind == "item":
        filename = safe_name(name) if name else arg
        return blobs.blob(rt, link, vid, arg, filename, arg, expires_in)
    files = state(rt).files.get(vid)
    if kind == "manifest":
        if not files.manifest_sha:
            raise NotFound("this version has no manifest yet")
        return blobs.blob(
            rt,
            link,
            vid,
            files.manifest_sha,
            f"{files.name}-manifest.jsonl",
            files.manifest_sha,
            expires_in,
            media_type="application/jsonl",
        )
    if kind == "manifest-sig":
        return shards.signature(rt, link, files)
    if kind == "sha256sums":
        return shards.sums(link, files)
    if kind == "shard" and arg.isdigit() and int(arg) < len(files.shards):
        return shards.shard(rt, link, files, int(arg))
    raise LinkInvalid("this download link names nothing that can be downloaded")


def stopped_by(rt: Runtime, target: Target, *, now: float | None = None) -> links.Refused | None:
    """For an answer on its way: the refusal to stop it with if its grant no longer counts (revoked, ended, paused
    for new terms), else None. As cheap as checking the link: the process's revocation cache (one request looks
    again every few seconds); only a cached refusal asks the database, to confirm it and find the reason."""
    st = state(rt)
    at = now if now is not None else time.time()
    try:
        _not_withdrawn(st, target.link)
    except links.VersionWithdrawn as gone:
        return gone
    try:
        links.standing(target.link, now=at, revoked=st.revocations.revoked, terms_now=st.revocations.terms_version)
    except links.Refused as cached:
        try:
            recheck(rt, cached, address=target.address, now=now, db=None)
        except links.LinkExpired:
            return None  # the grant counts again (renewed): only the next request needs a fresh link
        except links.Refused as confirmed:
            return confirmed
    return None


def log_transfer(rt: Runtime, target: Target, offset: int, nbytes: int, *, stopped: str | None = None) -> None:
    """Log bytes sent for a link (batched; see log.py); `stopped` is the refusal that cut the answer short."""
    state(rt).log.add(
        user_id=target.link.user_id,
        entitlement_id=target.link.grant_id,
        version_id=target.version_id,
        object=target.link.object,
        offset=offset,
        nbytes=nbytes,
        stopped=stopped,
    )
