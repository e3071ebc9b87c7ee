"""accord privacy ...: a curator decides from the server's shell; a licensee applies the deletion notice to the
copy `accord download` made, over a live server with their token, and the notice is attested."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select

from accord.catalog import service as catalog
from accord.cli import main as cli
from accord.client import Client
from accord.delivery import service as delivery
from accord.identity import service as identity
from accord.privacy.models import DeletionNotice
from accord.web.app import create_app
from tests.cli import run
from tests.live import serving
from tests.privacy.world import make_world, proven_request


@pytest.fixture
def world(rt, tmp_path):
    cli.use_runtime(rt)
    yield make_world(rt, tmp_path, count=6, licensees=2)
    cli.use_runtime(None)


def test_a_curator_lists_searches_and_removes_from_the_shell(rt, world, capsys):
    sub = proven_request(rt, world, labels=())
    curator = world.curator.email
    assert run("privacy", "requests", "--as", curator) == 0
    assert "days left" in capsys.readouterr().out
    assert run("privacy", "search", str(sub.request.id), "--label", "00", "--as", curator) == 0
    assert capsys.readouterr().out.count("subject-00/") == 3
    stranger = make_world(rt, world_tmp(rt), slug="elsewhere", count=1).curator.email
    assert run("privacy", "show", str(sub.request.id), "--as", stranger) == 3  # not found, as for anyone else
    assert run("privacy", "decide", str(sub.request.id), "--as", curator) == 2  # neither --accept nor --decline
    assert run("privacy", "decide", str(sub.request.id), "--accept", "--label", "00", "--as", curator) == 0
    assert "3 file(s) removed" in capsys.readouterr().out
    with rt.session() as db:
        assert catalog.latest_published(db, world.dataset_id).file_count == 3


def world_tmp(rt):
    return rt.settings.data_dir.parent


def test_a_licensee_applies_the_notice_to_their_copy_and_attests(rt, world, tmp_path, capsys):
    licensee, other = world.licensees.values()
    with rt.session() as db:
        tokens = {u.email: identity.create_api_token(db, u, name="laptop").secret for u in (licensee, other)}
    copy = tmp_path / "copy"
    with serving(create_app(rt)) as url:
        with Client(url, tokens[licensee.email]) as client:
            client.download(world.slug, to=copy)
        delivery.state(rt).log.flush()
        removed = sorted(p for p in world.items if p.startswith("subject-00/"))
        shutil.copy(copy / removed[0], copy / "renamed-by-me.jpg")  # a copy the download log cannot know about
        (copy / "notes.txt").write_text("my own notes")

        sub = proven_request(rt, world, labels=("00",))
        assert run("privacy", "decide", str(sub.request.id), "--accept", "--all", "--as", world.curator.email) == 0
        with rt.session() as db:
            notice = db.scalars(select(DeletionNotice).where(DeletionNotice.user_id == licensee.id)).one()
        assert sorted(f["path"] for f in notice.files) == removed

        def apply(who, *extra):
            return run("privacy", "apply", str(notice.id), "--to", str(copy), "--server", url, "--token", who, *extra)

        assert apply(tokens[other.email]) == 3  # someone else's notice: not found, nothing touched
        assert apply(tokens[licensee.email], "--dry-run") == 0
        assert all((copy / p).exists() for p in removed) and (copy / "renamed-by-me.jpg").exists()
        capsys.readouterr()
        assert apply(tokens[licensee.email]) == 0
        said = capsys.readouterr().out
        assert "deleted 3 listed file(s) and 1 other copy" in said and "attested" in said
    assert not any((copy / p).exists() for p in removed) and not (copy / "renamed-by-me.jpg").exists()
    assert (copy / "notes.txt").read_text() == "my own notes"
    kept = sorted(p for p in world.items if p not in removed)
    assert all((copy / p).exists() for p in kept)
    sums = (copy / "SHA256SUMS").read_text()
    assert all(p in sums for p in kept) and not any(p in sums for p in removed)
    assert not any(p in (copy / "manifest.jsonl").read_text() for p in removed)
    assert list((copy / ".accord" / "superseded").glob("*-manifest.jsonl"))  # the signed original, kept
    assert "renamed-by-me.jpg" in (copy / ".accord" / "deletions.jsonl").read_text()
    with rt.session() as db:
        assert db.get(DeletionNotice, notice.id).attested_at is not None
