"""accord terms diff / accept: a licensee whose access paused reads the changed clauses and accepts them."""

import pytest
from sqlalchemy import select

from accord.audit.models import AuditEvent
from accord.cli import main as cli
from accord.db import unit_of_work
from accord.entitlements import service as entitlements
from accord.identity import service as identity
from accord.policy import service as policies
from accord.policy.io import seed
from tests.cli import run


@pytest.fixture
def paused(rt, tmp_path):
    """SHHQ's terms at version 2 (access now 90 days); Li's grant still on version 1."""
    from tests.jobs.catalogue import published_dataset

    cli.use_runtime(rt)
    dataset, _version = published_dataset(rt, tmp_path, "shhq", title="SHHQ: images", count=1, previews=0)
    with rt.session() as db:
        li = identity.create_user(db, email="li@uni.example", name="Li", password="a long passphrase!")
        policies.set_policy(db, dataset.id, seed("shhq"), actor="cli")
        with unit_of_work(db):
            ent = entitlements.grant(db, dataset_id=dataset.id, user_id=li.id, policy_version=1, actor="cli")
        policies.set_policy(db, dataset.id, seed("shhq").model_copy(update={"access_days": 90}), actor="cli")
    yield dataset, ent
    cli.use_runtime(None)


def _version(rt, ent) -> int:
    with rt.session() as db:
        return entitlements.get(db, ent.id).policy_version


def test_diff_prints_the_changed_clauses_and_accept_resumes_access(rt, paused, capsys):
    dataset, ent = paused
    assert run("terms", "diff", "shhq", "--as", "li@uni.example") == 0
    shown = capsys.readouterr().out
    assert "version 1 (yours) to 2" in shown and "Duration" in shown and "90 days" in shown
    assert "accord terms accept shhq --version 2" in shown
    assert run("terms", "accept", "shhq", "--name", "Li Wei", "--as", "li@uni.example") == 0
    assert "accepted version 2" in capsys.readouterr().out
    assert _version(rt, ent) == 2
    with rt.session() as db:
        li = identity.user_by_email(db, "li@uni.example")
        assert entitlements.check(db, li, dataset.id).allowed
        signed = db.scalar(select(AuditEvent.data).where(AuditEvent.action == "entitlement.reaccepted"))
    assert signed["signed_as"] == "Li Wei"
    assert run("terms", "diff", "shhq", "--as", "li@uni.example") == 0
    assert "nothing to accept" in capsys.readouterr().out


def test_accepting_a_version_other_than_the_current_one_is_refused_and_changes_nothing(rt, paused, capsys):
    _dataset, ent = paused
    assert run("terms", "accept", "shhq", "--name", "Li Wei", "--version", "1", "--as", "li@uni.example") == 5
    assert "now at version 2" in capsys.readouterr().err
    assert _version(rt, ent) == 1


def test_accept_needs_a_name_and_the_licensee(rt, paused, capsys):
    _dataset, ent = paused
    assert run("terms", "accept", "shhq", "--name", " ", "--as", "li@uni.example") == 2
    assert "full name" in capsys.readouterr().err
    assert run("terms", "accept", "shhq", "--name", "Li Wei") == 2
    assert "--as" in capsys.readouterr().err
    with rt.session() as db:
        identity.create_user(db, email="mo@uni.example", name="Mo", password="a long passphrase!")
    assert run("terms", "accept", "shhq", "--name", "Mo", "--as", "mo@uni.example") == 3
    assert "no access" in capsys.readouterr().err
    assert _version(rt, ent) == 1


def test_a_revoked_grant_is_not_revived_from_the_cli(rt, paused, capsys):
    _dataset, ent = paused
    with rt.session() as db:
        entitlements.revoke(db, ent.id, actor="cli", reason="breach of clause 3")
    assert run("terms", "diff", "shhq", "--as", "li@uni.example") == 0
    assert "breach of clause 3" in capsys.readouterr().out
    assert run("terms", "accept", "shhq", "--name", "Li Wei", "--as", "li@uni.example") == 5
    assert "was ended" in capsys.readouterr().err
    assert _version(rt, ent) == 1
