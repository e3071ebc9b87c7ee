"""Shared fixtures. Data-layer tests take `db`, which runs once on SQLite and once on PostgreSQL."""

from __future__ import annotations

import os
import secrets
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from accord import dbmigrate
from accord.config import Settings
from accord.db import make_engine
from accord.runtime import Runtime, build
from tests.identity.oidc_provider import oidc_provider  # noqa: F401  (a real OIDC provider, one per run)
from tests.smtp import smtp_server  # noqa: F401  (a real SMTP server fixture for any test)

PG_URL = os.environ.get("ACCORD_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def make_settings(tmp_path: Path, **overrides) -> Settings:
    values = {
        "data_dir": tmp_path / "data",
        "secret_key": secrets.token_urlsafe(32),
        "jobs_immediate": True,
        "base_url": "http://testserver",
        "hash_workers": 2,
        "anonymise_workers": 1,  # in the test's own process; the pool and Dask have their own tests
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def rt(settings) -> Runtime:
    """A migrated SQLite runtime with local blob storage under tmp_path."""
    runtime = build(settings)
    dbmigrate.upgrade(runtime.engine)
    yield runtime
    runtime.engine.dispose()


@pytest.fixture(scope="session")
def pg_engine():
    """A private schema in the shared `test` database, migrated once per run; dropped at the end."""
    schema = f"t_{uuid.uuid4().hex[:10]}"
    try:
        admin = make_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI but not reachable at {PG_URL}: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {exc}")
    engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    dbmigrate.upgrade(engine)
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def db_rt(backend, settings, request):
    """A runtime on either backend. On PostgreSQL everything runs inside one outer transaction that is rolled
    back afterwards; services' commits only release savepoints."""
    if backend == "sqlite":
        runtime = build(settings)
        dbmigrate.upgrade(runtime.engine)
        yield runtime
        runtime.engine.dispose()
        return
    engine = request.getfixturevalue("pg_engine")
    conn = engine.connect()
    outer = conn.begin()
    runtime = build(settings, engine=engine)
    runtime.sessions.configure(bind=conn, join_transaction_mode="create_savepoint")
    yield runtime
    outer.rollback()
    conn.close()


@pytest.fixture
def db(db_rt):
    session = db_rt.session()
    yield session
    session.close()


@pytest.fixture
def app(rt):
    from accord.web.app import create_app

    return create_app(rt)


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="http://testserver") as c:
        yield c
