"""Delivery: short-lived signed links to a licensee's files, and what such a link serves. This module is the
package's door; the work is done in

- issuing.py: a licensee's listing with fresh signed links (asks `entitlements`, one round trip per page);
- serving.py: checking a link and saying what it serves (files.py: a stored blob; shards.py: tar shards,
  SHA256SUMS and the manifest's signature, made from the version's file list);
- grants.py: asking `entitlements` again, only when the cached answer is a refusal;
- state.py: per-process caches (revocations, version file lists) and the batched download log;
- signatures.py: the platform's manifest signature and certificate.

Serving a link does not touch the database: the link's HMAC says who and what, a process-local revocation cache
says whether the grant still stands, and a version's file list (immutable once published) is cached per process.
"""

from __future__ import annotations

from accord.delivery.files import Target
from accord.delivery.issuing import MAX_PAGE, FileLink, Listing, ShardLink, listing, safe_name
from accord.delivery.links import (
    GrantEnded,
    GrantRevoked,
    LinkExpired,
    LinkForeign,
    LinkInvalid,
    OutsideNetwork,
    Refused,
    TermsChanged,
    VersionWithdrawn,
)
from accord.delivery.ranges import RangeNotSatisfiable
from accord.delivery.ranges import parse as parse_ranges
from accord.delivery.received import Downloaded, downloaded_by, downloads_of, received
from accord.delivery.serving import log_transfer, resolve, stopped_by
from accord.delivery.signatures import SigningKey, manifest_signature, signing_key
from accord.delivery.state import State, VersionFiles, state
from accord.delivery.tallies import Week as DownloadWeek
from accord.delivery.tallies import by_week as downloads_by_week

__all__ = [
    "MAX_PAGE",
    "DownloadWeek",
    "Downloaded",
    "FileLink",
    "GrantEnded",
    "GrantRevoked",
    "LinkExpired",
    "LinkForeign",
    "LinkInvalid",
    "Listing",
    "OutsideNetwork",
    "RangeNotSatisfiable",
    "Refused",
    "ShardLink",
    "SigningKey",
    "State",
    "Target",
    "TermsChanged",
    "VersionFiles",
    "VersionWithdrawn",
    "downloaded_by",
    "downloads_by_week",
    "downloads_of",
    "listing",
    "log_transfer",
    "manifest_signature",
    "parse_ranges",
    "received",
    "resolve",
    "safe_name",
    "signing_key",
    "state",
    "stopped_by",
]
