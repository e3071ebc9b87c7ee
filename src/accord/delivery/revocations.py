"""A process-local set of revoked grants, so checking a download link needs no database round trip.

At most every `interval` seconds one request asks the database which grants were revoked since the last look
(`entitlements.revoked_since`); a revocation therefore takes effect within seconds, far inside a link's
lifetime. Only revocations newer than a link's lifetime can matter (older ones stopped the links being issued).
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from accord.db import utcnow
from accord.entitlements import service as entitlements

SLACK = timedelta(seconds=5)  # overlap between looks, for commits that land while a look runs


class RevocationCache:
    def __init__(self, sessions, *, lookback: timedelta, interval: float = 2.0, clock=time.monotonic):
        self.sessions = sessions
        self.interval = interval
        self.clock = clock
        self.revoked_ids: set[int] = set()
        self._since: datetime = utcnow() - lookback - SLACK
        self._checked: float | None = None
        self._lock = threading.Lock()

    def refresh(self) -> None:
        """Ask the database now (tests call this instead of waiting; requests call it through `revoked`)."""
        with self._lock:
            asked = utcnow()
            with self.sessions() as db:
                self.revoked_ids.update(entitlements.revoked_since(db, self._since))
            self._since = asked - SLACK
            self._checked = self.clock()

    def revoked(self, grant_id: int) -> bool:
        if self._checked is None or self.clock() - self._checked >= self.interval:
            if self._lock.locked() and self._checked is not None:
                return grant_id in self.revoked_ids  # another request is looking; don't queue behind it
            self.refresh()
        return grant_id in self.revoked_ids
