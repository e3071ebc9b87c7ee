"""A process-local set of revoked grants (and each dataset's current terms version), so checking a download
link needs no database round trip.

At most every `interval` seconds one request asks the database which grants were revoked since the last look
(`entitlements.revoked_since`) and which terms version each dataset is at (`entitlements.terms_in_force`, one
row per dataset); a revocation or new terms therefore take effect within seconds, far inside a link's
lifetime. Only revocations newer than a link's lifetime can matter (older ones stopped the links being issued).
Withdrawn versions (a handful) are kept whole: a link issued before its version was withdrawn, after a removal
at a data subject's request say, is refused from then on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from accord.catalog import service as catalog
from accord.db import utcnow
from accord.entitlements import service as entitlements

SLACK = timedelta(seconds=5)  # overlap between looks, for commits that land while a look runs


class RevocationCache:
    def __init__(
        self,
        sessions: Callable[[], Session],
        *,
        lookback: timedelta,
        interval: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessions = sessions
        self.interval = interval
        self.clock = clock
        self.revoked_ids: set[int] = set()
        self.terms: dict[int, int] = {}  # dataset id → current terms version
        self.withdrawn: dict[int, tuple[str, str]] = {}  # version id → (label, reason)
        self._since: datetime = utcnow() - lookback - SLACK
        self._checked: float | None = None
        self._lock = threading.Lock()

    def refresh(self) -> None:
        """Ask the database now (tests call this instead of waiting; requests call it through `revoked`)."""
        with self._lock:
            asked = utcnow()
            with self.sessions() as db:
                self.revoked_ids.update(entitlements.revoked_since(db, self._since))
                self.terms = entitlements.terms_in_force(db)
                self.withdrawn = catalog.withdrawn_versions(db)
            self._since = asked - SLACK
            self._checked = self.clock()

    def _fresh(self) -> None:
        if self._checked is None or self.clock() - self._checked >= self.interval:
            if self._lock.locked() and self._checked is not None:
                return  # another request is looking; don't queue behind it
            self.refresh()

    def revoked(self, grant_id: int) -> bool:
        self._fresh()
        return grant_id in self.revoked_ids

    def terms_version(self, dataset_id: int) -> int | None:
        """The dataset's current terms version, as of the last look (None: no terms)."""
        self._fresh()
        return self.terms.get(dataset_id)

    def withdrawn_version(self, version_id: int) -> tuple[str, str] | None:
        """(label, reason) when the version was withdrawn, as of the last look."""
        self._fresh()
        return self.withdrawn.get(version_id)
