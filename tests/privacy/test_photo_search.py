"""The photo search at the desk: the requester's photo finds their images, is deleted once the search ran (an
audit event in the same unit of work), and a curator can search again with a photo of their own, never kept.
Publishing a version queues its index job."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from accord.audit.models import AuditEvent
from accord.errors import IllegalTransition, InvalidInput, NotFound
from accord.jobs.models import Job
from accord.privacy import jobs as privacy_jobs
from accord.privacy import service as privacy
from accord.privacy.models import BlobIndex, RemovalRequest
from tests.identity.helpers import make_curator, make_user
from tests.privacy.scenes import background, dataset, files, jpeg, png, scene, selfie
from tests.privacy.world import last_mail, link_token


@pytest.fixture
def desk(rt, tmp_path):
    ds_id, version_id, items = dataset(rt, tmp_path)
    privacy.index_version(rt, version_id)
    curator = make_curator(rt, "curator@people.example.org", ds_id)
    return {"version_id": version_id, "items": items, "curator": curator}


def _request(rt, photo: bytes | None, email="person@example.net"):
    with rt.session() as db:
        sub = privacy.submit(
            rt, db, dataset="people", email=email, what="every picture of me", photo=photo, address="198.51.100.9"
        )
    with rt.session() as db:
        privacy.prove(rt, db, link_token(last_mail(rt, email, "removal-prove").text_body, "prove"))
    return sub.request.id


def _photos(rt):
    folder = rt.settings.data_dir / "privacy-photos"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _events(rt, request_id):
    with rt.session() as db:
        return [
            (e.action, e.data)
            for e in db.scalars(
                select(AuditEvent)
                .where(AuditEvent.object_type == "removal_request", AuditEvent.object_id == str(request_id))
                .order_by(AuditEvent.id)
            )
        ]


def test_the_requesters_photo_is_searched_at_proof_and_then_deleted(rt, desk):
    rid = _request(rt, selfie("grace"))  # proving queues the photo search (jobs run inline in tests)
    with rt.session() as db:
        req = db.get(RemovalRequest, rid)
        found = {(m.path, m.match.method) for m in privacy.matches(db, req)}
        assert req.photo_key is None and req.photo_deleted_at is not None
        assert req.status == "received"  # nobody has looked yet: the requester's page does not say "under review"
        job = db.scalars(select(Job).where(Job.kind == "privacy_photo_search")).one()
    assert found == {("grace/g1.jpg", "face"), ("grace/g2.jpg", "face")}
    assert job.status == "done" and job.result["faces_in_photo"] == 1 and job.result["photo_deleted"]
    assert _photos(rt) == []
    actions = [a for a, _ in _events(rt, rid)]
    assert actions[-2:] == ["removal.photo_searched", "removal.photo_deleted"]
    searched = dict(_events(rt, rid))["removal.photo_searched"]
    assert searched["photo"] == "requester" and searched["added"] == 2
    with rt.session() as db, pytest.raises(InvalidInput, match="no photo"):
        privacy.photo_search(rt, db, rid, actor=desk["curator"])  # the photo is gone


def test_a_curator_searches_again_with_another_photo_which_is_not_kept(rt, desk):
    rid = _request(rt, None)
    with rt.session() as db:
        done = privacy.photo_search(rt, db, rid, actor=desk["curator"], photo=selfie("astronaut"))
        assert {m.path for m in done.matches} == {"astronaut/a1.jpg", "astronaut/a2.jpg"}
        again = privacy.photo_search(rt, db, rid, actor=desk["curator"], photo=selfie("astronaut", side=200))
    assert again.added == 0 and len(again.matches) == 2 and not again.photo_deleted
    assert _photos(rt) == []
    assert "removal.photo_deleted" not in [a for a, _ in _events(rt, rid)]
    assert dict(_events(rt, rid))["removal.photo_searched"]["photo"] == "curator"


def test_a_photo_with_no_face_says_so_and_still_finds_its_duplicate(rt, desk):
    rid = _request(rt, png(background(9, (640, 480))))
    with rt.session() as db:
        job = db.scalars(select(Job).where(Job.kind == "privacy_photo_search")).one()
        found = privacy.matches(db, db.get(RemovalRequest, rid))
    assert job.result["faces_in_photo"] == 0 and job.result["photo_deleted"] and "no face" in job.message
    assert [(m.path, m.match.method) for m in found] == [("empty/field.png", "phash")]


def test_the_photo_is_kept_while_part_of_the_version_is_not_indexed(rt, tmp_path, desk):
    contents = files({"grace/g3.jpg": jpeg(scene("grace", width=200, at=(100, 100), seed=12))})
    _ds, latest, _items = dataset(rt, tmp_path, contents=contents, label="2.0")  # one image not indexed
    rid = _request(rt, selfie("grace"))  # searched at proof: one image unsearched, so the photo is kept
    with rt.session() as db:
        done = privacy.photo_search(rt, db, rid, actor=desk["curator"])
    assert (done.unindexed, done.photo_deleted) == (1, False) and len(_photos(rt)) == 1
    privacy.index_version(rt, latest)
    assert privacy_jobs.waiting_photos(rt, latest) == 1  # what the index job does once the version is indexed
    assert _photos(rt) == []
    with rt.session() as db:
        assert {m.path for m in privacy.matches(db, db.get(RemovalRequest, rid))} >= {"grace/g3.jpg"}


def test_declining_deletes_a_photo_still_kept(rt, tmp_path, desk):
    contents = files({"grace/g3.jpg": jpeg(scene("grace", width=200, at=(100, 100), seed=12))})
    dataset(rt, tmp_path, contents=contents, label="2.0")
    rid = _request(rt, selfie("grace"))
    assert len(_photos(rt)) == 1  # kept: part of the version was not searchable
    with rt.session() as db:
        privacy.decline(rt, db, rid, actor=desk["curator"], reason="not in this dataset")
    assert _photos(rt) == []
    assert ("removal.photo_deleted", "declined") in [(a, d.get("why")) for a, d in _events(rt, rid)]


def test_only_the_datasets_curators_search_and_only_open_requests(rt, desk):
    rid = _request(rt, selfie("grace"))
    stranger = make_user(rt, "someone@example.org")
    with rt.session() as db, pytest.raises(NotFound):
        privacy.photo_search(rt, db, rid, actor=stranger)
    with rt.session() as db:
        privacy.decline(rt, db, rid, actor=desk["curator"], reason="not in this dataset")
        with pytest.raises(IllegalTransition):
            privacy.photo_search(rt, db, rid, actor=desk["curator"], photo=selfie("grace"))
    assert _photos(rt) == []


@pytest.mark.parametrize(
    ("photo", "words"), [(b"GIF89a not really", "not an image"), (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "not an image")]
)
def test_a_bad_curator_photo_is_refused_and_changes_nothing(rt, desk, photo, words):
    rid = _request(rt, None)
    with rt.session() as db, pytest.raises(InvalidInput, match=words):
        privacy.photo_search(rt, db, rid, actor=desk["curator"], photo=photo)
    with rt.session() as db:
        assert db.get(RemovalRequest, rid).status == "received"
    assert "removal.photo_searched" not in [a for a, _ in _events(rt, rid)]


def test_publishing_a_version_queues_its_index_job(rt, tmp_path):
    _ds, version_id, _items = dataset(rt, tmp_path, "queued")
    with rt.session() as db:
        job = db.scalar(select(Job).where(Job.kind == "privacy_index"))
        assert job.params == {"version_id": version_id} and job.message == privacy_jobs.PENDING
        assert db.scalar(select(BlobIndex.sha256).limit(1)) is None
    privacy_jobs.privacy_index_pending(rt)  # the periodic job puts it on the (immediate) queue
    with rt.session() as db:
        job = db.get(Job, job.id)
        assert job.status == "done", job.error
        assert (job.result["indexed"], job.result["faces"], job.result["errors"]) == (6, 4, 1)
        assert (job.done, job.total) == (6, 6)
        assert privacy.unindexed(db, version_id) == 0
    privacy_jobs.privacy_index_pending(rt)  # nothing waits any more


def test_start_index_is_for_the_datasets_curators(rt, desk):
    stranger = make_user(rt, "someone@example.org")
    with rt.session() as db:
        with pytest.raises(Exception, match="curator"):
            privacy_jobs.start_index(rt, db, desk["version_id"], actor=stranger)
        job = privacy_jobs.start_index(rt, db, desk["version_id"], actor=desk["curator"])
    assert job.status == "done" and job.result["indexed"] == 0  # all indexed already
