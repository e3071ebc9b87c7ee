"""Ingest: files from a folder or an archive become the items of a draft version, all or nothing.

1. Read and hash every file, storing each blob once by its sha256 (no database lock held meanwhile:
   SQLite has one writer and job progress is written by another session).
2. Write the manifest (catalog/manifest.py) to the store.
3. In ONE short transaction: item rows (bulk inserts), the version's counts, hashes and audit event.

A failure or a killed process before step 3 commits leaves the version untouched; blobs already stored are
harmless (content-addressed) and make the re-run faster.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, insert, select, text, update
from sqlalchemy.orm import Session

from accord.audit import service as audit
from accord.catalog import archives, checks, folders, manifest
from accord.catalog.folders import IndexRow
from accord.catalog.models import DatasetVersion, Item
from accord.catalog.schemas import IngestResult
from accord.catalog.sources import SIDECAR, Label, Staged
from accord.db import unit_of_work, utcnow
from accord.errors import IllegalTransition, InvalidInput, NotFound
from accord.identity import service as identity
from accord.identity.models import User
from accord.storage import BlobStore, LocalBlobStore

if TYPE_CHECKING:
    from accord.runtime import Runtime

Progress = Callable[[int, "int | None", str], object]  # (done, total, message); what it returns is unused
# A file as the version's item: path, size, sha256, media type, subject, attributes, preview.
ItemRow = tuple[str, int, str, str, str | None, dict[str, Any], bool]

ROWS_PER_INSERT = 5000
LOOKUP_ROWS = 5000  # hashes per IN (...) query
CACHE_KIB = -256 * 1024  # SQLite page cache while the rows are inserted (negative: KiB, allocated as used)
TICK = 0.25  # seconds between progress reports


class _Reporter:
    def __init__(self, progress: Progress | None):
        self.progress = progress
        self.last = 0.0

    def __call__(self, done: int, total: int | None, message: str, *, force: bool = False) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if force or now - self.last >= TICK:
            self.last = now
            self.progress(done, total, message)


def ingest(
    rt: Runtime, version_id: int, source: Path, *, actor: User | str | None, progress: Progress | None = None
) -> IngestResult:
    """Hash and store every file of a folder, .zip or .tar(.gz) and record them as the draft's items."""
    started = time.monotonic()
    report = _Reporter(progress)
    with rt.session() as db:
        version = db.get(DatasetVersion, version_id)
        if version is None:
            raise NotFound("no such dataset version")
        if actor is None or isinstance(actor, User):
            identity.require_role(actor, "curator", dataset_id=version.dataset_id)
        _require_empty_draft(db, version)
    source = Path(source)
    rows, labels, index = _stage(rt, source, report)
    # The pack index rows of the staged blobs are written by another thread (on another core) while this
    # one writes the manifest and the rows; they are committed before the items that refer to them.
    store = rt.store  # (index rows come from worker processes, which only a local store has)
    indexing = _Background(store.add_index, index) if index and isinstance(store, LocalBlobStore) else None
    try:
        items = _labelled(rows, labels)
        flags, flag_count = checks.flags(items)
        report(0, None, f"writing the manifest of {len(items):,} files", force=True)
        manifest_sha = _store_manifest(rt.store, items)
        report(0, None, f"saving {len(items):,} items", force=True)
        new_blobs = _save(
            rt,
            version_id,
            items,
            manifest_sha,
            actor=actor,
            source=source.name,
            flags=(flags, flag_count),
            before_commit=indexing.result if indexing else None,
        )
    finally:
        if indexing:
            indexing.join()
    total_bytes = sum(row[1] for row in items)
    report(len(items), len(items), f"ingested {len(items):,} files", force=True)
    return IngestResult(
        version_id=version_id,
        file_count=len(items),
        total_bytes=total_bytes,
        root_hash=manifest_sha,
        new_blobs=new_blobs,
        seconds=time.monotonic() - started,
        flags=flags,
        flag_count=flag_count,
    )


def _require_empty_draft(db: Session, version: DatasetVersion) -> None:
    if version.status != "draft":
        raise IllegalTransition(
            f"version {version.label} is {version.status}; a published version never changes. "
            "Create a new version to add files."
        )
    if version.file_count or db.scalar(select(Item.id).where(Item.version_id == version.id).limit(1)):
        raise IllegalTransition(
            f"version {version.label} already holds {version.file_count:,} files; "
            "delete the draft and create it again to re-ingest"
        )


class _Background(threading.Thread):
    def __init__(self, function: Callable[..., object], *args: object) -> None:
        super().__init__(name="accord-index", daemon=True)
        self.function, self.args = function, args
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self.function(*self.args)
        except BaseException as exc:
            self.error = exc

    def result(self) -> None:
        self.join()
        if self.error is not None:
            raise self.error


def _stage(rt: Runtime, source: Path, report: _Reporter) -> tuple[list[Staged], dict[str, Label], list[IndexRow]]:
    """Hash and store every file; returns rows (path, size, sha256, media_type), the sidecar labels and
    pack index rows still to add (see folders.stage_folder)."""
    if not source.exists():
        raise InvalidInput(f"nothing to ingest at {source}: no such file or folder")
    if source.is_dir():
        # file sizes are not read up front (see folders.py), so only the reserve itself is checked here
        archives.require_space(rt.store, 0, archives.Limits.of(rt.settings))
        rows, labels, index = folders.stage_folder(rt, source, report, workers=rt.settings.hash_workers)
    else:
        name = source.name.lower()
        limits = archives.Limits.of(rt.settings)
        if name.endswith(".zip"):
            staging = archives.stage_zip(source, rt.store, report, limits)
        elif name.endswith((".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")):
            staging = archives.stage_tar(source, rt.store, report, limits)
        else:
            raise InvalidInput(f"{source.name} is neither a folder nor a .zip, .tar or .tar.gz archive")
        if staging.rows:
            staging.commit()
        else:
            staging.discard()
        rows, labels, index = staging.rows, staging.labels, []
    if not rows:
        raise InvalidInput(f"{source.name} holds no files to ingest")
    return rows, labels, index


# --- labels, manifest and the one transaction ---------------------------------------------------------------


def _labelled(rows: list[Staged], labels: dict[str, Label]) -> list[ItemRow]:
    """Sorted (path, size, sha256, media_type, subject, attributes, preview); every label must match a file."""
    rows.sort()
    unlabelled: Label = (None, {}, False)  # shared: nothing mutates it
    items = (
        [(*row, *labels.pop(row[0], unlabelled)) for row in rows] if labels else [(*row, *unlabelled) for row in rows]
    )
    if labels:
        missing = sorted(labels)
        raise InvalidInput(f"{SIDECAR} labels {missing[0]!r}, which is not in the source ({len(missing)} such path(s))")
    return items


def _store_manifest(store: BlobStore, items: list[ItemRow]) -> str:
    return manifest.store(store, (row[:6] for row in items))


def _save(
    rt: Runtime,
    version_id: int,
    items: list[ItemRow],
    manifest_sha: str,
    *,
    actor: User | str | None,
    source: str,
    flags: tuple[list[dict[str, str]], int] = ([], 0),
    before_commit: Callable[[], None] | None = None,
) -> int:
    """Everything the database learns from an ingest, in one transaction; returns the count of new blobs.
    before_commit raising rolls it all back."""
    now = utcnow()
    with rt.session() as db, unit_of_work(db):
        # Write first: on SQLite this takes the write lock before the checks below, on PostgreSQL it locks
        # the row, so of two racing ingests the second sees the first one's items and stops.
        db.execute(
            update(DatasetVersion).where(DatasetVersion.id == version_id).values(file_count=DatasetVersion.file_count)
        )
        version = db.get(DatasetVersion, version_id, populate_existing=True)
        if version is None:
            raise NotFound("the dataset version was deleted during the ingest")
        _require_empty_draft(db, version)  # a concurrent ingest may have finished first
        new_blobs = _count_new_blobs(db, {row[2] for row in items}, manifest_sha)  # before our rows
        with _roomy_cache(db):
            _insert_items(db, version_id, items)
        version.file_count = len(items)
        version.total_bytes = sum(row[1] for row in items)
        version.root_hash = manifest_sha
        version.manifest_sha256 = manifest_sha
        version.ingested_at = now
        version.ingest_flags, version.ingest_flag_count = flags
        audit.record(
            db,
            actor=actor,
            action="dataset_version.ingested",
            object=("dataset_version", version_id),
            dataset=version.dataset_id,
            data={
                "source": source,
                "file_count": version.file_count,
                "total_bytes": version.total_bytes,
                "root_hash": manifest_sha,
                "new_blobs": new_blobs,
                "flagged": flags[1],
            },
        )
        if before_commit is not None:
            before_commit()
    return new_blobs


@contextmanager
def _roomy_cache(db: Session) -> Iterator[None]:
    """On SQLite, a page cache that holds the indexes being filled (the default 2 MB spills them to the WAL
    mid-transaction and reads them back), for this transaction only; durability settings are untouched."""
    if db.get_bind().dialect.name != "sqlite":
        yield
        return
    connection = db.connection()
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    connection.exec_driver_sql(f"PRAGMA cache_size={CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(before)}")


def _count_new_blobs(db: Session, item_shas: set[str], manifest_sha: str) -> int:
    """How many of the items' blobs and the manifest no other version refers to (by its items or manifest).

    There is no table of blobs: the store knows what it holds, and items say who uses each blob. A blob
    table cost a third of this transaction (50,000 random-key inserts) and nothing read it. Counting in the
    database (not fetching the hashes) keeps this to one index probe per hash."""
    wanted = sorted(item_shas)
    known = 0
    sqlite = db.get_bind().dialect.name == "sqlite"
    for i in range(0, len(wanted), LOOKUP_ROWS):  # disjoint chunks, so their distinct counts add up
        chunk = wanted[i : i + LOOKUP_ROWS]
        if sqlite:  # straight to the driver: SQLAlchemy renders an IN list ten times slower than SQLite runs it
            known += (
                db.connection()
                .exec_driver_sql(
                    f"SELECT count(DISTINCT sha256) FROM item WHERE sha256 IN ({','.join('?' * len(chunk))})",
                    tuple(chunk),
                )
                .scalar_one()
            )
        else:
            known += db.scalar(
                text("SELECT count(DISTINCT sha256) FROM item WHERE sha256 = ANY(:shas)"), {"shas": chunk}
            )
    manifest_known = (
        manifest_sha in item_shas
        or db.scalar(select(Item.id).where(Item.sha256 == manifest_sha).limit(1))
        or db.scalar(select(DatasetVersion.id).where(DatasetVersion.manifest_sha256 == manifest_sha).limit(1))
    )
    return len(wanted) - known + (0 if manifest_known else 1)


ITEM_COLUMNS = ("version_id", "path", "size", "sha256", "media_type", "subject", "attributes", "preview")


def _insert_items(db: Session, version_id: int, items: list[ItemRow]) -> None:
    if db.get_bind().dialect.name == "sqlite":
        # Straight to the driver: SQLAlchemy's per-row type processing costs more than SQLite's own insert.
        # attributes is a JSON column, stored by SQLAlchemy as json.dumps text, so the same text is written here.
        sql = f"INSERT INTO item ({', '.join(ITEM_COLUMNS)}) VALUES ({', '.join('?' * len(ITEM_COLUMNS))})"
        connection = db.connection()
        for i in range(0, len(items), ROWS_PER_INSERT):
            connection.exec_driver_sql(
                sql,
                [
                    (
                        version_id,
                        path,
                        size,
                        sha,
                        kind,
                        subject,
                        json.dumps(attributes) if attributes else "{}",
                        int(preview),
                    )
                    for path, size, sha, kind, subject, attributes, preview in items[i : i + ROWS_PER_INSERT]
                ],
            )
        return
    table = Item.__table__
    assert isinstance(table, Table)  # a declarative class's table (typed as any FromClause)
    for i in range(0, len(items), ROWS_PER_INSERT):
        db.execute(
            insert(table),
            [dict(zip(ITEM_COLUMNS, (version_id, *row), strict=False)) for row in items[i : i + ROWS_PER_INSERT]],
        )
