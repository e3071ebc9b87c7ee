"""A real consumer (threads, in-process) runs queued jobs from the SQLite file queue and from Redis."""

from __future__ import annotations

import threading
import time

import pytest
import redis
from huey import signals

from accord import dbmigrate
from accord.catalog.jobs import start_ingest
from accord.jobs import queue
from accord.jobs import service as jobs
from accord.runtime import build
from tests.conftest import make_settings
from tests.jobs.archives import image_zip
from tests.smtp import smtp_server  # noqa: F401  (fixture)

REDIS_URL = "redis://127.0.0.1:6379/15"
DEADLINE = 60.0  # seconds; a correct run takes well under one


@pytest.fixture
def redis_db():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis is required for the job queue tests but not reachable at {REDIS_URL}: {exc}")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture(params=["sqlite", "redis"])
def queued_rt(request, tmp_path):
    """A runtime whose jobs go on a real queue (not immediate)."""
    redis_url = None
    if request.param == "redis":
        request.getfixturevalue("redis_db")
        redis_url = REDIS_URL
    runtime = build(make_settings(tmp_path, jobs_immediate=False, redis_url=redis_url))
    dbmigrate.upgrade(runtime.engine)
    yield runtime
    runtime.engine.dispose()


def wait_until_finished(rt, job_id: int, wake: threading.Event):
    """Poll the job row until it has finished; the consumer's completion signal wakes us early."""
    deadline = time.monotonic() + DEADLINE
    while True:
        with rt.session() as db:
            job = jobs.get(db, job_id)
        if job.status in jobs.FINISHED:
            return job
        if time.monotonic() > deadline:
            pytest.fail(f"job {job_id} did not finish within {DEADLINE:.0f}s (status {job.status}: {job.message})")
        wake.wait(0.2)
        wake.clear()


def test_the_queue_is_a_sqlite_file_by_default_and_redis_when_configured(queued_rt):
    from huey import RedisHuey, SqliteHuey

    expected = RedisHuey if queued_rt.settings.redis_url else SqliteHuey
    assert type(queued_rt.huey) is expected and not queued_rt.huey.immediate
    assert queue.current_runtime() is queued_rt


def test_a_queued_ingest_waits_for_a_consumer_which_then_runs_it_to_done(queued_rt, tmp_path):
    rt = queued_rt
    with rt.session() as db:
        from accord.catalog import service as catalog

        ds = catalog.create_dataset(db, slug="queued", title="Queued", custodian="Lab", actor="cli")
        catalog.create_version(db, ds.id, label="1", actor="cli")

    job = start_ingest(rt, "queued", "1", image_zip(tmp_path / "a.zip", count=4), actor="cli", uploaded=False)
    assert job.status == "queued" and rt.huey.pending_count() == 1  # nothing runs without a consumer

    wake = threading.Event()
    rt.huey.signal(signals.SIGNAL_COMPLETE, signals.SIGNAL_ERROR)(lambda *args, **kw: wake.set())
    consumer = rt.huey.create_consumer(workers=1, worker_type="thread", periodic=False)
    consumer.start()
    try:
        job = wait_until_finished(rt, job.id, wake)
    finally:
        consumer.stop(graceful=True)
    assert job.status == "done", job.error
    assert job.result["file_count"] == 4 and job.total == job.done > 0


def test_the_mail_task_runs_every_minute_and_sends_due_outbox_messages(tmp_path, smtp_server):  # noqa: F811 (the fixture)
    from datetime import datetime

    from accord.db import unit_of_work
    from accord.notify import service as notify

    rt = build(make_settings(tmp_path, smtp={"host": smtp_server.host, "port": smtp_server.port}))
    dbmigrate.upgrade(rt.engine)
    with rt.session() as db, unit_of_work(db):
        notify.enqueue(
            db,
            "verify-email",
            to="someone@example.org",
            name="Someone",
            email="someone@example.org",
            link="http://testserver/verify/x",
            site="http://testserver",
            valid_days=2,
        )

    due = [t for t in rt.huey.read_periodic(datetime(2026, 11, 23, 12, 7)) if t.name.endswith("send_mail")]
    assert len(due) == 1  # the scheduler would enqueue it this minute (and every other)
    rt.huey.execute(due[0])  # what the consumer then does, inline

    assert [m["To"] for m in smtp_server.messages] == ["someone@example.org"]
    rt.engine.dispose()


def test_the_expiry_warning_task_runs_daily_and_warns_licensees(tmp_path):
    from datetime import datetime, timedelta

    from sqlalchemy import select

    from accord.db import unit_of_work, utcnow
    from accord.entitlements import service as entitlements
    from accord.identity import service as identity
    from accord.notify.models import OutboxMessage
    from accord.policy import service as policies
    from accord.policy.io import seed
    from tests.jobs.catalogue import published_dataset

    rt = build(make_settings(tmp_path))
    dbmigrate.upgrade(rt.engine)
    dataset, _ = published_dataset(rt, tmp_path, "shhq", title="SHHQ", count=1, previews=0)
    with rt.session() as db:
        policies.set_policy(db, dataset.id, seed("shhq").model_copy(update={"access_days": 30}), actor="cli")
        ana = identity.create_user(db, email="ana@mit.edu", name="Ana", password="a long passphrase!")
        with unit_of_work(db):
            entitlements.grant(
                db,
                dataset_id=dataset.id,
                user_id=ana.id,
                policy_version=1,
                actor="cli",
                starts_at=utcnow() - timedelta(days=20),
            )
    daily = [t for t in rt.huey.read_periodic(datetime(2026, 11, 23, 6, 0)) if t.name.endswith("access_expiry")]
    assert len(daily) == 1
    assert not [t for t in rt.huey.read_periodic(datetime(2026, 11, 23, 7, 0)) if t.name.endswith("access_expiry")]
    rt.huey.execute(daily[0])
    with rt.session() as db:
        assert db.scalars(select(OutboxMessage.to).where(OutboxMessage.template == "access-expiring")).all() == [
            "ana@mit.edu"
        ]
    rt.engine.dispose()
