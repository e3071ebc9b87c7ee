"""Short-lived download links, signed for one user, one grant and one object.

Checking a link costs one HMAC and no database round trip, so segmented downloaders (aria2c -x16, many Range
requests) stay fast. Revocation is honoured through `revoked(grant_id)`, which the caller backs with a small
in-process cache refreshed every few seconds.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

from accord.errors import PermissionDenied

SALT = "accord.download-link"


class LinkInvalid(PermissionDenied): ...


class LinkExpired(PermissionDenied): ...


class LinkForeign(PermissionDenied): ...


class GrantRevoked(PermissionDenied): ...


@dataclass(frozen=True)
class Link:
    user_id: int
    grant_id: int
    object: str  # "item:<sha256>", "shard:<version_id>:<n>", "manifest:<version_id>", ...
    expires: int  # unix seconds


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=SALT)


def sign(secret: str, link: Link) -> str:
    return _serializer(secret).dumps([link.user_id, link.grant_id, link.object, link.expires])


def check(secret: str, token: str, *, object: str, now: float | None = None, user_id: int | None = None,
          revoked: Callable[[int], bool] = lambda _grant: False) -> Link:
    """The link for `object`, or an error saying why not. `user_id` is the caller's account, if logged in."""
    try:
        user, grant, obj, expires = _serializer(secret).loads(token)
    except (BadSignature, ValueError, TypeError):
        raise LinkInvalid("this download link is not valid (it was altered or is incomplete)") from None
    if obj != object:
        raise LinkInvalid("this download link is for another file")
    if (now if now is not None else time.time()) >= expires:
        raise LinkExpired("this download link has expired; open the dataset page for a fresh one")
    if user_id is not None and user_id != user:
        raise LinkForeign("this download link was issued to another account")
    if revoked(grant):
        raise GrantRevoked("your access to this dataset was revoked or has ended")
    return Link(user, grant, obj, expires)
