"""The dashboard's cost is a fixed number of SQL statements: the page, its JSON and a CSV send as many for ten
applications as for ten thousand (with their grants and downloads), on SQLite and PostgreSQL."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from accord.access.models import Application
from accord.db import utcnow
from tests.identity.helpers import api_token, log_in, make_user
from tests.insights import world

ASKED = {
    "page": "/admin/dashboard",
    "dataset page": "/admin/datasets/crowd/dashboard",
    "csv": "/admin/datasets/crowd/dashboard/applications.csv",
    "api": "/api/v1/dashboard",
}


@contextmanager
def statements(engine):
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.fixture
def web(db_rt):
    from accord.web.app import create_app

    with TestClient(create_app(db_rt), base_url="http://testserver") as c:
        yield c


def costs(web, engine, token: str) -> dict[str, int]:
    found = {}
    for name, path in ASKED.items():
        headers = {"Authorization": f"Bearer {token}"} if path.startswith("/api/") else {}
        assert web.get(path, headers=headers).status_code == 200, path  # warm: the first of a kind may differ
        with statements(engine) as seen:
            answer = web.get(path, headers=headers)
        assert answer.status_code == 200, (path, answer.text[:300])
        found[name] = len(seen)
    return found


def test_the_dashboard_costs_the_same_statements_for_10_and_for_10000_applications(db_rt, web):
    start = utcnow().replace(microsecond=0) - world.timedelta(weeks=12)
    with db_rt.session() as db:
        crowd, _ = world.dataset(db, "crowd")
        world.many(db, crowd, 10, start=start, tag="a")
    make_user(db_rt, "admin@lab.example", "admin")
    token = api_token(db_rt, "admin@lab.example")
    log_in(web, "admin@lab.example")
    small = costs(web, db_rt.engine, token)
    with db_rt.session() as db:
        world.many(db, crowd, 10_000 - 10, start=start + world.timedelta(hours=2), tag="b")
        assert db.scalar(select(func.count()).select_from(Application)) == 10_000
    large = costs(web, db_rt.engine, token)
    assert small == large
    assert max(large.values()) <= 25, large  # a handful per chart, not one per row
    board = web.get("/api/v1/dashboard", headers={"Authorization": f"Bearer {token}"}).json()
    submitted = next(f["value"] for f in board["figures"] if f["key"] == "applications")
    assert submitted == 10_000  # the large world was counted
