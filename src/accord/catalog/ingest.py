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
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

from sqlalchemy import insert, select

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
BATCH_FILES = 256  # small files per pool task: amortises the task overhead
BATCH_BYTES = 64 * 1024 * 1024
CHUNK = 256 * 1024  # fits in L2 cache while it is hashed
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
    report(total_bytes, total_bytes, f"ingested {len(items):,} files", force=True)
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
    files: list[tuple[str, int]] = []
    labels: dict = {}
    for rel, size in walk_folder(str(root)):
        if rel == SIDECAR:
            with open(root / SIDECAR, "rb") as f:
                labels = read_labels(f)
            continue
        files.append((rel, size))
        if len(files) % 1000 == 0:
            report(0, None, f"found {len(files):,} files")
    if not files:
        return [], labels
    total = sum(size for _, size in files)
    workers = rt.settings.hash_workers or os.cpu_count() or 1
    stop = threading.Event()
    hasher = _FolderHasher(rt.store, str(root), stop)
    rows: list[tuple] = []
    done = 0
    batches = _batches(files)
    pending: set[Future] = set()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="accord-hash") as pool:
        try:
            while True:
                while len(pending) < workers * 3 and (batch := next(batches, None)) is not None:
                    pending.add(pool.submit(hasher.batch, batch))
                if not pending:
                    break
                finished, pending = wait(pending, timeout=TICK, return_when=FIRST_COMPLETED)
                for future in finished:
                    batch_rows = future.result()
                    rows.extend(batch_rows)
                    done += sum(row[1] for row in batch_rows)
                report(done, total, f"hashed {len(rows):,} of {len(files):,} files")
        except BaseException:
            stop.set()  # running batches stop at their next file; queued ones never start
            for future in pending:
                future.cancel()
            raise
    return rows, labels


def _batches(files: list[tuple[str, int]]) -> Iterator[list[tuple[str, int]]]:
    batch: list[tuple[str, int]] = []
    size = 0
    for rel, n in files:
        if n > BATCH_BYTES:
            yield [(rel, n)]
            continue
        batch.append((rel, n))
        size += n
        if len(batch) >= BATCH_FILES or size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


class _FolderHasher:
    def __init__(self, store, root: str, stop: threading.Event):
        self.store = store
        self.root = root
        self.stop = stop
        self.local = isinstance(store, LocalBlobStore)

    def batch(self, files: list[tuple[str, int]]) -> list[tuple[str, int, str, str]]:
        out = []
        for rel, size in files:
            if self.stop.is_set():
                raise InvalidInput("ingest stopped")
            path = os.path.join(self.root, rel)
            if size <= SMALL:
                data = _read_small(rel, path, size)
                sha = hashlib.sha256(data).hexdigest()
                if not self.store.exists(sha):
                    self.store.put_bytes(sha, data)
                out.append((rel, len(data), sha, media_type(rel, data[:16])))
            else:
                out.append(self._large(rel, path))
        return out

    def _large(self, rel: str, path: str) -> tuple[str, int, str, str]:
        if not self.local:
            sha, size, head = _digest(rel, path)
            self.store.put_file(sha, Path(path))
            return rel, size, sha, media_type(rel, head)
        # Local store: the kernel copies the file on another core while this thread hashes it.
        tmp = self.store.temp_path()
        failure: list[BaseException] = []

        def copy() -> None:
            try:
                import shutil

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
        return rel, size, sha, media_type(rel, head)


def _read_small(rel: str, path: str, size: int) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise InvalidInput(f"cannot read {rel}: {exc.strerror}") from None
    try:
        data = os.read(fd, size + 1)
        if len(data) > size:  # the file grew since the folder was scanned
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
        version = db.get(DatasetVersion, version_id, with_for_update=True)
        if version is None:
            raise NotFound("the dataset version was deleted during the ingest")
        _require_empty_draft(db, version)  # a concurrent ingest may have finished first
        wanted = list(sizes)
        if manifest_sha not in sizes:
            wanted.append(manifest_sha)
        existing: set[str] = set()
        for i in range(0, len(wanted), 500):
            existing.update(db.scalars(select(Blob.sha256).where(Blob.sha256.in_(wanted[i:i + 500]))))
        new = [{"sha256": sha, "size": sizes.get(sha) or rt.store.size(sha), "created_at": now}
               for sha in wanted if sha not in existing]
        for i in range(0, len(new), ROWS_PER_INSERT):
            db.execute(insert(Blob.__table__), new[i:i + ROWS_PER_INSERT])
        for i in range(0, len(items), ROWS_PER_INSERT):
            db.execute(insert(Item.__table__), [
                {"version_id": version_id, "path": path, "size": size, "sha256": sha, "media_type": kind,
                 "subject": subject, "attributes": attributes, "preview": preview}
                for path, size, sha, kind, subject, attributes, preview in items[i:i + ROWS_PER_INSERT]])
        version.file_count = len(items)
        version.total_bytes = sum(row[1] for row in items)
        version.root_hash = manifest_sha
        version.manifest_sha256 = manifest_sha
        version.ingested_at = now
        audit.record(db, actor=actor, action="dataset_version.ingested", object=("dataset_version", version_id),
                     data={"source": source, "file_count": version.file_count, "total_bytes": version.total_bytes,
                           "root_hash": manifest_sha})
    return sum(1 for row in new if row["sha256"] in sizes)
