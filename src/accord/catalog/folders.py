"""Staging a folder: every file hashed and stored by a pool of workers over batches of files.

hashlib and file I/O release the GIL, so threads hash large files on every core; batches of small files go
to worker processes when there are many (see _process_pool). A file larger than SMALL gets a task of its own.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import multiprocessing
import os
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accord.catalog.sources import SIDECAR, Label, Report, Staged, media_type, read_labels, walk_folder
from accord.errors import InvalidInput
from accord.storage import BlobStore, LocalBlobStore

if TYPE_CHECKING:
    from accord.runtime import Runtime

IndexRow = tuple[str, str, int, int]  # a packed blob's index row (LocalBlobStore.add_index)
Batch = tuple[list[Staged], list[str], list[IndexRow]]  # a worker process's rows, files passed over, index rows

SMALL = 4 * 1024 * 1024  # read in one call and stored from memory
BATCH_FILES = 128  # files per pool task: amortises the task overhead
BATCH_BYTES = 16 * 1024 * 1024  # a batch stores what it has read once it holds this much
CHUNK = 256 * 1024  # fits in L2 cache while it is hashed
COPY_CHUNK = 64 * 1024 * 1024
PROCESS_MIN_FILES = 2000  # from this many files on, small files are hashed in worker processes
TICK = 0.25


def stage_folder(
    rt: Runtime, root: Path, report: Report, *, workers: int = 0
) -> tuple[list[Staged], dict[str, Label], list[IndexRow]]:
    """Hash and store every file under root; returns rows (path, size, sha256, media_type), the labels and
    the pack index rows of blobs stored by worker processes, which the caller must add (store.add_index)
    before it commits anything that refers to them: it can do so while it writes the manifest and rows."""
    # The whole tree is checked (links, special files) before any blob is written. The scan reads no file
    # sizes: that stat per file would run on one core, so the workers fstat the files they open instead.
    files: list[str] = []
    labels: dict[str, Label] = {}
    for rel in walk_folder(str(root)):
        if rel == SIDECAR:
            with open(root / SIDECAR, "rb") as f:
                labels = read_labels(f)
            continue
        files.append(rel)
        if len(files) % 10_000 == 0:
            report(0, None, f"found {len(files):,} files")
    if not files:
        return [], labels, []
    workers = workers or os.cpu_count() or 1
    stop = threading.Event()
    hasher = FolderHasher(rt.store, str(root), stop)
    rows: list[Staged] = []
    large: list[str] = []  # files a batch passed over; each becomes a task of its own
    index: list[IndexRow] = []  # pack index rows of the blobs worker processes stored
    batches = (files[i : i + BATCH_FILES] for i in range(0, len(files), BATCH_FILES))
    pending: set[Future[Any]] = set()  # threads give (rows, passed over); processes a Batch, with index rows
    store = rt.store
    processes = _process_pool(store, workers, len(files))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="accord-hash") as pool:
        try:
            while True:
                while len(pending) < workers * 3:
                    if large:
                        pending.add(pool.submit(hasher.large, large.pop()))
                    elif (batch := next(batches, None)) is None:
                        break
                    elif processes and isinstance(store, LocalBlobStore):  # (processes only for a local store)
                        pending.add(processes.submit(_batch_in_process, str(store.root), str(root), batch))
                    else:
                        pending.add(pool.submit(hasher.batch, batch))
                if not pending:
                    break
                finished, pending = wait(pending, timeout=TICK, return_when=FIRST_COMPLETED)
                for future in finished:
                    batch_rows, passed_over, *unindexed = future.result()
                    rows.extend(batch_rows)
                    large.extend(passed_over)
                    if unindexed:
                        index.extend(unindexed[0])
                report(len(rows), len(files), f"hashed {len(rows):,} of {len(files):,} files")
        except BaseException:
            stop.set()  # running batches stop at their next file; queued ones never start
            for future in pending:
                future.cancel()
            if processes:
                processes.shutdown(wait=True, cancel_futures=True)
            if index and isinstance(
                store, LocalBlobStore
            ):  # the blobs stored so far are indexed, so a re-run finds them (a failure here would
                with contextlib.suppress(Exception):  # only hide the error that stopped the ingest)
                    store.add_index(index)
            raise
        if processes:
            processes.shutdown(wait=True, cancel_futures=True)
    # The worker processes' blobs become readable when the caller adds these rows, in one sorted transaction
    # (the same content in two batches may be packed twice; the index keeps one copy).
    return rows, labels, index


def _process_pool(store: BlobStore, workers: int, file_count: int) -> ProcessPoolExecutor | None:
    """Worker processes for batches of small files going to a local store, or None to use threads.

    Per file there is ~12 us of Python between the GIL-free hashing and system calls; two threads queue for
    the GIL and barely beat one, two processes run 1.8x faster (measured on two cores). forkserver, not fork:
    the children never inherit locks that another thread (OpenSSL, the database pool) held at fork time.
    Small ingests stay on threads, where starting the processes would cost more than it saves.
    """
    if (
        workers < 2
        or file_count < PROCESS_MIN_FILES
        or not isinstance(store, LocalBlobStore)
        or "forkserver" not in multiprocessing.get_all_start_methods()
    ):
        return None
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["accord.catalog.folders"])  # only what a worker needs (no SQLAlchemy)
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


_stores: dict[str, LocalBlobStore] = {}  # one per worker process: its pack and index connection stay open


def _batch_in_process(store_root: str, root: str, files: list[str]) -> Batch:
    """A batch in a worker process: its blobs' index rows go back with its items (see stage_folder)."""
    store = _stores.get(store_root)
    if store is None:
        store = _stores[store_root] = LocalBlobStore(Path(store_root))
    index: list[IndexRow] = []
    rows, large = FolderHasher(store, root, None).batch(files, unindexed=index)
    return rows, large, index


class FolderHasher:
    def __init__(self, store: BlobStore, root: str, stop: threading.Event | None) -> None:
        self.store = store
        self.root = root
        self.stop = stop
        self.local = isinstance(store, LocalBlobStore)

    def batch(self, files: list[str], *, unindexed: list[IndexRow] | None = None) -> tuple[list[Staged], list[str]]:
        """Small files are read whole, hashed and stored from memory; large ones are handed back.
        With `unindexed`, the caller indexes the packed blobs (LocalBlobStore.put_many)."""
        rows: list[Staged] = []
        large: list[str] = []
        blobs: list[tuple[str, bytes]] = []
        held = 0
        with self.store.batch():  # packed blobs become readable together, before the batch reports them
            for rel in files:
                if self.stop is not None and self.stop.is_set():
                    raise InvalidInput("ingest stopped")
                data = _read_small(rel, f"{self.root}/{rel}")
                if data is None:
                    large.append(rel)
                    continue
                sha = hashlib.sha256(data).hexdigest()
                blobs.append((sha, data))
                rows.append((rel, len(data), sha, media_type(rel, data[:16])))
                held += len(data)
                if held >= BATCH_BYTES:
                    self._put(blobs, unindexed)  # skips the blobs already stored
                    blobs, held = [], 0
            self._put(blobs, unindexed)
        return rows, large

    def _put(self, blobs: list[tuple[str, bytes]], unindexed: list[IndexRow] | None) -> None:
        if unindexed is None:
            self.store.put_many(blobs)
        else:
            assert isinstance(self.store, LocalBlobStore)  # only worker processes index later, on a local store
            self.store.put_many(blobs, unindexed=unindexed)

    def large(self, rel: str) -> tuple[list[Staged], list[str]]:
        path = f"{self.root}/{rel}"
        if not self.local:
            sha, size, head = _digest(rel, path)
            self.store.put_file(sha, Path(path))
            return [(rel, size, sha, media_type(rel, head))], []
        # Local store: the kernel copies the file on another core while this thread hashes it. If the blob
        # turns out to be stored already (a new version of the same files), the copy is cut short.
        tmp = self.store.temp_path()
        cancel = threading.Event()
        failure: list[BaseException] = []
        copier = threading.Thread(target=_copy, args=(path, tmp, cancel, failure), name="accord-copy")
        copier.start()
        try:
            sha, size, head = _digest(rel, path)
            if self.store.exists(sha):
                cancel.set()
        finally:
            copier.join()
        if cancel.is_set():
            tmp.unlink(missing_ok=True)
        elif failure:
            tmp.unlink(missing_ok=True)
            raise InvalidInput(f"cannot read {rel}: {getattr(failure[0], 'strerror', None) or failure[0]}")
        else:
            self.store.put_temp(tmp, sha)
        return [(rel, size, sha, media_type(rel, head))], []


def _copy(src: str, dst: Path, cancel: threading.Event, failure: list[BaseException]) -> None:
    """copy_file_range in chunks (no bytes through Python), stopping early when cancelled."""
    try:
        with open(src, "rb") as fin, open(dst, "wb") as fout:
            kernel = True
            while not cancel.is_set():
                if kernel:
                    try:
                        n = os.copy_file_range(fin.fileno(), fout.fileno(), COPY_CHUNK)
                    except OSError as exc:
                        if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
                            raise
                        kernel = False  # another filesystem or an old kernel: copy through a buffer
                        continue
                else:
                    data = fin.read(CHUNK * 16)
                    n = len(data)
                    fout.write(data)
                if not n:
                    break
    except BaseException as exc:
        failure.append(exc)


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
