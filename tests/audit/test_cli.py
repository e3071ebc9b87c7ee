"""`accord audit verify | checkpoints | list`, run as a shell would (exit codes included)."""

import json

import pytest
from sqlalchemy import delete, select, update

from accord.audit import checkpoints
from accord.audit.models import AuditEvent
from accord.cli import main as cli
from accord.db import unit_of_work
from tests.audit.test_checkpoints import rewrite, write_events
from tests.cli import run


@pytest.fixture
def shell(rt):
    cli.use_runtime(rt)
    yield rt
    cli.use_runtime(None)


def said(capsys) -> tuple[str, str]:
    """stdout and stderr with rich's line wrapping undone."""
    got = capsys.readouterr()
    return " ".join(got.out.split()), " ".join(got.err.split())


def cut(db, n):
    newest = db.scalars(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(n)).all()
    with unit_of_work(db):
        db.execute(delete(AuditEvent).where(AuditEvent.id.in_(newest)))


def test_verify_passes_an_untouched_log_and_writes_a_checkpoint(shell, capsys):
    with shell.session() as db:
        write_events(db, 5)
    assert run("audit", "verify") == 0
    out, _ = said(capsys)
    [cp] = checkpoints.stored(shell)
    assert "audit log intact: 5 events verified, 0 checkpoints match" in out
    assert f"checkpoint {cp.name} written" in out
    assert run("audit", "verify", "--no-write") == 0
    out, _ = said(capsys)
    assert "5 events verified, 1 checkpoint matches" in out and "written" not in out
    assert len(checkpoints.stored(shell)) == 1


def test_verify_names_the_checkpoint_a_cut_log_no_longer_matches(shell, capsys):
    with shell.session() as db:
        write_events(db, 10)
        assert run("audit", "verify") == 0
        first = checkpoints.stored(shell)[0].name
        write_events(db, 2, start=10)
        assert run("audit", "verify") == 0
        capsys.readouterr()
        cut(db, 7)
    assert run("audit", "verify") == 1
    _, err = said(capsys)
    assert f"checkpoint {first} no longer matches: cut: the checkpoint counted 10 events, the log now has 5" in err
    assert "(1 later checkpoint fails too)" in err
    assert len(checkpoints.stored(shell)) == 2  # nothing new signed


def test_verify_fails_on_a_rewritten_log_and_on_an_edited_event(shell, capsys):
    with shell.session() as db:
        write_events(db, 4)
        assert run("audit", "verify") == 0
        rewrite(db, 2, {"i": "rewritten"})
        capsys.readouterr()
        assert run("audit", "verify") == 1
        assert "rewritten: the event at position 4 has another hash" in said(capsys)[1]
        second = db.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()[1]
        with unit_of_work(db):
            db.execute(update(AuditEvent).where(AuditEvent.id == second).values(actor="someone else"))
    assert run("audit", "verify") == 1
    assert f"at event {second}: this event was edited after it was written" in said(capsys)[1]


def test_verify_refuses_a_forged_checkpoint_and_checks_a_kept_copy(shell, capsys, tmp_path):
    with shell.session() as db:
        write_events(db, 6)
        assert run("audit", "verify") == 0
        [cp] = checkpoints.stored(shell)
        kept = tmp_path / "from-the-mail.json"
        kept.write_bytes(cp.raw)
        assert run("audit", "verify", "--checkpoint", str(kept), "--no-write") == 0
        assert "2 checkpoints match" in said(capsys)[0]

        doc = json.loads(cp.raw)
        doc["checkpoint"]["hash"] = "0" * 64
        forged = tmp_path / "forged.json"
        forged.write_text(json.dumps(doc))
        assert run("audit", "verify", "--checkpoint", str(forged)) == 1
        assert f"checkpoint {forged} no longer matches: forged: its signature does not verify" in said(capsys)[1]
    assert run("audit", "verify", "--checkpoint", str(tmp_path / "missing.json")) == 2  # a usage error


def test_checkpoints_lists_the_newest_first_and_marks_a_forged_one(shell, capsys):
    assert run("audit", "checkpoints") == 0
    assert "no checkpoints yet" in said(capsys)[0]
    with shell.session() as db:
        write_events(db, 3)
        run("audit", "verify")
        write_events(db, 2, start=3)
        run("audit", "verify")
    older, newer = checkpoints.stored(shell)
    path = shell.store.root / checkpoints.PREFIX / older.name
    path.write_bytes(older.raw.replace(b'"count": 3', b'"count": 2'))
    capsys.readouterr()
    assert run("audit", "checkpoints") == 0
    out, _ = said(capsys)
    assert out.index(newer.name) < out.index(older.name)
    assert "forged" in out and newer.checkpoint.hash[:16] in out
    assert run("audit", "checkpoints", "--limit", "1") == 0
    assert older.name not in said(capsys)[0]


def test_list_shows_the_newest_events(shell, capsys):
    with shell.session() as db:
        write_events(db, 3)
    assert run("audit", "list", "--limit", "2") == 0
    out, _ = said(capsys)
    assert "thing:2" in out and "thing:1" in out and "thing:0" not in out and "tester" in out
