"""Short-lived download links, signed for one user, one grant and one object.

Checking a link costs one HMAC and no database round trip, so segmented downloaders (aria2c -x16, many Range
requests) stay fast. A link carries what its grant said when it was issued (the dataset, the terms version the
licensee accepted, the site's networks, and the moment the grant stops counting: its expiry, or the end of the
training certificate its terms need); what can change since, revocation and new terms, comes from
`revoked(grant_id)` and `terms_now(dataset_id)`, which the caller backs with a small in-process cache refreshed
every few seconds. Each refusal is its own class, so the caller can look up the specific reason (only then).
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from accord.errors import PermissionDenied

SALT = "accord.download-link"


class Refused(PermissionDenied):
    """A refused link. `code` tells programs which refusal it is (clients refresh an expired link, and stop on
    the others); `link` is the checked link, when the refusal came after its signature was found genuine."""

    code = "refused"

    def __init__(self, message: str, *, link: Link | None = None, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details={"code": self.code, **(details or {})})
        self.link = link


class LinkInvalid(Refused):
    code = "link_invalid"


class LinkExpired(Refused):
    code = "link_expired"


class LinkForeign(Refused):
    code = "link_foreign"


class GrantRevoked(Refused):
    code = "revoked"


class GrantEnded(Refused):
    """Expired, not started yet, gone, or paused until a training certificate is renewed: the grant's own reason
    says which."""

    code = "ended"


class TermsChanged(Refused):
    code = "terms_changed"


class OutsideNetwork(Refused):
    code = "network"


class VersionWithdrawn(Refused):
    """The link's version was withdrawn after the link was issued (its reason says why: for a removal, "removed at
    a data subject's request"); the dataset page offers the version that replaced it."""

    code = "withdrawn"


@dataclass(frozen=True)
class Link:
    user_id: int
    grant_id: int
    object: str  # "item:<sha256>", "shard:<version_id>:<n>", "manifest:<version_id>", ...
    expires: int  # unix seconds
    dataset_id: int | None = None
    terms: int | None = None  # the terms version the licensee had accepted
    networks: tuple[str, ...] = ()  # CIDR ranges the grant allows downloads from; empty: anywhere
    until: float | None = None  # unix seconds (exact): when the grant stops counting; None: no end known


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=SALT)


def sign(secret: str, link: Link) -> str:
    return _serializer(secret).dumps(
        [
            link.user_id,
            link.grant_id,
            link.object,
            link.expires,
            link.dataset_id,
            link.terms,
            list(link.networks),
            link.until,
        ]
    )


def check(
    secret: str,
    token: str,
    *,
    object: str,
    now: float | None = None,
    user_id: int | None = None,
    revoked: Callable[[int], bool] = lambda _grant: False,
    terms_now: Callable[[int], int | None] = lambda _dataset: None,
    address: str | None = None,
) -> Link:
    """The link for `object`, or an error saying why not. `user_id` is the caller's account, if logged in;
    `address` the client's (for grants limited to a site's networks)."""
    try:
        payload = _serializer(secret).loads(token)
        if len(payload) == 4:  # issued before links carried their grant's terms and networks
            payload = [*payload, None, None, []]
        if len(payload) == 7:  # issued before links carried when their grant stops counting
            payload = [*payload, None]
        user, grant, obj, expires, dataset, terms, networks, until = payload
    except (BadSignature, ValueError, TypeError):
        raise LinkInvalid("this download link is not valid (it was altered or is incomplete)") from None
    if obj != object:
        raise LinkInvalid("this download link is for another file")
    link = Link(user, grant, obj, expires, dataset, terms, tuple(networks or ()), until)
    now = now if now is not None else time.time()
    if now >= expires:
        raise LinkExpired("this download link has expired; open the dataset page for a fresh one", link=link)
    if user_id is not None and user_id != user:
        raise LinkForeign("this download link was issued to another account")
    standing(link, now=now, revoked=revoked, terms_now=terms_now)
    if link.networks and not _inside(address, link.networks):
        raise OutsideNetwork("this licence allows downloads only from the site named in the application", link=link)
    return link


def standing(link: Link, *, now: float, revoked: Callable[[int], bool], terms_now: Callable[[int], int | None]) -> None:
    """Raise the refusal if the link's grant no longer counts: revoked, past its end, or paused for new terms. Asked
    again while a long answer is on its way (the link's own expiry only limits when an answer may start)."""
    if revoked(link.grant_id):
        raise GrantRevoked("your access to this dataset was revoked or has ended", link=link)
    if link.until is not None and now >= link.until:
        raise GrantEnded("your access to this dataset has ended or is paused; the dataset page says why", link=link)
    current = terms_now(link.dataset_id) if link.dataset_id is not None else None
    if link.terms is not None and current is not None and current > link.terms:
        raise TermsChanged("the terms of this dataset changed; accept them to resume downloading", link=link)


def _inside(address: str | None, networks: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(n, strict=False) for n in networks)
