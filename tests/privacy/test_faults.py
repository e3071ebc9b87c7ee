"""Faults on the privacy desk: a crash half-way through a removal leaves no half version and can be done again;
the same request sent a hundred times stores three; a dataset with nothing published takes no requests."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from accord.catalog import service as catalog
from accord.catalog.models import DatasetVersion
from accord.errors import InvalidInput, RateLimited
from accord.notify.models import OutboxMessage
from accord.privacy import notices
from accord.privacy import service as privacy
from accord.privacy.models import DeletionNotice, RemovalRequest
from tests.privacy.world import downloaded, make_world, proven_request


def _count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def test_a_crash_half_way_through_a_removal_leaves_no_half_version_and_the_rerun_completes(rt, tmp_path, monkeypatch):
    world = make_world(rt, tmp_path, count=4, licensees=2)
    for user in world.licensees.values():
        downloaded(rt, world, user, sorted(world.items))
    sub = proven_request(rt, world, labels=("00",))
    with rt.session() as db:
        privacy.select_matches(db, sub.request.id, set(), actor=world.curator, labels=["00"])
        mails = _count(db, OutboxMessage)
    real_send = notices.send

    def crash(*args, **kwargs):
        real_send(*args, **kwargs)  # the cut and the notices are written ...
        raise RuntimeError("the process died")  # ... and the transaction never commits

    monkeypatch.setattr(notices, "send", crash)
    with rt.session() as db, pytest.raises(RuntimeError):
        privacy.accept(rt, db, sub.request.id, actor=world.curator)
    with rt.session() as db:
        assert catalog.latest_published(db, world.dataset_id).id == world.version_id  # no half version
        assert _count(db, DatasetVersion) == 1 and _count(db, DeletionNotice) == 0
        assert _count(db, OutboxMessage) == mails  # nobody was told of a removal that did not happen
        assert db.get(RemovalRequest, sub.request.id).status == "under_review"  # still open, as before

    monkeypatch.setattr(notices, "send", real_send)
    with rt.session() as db:
        done = privacy.accept(rt, db, sub.request.id, actor=world.curator)
        assert done.status == "done" and done.removed_count == 2
        assert _count(db, DatasetVersion) == 2 and _count(db, DeletionNotice) == 2


def test_the_same_request_sent_a_hundred_times_is_stored_three_times(rt, tmp_path):
    world = make_world(rt, tmp_path, count=2)
    refused = 0
    with rt.session() as db:
        for n in range(100):
            try:
                privacy.submit(
                    rt, db, dataset=world.slug, email="same@example.net", what="me", address=f"198.51.100.{n}"
                )
            except RateLimited as exc:
                refused += 1
                assert "try again tomorrow" in str(exc)
        assert _count(db, RemovalRequest) == 3 and refused == 97


def test_a_dataset_whose_versions_are_all_withdrawn_takes_no_request(rt, tmp_path):
    world = make_world(rt, tmp_path, count=2)
    with rt.session() as db:
        catalog.withdraw(db, world.version_id, actor="cli", reason="retired")
        with pytest.raises(InvalidInput, match="no published version"):
            privacy.submit(rt, db, dataset=world.slug, email="p@example.net", what="me")
        assert _count(db, RemovalRequest) == 0
