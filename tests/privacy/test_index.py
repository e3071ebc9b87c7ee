"""The search index over a real dataset of faces: per blob (a new version indexes only its new images),
resumable after a kill, and a search that finds a person's images from another photo of them."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import func, select

from accord.catalog import service as catalog
from accord.errors import InvalidInput, TooLarge
from accord.privacy import index
from accord.privacy.models import BlobIndex
from tests.privacy.scenes import background, dataset, files, jpeg, png, scene, selfie


def _rows(rt):
    with rt.session() as db:
        return {
            r.sha256: (r.phash, len(r.faces), r.embeddings, r.error)
            for r in db.scalars(select(BlobIndex).order_by(BlobIndex.sha256))
        }


@pytest.fixture
def people(rt, tmp_path):
    ds_id, version_id, items = dataset(rt, tmp_path)
    done = index.index_version(rt, version_id)
    return ds_id, version_id, items, done


def test_every_image_blob_is_indexed_once_with_its_faces_or_its_error(rt, people):
    _ds, version_id, items, done = people
    assert (done.indexed, done.errors, done.faces) == (6, 1, 4)
    rows = _rows(rt)
    with rt.session() as db:
        sha = {i.path: i.sha256 for i in catalog.list_items(db, version_id, limit=100)}
        assert index.unindexed(db, version_id) == 0
    assert set(rows) == {sha[p] for p in items}
    for path in ("astronaut/a1.jpg", "astronaut/a2.jpg", "grace/g1.jpg", "grace/g2.jpg"):
        phash, n, emb, error = rows[sha[path]]
        assert (n, len(emb), error) == (1, 128 * 4, None) and len(phash) == 16
    assert rows[sha["empty/field.png"]][1:] == (0, b"", None)
    assert rows[sha["broken/cut.jpg"]][0] is None and "not an image" in rows[sha["broken/cut.jpg"]][3]
    assert index.index_version(rt, version_id).indexed == 0  # nothing left


def test_a_new_version_indexes_only_its_new_blobs(rt, tmp_path, people):
    _ds, _v, _items, _done = people
    before = _rows(rt)
    contents = files({"astronaut/a3.jpg": jpeg(scene("astronaut", width=250, at=(500, 300), seed=11))})
    _ds2, v2, _items2 = dataset(rt, tmp_path, contents=contents, label="2.0")
    seen = []
    done = index.index_version(rt, v2, progress=lambda n, total, message: seen.append((n, total)))
    assert (done.indexed, done.faces) == (1, 1)
    assert seen[0] == (0, 1) and seen[-1] == (1, 1)
    after = _rows(rt)
    assert len(after) == len(before) + 1 and all(after[k] == v for k, v in before.items())


class Killed(Exception): ...


def test_a_killed_run_resumes_and_ends_with_the_same_rows(rt, tmp_path, people, monkeypatch):
    _ds, version_id, _items, _done = people
    whole = _rows(rt)
    with rt.session() as db:
        db.execute(BlobIndex.__table__.delete())
        db.commit()
    monkeypatch.setattr(index, "BATCH", 2)

    def die_after_three(n, total, message):
        if n >= 3:
            raise Killed

    with pytest.raises(Killed):
        index.index_version(rt, version_id, progress=die_after_three)
    with rt.session() as db:
        kept = db.scalar(select(func.count()).select_from(BlobIndex))
        assert kept == 4  # two whole batches committed; the third was not
        assert index.unindexed(db, version_id) == 2
    done = index.index_version(rt, version_id)
    assert done.indexed == 2
    assert _rows(rt) == whole


def test_a_selfie_finds_that_persons_images_first_and_not_the_other_persons(rt, people):
    _ds, version_id, items, _done = people
    for who, other in (("astronaut", "grace"), ("grace", "astronaut")):
        with rt.session() as db:
            result = index.search(rt, db, selfie(who), version_id)
        assert result.faces_in_photo == 1 and result.unindexed == 0
        faces = [c for c in result.candidates if c.method == "face"]
        assert {c.item_id for c in faces} == {
            items[f"{who}/{n}"] for n in (("a1.jpg", "a2.jpg") if who == "astronaut" else ("g1.jpg", "g2.jpg"))
        }
        assert not any(c.item_id in {items[p] for p in items if p.startswith(other)} for c in result.candidates)
        assert all(c.score >= index.FACE_MATCH for c in faces)
        assert result.candidates == sorted(result.candidates, key=lambda c: -c.score)


def test_a_near_duplicate_is_found_by_its_perceptual_hash(rt, people):
    _ds, version_id, items, _done = people
    copy = scene("grace", width=380, at=(50, 150), seed=4).resize((600, 450))
    with rt.session() as db:
        result = index.search(rt, db, jpeg(copy, quality=35), version_id)
    by_method = {(c.item_id, c.method): c.score for c in result.candidates}
    assert by_method[(items["grace/g2.jpg"], "phash")] >= 0.9
    assert [i for i, m in by_method if m == "phash"] == [items["grace/g2.jpg"]]
    assert (items["grace/g2.jpg"], "face") in by_method


def test_a_photo_without_a_face_is_searched_by_hash_only(rt, people):
    _ds, version_id, items, _done = people
    with rt.session() as db:
        result = index.search(rt, db, png(background(9, (640, 480))), version_id)
        nothing = index.search(rt, db, png(background(21, (320, 240))), version_id)
    assert result.faces_in_photo == 0
    assert [(c.item_id, c.method, c.score) for c in result.candidates] == [(items["empty/field.png"], "phash", 1.0)]
    assert (nothing.faces_in_photo, nothing.candidates) == (0, [])


@pytest.mark.parametrize(
    ("photo", "error"),
    [(b"not a photo", InvalidInput), (b"\0" * (21 * 2**20), TooLarge)],
    ids=["not-an-image", "21-MB"],
)
def test_a_photo_that_is_not_an_image_is_refused(rt, people, photo, error):
    with rt.session() as db, pytest.raises(error):
        index.search(rt, db, photo, people[1])


def test_search_counts_what_is_not_indexed_yet(rt, tmp_path, people):
    contents = files({"grace/g3.jpg": jpeg(scene("grace", width=200, at=(100, 100), seed=12))})
    _ds, v2, items2 = dataset(rt, tmp_path, contents=contents, label="2.0")
    with rt.session() as db:
        result = index.search(rt, db, selfie("grace"), v2)
    assert result.unindexed == 1
    assert items2["grace/g3.jpg"] not in {c.item_id for c in result.candidates}
    index.index_version(rt, v2)
    with rt.session() as db:
        again = index.search(rt, db, selfie("grace"), v2)
    assert again.unindexed == 0 and items2["grace/g3.jpg"] in {c.item_id for c in again.candidates}


def test_one_blob_under_several_items_finds_each(rt, tmp_path):
    same = jpeg(scene("astronaut", width=300, at=(60, 50), seed=1))
    _ds, version_id, items = dataset(rt, tmp_path, "twins", contents={"a/x.jpg": same, "b/y.jpg": same})
    assert index.index_version(rt, version_id).indexed == 1
    with rt.session() as db:
        result = index.search(rt, db, selfie("astronaut"), version_id)
    assert {c.item_id for c in result.candidates if c.method == "face"} == {items["a/x.jpg"], items["b/y.jpg"]}
    assert np.isclose(*[c.score for c in result.candidates if c.method == "face"])


def test_index_and_search_on_both_backends(db_rt, tmp_path):
    rt = db_rt
    _ds, version_id, items = dataset(rt, tmp_path, "both")
    assert index.index_version(rt, version_id).indexed == 6
    with rt.session() as db:
        assert index.unindexed(db, version_id) == 0
        result = index.search(rt, db, selfie("astronaut"), version_id)
        again = index.search(rt, db, jpeg(scene("grace", width=380, at=(50, 150), seed=4)), version_id)
    assert {c.item_id for c in result.candidates} == {items["astronaut/a1.jpg"], items["astronaut/a2.jpg"]}
    assert (items["grace/g2.jpg"], "phash") in {(c.item_id, c.method) for c in again.candidates}
