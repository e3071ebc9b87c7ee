"""The anonymisation job's loop: the source version's files in path order, a batch at a time, each batch's
report rows committed together, so a killed job run again goes on after its last committed batch. The draft
gets its files only at the end, in one transaction: until then it is empty and cannot be published, and a
cancelled run leaves none."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from accord.audit import service as audit
from accord.catalog import service as catalog
from accord.catalog.models import Item
from accord.db import rows_matched, unit_of_work, utcnow
from accord.privacy import blur, pool
from accord.privacy.models import Anonymisation, AnonymisedFile

if TYPE_CHECKING:
    from accord.runtime import Runtime

Progress = Callable[[int, "int | None", str], object]

BATCH = 16  # files per commit: what a killed job may do again
PAGE = 512  # source rows read per query
UNREADABLE = "unreadable image: kept as it was; look at it before publishing"
# the flags that stop publishing until a curator has looked (the others, e.g. "CMYK converted", only inform)
LOOK = ("a face scored near the threshold", "only the second pass found a face", UNREADABLE)


@dataclass
class Ran:
    status: str  # the run's status afterwards: review, ready, or cancelled
    done: int  # files with a report row
    faces: int
    seconds: float
    where: str


def run(rt: Runtime, run_id: int, *, progress: Progress | None = None) -> Ran:
    """Anonymise what is left of the run's files, then fill its draft (unless it was cancelled meanwhile)."""
    started = time.monotonic()
    with rt.session() as db:
        job = db.get_one(Anonymisation, run_id)
        options, source_id = blur.Options(**job.options), job.source_version_id
        total = int(db.scalar(select(func.count()).select_from(Item).where(Item.version_id == source_id)) or 0)
        before = list(db.scalars(select(AnonymisedFile.faces).where(AnonymisedFile.anonymisation_id == run_id)))
    done, found = len(before), sum(len(f) for f in before)  # a resumed run counts what it did before
    read = 0
    with pool.runner(rt.settings) as runner:
        for batch in _left(rt, run_id, source_id):
            if _status(rt, run_id) != "running":
                return Ran("cancelled", done, found, time.monotonic() - started, runner.where)
            images = [item for item in batch if item.media_type.startswith("image/")]
            results = dict(
                zip((i.path for i in images), runner.map(options, [pool.Task(i.sha256) for i in images]), strict=True)
            )
            rows = [_row(run_id, item, results.get(item.path)) for item in batch]
            with rt.session() as db, unit_of_work(db):
                known = set(
                    db.scalars(
                        select(AnonymisedFile.path).where(
                            AnonymisedFile.anonymisation_id == run_id, AnonymisedFile.path.in_([r.path for r in rows])
                        )
                    )
                )
                db.add_all(r for r in rows if r.path not in known)
                db.execute(update(Anonymisation).where(Anonymisation.id == run_id).values(heartbeat_at=utcnow()))
            done += len(batch)
            read += len(images)
            found += sum(len(r.faces) for r in rows)
            if progress:
                rate = read / max(time.monotonic() - started, 1e-6)
                progress(done, total, f"{done:,} of {total:,} files, {found:,} faces blurred, {rate:.1f} images/s")
    with rt.session() as db:
        status = finish(rt, db, run_id, seconds=time.monotonic() - started, where=runner.where)
    return Ran(status, done, found, time.monotonic() - started, runner.where)


def _status(rt: Runtime, run_id: int) -> str:
    with rt.session() as db:
        return db.scalar(select(Anonymisation.status).where(Anonymisation.id == run_id)) or "cancelled"


def _left(rt: Runtime, run_id: int, source_id: int) -> Iterator[list[Any]]:
    """The source's files with no report row yet, BATCH at a time, in path order (keyset pages)."""
    after = ""
    while True:
        with rt.session() as db:
            page = db.execute(
                select(Item.path, Item.sha256, Item.media_type, Item.size)
                .where(Item.version_id == source_id, Item.path > after)
                .order_by(Item.path)
                .limit(PAGE)
            ).all()
            if not page:
                return
            done = set(
                db.scalars(
                    select(AnonymisedFile.path).where(
                        AnonymisedFile.anonymisation_id == run_id, AnonymisedFile.path.in_([r.path for r in page])
                    )
                )
            )
        after = page[-1].path
        left = [r for r in page if r.path not in done]
        for start in range(0, len(left), BATCH):
            yield left[start : start + BATCH]


def _row(run_id: int, item: Any, result: dict[str, Any] | None) -> AnonymisedFile:
    row = AnonymisedFile(
        anonymisation_id=run_id,
        path=item.path,
        source_sha256=item.sha256,
        sha256=item.sha256,
        size=item.size,
        media_type=item.media_type,
        faces=[],
        removed=[],
        flags=[],
        boxes=[],
    )
    if result is None:  # not an image: copied as it is, listed in the report
        row.problem = "not an image: copied as it is"
        return row
    row.sha256 = result["sha256"]
    row.size = item.size if result["size"] is None else result["size"]  # None: the file was never read
    row.media_type = result["media_type"] or item.media_type
    row.faces, row.removed, row.flags = result["faces"], result["removed"], list(result.get("flags") or [])
    if result["problem"]:
        row.problem = f"{result['problem']}"
        row.flags.append(UNREADABLE)
    row.look = any(flag in LOOK for flag in row.flags)
    return row


# --- the end of the job ------------------------------------------------------------------------------------


def finish(rt: Runtime, db: Session, run_id: int, *, seconds: float, where: str) -> str:
    """Fill the draft from the report rows and count the report, in one transaction; the run goes to review
    (flagged files wait for a look) or ready. A run cancelled meanwhile stays cancelled."""
    with unit_of_work(db):
        claimed = rows_matched(
            db,
            update(Anonymisation)
            .where(Anonymisation.id == run_id, Anonymisation.status == "running")
            .values(status="running"),
        )
        run_ = db.get_one(Anonymisation, run_id, populate_existing=True)
        if not claimed or run_.draft_version_id is None:
            return run_.status
        files = list(db.scalars(select(AnonymisedFile).where(AnonymisedFile.anonymisation_id == run_id)))
        changed = {
            f.path: catalog.NewFile(f.sha256, f.size, f.media_type) for f in files if f.sha256 != f.source_sha256
        }
        catalog.fill_draft(
            db,
            rt.store,
            run_.draft_version_id,
            run_.source_version_id,
            changed,
            actor="jobs",
            action="dataset_version.anonymised",
        )
        count(run_, files)
        run_.seconds, run_.finished_at = round(seconds, 2), utcnow()
        run_.status = "review" if run_.flagged > run_.reviewed else "ready"
        run_.options = {**run_.options, "ran_on": where}
        audit.record(
            db,
            actor="jobs",
            action="anonymisation.finished",
            object=("anonymisation", run_id),
            data=summary(run_),
            dataset=run_.dataset_id,
        )
    return run_.status


def count(run_: Anonymisation, files: list[AnonymisedFile]) -> None:
    """The report's numbers from the per-file rows (again after each review, so they never drift)."""
    fields: Counter[str] = Counter(name for f in files for name in f.removed)
    run_.files = len(files)
    run_.scanned = sum(1 for f in files if f.problem is None)
    run_.faces = sum(len(f.faces) for f in files if f.decision != "drop")
    run_.images_with_faces = sum(1 for f in files if f.faces and f.decision != "drop")
    run_.metadata_cleaned = sum(1 for f in files if f.removed)
    run_.metadata_fields = dict(sorted(fields.items()))
    run_.second_pass_found = sum(1 for f in files if any(face.get("by") == blur.SECOND_PASS for face in f.faces))
    run_.unreadable = sum(1 for f in files if UNREADABLE in f.flags)
    run_.not_images = sum(1 for f in files if f.problem and UNREADABLE not in f.flags)
    run_.flagged = sum(1 for f in files if f.look)
    run_.reviewed = sum(1 for f in files if f.look and f.decision)
    run_.dropped = sum(1 for f in files if f.decision == "drop")


def summary(run_: Anonymisation) -> dict[str, Any]:
    """The numbers anyone may see once the new version is published (no path, no face, no file)."""
    return {
        "files": run_.files,
        "images_scanned": run_.scanned,
        "faces_blurred": run_.faces,
        "images_with_faces": run_.images_with_faces,
        "images_metadata_removed": run_.metadata_cleaned,
        "metadata_removed": run_.metadata_fields,
        "found_by_second_pass_only": run_.second_pass_found,
        "unreadable_images": run_.unreadable,
        "other_files": run_.not_images,
        "flagged_for_review": run_.flagged,
        "reviewed_by_a_person": run_.reviewed,
        "left_out": run_.dropped,
        "detector": run_.detector,
        "options": {k: v for k, v in run_.options.items() if k != "ran_on"},
    }
