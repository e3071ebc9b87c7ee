"""accord terms diff / accept and accord renew on a licensee's laptop: over a live server with their API token."""

import pytest
from sqlalchemy import select

from accord.audit.models import AuditEvent
from accord.cli import main as cli
from accord.cli import terms
from accord.db import unit_of_work
from accord.entitlements import service as entitlements
from accord.identity import service as identity
from accord.policy import service as policies
from accord.policy.io import seed
from accord.web.app import create_app
from tests.live import serving


@pytest.fixture
def paused(rt, tmp_path, monkeypatch):
    """SHHQ's terms at version 2 (access now 90 days); Li's grant still on version 1; Mo holds nothing."""
    from tests.jobs.catalogue import published_dataset

    dataset, _version = published_dataset(rt, tmp_path, "shhq", title="SHHQ: images", count=1, previews=0)
    with rt.session() as db:
        li = identity.create_user(db, email="li@uni.example", name="Li", password="a long passphrase!")
        mo = identity.create_user(db, email="mo@uni.example", name="Mo", password="a long passphrase!")
        policies.set_policy(db, dataset.id, seed("shhq"), actor="cli")
        with unit_of_work(db):
            ent = entitlements.grant(db, dataset_id=dataset.id, user_id=li.id, policy_version=1, actor="cli")
        policies.set_policy(db, dataset.id, seed("shhq").model_copy(update={"access_days": 90}), actor="cli")
        tokens = {
            "li": identity.create_api_token(db, li, name="laptop").secret,
            "mo": identity.create_api_token(db, mo, name="laptop").secret,
        }

    def no_database():
        raise AssertionError("a command with a token must not open a database")

    monkeypatch.setattr(terms, "runtime", no_database)
    cli.use_runtime(None)
    with serving(create_app(rt)) as url:
        yield {"url": url, "ent": ent, "dataset": dataset, **tokens}


def run(world, who, *args) -> int:
    try:
        cli.main([*args, "--server", world["url"], "--token", world[who]])
    except SystemExit as exc:
        return exc.code
    return 0


def test_diff_and_accept_over_the_api_resume_access_and_keep_the_typed_name(rt, paused, capsys):
    assert run(paused, "li", "terms", "diff", "shhq") == 0
    shown = capsys.readouterr().out
    assert "version 1 (yours) to 2" in shown and "Duration" in shown and "90 days" in shown
    assert run(paused, "li", "terms", "accept", "shhq", "--name", "Li Wei", "--version", "1") == 5  # stale
    assert "now at version 2" in capsys.readouterr().err
    assert run(paused, "li", "terms", "accept", "shhq", "--name", "Li Wei") == 0
    assert "accepted version 2" in capsys.readouterr().out
    with rt.session() as db:
        assert entitlements.get(db, paused["ent"].id).policy_version == 2
        assert entitlements.check(db, identity.user_by_email(db, "li@uni.example"), paused["dataset"].id).allowed
        signed = db.scalar(select(AuditEvent.data).where(AuditEvent.action == "entitlement.reaccepted"))
    assert signed["signed_as"] == "Li Wei"
    assert run(paused, "li", "terms", "diff", "shhq") == 0
    assert "nothing to accept" in capsys.readouterr().out


def test_someone_without_access_is_told_so_and_a_renewal_too_early_is_refused(rt, paused, capsys):
    assert run(paused, "mo", "terms", "diff", "shhq") == 3
    assert "you hold no access" in capsys.readouterr().err
    assert run(paused, "mo", "terms", "accept", "shhq", "--name", "Mo Chen") == 3
    assert run(paused, "li", "renew", "shhq") == 5  # the grant never ends: nothing to renew
    assert capsys.readouterr().err.startswith("error:")
    with rt.session() as db:
        assert entitlements.get(db, paused["ent"].id).policy_version == 1


def test_renew_over_the_api_opens_a_draft_and_says_what_is_still_needed(rt, paused, capsys):
    from datetime import timedelta

    from accord.db import utcnow

    with rt.session() as db:
        ent = entitlements.get(db, paused["ent"].id)
        with unit_of_work(db):
            ent.expires_at = utcnow() + timedelta(days=5)
    assert run(paused, "li", "renew", "shhq") == 0
    shown = capsys.readouterr().out
    assert "for shhq: draft" in shown and "still needed: your signature on the agreement" in shown
