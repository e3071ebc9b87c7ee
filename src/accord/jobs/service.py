"""Background jobs: a row per job that the UI, API and CLI read to show status and progress."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.audit import service as audit
from accord.db import unit_of_work, utcnow
from accord.errors import AccordError, InvalidInput, NotFound
from accord.jobs import queue
from accord.jobs.models import Job

if TYPE_CHECKING:
    from accord.runtime import Runtime

log = logging.getLogger("accord.jobs")

REPORT_INTERVAL = 0.5  # seconds between progress writes: enough for a progress bar, cheap for the database
FINISHED = ("done", "failed")

_report_lock = threading.Lock()


class Viewer(Protocol):
    """Who asks to see a job (an account; jobs knows no domain, so only what it reads of one)."""

    @property
    def id(self) -> int: ...

    @property
    def is_admin(self) -> bool: ...


def create(db: Session, kind: str, params: dict[str, Any], *, actor: audit.Actor | str | None) -> Job:
    """Create a queued job (not yet on the queue; see `submit`)."""
    with unit_of_work(db):
        return add(db, kind, params, actor=actor)


def add(db: Session, kind: str, params: dict[str, Any], *, actor: audit.Actor | str | None) -> Job:
    """The queued job's row and audit event inside the caller's transaction (which puts it on the queue later)."""
    if not queue.known(kind):
        raise InvalidInput(f"unknown job kind {kind!r}", field="kind")
    job = Job(kind=kind, params=dict(params), status="queued", created_by_id=getattr(actor, "id", None))
    job.message = "waiting for a worker"
    db.add(job)
    db.flush()
    audit.record(db, actor=actor, action="job.created", object=("job", job.id), data={"kind": kind})
    return job


def submit(rt: Runtime, kind: str, params: dict[str, Any], *, actor: audit.Actor | str | None) -> Job:
    """Create the job row, then put it on the queue. The row is committed first, so a worker always finds it."""
    with rt.session() as db:
        job = create(db, kind, params, actor=actor)
    enqueue(rt, job)
    with rt.session() as db:
        return get(db, job.id)


def enqueue(rt: Runtime, job: Job) -> None:
    """Put a committed job row on the queue; if that fails, say so on the job instead of leaving it queued."""
    try:
        queue.enqueue(rt, job.kind, job.id)
    except Exception as exc:  # e.g. Redis unreachable
        log.exception("could not queue job %s", job.id)
        mark_failed(rt, job.id, error=f"the job could not be queued ({type(exc).__name__}: {exc})")
        raise


def get(db: Session, job_id: int) -> Job:
    job = db.get(Job, job_id)
    if job is None:
        raise NotFound(f"there is no job {job_id}")
    return job


def get_for(db: Session, job_id: int, *, user: Viewer | None) -> Job:
    """A job as its creator or an administrator may see it; to anyone else it does not exist."""
    job = get(db, job_id)
    if user is None or not (user.is_admin or job.created_by_id == user.id):
        raise NotFound(f"there is no job {job_id}")
    return job


def list_recent(db: Session, *, limit: int = 20, kind: str | None = None) -> list[Job]:
    q = select(Job).order_by(Job.id.desc()).limit(limit)
    if kind:
        q = q.where(Job.kind == kind)
    return list(db.scalars(q))


def report(rt: Runtime, job_id: int, done: int, total: int | None, message: str, *, now: float | None = None) -> bool:
    """Save progress in its own short transaction, at most every REPORT_INTERVAL seconds per job.

    Returns whether a row was written. Progress is telemetry, not a decision, so it is not audited.
    """
    now = time.monotonic() if now is None else now
    with _report_lock:
        last_report = _report_times(rt)
        last = last_report.get(job_id)
        finished = total is not None and done >= total
        if last is not None and 0 <= now - last < REPORT_INTERVAL and not finished:
            return False
        last_report[job_id] = now
    with rt.session() as db, unit_of_work(db):
        job = get(db, job_id)
        job.done, job.total, job.message = done, total, message[:1000]
    return True


def run(
    rt: Runtime, job_id: int, work: Callable[[Job], tuple[dict[str, Any], str]], *, failed: str
) -> dict[str, Any] | None:
    """Run a queued job once: `work(job)` returns the result and the page's message. A refusal's words go on
    the job page; a bug or an I/O failure keeps its traceback in the log and its gist ("<failed>: ...") on the
    page. Returns the result when the job is done, None otherwise (not queued any more, or failed)."""
    with rt.session() as db:
        job = get(db, job_id)
        if job.status != "queued":
            log.warning("job %s is %s, not queued; not running it twice", job_id, job.status)
            return None
    mark_running(rt, job_id)
    try:
        result, message = work(job)
    except AccordError as exc:
        mark_failed(rt, job_id, error=exc.message)
        return None
    except Exception as exc:
        log.exception("%s job %s failed", job.kind, job_id)
        mark_failed(rt, job_id, error=f"{failed}: {type(exc).__name__}: {exc}")
        return None
    mark_done(rt, job_id, result=result, message=message)
    return result


def mark_running(rt: Runtime, job_id: int) -> Job:
    with rt.session() as db, unit_of_work(db):
        job = get(db, job_id)
        job.status, job.started_at, job.message = "running", utcnow(), "started"
        audit.record(db, actor="jobs", action="job.started", object=("job", job_id))
    return job


def mark_done(rt: Runtime, job_id: int, *, result: dict[str, Any], message: str = "done") -> Job:
    with rt.session() as db, unit_of_work(db):
        job = get(db, job_id)
        job.status, job.finished_at, job.result, job.message = "done", utcnow(), result, message
        if job.total is not None:
            job.done = job.total
        audit.record(db, actor="jobs", action="job.done", object=("job", job_id), data=result)
    _forget(rt, job_id)
    return job


def mark_failed(rt: Runtime, job_id: int, *, error: str) -> Job:
    """The error text is shown to the user; the traceback (if any) is logged by the caller."""
    with rt.session() as db, unit_of_work(db):
        job = get(db, job_id)
        job.status, job.finished_at, job.error, job.message = "failed", utcnow(), error, "failed"
        audit.record(db, actor="jobs", action="job.failed", object=("job", job_id), data={"error": error})
    _forget(rt, job_id)
    return job


def _report_times(rt: Runtime) -> dict[int, float]:
    # Kept per runtime: job ids restart in every database, so one process-wide table would mix them up.
    times: dict[int, float] | None = rt.kept("job_report_times", dict)
    assert times is not None  # built by `make` on first use
    return times


def _forget(rt: Runtime, job_id: int) -> None:
    with _report_lock:
        _report_times(rt).pop(job_id, None)
