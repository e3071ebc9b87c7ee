"""Entitlements' daily job: warn licensees whose access ends within two weeks (each grant once)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from huey import crontab

from accord.entitlements import service as entitlements
from accord.jobs import queue

if TYPE_CHECKING:
    from accord.runtime import Runtime

log = logging.getLogger("accord.jobs")


@queue.periodic("access_expiry", crontab(minute="0", hour="6"))
def access_expiry(rt: Runtime) -> None:
    with rt.session() as db:
        told = entitlements.warn_expiring(db)
    if told:
        log.info("warned %d licensee(s) of access ending soon", told)
