"""The outbox's job: send what is due, every minute, where a queue consumer runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accord.jobs import queue
from accord.notify import service as notify

if TYPE_CHECKING:
    from accord.runtime import Runtime


@queue.periodic("send_mail", queue.EVERY_MINUTE)
def send_mail(rt: Runtime) -> None:
    notify.send_due(rt)
