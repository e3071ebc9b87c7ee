"""Obligations' daily job: ask licensees for their papers where the terms say how often."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from huey import crontab

from accord.jobs import queue
from accord.obligations import service as obligations

if TYPE_CHECKING:
    from accord.runtime import Runtime

log = logging.getLogger("accord.jobs")


@queue.periodic("publications_asked", crontab(minute="20", hour="6"))
def publications_asked(rt: Runtime) -> None:
    with rt.session() as db:
        asked = obligations.ask_for_publications_on_schedule(db, base_url=rt.settings.base_url)
    if asked:
        log.info("asked %d licensee(s) for the papers that used their datasets", asked)
