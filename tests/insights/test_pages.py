"""The dashboard's pages, CSV files, API and command: administrators see every dataset, a dataset's curator
theirs only, reviewers and licensees nothing; the CSV holds the numbers the charts draw."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from accord.cli import main as cli
from accord.identity import service as identity
from accord.insights import service as insights
from tests.cli import run
from tests.identity.helpers import api_token, log_in, make_curator, make_user
from tests.insights import world


@pytest.fixture
def made(db_rt):
    with db_rt.session() as db:
        ids = world.small(db)
    make_user(db_rt, "admin@lab.example", "admin")
    make_curator(db_rt, "beta-cur@lab.example", ids["beta"])
    reviewer = make_user(db_rt, "rev@lab.example")
    with db_rt.session() as db:
        identity.grant_role(db, identity.user_by_id(db, reviewer.id), "reviewer", dataset_id=ids["alpha"])
    return ids


@pytest.fixture
def web(db_rt):
    from accord.web.app import create_app

    with TestClient(create_app(db_rt), base_url="http://testserver") as c:
        yield c


def svgs(html: str) -> list[ET.Element]:
    return [ET.fromstring(m) for m in re.findall(r"<svg .*?</svg>", html, re.S)]


def test_an_admin_sees_every_chart_of_every_dataset_linked_from_admin(web, made):
    log_in(web, "admin@lab.example")
    assert 'href="/admin/dashboard"' in web.get("/admin").text
    assert 'href="/admin/datasets/alpha/dashboard"' in web.get("/admin/datasets/alpha").text
    page = web.get("/admin/dashboard?weeks=13")
    assert page.status_code == 200
    assert "Dashboard: All datasets" in page.text and 'href="/admin/datasets/beta/dashboard?weeks=13"' in page.text
    pictures = svgs(page.text)
    assert len(pictures) == len(insights.CHARTS)
    for picture in pictures:
        assert picture.find("{http://www.w3.org/2000/svg}title").text
    for key in insights.CHARTS:
        assert f'href="/admin/dashboard/{key}.csv?weeks=13"' in page.text


def test_the_csv_holds_the_numbers_the_api_gives(web, made, db_rt):
    log_in(web, "admin@lab.example")
    token = api_token(db_rt, "admin@lab.example")
    board = web.get("/api/v1/datasets/alpha/dashboard", headers={"Authorization": f"Bearer {token}"}).json()
    assert board["dataset"] == "alpha" and board["weeks"] == insights.WEEKS
    for chart in board["charts"]:
        answer = web.get(f"/admin/datasets/alpha/dashboard/{chart['key']}.csv")
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
        assert f"alpha-{chart['key']}-" in answer.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(answer.text)))
        assert rows[0] == [chart["category"], *(s["key"] for s in chart["series"])]
        assert [r[0] for r in rows[1:]] == chart["categories"]
        for j, series in enumerate(chart["series"], start=1):
            assert [float(r[j]) if r[j] else None for r in rows[1:]] == series["values"], chart["key"]
    grants = next(c for c in board["charts"] if c["key"] == "grants")
    assert dict(zip(grants["categories"], grants["series"][0]["values"], strict=True))["Revoked"] == 1
    assert web.get("/admin/dashboard/nonsense.csv").status_code == 404


def test_a_curator_of_one_dataset_sees_that_one_only(web, made, db_rt):
    log_in(web, "beta-cur@lab.example")
    page = web.get("/admin/dashboard")
    assert page.status_code == 200 and "Dashboard: My datasets" in page.text
    assert "/admin/datasets/beta/dashboard" in page.text and "/admin/datasets/alpha/dashboard" not in page.text
    assert web.get("/admin/datasets/beta/dashboard").status_code == 200
    assert web.get("/admin/datasets/alpha/dashboard").status_code == 403
    assert web.get("/admin/datasets/alpha/dashboard/grants.csv").status_code == 403
    token = api_token(db_rt, "beta-cur@lab.example")
    mine = web.get("/api/v1/dashboard", headers={"Authorization": f"Bearer {token}"}).json()
    assert mine["datasets"] == ["beta"]
    refused = web.get("/api/v1/datasets/alpha/dashboard", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"


def test_reviewers_licensees_and_strangers_are_refused(web, made, db_rt):
    assert web.get("/admin/dashboard", follow_redirects=False).headers["location"].startswith("/login")
    log_in(web, "rev@lab.example")
    assert web.get("/admin/dashboard").status_code == 403
    assert web.get("/admin/datasets/alpha/dashboard").status_code == 403
    token = api_token(db_rt, "rev@lab.example")
    assert web.get("/api/v1/dashboard", headers={"Authorization": f"Bearer {token}"}).status_code == 403
    assert web.get("/api/v1/dashboard?weeks=1", headers={"Authorization": f"Bearer {token}"}).status_code == 422


def test_the_command_prints_the_numbers(made, db_rt, capsys):
    cli.use_runtime(db_rt)
    try:
        assert run("dashboard", "alpha", "--weeks", "4") == 0
        printed = capsys.readouterr().out
        assert "Dashboard: alpha · 4 weeks" in printed
        assert "Grants by state (grants.csv)" in printed and "Revoked" in printed
        assert "Applications per week, by outcome" in printed
        assert run("dashboard", "--as", "beta-cur@lab.example") == 0
        assert "Dashboard: beta" in capsys.readouterr().out
        assert run("dashboard", "alpha", "--as", "beta-cur@lab.example") == 4  # not theirs
        assert run("dashboard", "--as", "rev@lab.example") == 4
        assert run("dashboard", "no-such") == 3
    finally:
        cli.use_runtime(None)


def test_the_command_with_a_token_asks_the_server_and_prints_the_same(rt, monkeypatch, capsys):
    from accord.cli import dashboard as command
    from accord.web.app import create_app
    from tests.live import serving

    with rt.session() as db:
        world.small(db)
    make_user(rt, "admin@lab.example", "admin")
    make_user(rt, "lic@lab.example")
    token, stranger = api_token(rt, "admin@lab.example"), api_token(rt, "lic@lab.example")
    monkeypatch.delenv("ACCORD_TOKEN", raising=False)

    def no_database():
        raise AssertionError("a command with a token must not open a database")

    monkeypatch.setattr(command, "runtime", no_database)
    with serving(create_app(rt)) as url:
        assert run("dashboard", "alpha", "--weeks", "4", "--server", url, "--token", token) == 0
        printed = capsys.readouterr().out
        assert "Dashboard: alpha · 4 weeks" in printed and "Grants by state (grants.csv)" in printed
        assert run("dashboard", "--server", url, "--token", stranger) == 4
