"""The download log, written in batches: a segmented downloader's many small Range requests each add a row to
a list in memory; the list is written in one INSERT when it holds `batch` rows or is `every` seconds old
(and on `flush()`, e.g. at shutdown or in tests). A watcher thread writes rows that would otherwise wait
for the next download. A crash loses at most that one unwritten batch; a failed write keeps its rows.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from accord.db import unit_of_work, utcnow
from accord.delivery.models import DownloadLog

log = logging.getLogger("accord.delivery")


class DownloadLogWriter:
    def __init__(
        self,
        sessions: Callable[[], Session],
        *,
        batch: int = 200,
        every: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessions = sessions
        self.batch = batch
        self.every = every
        self.clock = clock
        self._rows: list[dict[str, Any]] = []
        self._oldest: float | None = None
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None

    def add(
        self,
        *,
        user_id: int,
        entitlement_id: int,
        version_id: int,
        object: str,
        offset: int,
        nbytes: int,
        at: datetime | None = None,
        stopped: str | None = None,
    ) -> None:
        with self._lock:
            self._rows.append(
                {
                    "user_id": user_id,
                    "entitlement_id": entitlement_id,
                    "version_id": version_id,
                    "object": object,
                    "offset": offset,
                    "bytes": nbytes,
                    "at": at or utcnow(),
                    "stopped": stopped,
                }
            )
            if self._oldest is None:
                self._oldest = self.clock()
            due = len(self._rows) >= self.batch or self.clock() - self._oldest >= self.every
            if self._watcher is None:
                self._watcher = threading.Thread(
                    target=_watch, args=(weakref.ref(self), self.every), name="download-log", daemon=True
                )
                self._watcher.start()
        if due:
            self.flush()

    def flush_if_due(self) -> int:
        with self._lock:
            due = self._oldest is not None and self.clock() - self._oldest >= self.every
        return self.flush() if due else 0

    def flush(self) -> int:
        with self._lock:
            rows, self._rows, self._oldest = self._rows, [], None
        if rows:
            try:
                with self.sessions() as db, unit_of_work(db):
                    db.execute(insert(DownloadLog), rows)
            except BaseException:
                with self._lock:  # keep them for the next try
                    self._rows[:0] = rows
                    self._oldest = self.clock()
                raise
        return len(rows)


def _watch(ref: weakref.ref[DownloadLogWriter], every: float) -> None:
    """Every `every` seconds, write rows that are due; ends when its writer is gone."""
    while True:
        time.sleep(every)
        writer = ref()
        if writer is None:
            return
        try:
            writer.flush_if_due()
        except Exception:  # the rows are kept; the next look retries
            log.exception("could not write the download log; will retry")
        del writer


def for_user(db: Session, user_id: int) -> list[DownloadLog]:
    """What this licensee received, oldest first (for the privacy desk and the licensee's own page)."""
    return list(
        db.scalars(select(DownloadLog).where(DownloadLog.user_id == user_id).order_by(DownloadLog.at, DownloadLog.id))
    )
