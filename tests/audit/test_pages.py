"""The audit log's page, API and CLI: administrators read every event, a dataset's curator only that dataset's;
filters, cursors, the streamed export and its offline check."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from accord.audit import service as audit
from accord.audit.models import AuditEvent
from accord.catalog import service as catalog
from accord.cli import main as cli
from accord.db import unit_of_work
from tests.cli import run
from tests.identity.helpers import api_token, log_in, make_curator, make_user


@pytest.fixture
def world(db_rt):
    """Two datasets; events about each and about neither; an admin, a curator of `ours`, a licensee."""
    with db_rt.session() as db:
        ours = catalog.create_dataset(db, slug="ours", title="Ours", custodian="Lab", actor="cli")
        theirs = catalog.create_dataset(db, slug="theirs", title="Theirs", custodian="Lab", actor="cli")
        with unit_of_work(db):
            for i in range(60):
                audit.record(db, actor="cli", action="thing.made", object=("thing", i), dataset=ours.id)
            audit.record(db, actor="jobs", action="other.done", object=("thing", 100), dataset=theirs.id)
            audit.record(db, actor="cli", action="email.sent", object=("outbox_message", 1), data={"to": "x@y.z"})
        ids = {"ours": ours.id, "theirs": theirs.id}
    make_user(db_rt, "admin@lab.example", "admin")
    make_curator(db_rt, "cura@lab.example", ids["ours"])
    make_user(db_rt, "lic@lab.example")
    return ids


@pytest.fixture
def web(db_rt):
    from accord.web.app import create_app

    with TestClient(create_app(db_rt), base_url="http://testserver") as c:
        yield c


def rows(page) -> list[str]:
    return re.findall(r'<tr id="event-\d+">.*?</tr>', page.text, re.S)


def test_an_admin_pages_through_every_event(web, world, db_rt):
    with db_rt.session() as db:
        total = db.query(AuditEvent).count()  # the world's 62, and its users' creation and roles
    log_in(web, "admin@lab.example")
    first = web.get("/admin/audit")
    assert first.status_code == 200 and len(rows(first)) == 50 and 50 < total <= 100
    assert "email.sent" in first.text and "other.done" in first.text and 'rel="prev"' not in first.text
    older = re.search(r'href="(\?[^"]*before=\d+)" rel="next"', first.text).group(1).replace("&amp;", "&")
    second = web.get("/admin/audit" + older)
    assert len(rows(second)) == total + 1 - 50  # logging in added one (the newest): the rest moved down
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text
    assert 'href="/admin/audit"' in web.get("/admin").text


def test_a_curator_sees_only_their_datasets_events_and_filters_them(web, world):
    log_in(web, "cura@lab.example")
    page = web.get("/admin/audit", params={"action": "thing.", "actor": "cli"})
    assert page.status_code == 200 and len(rows(page)) == 50
    assert "other.done" not in page.text and "email.sent" not in page.text
    assert "You see the events about the datasets you curate" in page.text
    assert '<option value="theirs"' not in page.text and '<option value="ours" ' in page.text
    export = re.search(r'href="([^"]+)" id="audit-export"', page.text).group(1).replace("&amp;", "&")
    assert export == "/api/v1/audit/export?actor=cli&action=thing."
    refused = web.get("/admin/audit", params={"dataset": "theirs"})
    assert refused.status_code == 403 and "you do not curate this dataset" in refused.text
    bad = web.get("/admin/audit", params={"since": "last week"})
    assert bad.status_code == 422 and 'id="e-since"' in bad.text and "is not a date" in bad.text


def test_the_log_is_refused_to_a_licensee(web, world):
    log_in(web, "lic@lab.example")
    assert web.get("/admin/audit").status_code == 403
    assert web.get("/api/v1/audit/events").status_code == 403
    assert web.get("/api/v1/audit/export").status_code == 403


def test_the_api_pages_with_a_next_cursor_and_the_same_filters(web, world, db_rt):
    headers = {"Authorization": f"Bearer {api_token(db_rt, 'cura@lab.example')}"}
    mine = {"per_page": 25, "action": "thing."}
    first = web.get("/api/v1/audit/events", params=mine, headers=headers).json()
    assert len(first["events"]) == 25 and first["newer"] is None
    assert {e["dataset"] for e in first["events"]} == {"ours"}
    assert first["events"][0]["summary"] == f"dataset_id: {world['ours']}"
    seen = [e["id"] for e in first["events"]]
    cursor = first["next"]
    while cursor:
        page = web.get("/api/v1/audit/events", params={**mine, "before": cursor}, headers=headers).json()
        seen += [e["id"] for e in page["events"]]
        cursor = page["next"]
    assert len(seen) == len(set(seen)) == 60 and seen == sorted(seen, reverse=True)
    theirs = web.get("/api/v1/audit/events", params={"dataset": "theirs"}, headers=headers)
    assert theirs.status_code == 403 and theirs.headers["content-type"] == "application/problem+json"
    missing = web.get("/api/v1/audit/events", params={"dataset": "nope"}, headers=headers)
    assert missing.status_code == 404


def test_the_api_export_streams_a_file_that_checks(web, world, db_rt):
    log_in(web, "admin@lab.example")
    got = web.get("/api/v1/audit/export", params={"dataset": "ours", "action": "thing.", "since": "2000-01-01"})
    assert got.status_code == 200 and got.headers["content-type"].startswith("application/x-ndjson")
    assert got.headers["content-disposition"].startswith('attachment; filename="audit-ours-')
    lines = got.text.splitlines()
    assert json.loads(lines[0])["events"] == 60 and json.loads(lines[0])["asked"]["dataset_id"] == world["ours"]
    checked = audit.check_export(lines)
    assert checked.ok and checked.events == 60 and checked.runs == 1


@pytest.fixture
def shell(db_rt, world):
    cli.use_runtime(db_rt)
    yield db_rt
    cli.use_runtime(None)


def test_accord_audit_export_and_check_from_the_shell(shell, tmp_path, capsys):
    path = tmp_path / "audit.jsonl"
    assert run("audit", "export", "--out", str(path), "--action", "thing.") == 0
    assert "60 events written to" in " ".join(capsys.readouterr().out.split())
    assert run("audit", "check", str(path)) == 0
    said = " ".join(capsys.readouterr().out.split())
    assert "export intact: 60 events in 1 unbroken run(s)" in said and "the certificate the file carries" in said
    lines = path.read_text().splitlines()
    event = json.loads(lines[5])
    event["actor"] = "someone-else"
    path.write_text("\n".join([*lines[:5], json.dumps(event), *lines[6:]]) + "\n")
    assert run("audit", "check", str(path)) == 1
    assert "its fields do not give its hash: the event was edited" in " ".join(capsys.readouterr().err.split())


def test_accord_audit_export_writes_to_standard_output_and_knows_no_unknown_dataset(shell, capsys):
    assert run("audit", "export", "--dataset", "theirs") == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(x)["type"] for x in lines] == ["header", "event", "event", "end"]  # created, other.done
    assert run("audit", "export", "--dataset", "nope") == 3
