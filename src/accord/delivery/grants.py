"""Asking `entitlements` about a link's grant, which serving does only when the cached answer is a refusal: for the
grant's specific reason, or to find that the cache was stale and serve after all."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from accord.catalog import service as catalog
from accord.db import utcnow
from accord.delivery import links
from accord.delivery.links import Link
from accord.entitlements import service as entitlements

if TYPE_CHECKING:
    from accord.runtime import Runtime

REFUSALS = {"revoked": links.GrantRevoked, "terms_changed": links.TermsChanged, "network": links.OutsideNetwork}


def recheck(rt: Runtime, refused: links.Refused, *, address: str | None, now: float | None, db: Session | None) -> Link:
    """The refusal path, and only it, asks the database: for the grant's specific reason (revoked, with the
    curator's words; expired, with the date; paused for new terms, with where to read and accept them; outside
    the site's networks), or to find that the cache was stale (the terms were accepted since) and serve after all.
    Past the moment the link says its grant stops counting, the reason is the grant's as of that moment (its
    expiry, or the training certificate that ran out), and a grant that counts again (a renewed certificate was
    accepted) only needs a fresh link, which carries the new end: serving this one would ask the database on
    every request."""
    link = refused.link
    if link is None:  # (every refusal serving rechecks carries its link: it was raised after the signature held)
        raise refused
    at = datetime.fromtimestamp(now, UTC) if now is not None else utcnow()
    lapsed = link.until is not None and at.timestamp() >= link.until
    if link.until is not None and lapsed:
        at = max(at, datetime.fromtimestamp(link.until, UTC))
    if db is None:
        with rt.session() as own:
            return recheck(rt, refused, address=address, now=now, db=own)
    decision = entitlements.explain(db, link.grant_id, at=at, address=address)
    if lapsed and decision.allowed:
        raise links.LinkExpired("this download link has expired; open the dataset page for a fresh one", link=link)
    if (
        isinstance(refused, links.LinkExpired)
        and not lapsed
        and decision.code not in ("revoked", "expired", "no_grant")
    ):
        raise refused  # the grant stands (or pauses, which a fresh listing says): the link only needs renewing
    if decision.allowed:
        return link
    raise refusal(rt, db, decision, link)


def refusal(rt: Runtime, db: Session, decision: entitlements.Decision, link: Link | None = None) -> links.Refused:
    """The grant's reason as a refusal; paused access says where to read and accept the new terms."""
    details: dict[str, Any] = {}
    reason = decision.reason
    if decision.needs_reacceptance and decision.entitlement is not None:  # (paused access names its grant)
        slug = catalog.dataset_by_id(db, decision.entitlement.dataset_id).slug
        details["terms_url"] = f"{rt.settings.base_url.rstrip('/')}/datasets/{slug}/terms/accept"
        reason = f"{reason}: {details['terms_url']}"
    return REFUSALS.get(decision.code, links.GrantEnded)(reason, link=link, details=details)
