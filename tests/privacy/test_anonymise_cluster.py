"""The anonymisation job's per-image work away from the job's process: a local pool of two processes and a real
Dask cluster (a scheduler and two workers started here, reading the same blob folder) give the files the job's
own process gives, and a pool process or a worker killed while a batch is in flight loses no file."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import time
from concurrent.futures import Future, ThreadPoolExecutor

import pytest
from distributed import Client
from sqlalchemy import func, select

from accord.privacy import anonymise_run
from accord.privacy.models import AnonymisedFile
from accord.runtime import Runtime
from tests.privacy.cluster import WAIT, assert_whole, job_of, start_run


def _in_background(rt: Runtime, version_id: int, curator) -> tuple[ThreadPoolExecutor, Future]:
    """The whole job (started inline: jobs_immediate) in a thread, so the test can act while it runs."""
    thread = ThreadPoolExecutor(1)
    return thread, thread.submit(start_run, rt, version_id, curator)


def _first_batch_committed(rt: Runtime, after_run: int, running: Future) -> None:
    """Wait until a run newer than `after_run` has committed report rows (a batch is done, others are left)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        with rt.session() as db:
            query = select(func.count()).where(AnonymisedFile.anonymisation_id > after_run)
            if db.scalar(query.select_from(AnonymisedFile)):
                return
        if running.done():
            running.result()  # an error in the job says more than the wait would
            pytest.fail("the job finished before the test saw its first batch")
        time.sleep(0.02)
    pytest.fail(f"no batch was committed within {WAIT} s")


# --- the local process pool --------------------------------------------------------------------------------


def test_a_local_pool_of_two_gives_the_files_the_jobs_own_process_gives(source, runtime_with):
    version_id, curator, inline, reference = source
    pooled = runtime_with(anonymise_workers=2)
    run_id = start_run(pooled, version_id, curator)
    assert run_id != inline
    assert_whole(pooled, run_id, reference)
    assert job_of(pooled, run_id).result["ran_on"] == "2 local processes"
    assert job_of(pooled, inline).result["ran_on"] == "the job's own process"
    assert multiprocessing.active_children() == []  # the pool was stopped with the job


def test_a_pool_process_killed_mid_batch_loses_no_file(source, runtime_with, monkeypatch, caplog):
    version_id, curator, inline, reference = source
    monkeypatch.setattr(anonymise_run, "BATCH", 2)
    pooled = runtime_with(anonymise_workers=2)
    thread, running = _in_background(pooled, version_id, curator)
    with thread, caplog.at_level(logging.WARNING, logger="accord.privacy"):
        _first_batch_committed(pooled, inline, running)
        children = multiprocessing.active_children()  # the pool's processes: this test starts no other
        assert len(children) == 2
        os.kill(children[0].pid, signal.SIGKILL)
        run_id = running.result(timeout=WAIT)
    assert "a pool process died" in caplog.text  # the kill did land in the run, and its batch was run again
    assert_whole(pooled, run_id, reference)


# --- a Dask cluster ----------------------------------------------------------------------------------------


def test_a_dask_cluster_gives_the_files_the_jobs_own_process_gives(source, runtime_with, cluster):
    version_id, curator, _inline, reference = source
    on_dask = runtime_with(dask_scheduler=cluster.address)
    run_id = start_run(on_dask, version_id, curator)
    assert_whole(on_dask, run_id, reference)
    assert job_of(on_dask, run_id).result["ran_on"] == f"Dask at {cluster.address}"
    with Client(cluster.address, timeout="30s", set_as_default=False) as client:
        ran = client.run(lambda dask_worker: dask_worker.state.executed_count)
    assert len(ran) == 2 and all(n > 0 for n in ran.values()), ran  # both workers took images


def test_a_dask_worker_killed_mid_job_loses_no_file(source, runtime_with, cluster, monkeypatch):
    version_id, curator, inline, reference = source
    monkeypatch.setattr(anonymise_run, "BATCH", 8)  # results stay on the workers until the batch's last is done
    on_dask = runtime_with(dask_scheduler=cluster.address)
    thread, running = _in_background(on_dask, version_id, curator)
    with thread, Client(cluster.address, timeout="30s", set_as_default=False) as client:
        _first_batch_committed(on_dask, inline, running)
        w0 = next(a for a, w in client.scheduler_info()["workers"].items() if w["name"] == "w0")
        lost = _processing(client, w0, running)
        cluster.workers["w0"].send_signal(signal.SIGKILL)
        assert cluster.workers["w0"].wait(timeout=WAIT) == -signal.SIGKILL
        run_id = running.result(timeout=WAIT)
        left = [w["name"] for w in client.scheduler_info()["workers"].values()]
        story = client.run_on_scheduler(lambda dask_scheduler, keys=lost: dask_scheduler.story(*keys))
    assert_whole(on_dask, run_id, reference)
    assert left == ["w1"]  # the rest of the job ran on the worker left
    # the image w0 had in hand went back to waiting when w0 died, and was computed again (on w1)
    # what w0 had of the batch (an image being computed, or its result not yet fetched) was dropped when it died
    # and computed again
    moves = [(t.key, t.start, t.finish, t.stimulus_id.rsplit("-", 1)[0]) for t in story]
    dropped = [m for m in moves if m[2:] == ("released", "handle-worker-cleanup")]
    assert dropped, moves
    key, start = dropped[0][0], moves.index(dropped[0])
    assert (key, "processing", "memory") in [m[:3] for m in moves[start:]], moves


def _processing(client, worker: str, running: Future) -> list[str]:
    """Wait until the scheduler has given `worker` an image of the job (the one it is then killed with)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline and not running.done():
        if keys := list(client.processing(workers=[worker]).get(worker, ())):
            return keys
        time.sleep(0.005)
    pytest.fail("the worker to kill was never given an image of the job")
