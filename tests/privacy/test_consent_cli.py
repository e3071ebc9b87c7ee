"""accord privacy consent import|list|coverage|withdraw, on the server's database and over the API."""

from __future__ import annotations

import csv

import pytest

from accord.cli import consent as consent_cli
from accord.cli import main as cli
from accord.identity import service as identity
from accord.privacy import service as privacy
from accord.web.app import create_app
from tests.cli import run
from tests.live import serving
from tests.privacy.consent_world import consent_csv, consent_world

GOOD = consent_csv("AT-001,2021-03-04,face recognition research,", "AT-002,2021-03-05,research,")


@pytest.fixture
def local(rt, tmp_path):
    cli.use_runtime(rt)
    yield consent_world(rt, tmp_path)
    cli.use_runtime(None)


def test_import_writes_the_links_list_coverage_and_withdraw(local, rt, tmp_path, capsys):
    world = local
    file, links = tmp_path / "consent.csv", tmp_path / "links.csv"
    file.write_bytes(GOOD)
    as_ = ("--as", world.curator.email)
    assert run("privacy", "consent", "import", world.slug, str(file), "--links-out", str(links), *as_) == 0
    assert "2 new, 0 updated" in capsys.readouterr().out
    with links.open() as fh:
        rows = list(csv.DictReader(fh))
    assert [r["subject"] for r in rows] == ["AT-001", "AT-002"] and (links.stat().st_mode & 0o077) == 0
    with rt.session() as db:
        assert privacy.consent_by_link(db, rows[0]["link"].rsplit("/", 1)[1]).subject == "AT-001"
    assert run("privacy", "consent", "import", world.slug, str(file), "--links-out", str(links), *as_) == 2
    assert run("privacy", "consent", "list", world.slug, *as_) == 0
    assert "AT-002" in capsys.readouterr().out
    assert run("privacy", "consent", "coverage", world.slug, *as_) == 1  # AT-003 and one unlabelled item
    shown = capsys.readouterr().out
    assert "AT-003" in shown and "items with no subject label: 1" in shown
    assert run("privacy", "consent", "withdraw", world.slug, "AT-002", "--email", "two@example.net", *as_) == 0
    assert "removal request" in capsys.readouterr().out
    assert run("privacy", "consent", "withdraw", world.slug, "AT-002", "--email", "two@example.net", *as_) == 5


def test_a_bad_file_prints_every_bad_line_and_exits_2(local, tmp_path, capsys):
    world = local
    file = tmp_path / "bad.csv"
    file.write_bytes(consent_csv("AT-001,2021-99-01,research,", "AT-002,2021-03-05,,"))
    assert run("privacy", "consent", "import", world.slug, str(file)) == 2
    said = capsys.readouterr().err
    assert "line 2:" in said and "line 3:" in said


def test_another_datasets_curator_is_refused(local, rt, tmp_path):
    world = local
    other = consent_world(rt, tmp_path, slug="other")
    file = tmp_path / "consent.csv"
    file.write_bytes(GOOD)
    assert run("privacy", "consent", "import", world.slug, str(file), "--as", other.curator.email) == 4
    assert run("privacy", "consent", "list", world.slug, "--as", other.curator.email) == 4


def test_over_the_api_with_a_token(rt, tmp_path, monkeypatch, capsys):
    world = consent_world(rt, tmp_path)
    with rt.session() as db:
        token = identity.create_api_token(db, identity.user_by_email(db, world.curator.email), name="laptop").secret

    def no_database():
        raise AssertionError("a command with a token must not open a database")

    monkeypatch.setattr(consent_cli, "runtime", no_database)
    cli.use_runtime(None)
    file = tmp_path / "consent.csv"
    file.write_bytes(GOOD)
    with serving(create_app(rt)) as url:
        remote = ("--server", url, "--token", token)
        assert run("privacy", "consent", "import", world.slug, str(file), *remote) == 0
        assert "/privacy/consent/" in capsys.readouterr().out
        assert run("privacy", "consent", "coverage", world.slug, *remote) == 1
        assert "AT-003" in capsys.readouterr().out
        assert run("privacy", "consent", "withdraw", world.slug, "AT-001", "--email", "one@example.net", *remote) == 0
        assert run("privacy", "consent", "withdraw", world.slug, "AT-001", "--email", "one@example.net", *remote) == 5
        bad = tmp_path / "bad.csv"
        bad.write_bytes(consent_csv("AT-009,not-a-date,research,"))
        assert run("privacy", "consent", "import", world.slug, str(bad), *remote) == 2
        assert "line 2:" in capsys.readouterr().err
