"""The outbox's job: send what is due, every minute, where a queue consumer runs."""
from __future__ import annotations

from accord.jobs import queue
from accord.notify import service as notify


@queue.periodic("send_mail", queue.EVERY_MINUTE)
def send_mail(rt) -> None:
    notify.send_due(rt)
