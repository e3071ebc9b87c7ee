"""The privacy desk's jobs: escalate requests past their month, remind licensees of open notices, and index
the images of each published version for the photo search."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from huey import crontab
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.catalog import service as catalog
from accord.db import unit_of_work
from accord.identity.models import User
from accord.jobs import queue, service
from accord.jobs.models import Job
from accord.privacy import anonymise, anonymise_run, desk, index, notices, photos
from accord.privacy.models import RemovalRequest

if TYPE_CHECKING:
    from accord.runtime import Runtime

PENDING = "waiting to be queued"  # set by on_published; privacy_index_pending queues these

log = logging.getLogger("accord.jobs")


@queue.periodic("removal_escalation", crontab(minute="20"))
def removal_escalation(rt: Runtime) -> None:
    """Tell a dataset's curators and the admins, once, about a removal request past its legal month."""
    if told := desk.escalate(rt):
        log.info("escalated %d overdue removal request(s)", told)


@queue.periodic("deletion_reminders", crontab(minute="30", hour="8"))
def deletion_reminders(rt: Runtime) -> None:
    """Remind licensees of deletion notices due within a week, and once more when overdue."""
    if told := notices.remind(rt):
        log.info("sent %d deletion reminder(s)", told)


# --- the search index ------------------------------------------------------------------------------------


def on_published(db: Session, version_id: int, *, actor: User | str | None) -> None:
    """A version was published (in this transaction): its index job waits for `privacy_index_pending`."""
    service.add(db, "privacy_index", {"version_id": version_id}, actor=actor).message = PENDING


def start_index(rt: Runtime, db: Session, version_id: int, *, actor: User | str | None) -> Job:
    """Queue indexing a version's new image blobs (curators of its dataset; it skips what is indexed)."""
    version = catalog.version_by_id(db, version_id)
    catalog.require_curator(actor, version.dataset_id)
    return service.submit(rt, "privacy_index", {"version_id": version_id}, actor=actor)


@queue.periodic("privacy_index_pending", queue.EVERY_MINUTE)
def privacy_index_pending(rt: Runtime) -> None:
    """Put on the queue the index jobs that publishing a version left waiting (publish has no runtime)."""
    with rt.session() as db:
        waiting = list(
            db.scalars(
                select(Job.id).where(Job.kind == "privacy_index", Job.status == "queued", Job.message == PENDING)
            )
        )
    for job_id in waiting:
        with rt.session() as db, unit_of_work(db):
            service.get(db, job_id).message = "waiting for a worker"
        queue.enqueue(rt, "privacy_index", job_id)


@queue.task("privacy_index")
def run_index(rt: Runtime, job_id: int) -> None:
    def work(job: Job) -> tuple[dict[str, Any], str]:
        version_id = int(job.params["version_id"])
        done = index.index_version(
            rt, version_id, progress=lambda n, total, message: service.report(rt, job_id, n, total, message)
        )
        result = {"version_id": version_id, "indexed": done.indexed, "errors": done.errors, "faces": done.faces}
        return {**result, "seconds": round(done.seconds, 2)}, f"indexed {done.indexed:,} images ({done.faces:,} faces)"

    if (result := service.run(rt, job_id, work, failed="indexing failed")) is not None:
        waiting_photos(rt, result["version_id"])


# --- the photo search of a proven request ------------------------------------------------------------------


def waiting_photos(rt: Runtime, version_id: int) -> int:
    """Once a version is indexed: search again for the open requests whose photo waited for it."""
    with rt.session() as db:
        dataset_id = catalog.version_by_id(db, version_id).dataset_id
        ids = list(
            db.scalars(
                select(RemovalRequest.id).where(
                    RemovalRequest.dataset_id == dataset_id,
                    RemovalRequest.status.in_(desk.OPEN),
                    RemovalRequest.photo_key.is_not(None),
                )
            )
        )
    for request_id in ids:
        service.submit(rt, "privacy_photo_search", {"request_id": request_id}, actor="system")
    return len(ids)


@queue.task("privacy_photo_search")
def run_photo_search(rt: Runtime, job_id: int) -> None:
    """The requester's photo against the dataset's current version (queued at proof); the photo is deleted once
    the whole version was searched, and kept for the next try while part of it is not indexed yet."""

    def work(job: Job) -> tuple[dict[str, Any], str]:
        request_id = int(job.params["request_id"])
        with rt.session() as db:
            found = photos.photo_search(rt, db, request_id, actor="system")
        faces = "no face" if not found.faces_in_photo else f"{found.faces_in_photo} face(s)"
        message = f"{faces} in the photo; found {found.found} file(s)"
        if found.unindexed:
            message += f"; {found.unindexed:,} image(s) not indexed yet, the photo is kept until they are"
        result = {
            "request_id": request_id,
            "found": found.found,
            "added": found.added,
            "faces_in_photo": found.faces_in_photo,
            "unindexed": found.unindexed,
            "photo_deleted": found.photo_deleted,
        }
        return result, message

    service.run(rt, job_id, work, failed="the photo search failed")


# --- anonymisation -----------------------------------------------------------------------------------------


@queue.task("privacy_anonymise")
def run_anonymise(rt: Runtime, job_id: int) -> None:
    """Blur the faces and strip the metadata of a version's images into its draft (privacy.anonymise)."""
    with rt.session() as db:
        run_id = int(service.get(db, job_id).params["anonymisation_id"])

    def work(job: Job) -> tuple[dict[str, Any], str]:
        ran = anonymise_run.run(rt, run_id, progress=lambda n, total, msg: service.report(rt, job_id, n, total, msg))
        result = {"anonymisation_id": run_id, "status": ran.status, "files": ran.done, "faces": ran.faces}
        words = {"review": "done; flagged files wait for a look", "ready": "done", "cancelled": "cancelled"}
        return {**result, "seconds": round(ran.seconds, 2), "ran_on": ran.where}, (
            f"{words[ran.status]}: {ran.done:,} files, {ran.faces:,} faces blurred ({ran.where})"
        )

    if service.run(rt, job_id, work, failed="the anonymisation failed") is None:
        with rt.session() as db:
            job = service.get(db, job_id)
        if job.status == "failed":
            anonymise.failed(rt, run_id, job.error or "the job failed")
