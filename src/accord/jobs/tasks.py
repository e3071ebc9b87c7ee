"""The built-in tasks. Importing this module registers them (make_huey does it)."""
from __future__ import annotations

import importlib
import logging

from huey import crontab

from accord.audit import jobs as audit_jobs
from accord.identity import service as identity
from accord.jobs import ingest, queue  # noqa: F401  (ingest registers its task on import)
from accord.notify import service as notify

log = logging.getLogger("accord.jobs")
DAILY_AT_SIX = crontab(minute="0", hour="6")
queue.PERIODIC.update(audit_jobs.periodic(audit_jobs.Post(identity.admin_emails, notify.queued, notify.enqueue)))


@queue.periodic("send_mail", queue.EVERY_MINUTE)
def send_mail(rt) -> None:
    """Send due outbox e-mails, when the notify domain provides `send_due`."""
    try:
        notify = importlib.import_module("accord.notify.service")
    except ImportError:
        return
    send_due = getattr(notify, "send_due", None)
    if send_due is not None:
        send_due(rt)


@queue.periodic("access_expiry", DAILY_AT_SIX)
def access_expiry(rt) -> None:
    """Once a day: warn licensees whose access ends within two weeks (each grant once), warn holders whose
    training certificate runs out within two weeks (each certificate once), and end the grants whose terms end
    access with a certificate that ran out."""
    from accord.entitlements import service as entitlements
    from accord.training import service as training

    with rt.session() as db:
        told = entitlements.warn_expiring(db)
        certificates = training.warn_expiring(db, base_url=rt.settings.base_url)
        ended = training.end_lapsed(db)
    if told:
        log.info("warned %d licensee(s) of access ending soon", told)
    if certificates:
        log.info("warned %d holder(s) of a training certificate running out", certificates)
    if ended:
        log.info("ended %d grant(s) whose terms end access with the training certificate", len(ended))


@queue.periodic("review_escalation", crontab(minute="15"))
def review_escalation(rt) -> None:
    """Every hour: tell all reviewers of a dataset about its applications past the terms' response time."""
    from accord.access import escalation

    with rt.session() as db:
        done = escalation.escalate_overdue(db, base_url=rt.settings.base_url)
    if done:
        log.info("escalated %d overdue application(s)", len(done))


@queue.periodic("review_digest", crontab(minute="0", hour="7"))
def review_digest(rt) -> None:
    """Once a day: one mail per "digest" reviewer listing the applications waiting in their datasets."""
    from accord.access import digest

    with rt.session() as db:
        sent = digest.send_digests(db, base_url=rt.settings.base_url)
    if sent:
        log.info("sent %d review digest(s)", len(sent))
