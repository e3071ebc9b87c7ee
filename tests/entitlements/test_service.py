from datetime import UTC, datetime, timedelta

import pytest

from accord.catalog import service as catalog
from accord.db import unit_of_work
from accord.entitlements import service as entitlements
from accord.errors import InvalidInput, PermissionDenied
from accord.identity import service as identity
from accord.notify.models import OutboxMessage
from accord.policy import service as policies
from accord.policy.io import seed

T0 = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture
def world(db, tmp_path, db_rt):
    from tests.jobs.catalogue import published_dataset

    dataset, version = published_dataset(db_rt, tmp_path, "shhq", title="SHHQ: images", count=2, previews=1)
    licensee = identity.create_user(db, email="li@uni.example", name="Li", password="a long passphrase!")
    policies.set_policy(db, dataset.id, seed("shhq").model_copy(update={"access_days": 365}), actor="cli")
    return dataset, version, licensee


def _grant(db, dataset, licensee, **kw):
    with unit_of_work(db):
        return entitlements.grant(
            db, dataset_id=dataset.id, user_id=licensee.id, policy_version=1, actor="cli", starts_at=T0, **kw
        )


def test_a_grant_allows_its_licensee_until_it_expires(db, world):
    dataset, version, licensee = world
    ent = _grant(db, dataset, licensee, unit="Vision Lab, Building 3")
    assert ent.expires_at == T0 + timedelta(days=365) and ent.version_id == version.id
    assert entitlements.check(db, licensee, dataset.id, version.id, at=T0 + timedelta(days=1)).allowed
    late = entitlements.check(db, licensee, dataset.id, version.id, at=T0 + timedelta(days=366))
    assert not late.allowed and "expired" in late.reason


def test_someone_without_a_grant_is_told_to_apply(db, world):
    dataset, _, _ = world
    other = identity.create_user(db, email="x@uni.example", name="X", password="a long passphrase!")
    decision = entitlements.check(db, other, dataset.id, at=T0)
    assert not decision.allowed and "apply" in decision.reason
    assert not entitlements.check(db, None, dataset.id, at=T0).allowed


def test_revoking_ends_access_at_once_and_tells_the_licensee(db, world):
    dataset, version, licensee = world
    ent = _grant(db, dataset, licensee)
    entitlements.revoke(db, ent.id, actor="cli", reason="breach of clause 3", at=T0 + timedelta(days=2))
    decision = entitlements.check(db, licensee, dataset.id, version.id, at=T0 + timedelta(days=3))
    assert not decision.allowed and "breach of clause 3" in decision.reason
    mail = db.query(OutboxMessage).filter_by(to="li@uni.example", template="access-revoked").one()
    assert "breach of clause 3" in mail.text_body
    assert entitlements.revoked_since(db, T0) == [ent.id]


def test_only_curators_revoke_and_a_reason_is_required(db, world):
    dataset, _, licensee = world
    ent = _grant(db, dataset, licensee)
    with pytest.raises(PermissionDenied):
        entitlements.revoke(db, ent.id, actor=licensee, reason="I quit")
    with pytest.raises(InvalidInput):
        entitlements.revoke(db, ent.id, actor="cli", reason="  ")
    assert entitlements.get(db, ent.id).revoked_at is None


def test_a_grant_for_the_current_version_does_not_cover_the_next_one(db, world, db_rt, tmp_path):
    dataset, _version, licensee = world
    _grant(db, dataset, licensee)
    new = catalog.create_version(db, dataset.id, label="2.0", actor="cli")
    decision = entitlements.check(db, licensee, dataset.id, new.id, at=T0 + timedelta(days=1))
    assert not decision.allowed and "another version" in decision.reason


def test_changed_terms_pause_access_until_the_licensee_re_accepts(db, world):
    dataset, version, licensee = world
    _grant(db, dataset, licensee)
    policies.set_policy(db, dataset.id, seed("shhq"), actor="cli", note="no fixed end")
    decision = entitlements.check(db, licensee, dataset.id, version.id, at=T0 + timedelta(days=1))
    assert not decision.allowed and decision.needs_reacceptance and "version 1 → 2" in decision.reason


def test_a_single_site_grant_can_be_limited_to_that_sites_network(db, world):
    dataset, version, licensee = world
    _grant(db, dataset, licensee, networks=["192.0.2.0/24"])
    at = T0 + timedelta(days=1)
    assert entitlements.check(db, licensee, dataset.id, version.id, at=at, address="192.0.2.17").allowed
    outside = entitlements.check(db, licensee, dataset.id, version.id, at=at, address="198.51.100.4")
    assert not outside.allowed and "site" in outside.reason
    with pytest.raises(InvalidInput, match="CIDR"):
        _grant(db, dataset, licensee, networks=["not-a-network"])


def test_licensees_are_warned_once_two_weeks_before_expiry(db, world):
    dataset, _, licensee = world
    _grant(db, dataset, licensee)
    assert entitlements.warn_expiring(db, now=T0 + timedelta(days=300)) == 0
    assert entitlements.warn_expiring(db, now=T0 + timedelta(days=355)) == 1
    assert entitlements.warn_expiring(db, now=T0 + timedelta(days=356)) == 0
    assert db.query(OutboxMessage).filter_by(template="access-expiring").count() == 1
