"""What the anonymisation tests away from the job's process share: a published version of 21 files and the
run of the job's own process over it (the reference), second runtimes with other settings, and a real Dask
cluster (a scheduler and workers started as processes, reading the same blob folder)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from distributed import Client
from sqlalchemy import func, select

from accord import dbmigrate
from accord.jobs.models import Job
from accord.privacy import anonymise, blur, faces
from accord.privacy.models import Anonymisation, AnonymisedFile
from accord.runtime import Runtime, build
from tests.conftest import make_settings
from tests.identity.helpers import make_curator
from tests.privacy.scenes import dataset, files, jpeg, scene

ROOT = Path(__file__).resolve().parents[2]
DASK = Path(sys.executable).with_name("dask")
WAIT = 120  # seconds before a step that never happens fails the test (not a timing assertion)


def extra_scenes(n: int) -> dict[str, bytes]:
    """More small scenes with a real face each, so a run has many batches to kill one in."""
    out = {}
    for i in range(n):
        who = ("astronaut", "grace")[i % 2]
        img = scene(who, width=150 + 8 * i, at=(10 + 9 * i, 5 + 4 * i), seed=40 + i, size=(480, 360))
        out[f"more/{who}-{i:02d}.jpg"] = jpeg(img)
    return out


CONTENTS = {**extra_scenes(14), "notes/readme.txt": b"plain words, not an image\n"}


@pytest.fixture
def source(rt, tmp_path):
    """A published version of 21 files (19 readable images, 18 of them with a face), its curator, and the run
    of the job's own process (anonymise_workers=1) to compare with."""

    ds_id, version_id, _items = dataset(rt, tmp_path, contents=files(CONTENTS))
    curator = make_curator(rt, "curator@people.example.org", ds_id)
    inline = start_run(rt, version_id, curator)
    reference = results(rt, inline)
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


def start_run(rt: Runtime, version_id: int, curator) -> int:
    with rt.session() as db:
        return anonymise.start(rt, db, version_id, options=blur.Options(), actor=curator).id


def results(rt: Runtime, run_id: int) -> dict[str, tuple[str, int]]:
    """path -> (the result's sha256, faces found), from the run's report rows."""
    with rt.session() as db:
        rows = db.scalars(select(AnonymisedFile).where(AnonymisedFile.anonymisation_id == run_id))
        return {r.path: (r.sha256, len(r.faces)) for r in rows}


def job_of(rt: Runtime, run_id: int) -> Job:
    with rt.session() as db:
        job = db.get_one(Job, db.get_one(Anonymisation, run_id).job_id)
        db.expunge(job)
        return job


def assert_whole(rt: Runtime, run_id: int, reference: dict[str, tuple[str, int]]) -> None:
    """Every file reported exactly once (the rows are unique by path: the count shows none came twice), with the
    results of the job's own process, and the draft filled."""
    with rt.session() as db:
        count = db.scalar(
            select(func.count()).select_from(AnonymisedFile).where(AnonymisedFile.anonymisation_id == run_id)
        )
        run_ = db.get_one(Anonymisation, run_id)
        status, files_ = run_.status, run_.files
    assert count == len(reference) == files_
    assert results(rt, run_id) == reference
    assert status == "review"  # the cut JPEG waits for a look, as in the reference run
    job = job_of(rt, run_id)
    assert job.status == "done" and job.result["files"] == len(reference)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    address: str
    scheduler: subprocess.Popen
    workers: dict[str, subprocess.Popen] = field(default_factory=dict)
    logs: Path = Path()

    def stop(self) -> None:
        for proc in [*self.workers.values(), self.scheduler]:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def tail(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-1500:]}" for p in sorted(self.logs.glob("*.log")))


def spawn(cmd: list[str], log: Path, env: dict | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OMP_NUM_THREADS": "1", **(env or {})}
    with log.open("w") as out:
        # a session of its own: stop() takes a nanny's worker process down with it
        return subprocess.Popen(
            cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=log.parent, start_new_session=True
        )


def start_cluster(tmp_path: Path, *, workers: int = 2, nanny: bool = False, env: dict | None = None) -> Cluster:
    """`dask scheduler` and `workers` `dask worker`s on 127.0.0.1, each worker's CenterFace loaded before the
    test. Without a nanny a killed worker stays dead; with one it is started again."""
    assert DASK.exists(), f"{DASK} is missing: the venv needs distributed"
    logs = tmp_path / "dask"
    logs.mkdir()
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = spawn(
        [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        logs / "scheduler.log",
        env,
    )
    found = Cluster(address, scheduler, logs=logs)
    for name in (f"w{i}" for i in range(workers)):
        found.workers[name] = spawn(
            [str(DASK), "worker", address, "--name", name, "--nworkers", "1", "--nthreads", "1",
             "--nanny" if nanny else "--no-nanny", "--no-dashboard", "--host", "127.0.0.1",
             "--local-directory", str(logs / name)],
            logs / f"{name}.log",
            env,
        )  # fmt: skip
    try:
        with Client(address, timeout="30s", set_as_default=False) as client:
            try:
                if workers:
                    client.wait_for_workers(workers, timeout=WAIT)
            except TimeoutError:
                pytest.fail(f"the Dask workers did not join the scheduler:\n{found.tail()}")
            warm = client.run(faces.detect, np.zeros((32, 32, 3), np.uint8))
            assert len(warm) == workers and all(v == [] for v in warm.values())
    except BaseException:
        found.stop()
        raise
    return found


@pytest.fixture
def cluster(tmp_path):
    """A scheduler and two workers with no nanny (a killed worker stays dead); all killed at the end."""
    found = start_cluster(tmp_path)
    yield found
    found.stop()
