"""accord privacy anonymise / anonymisation / review-file: anonymise a published version into a new draft on the
server, with a progress bar (the job runs in this process unless --queue gives it to the workers), read a run's
report and flagged files, and review a flagged file."""

from __future__ import annotations

import threading
import time

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from accord import errors
from accord.cli.main import AS, actor, out, runtime


def anonymise(
    dataset: str = typer.Argument(..., help="the dataset's short name"),
    version: str = typer.Argument(..., help="the published version to anonymise, e.g. 1.0"),
    blur: str = typer.Option("gaussian", "--blur", help="gaussian, pixelate or box (solid)"),
    margin: float = typer.Option(0.3, "--margin", help="added round each face, as a share of its size"),
    threshold: float = typer.Option(0.5, "--threshold", help="CenterFace's score above which a face is blurred"),
    second_pass: bool = typer.Option(
        False, "--second-pass", help="CenterFace at twice the scale where it found no face"
    ),
    queue: bool = typer.Option(False, "--queue", help="leave the job to the workers and return at once"),
    as_: str | None = AS,
) -> None:
    """Blur every face and remove every image's metadata into a new draft version, with its privacy report."""
    from accord.catalog import service as catalog
    from accord.privacy import jobs as privacy_jobs
    from accord.privacy import service as privacy

    rt = runtime()
    with rt.session() as db:
        who = actor(db, as_)
        source = catalog.version_by_label(db, dataset, version)
        options = privacy.anonymisation_options(
            blur_kind=blur, margin=margin, threshold=threshold, second_pass=second_pass
        )
        run_ = privacy.start_anonymisation(rt, db, source.id, options=options, actor=who, queue=queue)
        run_id, job_id = run_.id, run_.job_id
    if queue:
        out.print(f"anonymisation {run_id} queued as job {job_id}: accord privacy anonymisation {run_id}")
        return
    assert job_id is not None
    worker = threading.Thread(target=privacy_jobs.run_anonymise, args=(rt, job_id), daemon=True)
    worker.start()
    _follow(rt, job_id, worker)
    _report(run_id, as_)


def _follow(rt, job_id: int, worker: threading.Thread) -> None:
    from accord.jobs import service as jobs

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=out, transient=False) as bar:
        task = bar.add_task("anonymising", total=None)
        while worker.is_alive():
            worker.join(0.5)
            with rt.session() as db:
                job = jobs.get(db, job_id)
                rate = job.message.rpartition(", ")[2] if "images/s" in job.message else ""
                bar.update(task, completed=job.done, total=job.total, description=f"anonymising {rate}".strip())
        with rt.session() as db:
            job = jobs.get(db, job_id)
            bar.update(task, completed=job.done, total=job.total or job.done, description="anonymised")
    out.print(job.message, highlight=False)
    if job.status == "failed":
        raise errors.AccordError(f"the anonymisation stopped: {job.error}; resume it with --resume or cancel it")


def anonymisation(
    run_id: int,
    cancel: bool = typer.Option(False, "--cancel", help="cancel the run and delete its draft"),
    resume: bool = typer.Option(False, "--resume", help="go on from the last saved batch (in this process)"),
    as_: str | None = AS,
) -> None:
    """A run's status, privacy report and flagged files; --cancel or --resume it."""
    from accord.privacy import jobs as privacy_jobs
    from accord.privacy import service as privacy

    rt = runtime()
    if cancel or resume:
        with rt.session() as db:
            who = actor(db, as_)
            if cancel:
                privacy.cancel_anonymisation(db, run_id, actor=who)
                out.print(f"[green]anonymisation {run_id} cancelled; its draft is deleted[/]")
                return
            job_id = privacy.resume_anonymisation(rt, db, run_id, actor=who, queue=False).job_id
        assert job_id is not None
        worker = threading.Thread(target=privacy_jobs.run_anonymise, args=(rt, job_id), daemon=True)
        worker.start()
        _follow(rt, job_id, worker)
    _report(run_id, as_)


def _report(run_id: int, as_: str | None) -> None:
    from accord.catalog import service as catalog
    from accord.privacy import service as privacy

    with runtime().session() as db:
        run_ = privacy.anonymisation(db, run_id, user=actor(db, as_))
        draft = catalog.version_by_id(db, run_.draft_version_id).label if run_.draft_version_id else "none"
        r = privacy.anonymisation_summary(run_)
        out.print(f"anonymisation {run_.id}: [bold]{run_.status}[/], new version {draft}", highlight=False)
        if run_.status in ("running", "failed", "cancelled"):
            out.print(f"  {run_.error}" if run_.error else "  the report comes when every file is done")
            return
        fields = ", ".join(f"{k} ({v:,})" for k, v in r["metadata_removed"].items()) or "none"
        out.print(
            f"  {r['images_scanned']:,} images scanned, {r['faces_blurred']:,} faces blurred in "
            f"{r['images_with_faces']:,} images; metadata removed from {r['images_metadata_removed']:,}: {fields}",
            highlight=False,
        )
        out.print(f"  {r['unreadable_images']:,} unreadable, {r['other_files']:,} other files copied as they are")
        out.print(f"  detector: {r['detector']}", highlight=False)
        flagged = privacy.anonymised_files(db, run_id, flagged=True, limit=200)
        if flagged:
            table = Table("file", "path", "faces", "why", "reviewed")
            for f in flagged:
                table.add_row(str(f.id), f.path, str(len(f.faces)), "; ".join(f.flags)[:70], f.decision or "")
            out.print(table)
            waiting = run_.flagged - run_.reviewed
            if waiting:
                out.print(
                    f"{waiting} flagged file(s) wait: accord privacy review-file {run_id} FILE --fine|--drop|--box"
                )


def review_file(
    run_id: int,
    file_id: int,
    fine: bool = typer.Option(False, "--fine", help="it is fine as it is"),
    drop: bool = typer.Option(False, "--drop", help="leave it out of the new version"),
    box: list[str] = typer.Option([], "--box", help="LEFT,TOP,RIGHT,BOTTOM in pixels to blur too (repeatable)"),
    as_: str | None = AS,
) -> None:
    """Look at a flagged file: --fine, --drop, or --box (one or more) to blur what the detector missed."""
    from accord.privacy import service as privacy

    if sum((fine, drop, bool(box))) != 1:
        raise errors.InvalidInput("say one of --fine, --drop or --box")
    try:
        boxes = [[float(v) for v in b.split(",")] for b in box]
    except ValueError:
        raise errors.InvalidInput("a box is four numbers: --box 10,20,110,140", field="boxes") from None
    decision = "fine" if fine else "drop" if drop else "boxes"
    rt = runtime()
    started = time.monotonic()
    with rt.session() as db:
        row = privacy.review_anonymised_file(
            rt, db, run_id, file_id, decision=decision, boxes=boxes, actor=actor(db, as_)
        )
        out.print(f"[green]{row.path}: {decision}[/] ({time.monotonic() - started:.1f} s)", highlight=False)
    _report(run_id, as_)
