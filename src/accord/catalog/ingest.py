"""Ingest: files from a folder or an archive become the items of a draft version, all or nothing.

1. Read and hash every file, storing each blob once by its sha256 (no database lock held meanwhile:
   SQLite has one writer and job progress is written by another session).
2. Write the manifest (catalog/manifest.py) to the store.
3. In ONE short transaction: blob rows, item rows (bulk inserts), the version's counts, hashes and audit event.

A failure or a killed process before step 3 commits leaves the version untouched; blobs already stored are
harmless (content-addressed) and make the re-run faster.
"""
from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import threading
import time
from datetime import timezone
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert

from accord.audit import service as audit
from accord.catalog import archives, manifest
from accord.catalog.models import Blob, DatasetVersion, Item
from accord.catalog.schemas import IngestResult
from accord.catalog.sources import SIDECAR, media_type, read_labels, walk_folder
from accord.db import unit_of_work, utcnow
from accord.errors import IllegalTransition, InvalidInput, NotFound
from accord.identity import service as identity
from accord.identity.models import User
from accord.storage import LocalBlobStore

Progress = Callable[[int, "int | None", str], None]

SMALL = 4 * 1024 * 1024  # read in one call and stored from memory
BATCH_FILES = 128  # files per pool task: amortises the task overhead
CHUNK = 256 * 1024  # fits in L2 cache while it is hashed
PROCESS_MIN_FILES = 2000  # from this many files on, small files are hashed in worker processes
ROWS_PER_INSERT = 5000
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


def ingest(rt, version_id: int, source: Path, *, actor, progress: Progress | None = None) -> IngestResult:
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
    rows, labels = _stage(rt, source, report)
    items = _labelled(rows, labels)
    report(0, None, f"writing the manifest of {len(items):,} files", force=True)
    manifest_sha = _store_manifest(rt.store, items)
    report(0, None, f"saving {len(items):,} items", force=True)
    new_blobs = _save(rt, version_id, items, manifest_sha, actor=actor, source=source.name)
    total_bytes = sum(row[1] for row in items)
    report(len(items), len(items), f"ingested {len(items):,} files", force=True)
    return IngestResult(version_id=version_id, file_count=len(items), total_bytes=total_bytes,
                        root_hash=manifest_sha, new_blobs=new_blobs, seconds=time.monotonic() - started)


def _require_empty_draft(db, version: DatasetVersion) -> None:
    if version.status != "draft":
        raise IllegalTransition(f"version {version.label} is {version.status}; a published version never changes. "
                                "Create a new version to add files.")
    if version.file_count or db.scalar(select(Item.id).where(Item.version_id == version.id).limit(1)):
        raise IllegalTransition(f"version {version.label} already holds {version.file_count:,} files; "
                                "delete the draft and create it again to re-ingest")


def _stage(rt, source: Path, report: _Reporter) -> tuple[list[tuple], dict]:
    """Hash and store every file; returns rows (path, size, sha256, media_type) and the sidecar labels."""
    if not source.exists():
        raise InvalidInput(f"nothing to ingest at {source}: no such file or folder")
    if source.is_dir():
        rows, labels = _stage_folder(rt, source, report)
    else:
        name = source.name.lower()
        if name.endswith(".zip"):
            staging = archives.stage_zip(source, rt.store, report)
        elif name.endswith((".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")):
            staging = archives.stage_tar(source, rt.store, report)
        else:
            raise InvalidInput(f"{source.name} is neither a folder nor a .zip, .tar or .tar.gz archive")
        if staging.rows:
            staging.commit()
        else:
            staging.discard()
        rows, labels = staging.rows, staging.labels
    if not rows:
        raise InvalidInput(f"{source.name} holds no files to ingest")
    return rows, labels


# --- folders: a thread pool over batches of files (hashlib and file I/O release the GIL) --------------------

def _stage_folder(rt, root: Path, report: _Reporter) -> tuple[list[tuple], dict]:
    # The whole tree is checked (links, special files) before any blob is written. The scan reads no file
    # sizes: that stat per file would run on one core, so the workers fstat the files they open instead.
    files: list[str] = []
    labels: dict = {}
    for rel in walk_folder(str(root)):
        if rel == SIDECAR:
            with open(root / SIDECAR, "rb") as f:
                labels = read_labels(f)
            continue
        files.append(rel)
        if len(files) % 10_000 == 0:
            report(0, None, f"found {len(files):,} files")
    if not files:
        return [], labels
    workers = rt.settings.hash_workers or os.cpu_count() or 1
    stop = threading.Event()
    hasher = _FolderHasher(rt.store, str(root), stop)
    rows: list[tuple] = []
    large: list[str] = []  # files a batch passed over; each becomes a task of its own
    batches = (files[i:i + BATCH_FILES] for i in range(0, len(files), BATCH_FILES))
    pending: set[Future] = set()
    processes = _process_pool(rt.store, workers, len(files))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="accord-hash") as pool:
        try:
            while True:
                while len(pending) < workers * 3:
                    if large:
                        pending.add(pool.submit(hasher.large, large.pop()))
                    elif (batch := next(batches, None)) is None:
                        break
                    elif processes:
                        pending.add(processes.submit(_batch_in_process, str(rt.store.root), str(root), batch))
                    else:
                        pending.add(pool.submit(hasher.batch, batch))
                if not pending:
                    break
                finished, pending = wait(pending, timeout=TICK, return_when=FIRST_COMPLETED)
                for future in finished:
                    batch_rows, passed_over = future.result()
                    rows.extend(batch_rows)
                    large.extend(passed_over)
                report(len(rows), len(files), f"hashed {len(rows):,} of {len(files):,} files")
        except BaseException:
            stop.set()  # running batches stop at their next file; queued ones never start
            for future in pending:
                future.cancel()
            raise
        finally:
            if processes:
                processes.shutdown(wait=True, cancel_futures=True)
    return rows, labels


def _process_pool(store, workers: int, file_count: int) -> ProcessPoolExecutor | None:
    """Worker processes for batches of small files going to a local store, or None to use threads.

    Per file there is ~12 us of Python between the GIL-free hashing and system calls; two threads queue for
    the GIL and barely beat one, two processes run 1.8x faster (measured on two cores). forkserver, not fork:
    the children never inherit locks that another thread (OpenSSL, the database pool) held at fork time.
    Small ingests stay on threads, where starting the processes would cost more than it saves.
    """
    if (workers < 2 or file_count < PROCESS_MIN_FILES or not isinstance(store, LocalBlobStore)
            or "forkserver" not in multiprocessing.get_all_start_methods()):
        return None
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["accord.catalog.ingest"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


def _batch_in_process(store_root: str, root: str, files: list[str]):
    return _FolderHasher(LocalBlobStore(Path(store_root)), root, None).batch(files)


class _FolderHasher:
    def __init__(self, store, root: str, stop: threading.Event | None):
        self.store = store
        self.root = root
        self.stop = stop
        self.local = isinstance(store, LocalBlobStore)

    def batch(self, files: list[str]) -> tuple[list[tuple[str, int, str, str]], list[str]]:
        """Small files are read whole, hashed and stored from memory; large ones are handed back."""
        rows, large = [], []
        for rel in files:
            if self.stop is not None and self.stop.is_set():
                raise InvalidInput("ingest stopped")
            data = _read_small(rel, f"{self.root}/{rel}")
            if data is None:
                large.append(rel)
                continue
            sha = hashlib.sha256(data).hexdigest()
            self.store.put_bytes(sha, data)  # skipped when the blob is already stored
            rows.append((rel, len(data), sha, media_type(rel, data[:16])))
        return rows, large

    def large(self, rel: str) -> tuple[list[tuple[str, int, str, str]], list[str]]:
        path = f"{self.root}/{rel}"
        if not self.local:
            sha, size, head = _digest(rel, path)
            self.store.put_file(sha, Path(path))
            return [(rel, size, sha, media_type(rel, head))], []
        # Local store: the kernel copies the file on another core while this thread hashes it.
        tmp = self.store.temp_path()
        failure: list[BaseException] = []

        def copy() -> None:
            try:
                shutil.copyfile(path, tmp)
            except BaseException as exc:  # noqa: BLE001 (re-raised in the hashing thread)
                failure.append(exc)

        copier = threading.Thread(target=copy, name="accord-copy")
        copier.start()
        try:
            sha, size, head = _digest(rel, path)
        finally:
            copier.join()
        if failure:
            tmp.unlink(missing_ok=True)
            raise InvalidInput(f"cannot read {rel}: {getattr(failure[0], 'strerror', None) or failure[0]}")
        self.store.put_temp(tmp, sha)
        return [(rel, size, sha, media_type(rel, head))], []


def _read_small(rel: str, path: str) -> bytes | None:
    """The whole file, or None when it is larger than SMALL."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise InvalidInput(f"cannot read {rel}: {exc.strerror}") from None
    try:
        size = os.fstat(fd).st_size
        if size > SMALL:
            return None
        data = os.read(fd, size + 1)
        if len(data) > size:  # the file grew while we read it
            parts = [data]
            while part := os.read(fd, CHUNK):
                parts.append(part)
            data = b"".join(parts)
        return data
    except OSError as exc:
        raise InvalidInput(f"cannot read {rel}: {exc.strerror}") from None
    finally:
        os.close(fd)


def _digest(rel: str, path: str) -> tuple[str, int, bytes]:
    digest = hashlib.sha256()
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    size = 0
    head = b""
    try:
        with open(path, "rb", buffering=0) as f:
            while n := f.readinto(buf):
                if not head:
                    head = bytes(view[:16])
                digest.update(view[:n])
                size += n
    except OSError as exc:
        raise InvalidInput(f"cannot read {rel}: {exc.strerror}") from None
    return digest.hexdigest(), size, head


# --- labels, manifest and the one transaction ---------------------------------------------------------------

def _labelled(rows: list[tuple], labels: dict) -> list[tuple]:
    """Sorted (path, size, sha256, media_type, subject, attributes, preview); every label must match a file."""
    rows.sort()
    items = []
    for path, size, sha, kind in rows:
        subject, attributes, preview = labels.pop(path, (None, {}, False))
        items.append((path, size, sha, kind, subject, attributes, preview))
    if labels:
        missing = sorted(labels)
        raise InvalidInput(f"{SIDECAR} labels {missing[0]!r}, which is not in the source "
                           f"({len(missing)} such path(s))")
    return items


def _store_manifest(store, items: list[tuple]) -> str:
    tmp = store.temp_path()
    try:
        with open(tmp, "wb") as out:
            sha, _ = manifest.write((row[:6] for row in items), out)
        store.put_temp(tmp, sha)
    finally:
        tmp.unlink(missing_ok=True)
    return sha


def _save(rt, version_id: int, items: list[tuple], manifest_sha: str, *, actor, source: str) -> int:
    """Everything the database learns from an ingest, in one transaction; returns the count of new blobs."""
    now = utcnow()
    sizes = {row[2]: row[1] for row in items}
    with rt.session() as db, unit_of_work(db):
        version = db.get(DatasetVersion, version_id, with_for_update=True, populate_existing=True)
        if version is None:
            raise NotFound("the dataset version was deleted during the ingest")
        _require_empty_draft(db, version)  # a concurrent ingest may have finished first
        if manifest_sha not in sizes:
            sizes[manifest_sha] = rt.store.size(manifest_sha)
        new_blobs = _insert_blobs(db, sizes, now)
        _insert_items(db, version_id, items)
        version.file_count = len(items)
        version.total_bytes = sum(row[1] for row in items)
        version.root_hash = manifest_sha
        version.manifest_sha256 = manifest_sha
        version.ingested_at = now
        audit.record(db, actor=actor, action="dataset_version.ingested", object=("dataset_version", version_id),
                     data={"source": source, "file_count": version.file_count, "total_bytes": version.total_bytes,
                           "root_hash": manifest_sha, "new_blobs": new_blobs})
    return new_blobs


def _insert_blobs(db, sizes: dict[str, int], now) -> int:
    """Blob rows for hashes not yet known (both databases skip conflicts); returns how many were new."""
    rows = list(sizes.items())
    new = 0
    if db.get_bind().dialect.name == "sqlite":
        # Straight to the driver (see _insert_items); the timestamp is written as SQLAlchemy writes it.
        sql = "INSERT INTO blob (sha256, size, created_at) VALUES (?, ?, ?) ON CONFLICT (sha256) DO NOTHING"
        stamp = now.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
        connection = db.connection()
        for i in range(0, len(rows), ROWS_PER_INSERT):
            new += connection.exec_driver_sql(sql, [(sha, size, stamp) for sha, size in
                                                    rows[i:i + ROWS_PER_INSERT]]).rowcount
        return new
    statement = postgresql_insert(Blob.__table__).on_conflict_do_nothing(index_elements=["sha256"]).returning(
        Blob.__table__.c.sha256)
    for i in range(0, len(rows), ROWS_PER_INSERT):
        new += len(db.execute(statement, [{"sha256": sha, "size": size, "created_at": now}
                                          for sha, size in rows[i:i + ROWS_PER_INSERT]]).all())
    return new


ITEM_COLUMNS = ("version_id", "path", "size", "sha256", "media_type", "subject", "attributes", "preview")


def _insert_items(db, version_id: int, items: list[tuple]) -> None:
    if db.get_bind().dialect.name == "sqlite":
        # Straight to the driver: SQLAlchemy's per-row type processing costs more than SQLite's own insert.
        # attributes is a JSON column, stored by SQLAlchemy as json.dumps text, so the same text is written here.
        sql = f"INSERT INTO item ({', '.join(ITEM_COLUMNS)}) VALUES ({', '.join('?' * len(ITEM_COLUMNS))})"
        connection = db.connection()
        for i in range(0, len(items), ROWS_PER_INSERT):
            connection.exec_driver_sql(sql, [
                (version_id, path, size, sha, kind, subject, json.dumps(attributes) if attributes else "{}",
                 int(preview))
                for path, size, sha, kind, subject, attributes, preview in items[i:i + ROWS_PER_INSERT]])
        return
    for i in range(0, len(items), ROWS_PER_INSERT):
        db.execute(insert(Item.__table__), [dict(zip(ITEM_COLUMNS, (version_id, *row)))
                                            for row in items[i:i + ROWS_PER_INSERT]])
