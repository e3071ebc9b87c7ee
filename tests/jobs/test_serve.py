"""`accord serve` for real: granian answers HTTP and the in-process worker drains the SQLite job queue."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from accord import dbmigrate
from accord.catalog import service as catalog
from accord.catalog.jobs import start_ingest
from accord.jobs import service as jobs
from accord.runtime import build
from tests.conftest import make_settings
from tests.jobs.archives import image_zip
from tests.smtp import free_port

DEADLINE = 60.0


def accord(*args: str, env: dict) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("accord")
    return subprocess.Popen([str(exe), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(check, proc: subprocess.Popen, what: str):
    """Call `check` until it returns something truthy; waiting on the process, which may die meanwhile."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        try:
            proc.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            continue
        pytest.fail(f"`accord` exited ({proc.returncode}) before {what}:\n{proc.stdout.read()}")
    proc.terminate()
    pytest.fail(f"no {what} within {DEADLINE:.0f}s:\n{proc.communicate(timeout=10)[0]}")


def test_accord_serve_answers_http_and_runs_queued_jobs(tmp_path):
    settings = make_settings(tmp_path, jobs_immediate=False)
    rt = build(settings)
    dbmigrate.upgrade(rt.engine)
    with rt.session() as db:
        ds = catalog.create_dataset(db, slug="served", title="Served", custodian="Lab", actor="cli")
        catalog.create_version(db, ds.id, label="1", actor="cli")
    port = free_port()
    env = {
        **os.environ,
        "ACCORD_DATA_DIR": str(settings.data_dir),
        "ACCORD_SECRET_KEY": settings.secret_key.get_secret_value(),
        "ACCORD_JOBS_IMMEDIATE": "false",
    }
    proc = accord("serve", "--port", str(port), env=env)
    try:

        def home():
            try:
                return httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
            except httpx.TransportError:
                return None

        assert wait_for(home, proc, "the web server answered").status_code == 200

        # Queued by another process (as a web worker does); the serve process's worker must pick it up.
        job = start_ingest(rt, "served", "1", image_zip(tmp_path / "a.zip", count=3), actor="cli", uploaded=False)

        def finished():
            with rt.session() as db:
                row = jobs.get(db, job.id)
            return row if row.status in jobs.FINISHED else None

        row = wait_for(finished, proc, f"job {job.id} finished")
        assert row.status == "done" and row.result["file_count"] == 3, row.error
    finally:
        proc.terminate()
        output = proc.communicate(timeout=20)[0]
        rt.engine.dispose()
    assert f"Accord is running at http://127.0.0.1:{port}" in output
    assert proc.returncode == 0, output
    # The in-process worker is quiet: no consumer banner, no line per job to bury the address above.
    assert "Huey consumer started" not in output and "executed in" not in output


def test_accord_worker_refuses_to_start_when_jobs_run_inline(tmp_path):
    env = {**os.environ, "ACCORD_DATA_DIR": str(tmp_path), "ACCORD_JOBS_IMMEDIATE": "true"}
    proc = accord("worker", env=env)
    output = proc.communicate(timeout=60)[0]
    assert proc.returncode == 2 and "there is nothing to consume" in " ".join(output.split())


def served_env(settings) -> dict:
    return {
        **os.environ,
        "ACCORD_DATA_DIR": str(settings.data_dir),
        "ACCORD_SECRET_KEY": settings.secret_key.get_secret_value(),
        "ACCORD_JOBS_IMMEDIATE": "false",
    }


def stop(proc: subprocess.Popen) -> str:
    """SIGTERM, as a service manager stops it; the output, once it has exited."""
    proc.send_signal(signal.SIGTERM)
    return proc.communicate(timeout=30)[0]


def test_accord_worker_alone_runs_queued_jobs_and_stops_on_sigterm(tmp_path):
    settings = make_settings(tmp_path, jobs_immediate=False)
    rt = build(settings)
    dbmigrate.upgrade(rt.engine)
    with rt.session() as db:
        ds = catalog.create_dataset(db, slug="worked", title="Worked", custodian="Lab", actor="cli")
        catalog.create_version(db, ds.id, label="1", actor="cli")
    job = start_ingest(rt, "worked", "1", image_zip(tmp_path / "a.zip", count=2), actor="cli", uploaded=False)
    proc = accord("worker", "--threads", "1", "--no-periodic", env=served_env(settings))
    try:

        def finished():
            with rt.session() as db:
                row = jobs.get(db, job.id)
            return row if row.status in jobs.FINISHED else None

        row = wait_for(finished, proc, f"job {job.id} finished")
        assert row.status == "done" and row.result["file_count"] == 2, row.error
    finally:
        output = stop(proc)
        rt.engine.dispose()
    assert "job worker with 1 thread(s)" in output and str(settings.data_dir / "jobs.db") in output
    assert proc.returncode == 0, output


def test_accord_serve_reload_without_a_worker_answers_http_and_stops_on_sigterm(tmp_path):
    """The development server (uvicorn, restarting on code changes), with jobs left to `accord worker`."""
    settings = make_settings(tmp_path, jobs_immediate=False)
    rt = build(settings)
    dbmigrate.upgrade(rt.engine)
    rt.engine.dispose()
    port = free_port()
    proc = accord("serve", "--reload", "--no-worker", "--port", str(port), env=served_env(settings))
    try:

        def health():
            try:
                return httpx.get(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=2)
            except httpx.TransportError:
                return None

        answer = wait_for(health, proc, "the development server answered")
        assert answer.status_code == 200 and answer.json()["openapi"].startswith("3.")
    finally:
        output = stop(proc)
    assert f"Accord is running at http://127.0.0.1:{port}" in output and "job worker" not in output
    assert proc.returncode == 0, output


def test_accord_serve_with_jobs_inline_runs_no_worker_and_serves_from_two_processes(tmp_path):
    """ACCORD_JOBS_IMMEDIATE: jobs run inside the request, so `serve` starts no job worker; `--workers 2` starts
    two granian processes (spawned, not forked), and SIGTERM stops them all."""
    settings = make_settings(tmp_path, jobs_immediate=True)
    rt = build(settings)
    dbmigrate.upgrade(rt.engine)
    rt.engine.dispose()
    port = free_port()
    env = {**served_env(settings), "ACCORD_JOBS_IMMEDIATE": "true"}
    proc = accord("serve", "--workers", "2", "--port", str(port), env=env)
    try:

        def home():
            try:
                return httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
            except httpx.TransportError:
                return None

        assert wait_for(home, proc, "the web server answered").status_code == 200
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            answers = [client.get("/api/v1/openapi.json") for _ in range(4)]
        assert all(a.status_code == 200 and a.json()["openapi"].startswith("3.") for a in answers)
    finally:
        output = stop(proc)
    assert f"Accord is running at http://127.0.0.1:{port}" in output and "job worker" not in output
    assert "Spawning worker-2" in output and "Stopped worker-1" in output and "Stopped worker-2" in output
    assert proc.returncode == 0, output


def test_links_name_the_port_served_unless_the_base_url_is_set(monkeypatch):
    from accord.cli.serve import own_address
    from accord.config import Settings

    monkeypatch.delenv("ACCORD_BASE_URL", raising=False)
    own_address("127.0.0.1", 8765)  # make demo PORT=8765: mails and pages must not point at :8000
    assert Settings().base_url == "http://127.0.0.1:8765"
    monkeypatch.setenv("ACCORD_BASE_URL", "https://data.lab.example")
    own_address("127.0.0.1", 8766)
    assert Settings().base_url == "https://data.lab.example"
    monkeypatch.delenv("ACCORD_BASE_URL")
    own_address("0.0.0.0", 8767)  # every interface: no one name to give, the setting's default stays
    assert Settings().base_url == "http://127.0.0.1:8000"
