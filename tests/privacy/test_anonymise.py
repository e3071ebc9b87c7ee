"""Anonymising a published version into a new draft: faces blurred and metadata gone in the changed files,
unchanged files keeping their blobs, a report with the numbers, flagged files reviewed before publishing, and
a run that is killed, resumed or cancelled leaving either a whole version or none."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from accord.catalog import service as catalog
from accord.catalog.models import DatasetVersion
from accord.errors import IllegalTransition, InvalidInput, NotFound, PermissionDenied
from accord.jobs.models import Job
from accord.privacy import anonymise, anonymise_run, blur, faces
from accord.privacy.models import Anonymisation, AnonymisedFile
from tests.identity.helpers import make_curator, make_user
from tests.privacy.scenes import background, dataset, files


def _with_gps() -> bytes:
    img = background(7, (320, 240))
    exif = Image.Exif()
    exif[0x010F] = "Example camera maker"
    exif.get_ifd(0x8825)[2] = (51.0, 30.0, 0.0)  # GPSLatitude
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif, comment=b"taken at the back door")
    return buf.getvalue()


CONTENTS = {"street/gps.jpg": _with_gps(), "notes/readme.txt": b"plain words, not an image\n"}


@pytest.fixture
def source(rt, tmp_path):
    ds_id, version_id, _items = dataset(rt, tmp_path, contents=files(CONTENTS))
    curator = make_curator(rt, "curator@people.example.org", ds_id)
    return ds_id, version_id, curator


def _start(rt, version_id, curator, **options):
    with rt.session() as db:
        return anonymise.start(rt, db, version_id, options=blur.Options(**options), actor=curator).id


def _state(rt, run_id):
    with rt.session() as db:
        run_ = db.get(Anonymisation, run_id)
        rows = {f.path: f for f in db.scalars(select(AnonymisedFile).where(AnonymisedFile.anonymisation_id == run_id))}
        draft = db.get(DatasetVersion, run_.draft_version_id) if run_.draft_version_id else None
        items = {i.path: i for i in catalog.list_items(db, draft.id, limit=100)} if draft else {}
        db.expunge_all()
    return run_, rows, draft, items


def _faces_in(rt, sha):
    with rt.store.open(sha) as fh:
        return faces.detect(faces.rgb(faces.open_image(fh.read())))


def test_a_version_is_anonymised_into_a_draft_with_its_report(rt, source):
    _ds, version_id, curator = source
    run_id = _start(rt, version_id, curator)
    run_, rows, draft, items = _state(rt, run_id)
    with rt.session() as db:
        originals = {i.path: i for i in catalog.list_items(db, version_id, limit=100)}
    assert draft.status == "draft" and draft.label == "1.0-anon" and set(items) == set(originals)
    # the four faces are found, blurred and no longer found in the new files
    for path in ("astronaut/a1.jpg", "astronaut/a2.jpg", "grace/g1.jpg", "grace/g2.jpg"):
        assert len(rows[path].faces) == 1 and rows[path].faces[0]["by"] == "centerface"
        assert items[path].sha256 != originals[path].sha256 == rows[path].source_sha256
        assert _faces_in(rt, items[path].sha256) == []
    # metadata: GPS, EXIF and the comment are gone from the rewritten file
    assert rows["street/gps.jpg"].removed == ["EXIF", "GPS", "comment"]
    with rt.store.open(items["street/gps.jpg"].sha256) as fh:
        clean = Image.open(io.BytesIO(fh.read()))
        assert len(clean.getexif()) == 0 and "comment" not in clean.info
    # unchanged files keep their blobs: a face-free PNG without metadata, the text file, the broken JPEG
    for path in ("empty/field.png", "notes/readme.txt", "broken/cut.jpg"):
        assert items[path].sha256 == originals[path].sha256
    assert rows["notes/readme.txt"].problem.startswith("not an image") and not rows["notes/readme.txt"].look
    assert rows["broken/cut.jpg"].look and anonymise_run.UNREADABLE in rows["broken/cut.jpg"].flags
    # the report
    assert run_.status == "review"
    assert (run_.files, run_.scanned, run_.faces, run_.images_with_faces) == (8, 6, 4, 4)
    assert (run_.unreadable, run_.not_images, run_.flagged, run_.reviewed) == (1, 1, 1, 0)
    assert run_.metadata_cleaned == 1 and run_.metadata_fields == {"EXIF": 1, "GPS": 1, "comment": 1}
    assert "CenterFace" in run_.detector and "threshold 0.5" in run_.detector
    with rt.session() as db:
        job = db.get(Job, run_.job_id)
        assert job.status == "done" and job.done == job.total == 8 and "4 faces" in job.message


def test_publishing_waits_for_the_flagged_files_and_then_makes_the_numbers_public(rt, source):
    _ds, version_id, curator = source
    run_id = _start(rt, version_id, curator)
    _run, rows, draft, _items = _state(rt, run_id)
    with rt.session() as db, pytest.raises(IllegalTransition, match="1 flagged file"):
        catalog.publish(db, draft.id, actor=curator)
    with rt.session() as db:
        assert anonymise.public_reports(db, [draft.id]) == {}  # nothing public before publishing
        anonymise.review(rt, db, run_id, rows["broken/cut.jpg"].id, decision="fine", actor=curator)
        assert db.get(Anonymisation, run_id).status == "ready"
        catalog.publish(db, draft.id, actor=curator)
        assert db.get(Anonymisation, run_id).status == "published"
        public = anonymise.public_reports(db, [draft.id])[draft.id]
    assert public["faces_blurred"] == 4 and public["images_scanned"] == 6 and public["reviewed_by_a_person"] == 1
    assert public["metadata_removed"] == {"EXIF": 1, "GPS": 1, "comment": 1}
    assert "path" not in str(public) and "sha256" not in str(public)  # numbers only


def test_a_box_drawn_by_the_curator_is_blurred_and_a_dropped_file_leaves_the_version(rt, source):
    _ds, version_id, curator = source
    run_id = _start(rt, version_id, curator)
    _run, rows, draft, items = _state(rt, run_id)
    field = rows["empty/field.png"]
    with rt.session() as db:
        done = anonymise.review(rt, db, run_id, field.id, decision="boxes", boxes=[[10, 20, 110, 140]], actor=curator)
        assert done.faces == [{"box": [10.0, 20.0, 110.0, 140.0], "score": 1.0, "by": "curator"}]
        anonymise.review(rt, db, run_id, rows["broken/cut.jpg"].id, decision="drop", actor=curator)
        with pytest.raises(InvalidInput, match="left, top, right, bottom"):
            anonymise.review(rt, db, run_id, field.id, decision="boxes", boxes=[[50, 50, 10, 10]], actor=curator)
        with pytest.raises(InvalidInput, match="could not be read"):
            anonymise.review(
                rt, db, run_id, rows["notes/readme.txt"].id, decision="boxes", boxes=[[0, 0, 5, 5]], actor=curator
            )
    run_, rows, draft2, items2 = _state(rt, run_id)
    assert items2["empty/field.png"].sha256 != items["empty/field.png"].sha256 == field.source_sha256
    before = Image.open(io.BytesIO(rt.store.open(field.source_sha256).read())).convert("RGB")
    after = Image.open(io.BytesIO(rt.store.open(items2["empty/field.png"].sha256).read())).convert("RGB")
    assert before.crop((10, 20, 110, 140)).tobytes() != after.crop((10, 20, 110, 140)).tobytes()
    assert before.crop((300, 300, 400, 400)).tobytes() == after.crop((300, 300, 400, 400)).tobytes()
    assert "broken/cut.jpg" not in items2 and draft2.file_count == 7 and draft2.root_hash != draft.root_hash
    assert (run_.status, run_.dropped, run_.faces) == ("ready", 1, 5)


class Killed(Exception): ...


def _die_on_second_batch(monkeypatch, exc):
    """The pool's second batch raises `exc` (SystemExit: as when the worker process is killed, nothing is caught
    and the job and run stay "running"). Returns the real runner, to put back."""
    from contextlib import contextmanager

    real = anonymise_run.pool.runner
    calls = {"n": 0}

    class Dying:
        def __init__(self, inner):
            self.inner, self.where = inner, inner.where

        def map(self, options, tasks):
            calls["n"] += 1
            if calls["n"] == 2:
                raise exc("the worker was killed")
            return self.inner.map(options, tasks)

    @contextmanager
    def dying_runner(settings):
        with real(settings) as inner:
            yield Dying(inner)

    monkeypatch.setattr(anonymise_run.pool, "runner", dying_runner)
    return real


def test_a_killed_job_resumes_from_its_last_batch_and_ends_as_a_whole_run_does(rt, source, monkeypatch):
    _ds, version_id, curator = source
    monkeypatch.setattr(anonymise_run, "BATCH", 3)
    whole = _start(rt, version_id, curator)
    _r, _rows, _d, whole_items = _state(rt, whole)
    with rt.session() as db:
        anonymise.cancel(db, whole, actor=curator)

    real = _die_on_second_batch(monkeypatch, Killed)
    run_id = _start(rt, version_id, curator)
    run_, rows, draft, items = _state(rt, run_id)
    assert run_.status == "failed" and "Killed" in run_.error
    assert len(rows) == 3 and items == {} and draft.file_count == 0  # one batch kept, the draft still empty
    with rt.session() as db, pytest.raises(IllegalTransition, match="failed"):
        catalog.publish(db, draft.id, actor=curator)
    monkeypatch.setattr(anonymise_run.pool, "runner", real)
    with rt.session() as db:
        anonymise.resume(rt, db, run_id, actor=curator)
    run_, rows, draft, items = _state(rt, run_id)
    assert run_.status == "review" and len(rows) == 8
    assert {p: i.sha256 for p, i in items.items()} == {p: i.sha256 for p, i in whole_items.items()}


def test_cancelling_leaves_no_version_and_starting_checks_who_and_what(rt, source):
    _ds, version_id, curator = source
    run_id = _start(rt, version_id, curator)
    _run, _rows, draft, _items = _state(rt, run_id)
    with rt.session() as db:
        anonymise.cancel(db, run_id, actor=curator)
        assert db.get(DatasetVersion, draft.id) is None
        assert db.get(Anonymisation, run_id).status == "cancelled"
        with pytest.raises(IllegalTransition, match="nothing to cancel"):
            anonymise.cancel(db, run_id, actor=curator)
    stranger = make_user(rt, "someone@elsewhere.example.org")
    with rt.session() as db:
        with pytest.raises(PermissionDenied):
            anonymise.start(rt, db, version_id, options=blur.Options(), actor=stranger)
        with pytest.raises(NotFound):
            anonymise.get(db, run_id, user=stranger)
        catalog.withdraw(db, version_id, actor=curator, reason="a subject asked to be removed")
        with pytest.raises(IllegalTransition, match="withdrawn"):
            anonymise.start(rt, db, version_id, options=blur.Options(), actor=curator)


def _hostile_and_unusual() -> dict[str, bytes]:
    from tests.privacy.scenes import animated_gif, face_at, png

    bomb = io.BytesIO()
    Image.new("1", (40_000, 40_000)).save(bomb, "PNG")  # 1.6 G pixels claimed by a file of a few hundred KB
    scene = background(8, (400, 300))
    face_at(scene, "grace", face=140, at=(120, 60))
    cmyk = io.BytesIO()
    scene.convert("CMYK").save(cmyk, "JPEG")
    return {"odd/bomb.png": bomb.getvalue(), "odd/cmyk.jpg": cmyk.getvalue(), "odd/moving.gif": animated_gif(),
            "odd/palette.png": png(scene.convert("P", palette=Image.Palette.ADAPTIVE))}  # fmt: skip


def test_a_bomb_is_kept_unread_and_flagged_while_cmyk_palette_and_animated_images_are_blurred(rt, tmp_path):
    _ds, version_id, _items = dataset(rt, tmp_path, slug="odd", contents=_hostile_and_unusual())
    run_id = _start(rt, version_id, "cli")
    run_, rows, _draft, items = _state(rt, run_id)
    bomb = rows["odd/bomb.png"]
    assert bomb.problem == "too many pixels to decode safely" and bomb.look and bomb.sha256 == bomb.source_sha256
    assert "CMYK converted to RGB" in rows["odd/cmyk.jpg"].flags and not rows["odd/cmyk.jpg"].look
    assert len(rows["odd/cmyk.jpg"].faces) == 1 and len(rows["odd/palette.png"].faces) == 1
    assert sorted(f.get("frame", 0) for f in rows["odd/moving.gif"].faces) == [0, 1, 2]
    assert items["odd/moving.gif"].media_type == "image/gif" and not rows["odd/moving.gif"].look
    assert (run_.status, run_.unreadable, run_.flagged, run_.faces) == ("review", 1, 1, 5)


def test_a_run_reviewed_and_published_on_either_database(db_rt, tmp_path):
    _ds, version_id, _items = dataset(db_rt, tmp_path, contents=files(CONTENTS))
    run_id = _start(db_rt, version_id, "cli")
    with db_rt.session() as db:
        flagged = anonymise.files(db, run_id, flagged=True)
        assert [f.path for f in flagged] == ["broken/cut.jpg"]
        anonymise.review(db_rt, db, run_id, flagged[0].id, decision="drop", actor="cli")
        draft_id = db.get(Anonymisation, run_id).draft_version_id
        catalog.publish(db, draft_id, actor="cli")
        report = anonymise.public_reports(db, [draft_id, version_id])
    assert list(report) == [draft_id] and report[draft_id]["faces_blurred"] == 4 and report[draft_id]["left_out"] == 1


def test_a_run_whose_worker_died_silently_can_be_resumed_once_it_saved_nothing_for_ten_minutes(rt, source, monkeypatch):
    import datetime as dt

    from accord.db import utcnow

    _ds, version_id, curator = source
    monkeypatch.setattr(anonymise_run, "BATCH", 3)
    real = _die_on_second_batch(monkeypatch, SystemExit)
    with pytest.raises(SystemExit):
        _start(rt, version_id, curator)
    monkeypatch.setattr(anonymise_run.pool, "runner", real)
    with rt.session() as db:  # as a killed worker leaves it: the run and its job "running", one batch saved
        run_ = db.scalars(select(Anonymisation)).one()
        run_id, job = run_.id, db.get(Job, run_.job_id)
        assert run_.status == job.status == "running" and run_.heartbeat_at is not None
        run_.heartbeat_at = utcnow() - dt.timedelta(minutes=3)
        db.commit()
        with pytest.raises(IllegalTransition, match="saved nothing for 10 minutes"):
            anonymise.resume(rt, db, run_id, actor=curator)
        run_.heartbeat_at = utcnow() - dt.timedelta(minutes=11)
        db.commit()
        old_job = run_.job_id
        anonymise.resume(rt, db, run_id, actor=curator)
        assert db.get(Job, old_job).status == "failed" and "saved nothing" in db.get(Job, old_job).error
    run_, rows, _draft, items = _state(rt, run_id)
    assert run_.status == "review" and len(rows) == len(items) == 8
