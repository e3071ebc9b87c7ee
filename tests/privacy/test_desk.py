"""A removal request from proof to notices: found by label and path, decided, cut into a new version from the
old blobs, and each licensee told of exactly the removed files their download log shows they received."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from accord.catalog import service as catalog
from accord.db import utcnow
from accord.errors import Conflict, IllegalTransition, InvalidInput, NotFound, RateLimited
from accord.privacy import service as privacy
from accord.privacy.models import DeletionNotice, RemovalRequest
from tests.identity.helpers import make_user
from tests.privacy.world import downloaded, last_mail, link_token, make_world, proven_request


def _by_subject(world, subject):
    return sorted(p for p in world.items if p.startswith(f"subject-{subject}/"))


def test_fifty_licensees_are_each_told_exactly_the_removed_files_they_received(db_rt, tmp_path):
    rt = db_rt
    world = make_world(rt, tmp_path, count=8, licensees=50)
    rng = random.Random(13)
    received = {}
    for email, user in world.licensees.items():
        subset = rng.sample(sorted(world.items), rng.randint(0, 5))
        downloaded(rt, world, user, subset)
        received[email] = set(subset)
    removed = set(_by_subject(world, "00"))
    sub = proven_request(rt, world, labels=("00",))
    with rt.session() as db:
        found = privacy.search(db, sub.request.id, actor=world.curator)
        assert {m.path for m in found} == removed and {m.match.method for m in found} == {"label"}
        privacy.select_matches(db, sub.request.id, {m.match.item_id for m in found}, actor=world.curator)
        req = privacy.accept(rt, db, sub.request.id, actor=world.curator)
        assert (req.status, req.removed_count) == ("done", len(removed))
        new = catalog.latest_published(db, world.dataset_id)
        assert new.label == "1.0-r1" and new.file_count == 8 - len(removed)
        assert {i.path for i in catalog.list_items(db, new.id)} == set(world.items) - removed
        old = db.get(type(new), world.version_id)
        assert old.status == "withdrawn" and old.withdrawn_reason == privacy.REMOVED
        notices = {n.user_id: n for n in db.scalars(select(DeletionNotice))}
    assert len(notices) == 50
    for email, user in world.licensees.items():
        notice = notices[user.id]
        expected = received[email] & removed
        assert {f["path"] for f in notice.files} == expected, email
        assert {f["sha256"] for f in notice.files} == {world.items[p][1] for p in expected}
        assert notice.kind == ("delete" if expected else "changed")
        assert (notice.attested_at is None) == bool(expected)
    someone = next(e for e in world.licensees if received[e] & removed)
    assert last_mail(rt, someone, "removal-notice").template == "removal-notice"
    assert "done" in last_mail(rt, "person@example.net", "removal-decided").subject


def test_the_new_version_reuses_the_old_blobs(rt, tmp_path):
    world = make_world(rt, tmp_path, count=4)
    sub = proven_request(rt, world, labels=(), paths=("img-001.jpg",))
    with rt.session() as db:
        found = privacy.search(db, sub.request.id, actor=world.curator)
        assert [m.path for m in found] == ["subject-01/img-001.jpg"] and found[0].match.method == "path"
        privacy.select_matches(db, sub.request.id, {found[0].match.item_id}, actor=world.curator)
        privacy.accept(rt, db, sub.request.id, actor=world.curator)
        new = catalog.latest_published(db, world.dataset_id)
        kept = {i.sha256 for i in catalog.list_items(db, new.id)}
    assert kept == {sha for path, (_i, sha) in world.items.items() if path != "subject-01/img-001.jpg"}
    assert all(rt.store.exists(sha) for sha in kept) and rt.store.exists(new.manifest_sha256)


def test_nothing_happens_before_the_address_is_proven_and_the_proof_link_works_once(rt, tmp_path):
    world = make_world(rt, tmp_path, count=2)
    with rt.session() as db:
        sub = privacy.submit(rt, db, dataset=world.slug, email="p@example.net", what="me", address="192.0.2.1")
        assert privacy.queue(db, actor=world.curator) == []
        with pytest.raises(NotFound):
            privacy.get(db, sub.request.id, actor=world.curator)
    token = link_token(last_mail(rt, "p@example.net", "removal-prove").text_body, "prove")
    with rt.session() as db:
        req = privacy.prove(rt, db, token)
        assert req.status == "received" and req.due_at - req.proven_at == timedelta(days=30)
        with pytest.raises(privacy.LinkInvalid):
            privacy.prove(rt, db, token)
        with pytest.raises(privacy.LinkInvalid):
            privacy.prove(rt, db, token.split(".")[0] + ".forged")
        assert [r.request.id for r in privacy.queue(db, actor=world.curator)] == [req.id]
    assert last_mail(rt, world.curator.email, "removal-to-review")


def test_the_follow_link_shows_only_the_requesters_own_request(rt, tmp_path):
    world = make_world(rt, tmp_path, count=2)
    first = proven_request(rt, world, email="a@example.net")
    second = proven_request(rt, world, email="b@example.net")
    with rt.session() as db:
        token = first.follow_link.rsplit("/", 1)[1]
        assert privacy.follow(db, token).id == first.request.id
        forged = f"{second.request.id}.{token.split('.', 1)[1]}"  # a's secret, b's number
        with pytest.raises(privacy.LinkInvalid):
            privacy.follow(db, forged)
        stages = dict(privacy.stages(privacy.follow(db, token)))
        assert stages["received"] is not None and stages["done"] is None


def test_requests_are_rate_limited_per_address_and_per_email(rt, tmp_path):
    world = make_world(rt, tmp_path, count=2)
    with rt.session() as db:
        for _ in range(3):
            privacy.submit(rt, db, dataset=world.slug, email="same@example.net", what="me", address="192.0.2.9")
        with pytest.raises(RateLimited):
            privacy.submit(rt, db, dataset=world.slug, email="same@example.net", what="me", address="192.0.2.10")
        for n in range(7):
            privacy.submit(rt, db, dataset=world.slug, email=f"n{n}@example.net", what="me", address="192.0.2.9")
        with pytest.raises(RateLimited):
            privacy.submit(rt, db, dataset=world.slug, email="fresh@example.net", what="me", address="192.0.2.9")
        assert db.query(RemovalRequest).count() == 10


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"dataset": "no-such"}, NotFound),
        ({"email": "not an address"}, InvalidInput),
        ({"what": "  "}, InvalidInput),
        ({"photo": b"this is not an image"}, InvalidInput),
        ({"photo": b"\xff" * (11 * 1024 * 1024)}, InvalidInput),
        ({"labels": [f"x{n}" for n in range(60)]}, InvalidInput),
    ],
)
def test_bad_requests_get_a_clear_error_and_store_nothing(rt, tmp_path, fields, error):
    world = make_world(rt, tmp_path, count=2)
    base = {"dataset": world.slug, "email": "p@example.net", "what": "me"}
    with rt.session() as db:
        with pytest.raises(error) as raised:
            privacy.submit(rt, db, **{**base, **fields})
        assert str(raised.value)
        assert db.query(RemovalRequest).count() == 0
    photos = rt.settings.data_dir / "privacy-photos"
    assert not photos.exists() or not any(photos.iterdir())


def test_a_removal_that_would_empty_the_version_is_refused_and_changes_nothing(rt, tmp_path):
    world = make_world(rt, tmp_path, count=2)
    sub = proven_request(rt, world, labels=("00", "01"))
    with rt.session() as db:
        found = privacy.search(db, sub.request.id, actor=world.curator)
        privacy.select_matches(db, sub.request.id, {m.match.item_id for m in found}, actor=world.curator)
        with pytest.raises(InvalidInput, match="empty"):
            privacy.accept(rt, db, sub.request.id, actor=world.curator)
        assert catalog.latest_published(db, world.dataset_id).id == world.version_id
        assert privacy.get(db, sub.request.id, actor=world.curator).status == "under_review"


def test_declining_needs_a_reason_the_requester_reads_and_keeps_no_matches(rt, tmp_path):
    world = make_world(rt, tmp_path, count=2)
    sub = proven_request(rt, world, labels=("00",))
    with rt.session() as db:
        privacy.search(db, sub.request.id, actor=world.curator)
        with pytest.raises(InvalidInput):
            privacy.decline(rt, db, sub.request.id, actor=world.curator, reason=" ")
        privacy.decline(rt, db, sub.request.id, actor=world.curator, reason="these images do not show you")
        assert privacy.matches(db, privacy.get(db, sub.request.id, actor=world.curator)) == []
        with pytest.raises(IllegalTransition):
            privacy.accept(rt, db, sub.request.id, actor=world.curator)
    assert "do not show you" in last_mail(rt, "person@example.net", "removal-decided").text_body


def test_a_curator_of_another_dataset_sees_neither_the_queue_nor_the_request(rt, tmp_path):
    world = make_world(rt, tmp_path, count=2)
    other = make_world(rt, tmp_path, "other", count=2)
    sub = proven_request(rt, world)
    with rt.session() as db:
        assert privacy.queue(db, actor=other.curator) == []
        for call in (
            lambda: privacy.get(db, sub.request.id, actor=other.curator),
            lambda: privacy.search(db, sub.request.id, actor=other.curator),
            lambda: privacy.accept(rt, db, sub.request.id, actor=other.curator),
        ):
            with pytest.raises(NotFound):
                call()


def test_a_licensee_attests_only_their_own_notice_once(rt, tmp_path):
    world = make_world(rt, tmp_path, count=4, licensees=2)
    ana, ben = world.licensees.values()
    downloaded(rt, world, ana, _by_subject(world, "00"))
    sub = proven_request(rt, world)
    with rt.session() as db:
        found = privacy.search(db, sub.request.id, actor=world.curator)
        privacy.select_matches(db, sub.request.id, {m.match.item_id for m in found}, actor=world.curator)
        privacy.accept(rt, db, sub.request.id, actor=world.curator)
        ana_notice = next(n for n in db.scalars(select(DeletionNotice)) if n.user_id == ana.id)
        ben_notice = next(n for n in db.scalars(select(DeletionNotice)) if n.user_id == ben.id)
        ana_user, ben_user = db.merge(ana), db.merge(ben)
        with pytest.raises(NotFound):
            privacy.attest(db, ana_notice.id, user=ben_user, confirmed=True)
        with pytest.raises(InvalidInput):
            privacy.attest(db, ana_notice.id, user=ana_user, confirmed=False)
        privacy.attest(db, ana_notice.id, user=ana_user, confirmed=True)
        with pytest.raises(Conflict):
            privacy.attest(db, ana_notice.id, user=ana_user, confirmed=True)
        with pytest.raises(Conflict, match="needs no answer"):
            privacy.attest(db, ben_notice.id, user=ben_user, confirmed=True)


def test_overdue_requests_escalate_once_and_notices_are_reminded(rt, tmp_path):
    world = make_world(rt, tmp_path, count=4, licensees=1)
    (ana,) = world.licensees.values()
    downloaded(rt, world, ana, _by_subject(world, "00"))
    late = proven_request(rt, world, email="late@example.net")
    later = utcnow() + timedelta(days=31)
    assert privacy.escalate(rt, now=later) == 1
    assert privacy.escalate(rt, now=later) == 0
    assert last_mail(rt, world.curator.email, "removal-overdue")
    with rt.session() as db:
        found = privacy.search(db, late.request.id, actor=world.curator)
        privacy.select_matches(db, late.request.id, {m.match.item_id for m in found}, actor=world.curator)
        privacy.accept(rt, db, late.request.id, actor=world.curator)
    assert privacy.remind(rt, now=utcnow()) == 0
    assert privacy.remind(rt, now=utcnow() + timedelta(days=25)) == 1
    assert privacy.remind(rt, now=utcnow() + timedelta(days=26)) == 0
    assert privacy.remind(rt, now=utcnow() + timedelta(days=31)) == 1
    assert privacy.remind(rt, now=utcnow() + timedelta(days=32)) == 0
    assert "Overdue" in last_mail(rt, ana.email, "removal-reminder").subject


def test_someone_without_the_curator_role_cannot_decide(rt, tmp_path):
    world = make_world(rt, tmp_path, count=2)
    nobody = make_user(rt, "nobody@example.org")
    sub = proven_request(rt, world)
    with rt.session() as db, pytest.raises(NotFound):
        privacy.decline(rt, db, sub.request.id, actor=nobody, reason="no")


def test_files_received_inside_a_tar_shard_count_by_the_bytes_that_went_out(rt, tmp_path):
    from accord.delivery import service as delivery
    from accord.entitlements import service as entitlements

    world = make_world(rt, tmp_path, count=4, licensees=2)
    whole, header_only = world.licensees.values()
    shard = delivery.state(rt).files.get(world.version_id).shards[0]
    removed = {world.items[p][1] for p in _by_subject(world, "00")}
    first_removed = next(s for s in shard.segments if s.sha256 in removed)
    log = delivery.state(rt).log
    with rt.session() as db:
        grants = {u.id: entitlements.check(db, u, world.dataset_id).entitlement.id for u in (whole, header_only)}
    size = sum(s.length for s in shard.segments)
    log.add(
        user_id=whole.id,
        entitlement_id=grants[whole.id],
        version_id=world.version_id,
        object=f"shard:{world.version_id}:0",
        offset=0,
        nbytes=size,
    )
    log.add(
        user_id=header_only.id,
        entitlement_id=grants[header_only.id],
        version_id=world.version_id,
        object=f"shard:{world.version_id}:0",
        offset=first_removed.offset - 512,
        nbytes=512,
    )  # its tar header
    log.flush()
    with rt.session() as db:
        got = delivery.received(rt, db, world.version_id, removed)
    in_shard = {s.sha256 for s in shard.segments if s.sha256 in removed}
    assert got == {whole.id: in_shard}


@pytest.mark.parametrize(
    ("pattern", "found"),
    [
        ("img-001.jpg", ["subject-01/img-001.jpg"]),
        ("subject-00/*", ["subject-00/img-000.jpg", "subject-00/img-002.jpg"]),
        (
            "*-00?.jpg",
            ["subject-00/img-000.jpg", "subject-00/img-002.jpg", "subject-01/img-001.jpg", "subject-01/img-003.jpg"],
        ),
        ("100%", []),
    ],
)
def test_path_patterns_match_file_names_and_folders(rt, tmp_path, pattern, found):
    world = make_world(rt, tmp_path, count=4)
    with rt.session() as db:
        got = [item.path for item, _ in catalog.matching(db, world.version_id, patterns=[pattern])]
    assert got == found


def test_a_path_pattern_with_an_underscore_or_percent_finds_that_file_and_no_other(rt, tmp_path):
    from tests.delivery.world import make_world as world_of_files

    jpeg = b"not an image; the name is what counts here"
    world = world_of_files(
        rt, tmp_path, "names", files={"a_b.jpg": jpeg, "axb.jpg": jpeg + b"1", "c%d.jpg": jpeg + b"2"}
    )
    with rt.session() as db:
        for pattern, found in (("a_b.jpg", ["a_b.jpg"]), ("c%d.jpg", ["c%d.jpg"]), ("a?b.jpg", ["a_b.jpg", "axb.jpg"])):
            got = [item.path for item, _ in catalog.matching(db, world.version_id, patterns=[pattern])]
            assert got == found, pattern
