"""Ingest as a background job: check the request up front, then run catalog ingest on a worker."""

from __future__ import annotations

import gzip
import logging
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accord.catalog import service as catalog
from accord.errors import IllegalTransition, InvalidInput
from accord.identity import service as identity
from accord.identity.models import User
from accord.jobs import queue, service
from accord.jobs.models import Job

if TYPE_CHECKING:
    from accord.runtime import Runtime

log = logging.getLogger("accord.jobs")

TAR_MAGIC_OFFSET = 257  # POSIX ustar header: "ustar" at byte 257 of the first block


def archive_format(path: Path) -> str | None:
    """'zip', 'tar' or 'tar.gz' judged by the file's first bytes (never its name), else None."""
    with open(path, "rb") as fh:
        head = fh.read(512)
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if head[TAR_MAGIC_OFFSET : TAR_MAGIC_OFFSET + 5] == b"ustar":
        return "tar"
    if head[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as gz:
                inner = gz.read(512)
        except (OSError, EOFError, zlib.error):
            return None
        if inner[TAR_MAGIC_OFFSET : TAR_MAGIC_OFFSET + 5] == b"ustar":
            return "tar.gz"
    return None


def check_ingest(rt: Runtime, slug: str, label: str, *, actor: User | str | None, uploaded: bool) -> int:
    """Refuse early (before a large upload is read) what start_ingest would refuse; returns the version id.

    `uploaded`: an archive the actor sends us (curators may); otherwise a path on the server (admins only,
    since it reads whatever the server can read).
    """
    with rt.session() as db:
        version = catalog.version_by_label(db, slug, label)
        version_id, dataset_id, status, files = version.id, version.dataset_id, version.status, version.file_count
    if actor is None or isinstance(actor, User):  # string actors ("cli") are the server's own shell
        if uploaded:
            identity.require_role(actor, "curator", dataset_id=dataset_id)
        else:
            identity.require_role(actor, "admin")
    if status != "draft":
        raise IllegalTransition(f"version {label} is {status}; only a draft version can be ingested")
    if files:
        raise IllegalTransition(f"version {label} already holds {files} files; create a new version instead")
    return version_id


def start_ingest(rt: Runtime, slug: str, label: str, source: Path, *, actor: User | str | None, uploaded: bool) -> Job:
    """Queue an ingest of `source` (a folder or archive) into a draft version.

    An uploaded archive belongs to the job from here on: it is deleted when the job ends.
    """
    version_id = check_ingest(rt, slug, label, actor=actor, uploaded=uploaded)
    source = Path(source)
    if not source.exists():
        raise InvalidInput(f"{source} does not exist on the server", field="path")
    kind = archive_format(source) if source.is_file() else "folder"
    if kind is None:
        raise InvalidInput("this is not a .zip, .tar or .tar.gz archive", field="archive")
    if uploaded:
        source = source.rename(source.with_name(f"{source.stem}.{kind}"))  # ingest reads the format off the name
    params = {
        "version_id": version_id,
        "source": str(source),
        "delete_source": uploaded,
        "dataset": slug,
        "label": label,
    }
    try:
        return service.submit(rt, "ingest", params, actor=actor)
    except BaseException:
        if uploaded:
            source.unlink(missing_ok=True)
        raise


@queue.task("ingest")
def run_ingest(rt: Runtime, job_id: int) -> None:
    def work(job: Job) -> tuple[dict[str, Any], str]:
        params = dict(job.params)
        source = Path(params["source"])
        try:
            with rt.session() as db:
                actor = identity.user_by_id(db, job.created_by_id) if job.created_by_id else "jobs"
            result = catalog.ingest(
                rt,
                params["version_id"],
                source,
                actor=actor,
                progress=lambda done, total, message: service.report(rt, job_id, done, total, message),
            )
        finally:
            if params.get("delete_source"):
                source.unlink(missing_ok=True)
        summary = {
            "file_count": result.file_count,
            "total_bytes": result.total_bytes,
            "root_hash": result.root_hash,
            "new_blobs": result.new_blobs,
            "seconds": round(result.seconds, 2),
            "dataset": params.get("dataset"),
            "label": params.get("label"),
        }
        return summary, f"ingested {result.file_count:,} files"

    service.run(rt, job_id, work, failed="ingest failed")
