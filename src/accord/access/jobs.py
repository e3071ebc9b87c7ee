"""Access's periodic jobs: escalate overdue applications every hour, send reviewers' digests once a day."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from huey import crontab

from accord.access import digest, escalation
from accord.jobs import queue

if TYPE_CHECKING:
    from accord.runtime import Runtime

log = logging.getLogger("accord.jobs")


@queue.periodic("review_escalation", crontab(minute="15"))
def review_escalation(rt: Runtime) -> None:
    """Tell all reviewers of a dataset about its applications past the terms' response time."""
    with rt.session() as db:
        done = escalation.escalate_overdue(db, base_url=rt.settings.base_url)
    if done:
        log.info("escalated %d overdue application(s)", len(done))


@queue.periodic("review_digest", crontab(minute="0", hour="7"))
def review_digest(rt: Runtime) -> None:
    """One mail per "digest" reviewer listing the applications waiting in their datasets."""
    with rt.session() as db:
        sent = digest.send_digests(db, base_url=rt.settings.base_url)
    if sent:
        log.info("sent %d review digest(s)", len(sent))
