"""What other domains read of grants through the entitlements door (training asks these instead of querying the
table): whether someone ever held a dataset, and the grants in force at a moment."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accord.db import utcnow
from accord.entitlements import service as entitlements
from tests.factories import DatasetFactory, EntitlementFactory, UserFactory, bind


@pytest.fixture
def given(db):
    bind(db)
    now = utcnow()
    ana, bea = UserFactory(), UserFactory()
    one, two = DatasetFactory(), DatasetFactory()
    grants = {
        "open": EntitlementFactory(user_id=ana.id, dataset_id=one.id),
        "ends_later": EntitlementFactory(user_id=bea.id, dataset_id=one.id, expires_at=now + timedelta(days=3)),
        "expired": EntitlementFactory(user_id=ana.id, dataset_id=two.id, expires_at=now - timedelta(seconds=1)),
        "revoked": EntitlementFactory(
            user_id=bea.id, dataset_id=two.id, revoked_at=now - timedelta(days=1), revoke_reason="left the lab"
        ),
    }
    db.commit()
    return now, ana, bea, one, two, grants


def test_live_grants_are_neither_revoked_nor_expired(db, given):
    now, ana, _bea, _, _, g = given
    assert [e.id for e in entitlements.live(db, now)] == [g["open"].id, g["ends_later"].id]
    assert [e.id for e in entitlements.live(db, now, user_id=ana.id)] == [g["open"].id]
    assert [e.id for e in entitlements.live(db, now + timedelta(days=4))] == [g["open"].id]


def test_ever_held_counts_grants_that_ended(db, given):
    _, ana, bea, one, two, _ = given
    assert entitlements.ever_held(db, ana.id, one.id) and entitlements.ever_held(db, ana.id, two.id)
    assert entitlements.ever_held(db, bea.id, two.id)  # revoked: still held once
    stranger = UserFactory()
    assert not entitlements.ever_held(db, stranger.id, one.id)
