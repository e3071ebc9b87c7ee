"""E-mail through an outbox: written in the caller's transaction, sent by a job, retried until it goes."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from accord.audit import service as audit
from accord.db import rows_matched, unit_of_work, utcnow
from accord.notify import mail
from accord.notify.models import OutboxMessage

if TYPE_CHECKING:
    from accord.runtime import Runtime

log = logging.getLogger("accord.notify")

# A claimed message is not picked up by another sender for this long; a crashed sender's claim runs out.
CLAIM_LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)
# Refusals of one message; any other error means the server is unreachable or unusable, so the batch stops.
MESSAGE_REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


def enqueue(db: Session, template: str, *, to: str, **context: Any) -> OutboxMessage:
    """Render `template` and add it to the outbox in the caller's transaction (never commits)."""
    subject, text, html = mail.render(template, **context)
    msg = OutboxMessage(to=to, subject=subject, template=template, text_body=text, html_body=html, created_at=utcnow())
    db.add(msg)
    db.flush()
    return msg


def queued(db: Session, template: str, *, to: str, since: datetime, until: datetime) -> bool:
    """Was a `template` mail to `to` written to the outbox in [since, until), sent yet or not?"""
    return (
        db.scalar(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.template == template,
                OutboxMessage.to == to,
                OutboxMessage.created_at >= since,
                OutboxMessage.created_at < until,
            )
            .limit(1)
        )
        is not None
    )


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 ... minutes after each failure, at most six hours."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def _due(db: Session, now: datetime, limit: int) -> list[int]:
    q = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.sent_at.is_(None),
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return list(db.scalars(q))


def _claim(db: Session, msg_id: int, now: datetime) -> OutboxMessage | None:
    """Take the message for this sender only (a conditional update: same on SQLite and PostgreSQL)."""
    with unit_of_work(db):
        claimed = rows_matched(
            db,
            update(OutboxMessage)
            .where(
                OutboxMessage.id == msg_id,
                OutboxMessage.sent_at.is_(None),
                or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
            )
            .values(next_attempt_at=now + CLAIM_LEASE)
            .execution_options(synchronize_session=False),
        )
    return db.get(OutboxMessage, msg_id, populate_existing=True) if claimed == 1 else None


def _mark_sent(db: Session, msg: OutboxMessage, now: datetime) -> None:
    with unit_of_work(db):
        msg.sent_at = now
        msg.attempts += 1
        msg.next_attempt_at = None
        msg.last_error = None
        audit.record(
            db,
            actor="system",
            action="email.sent",
            object=("outbox_message", msg.id),
            data={"to": msg.to, "template": msg.template},
        )


def _mark_failed(db: Session, msg: OutboxMessage, now: datetime, error: str) -> None:
    with unit_of_work(db):
        msg.attempts += 1
        msg.last_error = error[:2000]
        msg.next_attempt_at = now + backoff(msg.attempts)
        audit.record(
            db,
            actor="system",
            action="email.failed",
            object=("outbox_message", msg.id),
            data={"to": msg.to, "attempts": msg.attempts, "error": msg.last_error[:200]},
        )


def send_due(rt: Runtime, now: datetime | None = None, limit: int = 100) -> SendReport:
    """Send what is due (the job system calls this periodically). Failures stay in the outbox for later."""
    now = now or utcnow()
    report = SendReport()
    transport = mail.transport_for(rt.settings)
    db = rt.session()
    try:
        for msg_id in _due(db, now, limit):
            msg = _claim(db, msg_id, now)
            if msg is None:
                continue  # another sender has it
            email = mail.build_message(rt.settings.smtp.sender, msg.to, msg.subject, msg.text_body, msg.html_body)
            try:
                transport.send(email)
            except OSError as exc:  # smtplib's errors are OSErrors too
                error = f"{type(exc).__name__}: {exc}"
                _mark_failed(db, msg, now, error)
                report.failed += 1
                report.errors.append(error)
                log.warning("e-mail %s to %s not sent: %s", msg.id, msg.to, error)
                if not isinstance(exc, MESSAGE_REFUSED):
                    break
                continue
            _mark_sent(db, msg, now)
            report.sent += 1
    finally:
        transport.close()
        db.close()
    return report


def outbox(db: Session, *, limit: int = 200) -> list[OutboxMessage]:
    """Newest first, for the admin page."""
    return list(db.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)))


def messages_to(db: Session, address: str) -> list[OutboxMessage]:
    """Every e-mail written to one address, newest first (a person's own record)."""
    query = select(OutboxMessage).where(func.lower(OutboxMessage.to) == address.strip().lower())
    return list(db.scalars(query.order_by(OutboxMessage.id.desc())))


def outbox_counts(db: Session) -> dict[str, int]:
    pending = db.scalar(select(func.count()).where(OutboxMessage.sent_at.is_(None))) or 0
    failing = db.scalar(select(func.count()).where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts > 0)) or 0
    sent = db.scalar(select(func.count()).where(OutboxMessage.sent_at.is_not(None))) or 0
    return {"pending": pending, "failing": failing, "sent": sent}


def last_enqueued_at(db: Session, *, to: str, template: str) -> datetime | None:
    return db.scalar(
        select(func.max(OutboxMessage.created_at)).where(OutboxMessage.to == to, OutboxMessage.template == template)
    )
