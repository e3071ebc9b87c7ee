"""Training's daily job: warn holders whose certificate runs out within two weeks (each certificate once), and
end the grants whose terms end access with a certificate that ran out."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from huey import crontab

from accord.jobs import queue
from accord.training import service as training

if TYPE_CHECKING:
    from accord.runtime import Runtime

log = logging.getLogger("accord.jobs")


@queue.periodic("training_expiry", crontab(minute="5", hour="6"))
def training_expiry(rt: Runtime) -> None:
    with rt.session() as db:
        certificates = training.warn_expiring(db, base_url=rt.settings.base_url)
        ended = training.end_lapsed(db)
    if certificates:
        log.info("warned %d holder(s) of a training certificate running out", certificates)
    if ended:
        log.info("ended %d grant(s) whose terms end access with the training certificate", len(ended))
