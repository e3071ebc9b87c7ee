"""Where an anonymisation's per-image work runs: in the job's own process, a local pool of processes, or a Dask
cluster (ACCORD_DASK_SCHEDULER). Each call reads its blob from the store and writes the result back itself, so
only a few hundred bytes of report cross between processes or machines, never the images.

Every call is idempotent (a blob's address is its hash), so a batch lost with a worker is simply run again:
Dask reschedules the tasks of a worker that died; the local pool is rebuilt and the batch resubmitted. An
image that kills whatever process reads it (a decoder crash) is found and reported as unreadable, by name,
rather than failing the whole job.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from accord.config import Settings
from accord.errors import AccordError
from accord.privacy import blur, faces
from accord.storage import BlobStore, open_store

log = logging.getLogger("accord.privacy")

POOL_RETRIES = 2  # a local batch is resubmitted this many times after its pool broke (a killed process)
KILLER = "the process reading it died (a crash in the image decoder?): not read"
DASK_CHECK = 10.0  # seconds between looks at a Dask cluster's workers while a batch is out
DASK_NO_WORKER_WAIT = 60.0  # seconds a batch may wait with no worker in the cluster before the job fails
DASK_BATCH_WAIT = 600.0  # seconds a batch may take on Dask before the job fails (a stuck or starved cluster)


@dataclass(frozen=True)
class StoreSpec:
    """Enough to open the same blob store in another process or on another machine (credentials for S3 come
    from that machine's environment, as boto3 reads them)."""

    data_dir: str
    storage_url: str | None
    s3_endpoint_url: str | None

    @classmethod
    def of(cls, settings: Settings) -> StoreSpec:
        return cls(str(Path(settings.data_dir).resolve()), settings.storage_url, settings.s3_endpoint_url)


@dataclass(frozen=True)
class Task:
    sha256: str
    boxes: tuple[tuple[float, float, float, float], ...] = ()


def anonymise_blob(spec: StoreSpec, options: dict[str, Any], task: Task) -> dict[str, Any]:
    """Anonymise one stored image and store the result. An image with no face and no metadata keeps its blob
    (re-encoding it would only lose quality); so does a file that cannot be read as an image."""
    store = _store(spec)
    with store.open(task.sha256) as fh:
        data = fh.read(faces.MAX_BYTES + 1)
    if len(data) > faces.MAX_BYTES:
        return _kept(task.sha256, len(data), None, f"larger than {faces.MAX_BYTES // 2**20} MB: not read")
    out = blur.anonymise(data, blur.Options(**options), boxes=task.boxes)
    report = {"faces": out.faces, "removed": out.removed, "flags": out.flags, "problem": out.problem}
    if out.data is None or not (out.faces or out.removed):
        return {**_kept(task.sha256, len(data), out.media_type if out.data else None, out.problem), **report}
    sha = hashlib.sha256(out.data).hexdigest()
    if not store.exists(sha):
        store.put_bytes(sha, out.data)
    return {**report, "sha256": sha, "size": len(out.data), "media_type": out.media_type}


def _kept(sha: str, size: int | None, media_type: str | None, problem: str | None) -> dict[str, Any]:
    return {"sha256": sha, "size": size, "media_type": media_type, "problem": problem, "faces": [], "removed": []}


@cache
def _store(spec: StoreSpec) -> BlobStore:
    return open_store(
        Settings(data_dir=Path(spec.data_dir), storage_url=spec.storage_url, s3_endpoint_url=spec.s3_endpoint_url)
    )


class Runner(Protocol):
    where: str  # for the report: "this process", "2 local processes", "Dask at tcp://..."

    def map(self, options: blur.Options, tasks: Sequence[Task]) -> list[dict[str, Any]]: ...


@contextmanager
def runner(settings: Settings) -> Iterator[Runner]:
    """The runner the settings ask for, closed (pool stopped, client disconnected) on the way out."""
    spec = StoreSpec.of(settings)
    if settings.dask_scheduler:
        with _DaskRunner(spec, settings.dask_scheduler) as dask_runner:
            yield dask_runner
        return
    workers = settings.anonymise_workers or os.cpu_count() or 1
    if workers == 1:
        yield _InlineRunner(spec)
        return
    local = _PoolRunner(spec, workers)
    try:
        yield local
    finally:
        local.close()


class _InlineRunner:
    def __init__(self, spec: StoreSpec):
        self.spec, self.where = spec, "the job's own process"

    def map(self, options: blur.Options, tasks: Sequence[Task]) -> list[dict[str, Any]]:
        chosen = asdict(options)
        return [anonymise_blob(self.spec, chosen, task) for task in tasks]


class _PoolRunner:
    """Processes started fresh (spawn): a fork of a worker that has loaded ONNX Runtime's threads can hang."""

    def __init__(self, spec: StoreSpec, workers: int):
        self.spec, self.workers, self.where = spec, workers, f"{workers} local processes"
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    def map(self, options: blur.Options, tasks: Sequence[Task]) -> list[dict[str, Any]]:
        chosen = asdict(options)
        for attempt in range(POOL_RETRIES + 1):
            try:
                return list(self._executor().map(_call, [(self.spec, chosen, task) for task in tasks]))
            except BrokenProcessPool:
                self.close()
                if attempt < POOL_RETRIES:
                    log.warning("a pool process died; running the batch of %d image(s) again", len(tasks))
        log.warning("the pool died %d times on a batch; running its images one at a time", POOL_RETRIES + 1)
        return [self._alone(chosen, task) for task in tasks]

    def _alone(self, chosen: dict[str, Any], task: Task) -> dict[str, Any]:
        """One image with nothing else in flight: if the pool breaks now, this image broke it."""
        try:
            return self._executor().submit(_call, (self.spec, chosen, task)).result()
        except BrokenProcessPool:
            self.close()
            log.warning("image %s kills the process reading it; reported as unreadable", task.sha256)
            return _kept(task.sha256, None, None, KILLER)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _call(args: tuple[StoreSpec, dict[str, Any], Task]) -> dict[str, Any]:
    return anonymise_blob(*args)


class _DaskRunner:
    """A client of the scheduler for the job's length. Tasks are impure (pure=False), so a batch run again
    after a failure is computed again rather than answered from a result another worker lost."""

    def __init__(self, spec: StoreSpec, address: str):
        self.spec, self.address, self.where = spec, address, f"Dask at {address}"

    def __enter__(self) -> _DaskRunner:
        from distributed import Client  # only where a cluster is configured: the import is heavy

        client: Any = Client  # distributed has no type hints
        self.client: Any = client(self.address, timeout="20s", set_as_default=False)
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def map(self, options: blur.Options, tasks: Sequence[Task]) -> list[dict[str, Any]]:
        from distributed import KilledWorker

        chosen = asdict(options)
        futures = self._submit(chosen, tasks)
        out = []
        for task, future in zip(tasks, futures, strict=True):
            if future.status == "error" and isinstance(future.exception(), KilledWorker):
                # the scheduler gave up on it after workers died holding it (distributed.scheduler.allowed-failures);
                # an image queued next to the one that killed them is caught too, so each is tried once alone
                [future] = self._submit(chosen, [task])
                if future.status == "error" and isinstance(future.exception(), KilledWorker):
                    log.warning("image %s kills the Dask workers reading it; reported as unreadable", task.sha256)
                    out.append(_kept(task.sha256, None, None, KILLER))
                    continue
            out.append(future.result())  # another error is the job's error
        return out

    def _submit(self, chosen: dict[str, Any], tasks: Sequence[Task]) -> list[Any]:
        """The tasks' futures once all are finished (or failed)."""
        import distributed

        wait: Any = distributed.wait  # distributed has no type hints
        n = len(tasks)
        futures: list[Any] = self.client.map(
            anonymise_blob, [self.spec] * n, [chosen] * n, tasks, pure=False, retries=2
        )
        waited = alone = 0.0
        while True:
            try:
                with self.client.as_current():  # wait() asks for the current client; ours is not the default
                    wait(futures, timeout=DASK_CHECK)
                return futures
            except TimeoutError:
                waited += DASK_CHECK
            # no worker for a while (a nanny restarts one in seconds): the tasks would wait for one forever
            alone = 0.0 if self.client.scheduler_info()["workers"] else alone + DASK_CHECK
            if alone >= DASK_NO_WORKER_WAIT:
                self.client.cancel(futures)
                raise AccordError(f"the Dask scheduler at {self.address} has no workers: start some, then resume")
            if waited >= DASK_BATCH_WAIT:
                self.client.cancel(futures)
                raise AccordError(
                    f"the Dask cluster at {self.address} gave no result in {waited:.0f} s: resume when it has room"
                )
