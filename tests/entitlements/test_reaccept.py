"""Re-acceptance: when the terms change, a licensee's access pauses until they accept the new version."""

import pytest
from sqlalchemy import select

from accord.audit.models import AuditEvent
from accord.db import unit_of_work
from accord.entitlements import service as entitlements
from accord.errors import Conflict, PermissionDenied
from accord.identity import service as identity
from accord.policy import service as policies
from accord.policy.io import seed


@pytest.fixture
def paused(db, tmp_path, db_rt):
    """SHHQ at terms version 2, and Li's grant still on version 1."""
    from tests.jobs.catalogue import published_dataset

    dataset, _version = published_dataset(db_rt, tmp_path, "shhq", title="SHHQ: images", count=1, previews=0)
    licensee = identity.create_user(db, email="li@uni.example", name="Li", password="a long passphrase!")
    policies.set_policy(db, dataset.id, seed("shhq"), actor="cli")
    with unit_of_work(db):
        ent = entitlements.grant(db, dataset_id=dataset.id, user_id=licensee.id, policy_version=1, actor="cli")
    policies.set_policy(db, dataset.id, seed("shhq").model_copy(update={"access_days": 90}), actor="cli")
    return dataset, licensee, ent


def _events(db, ent):
    return list(
        db.scalars(
            select(AuditEvent.action).where(
                AuditEvent.object_type == "entitlement", AuditEvent.object_id == str(ent.id)
            )
        )
    )


def test_a_paused_grant_resumes_once_its_licensee_accepts_the_current_terms(db, paused):
    dataset, licensee, ent = paused
    before = entitlements.check(db, licensee, dataset.id)
    assert not before.allowed and before.needs_reacceptance and "version 1 → 2" in before.reason
    entitlements.reaccept(db, ent.id, actor=licensee, version=2)
    assert entitlements.get(db, ent.id).policy_version == 2
    assert entitlements.check(db, licensee, dataset.id).allowed
    assert _events(db, ent) == ["entitlement.granted", "entitlement.reaccepted"]


def test_accepting_a_version_that_is_no_longer_current_is_refused_and_changes_nothing(db, paused):
    dataset, licensee, ent = paused
    with pytest.raises(Conflict, match="now at version 2"):
        entitlements.reaccept(db, ent.id, actor=licensee, version=1)
    policies.set_policy(db, dataset.id, seed("shhq").model_copy(update={"access_days": 30}), actor="cli")
    with pytest.raises(Conflict, match="now at version 3, not 2"):  # the page read version 2; 3 came since
        entitlements.reaccept(db, ent.id, actor=licensee, version=2)
    assert entitlements.get(db, ent.id).policy_version == 1
    assert _events(db, ent) == ["entitlement.granted"]


def test_nobody_but_the_licensee_can_accept_for_their_grant(db, paused):
    dataset, licensee, ent = paused
    other = identity.create_user(
        db, email="mo@uni.example", name="Mo", password="a long passphrase!", roles=["curator"]
    )
    for actor in (other, "cli"):
        with pytest.raises(PermissionDenied, match="only the licensee"):
            entitlements.reaccept(db, ent.id, actor=actor, version=2)
    assert entitlements.get(db, ent.id).policy_version == 1
    assert not entitlements.check(db, licensee, dataset.id).allowed


def test_a_revoked_grant_cannot_be_revived_by_accepting_the_terms(db, paused):
    dataset, licensee, ent = paused
    entitlements.revoke(db, ent.id, actor="cli", reason="breach of clause 3")
    with pytest.raises(Conflict, match="was ended"):
        entitlements.reaccept(db, ent.id, actor=licensee, version=2)
    assert entitlements.get(db, ent.id).policy_version == 1
    assert not entitlements.check(db, licensee, dataset.id).allowed


def test_accepting_terms_already_accepted_changes_nothing(db, paused):
    _dataset, licensee, ent = paused
    entitlements.reaccept(db, ent.id, actor=licensee, version=2)
    entitlements.reaccept(db, ent.id, actor=licensee, version=2)
    assert _events(db, ent) == ["entitlement.granted", "entitlement.reaccepted"]


def test_the_api_lets_the_licensee_reaccept_and_refuses_others_and_stale_versions(client, rt, tmp_path):
    from tests.jobs.catalogue import published_dataset

    dataset, _ = published_dataset(rt, tmp_path, "shhq", title="SHHQ", count=1, previews=0)
    with rt.session() as db:
        policies.set_policy(db, dataset.id, seed("shhq"), actor="cli")
        ana = identity.create_user(db, email="ana@mit.edu", name="Ana", password="a long passphrase!")
        bo = identity.create_user(db, email="bo@mit.edu", name="Bo", password="a long passphrase!")
        with unit_of_work(db):
            ent = entitlements.grant(db, dataset_id=dataset.id, user_id=ana.id, policy_version=1, actor="cli")
        policies.set_policy(db, dataset.id, seed("shhq").model_copy(update={"access_days": 90}), actor="cli")
        tokens = {u.email: identity.create_api_token(db, u, name="t").secret for u in (ana, bo)}
    as_ana = {"Authorization": f"Bearer {tokens['ana@mit.edu']}"}
    as_bo = {"Authorization": f"Bearer {tokens['bo@mit.edu']}"}
    url = f"/api/v1/entitlements/{ent.id}/reaccept"
    assert client.post(url, json={"version": 2}, headers=as_bo).status_code == 403
    stale = client.post(url, json={"version": 1}, headers=as_ana)
    assert stale.status_code == 409 and "now at version 2" in stale.text
    assert client.post(url, json={}, headers=as_ana).status_code == 422
    mine = client.get("/api/v1/datasets/shhq/entitlement", headers=as_ana)
    assert mine.status_code == 200 and (mine.json()["id"], mine.json()["policy_version"]) == (ent.id, 1)
    none = client.get("/api/v1/datasets/shhq/entitlement", headers=as_bo)
    assert none.status_code == 404 and "you hold no access" in none.json()["detail"]
    done = client.post(url, json={"version": 2, "signed_as": "Ana Lima"}, headers=as_ana)
    assert done.status_code == 200 and done.json()["policy_version"] == 2
    with rt.session() as db:
        assert entitlements.check(db, identity.user_by_email(db, "ana@mit.edu"), dataset.id).allowed
        signed = db.scalar(select(AuditEvent.data).where(AuditEvent.action == "entitlement.reaccepted"))
    assert signed["signed_as"] == "Ana Lima"


def test_an_expired_grant_cannot_be_extended_by_accepting_the_terms(db, paused):
    from datetime import timedelta

    from accord.db import utcnow

    _dataset, licensee, ent = paused
    with unit_of_work(db):
        ent.expires_at = utcnow() - timedelta(days=1)
    with pytest.raises(Conflict, match="expired"):
        entitlements.reaccept(db, ent.id, actor=licensee, version=2)
    assert entitlements.get(db, ent.id).policy_version == 1
    assert _events(db, ent) == ["entitlement.granted"]
