"""The privacy desk's periodic jobs: escalate requests past their month, remind licensees of open notices."""

from __future__ import annotations

import logging

from huey import crontab

from accord.jobs import queue
from accord.privacy import desk, notices

log = logging.getLogger("accord.jobs")


@queue.periodic("removal_escalation", crontab(minute="20"))
def removal_escalation(rt) -> None:
    """Tell a dataset's curators and the admins, once, about a removal request past its legal month."""
    if told := desk.escalate(rt):
        log.info("escalated %d overdue removal request(s)", told)


@queue.periodic("deletion_reminders", crontab(minute="30", hour="8"))
def deletion_reminders(rt) -> None:
    """Remind licensees of deletion notices due within a week, and once more when overdue."""
    if told := notices.remind(rt):
        log.info("sent %d deletion reminder(s)", told)
