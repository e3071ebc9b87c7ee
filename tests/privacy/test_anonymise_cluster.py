"""The anonymisation job's per-image work away from the job's process: a local pool of two processes and a real
Dask cluster (a scheduler and two workers started here, reading the same blob folder) give the files the job's
own process gives, and a pool process or a worker killed while a batch is in flight loses no file."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from distributed import Client
from sqlalchemy import func, select

from accord import dbmigrate
from accord.jobs.models import Job
from accord.privacy import anonymise, anonymise_run, blur, faces
from accord.privacy.models import Anonymisation, AnonymisedFile
from accord.runtime import Runtime, build
from tests.conftest import make_settings
from tests.identity.helpers import make_user
from tests.privacy.scenes import dataset, files, jpeg, scene

ROOT = Path(__file__).resolve().parents[2]
DASK = Path(sys.executable).with_name("dask")
WAIT = 120  # seconds before a step that never happens fails the test (not a timing assertion)


def _extra_scenes(n: int) -> dict[str, bytes]:
    """More small scenes with a real face each, so a run has many batches to kill one in."""
    out = {}
    for i in range(n):
        who = ("astronaut", "grace")[i % 2]
        img = scene(who, width=150 + 8 * i, at=(10 + 9 * i, 5 + 4 * i), seed=40 + i, size=(480, 360))
        out[f"more/{who}-{i:02d}.jpg"] = jpeg(img)
    return out


CONTENTS = {**_extra_scenes(14), "notes/readme.txt": b"plain words, not an image\n"}


@pytest.fixture
def source(rt, tmp_path):
    """A published version of 21 files (19 readable images, 18 of them with a face), its curator, and the run
    of the job's own process (anonymise_workers=1) to compare with."""
    from accord.identity import service as identity

    ds_id, version_id, _items = dataset(rt, tmp_path, contents=files(CONTENTS))
    curator = make_user(rt, "curator@people.example.org")
    with rt.session() as db:
        identity.grant_role(db, identity.user_by_id(db, curator.id), "curator", dataset_id=ds_id)
        curator = identity.user_by_id(db, curator.id)
        _ = list(curator.roles)
    inline = _start(rt, version_id, curator)
    reference = _results(rt, inline)
    assert len(reference) == 21 and sum(1 for _sha, found in reference.values() if found) == 18
    return version_id, curator, inline, reference


@pytest.fixture
def runtime_with(tmp_path):
    """Second runtimes on the same database and blob folder, with other settings for where the work runs."""
    made: list[Runtime] = []

    def make(**overrides) -> Runtime:
        made.append(build(make_settings(tmp_path, **overrides)))
        dbmigrate.upgrade(made[-1].engine)
        return made[-1]

    yield make
    for runtime in made:
        runtime.engine.dispose()


def _start(rt: Runtime, version_id: int, curator) -> int:
    with rt.session() as db:
        return anonymise.start(rt, db, version_id, options=blur.Options(), actor=curator).id


def _results(rt: Runtime, run_id: int) -> dict[str, tuple[str, int]]:
    """path -> (the result's sha256, faces found), from the run's report rows."""
    with rt.session() as db:
        rows = db.scalars(select(AnonymisedFile).where(AnonymisedFile.anonymisation_id == run_id))
        return {r.path: (r.sha256, len(r.faces)) for r in rows}


def _job_of(rt: Runtime, run_id: int) -> Job:
    with rt.session() as db:
        job = db.get_one(Job, db.get_one(Anonymisation, run_id).job_id)
        db.expunge(job)
        return job


def _in_background(rt: Runtime, version_id: int, curator) -> tuple[ThreadPoolExecutor, Future]:
    """The whole job (started inline: jobs_immediate) in a thread, so the test can act while it runs."""
    thread = ThreadPoolExecutor(1)
    return thread, thread.submit(_start, rt, version_id, curator)


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


def _assert_whole(rt: Runtime, run_id: int, reference: dict[str, tuple[str, int]]) -> None:
    """Every file reported exactly once (the rows are unique by path: the count shows none came twice), with the
    results of the job's own process, and the draft filled."""
    with rt.session() as db:
        count = db.scalar(
            select(func.count()).select_from(AnonymisedFile).where(AnonymisedFile.anonymisation_id == run_id)
        )
        run_ = db.get_one(Anonymisation, run_id)
        status, files_ = run_.status, run_.files
    assert count == len(reference) == files_
    assert _results(rt, run_id) == reference
    assert status == "review"  # the cut JPEG waits for a look, as in the reference run
    job = _job_of(rt, run_id)
    assert job.status == "done" and job.result["files"] == len(reference)


# --- the local process pool --------------------------------------------------------------------------------


def test_a_local_pool_of_two_gives_the_files_the_jobs_own_process_gives(source, runtime_with):
    version_id, curator, inline, reference = source
    pooled = runtime_with(anonymise_workers=2)
    run_id = _start(pooled, version_id, curator)
    assert run_id != inline
    _assert_whole(pooled, run_id, reference)
    assert _job_of(pooled, run_id).result["ran_on"] == "2 local processes"
    assert _job_of(pooled, inline).result["ran_on"] == "the job's own process"
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
    _assert_whole(pooled, run_id, reference)


# --- a Dask cluster ----------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    address: str
    scheduler: subprocess.Popen
    workers: dict[str, subprocess.Popen] = field(default_factory=dict)
    logs: Path = Path()

    def tail(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-1500:]}" for p in sorted(self.logs.glob("*.log")))


def _spawn(cmd: list[str], log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OMP_NUM_THREADS": "1"}
    with log.open("w") as out:
        return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=log.parent)


@pytest.fixture
def cluster(tmp_path):
    """`dask scheduler` and two `dask worker`s (no nanny: a killed worker stays dead) on 127.0.0.1, each
    worker's CenterFace loaded before the test; all killed at the end."""
    assert DASK.exists(), f"{DASK} is missing: the venv needs distributed"
    logs = tmp_path / "dask"
    logs.mkdir()
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = _spawn(
        [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], logs / "scheduler.log"
    )
    found = Cluster(address, scheduler, logs=logs)
    for name in ("w0", "w1"):
        found.workers[name] = _spawn(
            [str(DASK), "worker", address, "--name", name, "--nworkers", "1", "--nthreads", "1", "--no-nanny",
             "--no-dashboard", "--host", "127.0.0.1", "--local-directory", str(logs / name)],
            logs / f"{name}.log",
        )  # fmt: skip
    try:
        with Client(address, timeout="30s", set_as_default=False) as client:
            try:
                client.wait_for_workers(2, timeout=WAIT)
            except TimeoutError:
                pytest.fail(f"the Dask workers did not join the scheduler:\n{found.tail()}")
            warm = client.run(faces.detect, np.zeros((32, 32, 3), np.uint8))
            assert len(warm) == 2 and all(v == [] for v in warm.values())
        yield found
    finally:
        for proc in [*found.workers.values(), scheduler]:
            proc.kill()
            proc.wait()


def test_a_dask_cluster_gives_the_files_the_jobs_own_process_gives(source, runtime_with, cluster):
    version_id, curator, _inline, reference = source
    on_dask = runtime_with(dask_scheduler=cluster.address)
    run_id = _start(on_dask, version_id, curator)
    _assert_whole(on_dask, run_id, reference)
    assert _job_of(on_dask, run_id).result["ran_on"] == f"Dask at {cluster.address}"
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
    _assert_whole(on_dask, run_id, reference)
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
