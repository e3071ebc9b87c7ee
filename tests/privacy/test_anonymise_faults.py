"""Faults of the places an anonymisation's images are read: an image that kills any process reading it (a local
pool's or a Dask worker's) is reported by name while the rest go on, and a Dask cluster with no worker, or one
too slow to answer, fails the run with a reason instead of hanging it."""

from __future__ import annotations

import logging
import multiprocessing
import os

import pytest
from distributed import Client
from sqlalchemy import select

from accord.privacy import anonymise, anonymise_run, pool
from accord.privacy.models import Anonymisation, AnonymisedFile
from accord.runtime import Runtime
from tests.identity.helpers import make_curator
from tests.privacy.cluster import ROOT, WAIT, assert_whole, job_of, results, start_cluster, start_run
from tests.privacy.scenes import dataset, files, jpeg, scene

POISON = "more/poison.jpg"
CRASH_HOOK = """
import os, signal
from accord.privacy import blur
_anonymise = blur.anonymise
def anonymise(data, *args, **kwargs):
    if data.endswith(b"<crash the reader>"):
        os.kill(os.getpid(), signal.SIGSEGV)  # as a bug in a native decoder would
    return _anonymise(data, *args, **kwargs)
blur.anonymise = anonymise
"""


@pytest.fixture
def poisoned(rt, tmp_path):
    """A published version whose POISON image kills any process of a pool or cluster that reads it (a
    sitecustomize those processes load; the test's own process does not), the run of the job's own process
    over it, and the environment that arms the crash."""

    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(CRASH_HOOK)
    poison = jpeg(scene("grace", width=200, at=(30, 30), seed=77)) + b"<crash the reader>"
    ds_id, version_id, _items = dataset(rt, tmp_path, "poisoned", contents=files({POISON: poison}))
    curator = make_curator(rt, "curator@people.example.org", ds_id)
    reference = results(rt, start_run(rt, version_id, curator))
    return version_id, curator, reference, {"PYTHONPATH": f"{hook}{os.pathsep}{ROOT / 'src'}"}


def _killed_reader(rt: Runtime, run_id: int, reference: dict[str, tuple[str, int]]) -> None:
    """The poison image is kept as it was and flagged by name; every other file is as the reference run has it."""
    with rt.session() as db:
        row = db.scalars(
            select(AnonymisedFile).where(AnonymisedFile.anonymisation_id == run_id, AnonymisedFile.path == POISON)
        ).one()
        status = db.get_one(Anonymisation, run_id).status
    assert (row.problem, row.look, row.sha256 == row.source_sha256) == (pool.KILLER, True, True)
    assert anonymise_run.UNREADABLE in row.flags and row.size > 0
    got = results(rt, run_id)
    assert {p: r for p, r in got.items() if p != POISON} == {p: r for p, r in reference.items() if p != POISON}
    assert status == "review" and job_of(rt, run_id).status == "done"


def test_an_image_that_kills_pool_processes_is_named_and_the_rest_go_on(poisoned, runtime_with, monkeypatch, caplog):
    version_id, curator, reference, env = poisoned
    for name, value in env.items():
        monkeypatch.setenv(name, value)  # the pool's processes are spawned with this environment
    monkeypatch.setattr(pool, "POOL_RETRIES", 0)  # the batch once, then its images one at a time
    pooled = runtime_with(anonymise_workers=2)
    with caplog.at_level(logging.WARNING, logger="accord.privacy"):
        run_id = start_run(pooled, version_id, curator)
    assert "kills the process reading it" in caplog.text
    _killed_reader(pooled, run_id, reference)
    assert multiprocessing.active_children() == []


def test_an_image_that_kills_dask_workers_is_named_and_the_rest_go_on(poisoned, runtime_with, tmp_path, monkeypatch):
    version_id, curator, reference, env = poisoned
    # a nanny starts a killed worker again; the scheduler gives an image up after the first worker dies with it
    found = start_cluster(tmp_path, nanny=True, env={**env, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"})
    try:
        on_dask = runtime_with(dask_scheduler=found.address)
        _killed_reader(on_dask, start_run(on_dask, version_id, curator), reference)
        # a cluster too busy (or stuck) to answer within the wait fails the run rather than hang it
        with Client(found.address, timeout="30s", set_as_default=False) as client:
            client.wait_for_workers(2, timeout=WAIT)  # the killed worker is back
        monkeypatch.setattr(pool, "DASK_CHECK", 0.001)
        monkeypatch.setattr(pool, "DASK_BATCH_WAIT", 0.001)
        job = job_of(on_dask, start_run(on_dask, version_id, curator))
        assert (job.status, job.error) == (
            "failed",
            f"the Dask cluster at {found.address} gave no result in 0 s: resume when it has room",
        )
    finally:
        found.stop()


def test_a_dask_scheduler_with_no_worker_fails_the_run_with_a_reason_and_it_can_be_resumed(
    source, rt, runtime_with, tmp_path, monkeypatch
):
    version_id, curator, _inline, reference = source
    monkeypatch.setattr(pool, "DASK_CHECK", 0.5)
    monkeypatch.setattr(pool, "DASK_NO_WORKER_WAIT", 1.0)
    empty = start_cluster(tmp_path, workers=0)
    try:
        on_dask = runtime_with(dask_scheduler=empty.address)
        run_id = start_run(on_dask, version_id, curator)
        job = job_of(on_dask, run_id)
        assert job.status == "failed" and job.error == (
            f"the Dask scheduler at {empty.address} has no workers: start some, then resume"
        )
        with on_dask.session() as db:
            assert db.get_one(Anonymisation, run_id).status == "failed"
    finally:
        empty.stop()
    with rt.session() as db:  # resumed by a server whose work runs in the job's own process
        assert anonymise.resume(rt, db, run_id, actor=curator).id == run_id
    assert_whole(rt, run_id, reference)
