"""The audit domain's scheduled jobs: a signed checkpoint every hour, and once a day one mailed to the admins
(and any witnesses in ACCORD_AUDIT_MAIL_TO), so a copy lives where no database or bucket credential reaches.

Every domain records into audit, identity and notify included, so audit imports neither: the job registry
hands in the mail's means as a `Post` (identity/jobs.py registers `periodic(post)`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from huey import crontab
from sqlalchemy.orm import Session

from accord.audit import checkpoints
from accord.audit import service as audit
from accord.db import unit_of_work, utcnow

if TYPE_CHECKING:
    from accord.runtime import Runtime

log = logging.getLogger("accord.audit")
# The shapes accord.jobs.queue registers, spelt here: audit imports no other domain (jobs records into audit).
Task = Callable[..., Any]  # fn(rt)
Schedule = Callable[[datetime], bool]  # a huey crontab


class Queued(Protocol):
    """What notify.enqueue returns, as far as the mail job needs it (dated to the day it counts for)."""

    created_at: datetime


@dataclass(frozen=True)
class Post:
    admins: Callable[[Session], list[str]]  # identity.admin_emails
    queued: Callable[..., bool]  # notify.queued
    enqueue: Callable[..., Queued]  # notify.enqueue


def _warn(report: checkpoints.Report) -> None:
    if not report.chain.ok:
        log.error("audit log altered at event %s: %s", report.chain.bad_event_id, report.chain.reason)
    for f in report.failures:
        log.error("audit checkpoint %s: %s", f.name, f.reason)


def checkpoint(rt: Runtime) -> checkpoints.Report:
    """Verify the log against the stored checkpoints and, when it holds, sign and store a new one."""
    with rt.session() as db:
        report = checkpoints.verify(rt, db)
    _warn(report)
    return report


def mail_checkpoint(
    db: Session,
    report: checkpoints.Report,
    post: Post,
    *,
    extra_to: Sequence[str] = (),
    site: str = "",
    now: datetime | None = None,
) -> list[str]:
    """Queue today's mail: the new checkpoint and its signature, or the news that the log failed to verify.
    At most one of each a day per recipient, however often this runs."""
    now = now or utcnow()
    day = datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)
    written = report.written
    if report.ok and written is None:
        return []  # an empty log: nothing to vouch for
    template = "audit-checkpoint" if report.ok else "audit-altered"
    context: dict[str, object] = {"site": site, "date": day.date().isoformat()}
    data: dict[str, object] = {"ok": report.ok}
    if report.ok and written is not None:
        cp = written.checkpoint
        assert cp is not None  # a checkpoint just written is readable
        context.update(
            count=cp.count,
            hash=cp.hash,
            at=cp.at.isoformat(timespec="seconds"),
            key=cp.key,
            name=written.name,
            document=written.raw.decode(),
        )
        data.update(checkpoint=written.name, count=cp.count, hash=cp.hash)
    else:
        chain = report.chain
        context.update(
            chain=None if chain.ok else f"event {chain.bad_event_id}: {chain.reason}", failures=report.failures
        )
        data.update(failures=[f.name for f in report.failures], chain_ok=chain.ok)
    to_all = sorted({*post.admins(db), *(e.strip().lower() for e in extra_to if e.strip())})
    sent: list[str] = []
    with unit_of_work(db):
        for to in to_all:
            if post.queued(db, template, to=to, since=day, until=day + timedelta(days=1)):
                continue
            msg = post.enqueue(db, template, to=to, **context)
            msg.created_at = now
            sent.append(to)
        if sent:
            audit.record(
                db,
                actor="system",
                action="audit.checkpoint_mailed",
                object=("audit_log", template),
                data={**data, "to": sent},
                at=now,
            )
    return sent


def daily_mail(rt: Runtime, post: Post, *, now: datetime | None = None) -> list[str]:
    with rt.session() as db:
        report = checkpoints.verify(rt, db)
        _warn(report)
        sent = mail_checkpoint(db, report, post, extra_to=rt.settings.audit_mail_to, site=rt.settings.base_url, now=now)
    if sent:
        log.info("mailed the audit checkpoint to %d recipient(s)", len(sent))
    return sent


def periodic(post: Post) -> dict[str, tuple[Task, Schedule]]:
    """Checkpoints hourly (the most a cut can go unseen between two); the mail before the working day."""

    def audit_checkpoint_mail(rt: Runtime) -> list[str]:
        return daily_mail(rt, post)

    return {
        "audit_checkpoint": (checkpoint, crontab(minute="40")),
        "audit_checkpoint_mail": (audit_checkpoint_mail, crontab(minute="30", hour="5")),
    }
