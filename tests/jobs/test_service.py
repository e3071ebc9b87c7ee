"""Jobs in immediate mode (huey runs the task before `submit` returns): status, progress, errors, refusals."""

from __future__ import annotations

import zipfile

import pytest
from sqlalchemy import func, select

from accord.audit.models import AuditEvent
from accord.catalog import service as catalog
from accord.catalog.jobs import archive_format, start_ingest
from accord.errors import IllegalTransition, InvalidInput, NotFound, PermissionDenied
from accord.jobs import service as jobs
from accord.jobs.models import Job
from tests.jobs.archives import image_zip


def job_count(rt) -> int:
    with rt.session() as db:
        return db.scalar(select(func.count()).select_from(Job))


def test_an_ingest_job_in_immediate_mode_runs_to_done_with_progress_recorded(rt, draft, tmp_path):
    slug, label, _version_id = draft
    archive = image_zip(tmp_path / "faces.zip", count=6, previews=2)

    job = start_ingest(rt, slug, label, archive, actor="cli", uploaded=False)

    with rt.session() as db:
        job = jobs.get(db, job.id)
        version = catalog.version_by_label(db, slug, label)
        actions = list(
            db.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "job").order_by(AuditEvent.id))
        )
    assert job.status == "done", job.error
    assert job.total is not None and job.done == job.total > 0  # only progress reports set a total
    assert job.result["file_count"] == 6 and job.message == "ingested 6 files"
    assert job.started_at is not None and job.finished_at >= job.started_at
    assert version.file_count == 6
    assert actions == ["job.created", "job.started", "job.done"]
    assert archive.exists()  # a server-side source is never deleted


def test_an_uploaded_archive_is_deleted_when_its_job_ends(rt, draft, admin, tmp_path):
    slug, label, _ = draft
    archive = image_zip(tmp_path / "upload.zip", count=2)
    job = start_ingest(rt, slug, label, archive, actor=admin, uploaded=True)
    with rt.session() as db:
        assert jobs.get(db, job.id).status == "done"
    assert not archive.exists()


def test_a_failing_ingest_job_ends_failed_with_the_message_and_adds_nothing(rt, draft, tmp_path):
    slug, label, _ = draft
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("ok.jpg", b"fine")
        zf.writestr("../../escape.jpg", b"outside")

    job = start_ingest(rt, slug, label, archive, actor="cli", uploaded=False)

    with rt.session() as db:
        job = jobs.get(db, job.id)
        version = catalog.version_by_label(db, slug, label)
    assert job.status == "failed"
    assert "escape.jpg" in job.error and job.finished_at is not None
    assert version.file_count == 0 and catalog.list_items(db, version.id) == []


def test_an_io_failure_fails_the_job_and_logs_the_traceback(rt, draft, tmp_path, caplog):
    import shutil

    slug, label, _ = draft
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(b"an image")
    shutil.rmtree(rt.settings.blob_dir, ignore_errors=True)
    rt.settings.blob_dir.write_text("a file where the blob folder should be")  # the disk is in a bad state

    job = start_ingest(rt, slug, label, folder, actor="cli", uploaded=False)

    with rt.session() as db:
        job = jobs.get(db, job.id)
        assert catalog.version_by_label(db, slug, label).file_count == 0
    assert job.status == "failed" and job.error.startswith("ingest failed: ")
    assert any(r.exc_info and r.name == "accord.jobs" for r in caplog.records)


def test_a_job_is_not_run_twice(rt, draft, tmp_path):
    slug, label, _ = draft
    job = start_ingest(rt, slug, label, image_zip(tmp_path / "a.zip", count=2), actor="cli", uploaded=False)
    from accord.catalog.jobs import run_ingest

    run_ingest(rt, job.id)  # a duplicate delivery from the queue
    with rt.session() as db:
        assert jobs.get(db, job.id).status == "done"
        assert catalog.version_by_label(db, slug, label).file_count == 2


def test_progress_is_written_at_most_twice_a_second_but_the_last_report_always(rt, draft):
    with rt.session() as db:
        job = jobs.create(db, "ingest", {}, actor="cli")
    assert jobs.report(rt, job.id, 10, 100, "a", now=1000.0) is True
    assert jobs.report(rt, job.id, 20, 100, "b", now=1000.2) is False
    assert jobs.report(rt, job.id, 30, 100, "c", now=1000.6) is True
    assert jobs.report(rt, job.id, 100, 100, "d", now=1000.7) is True  # finished: never dropped
    with rt.session() as db:
        job = jobs.get(db, job.id)
    assert (job.done, job.total, job.message) == (100, 100, "d")


def test_an_unknown_job_kind_is_refused_and_nothing_is_stored(rt):
    with rt.session() as db, pytest.raises(InvalidInput):
        jobs.create(db, "mine-bitcoin", {}, actor="cli")
    assert job_count(rt) == 0


def test_a_file_that_is_not_an_archive_is_refused_before_any_job(rt, draft, tmp_path):
    slug, label, _ = draft
    fake = tmp_path / "photos.zip"
    fake.write_bytes(b"%PDF-1.7 this is not a zip at all" * 20)
    with pytest.raises(InvalidInput, match="not a .zip"):
        start_ingest(rt, slug, label, fake, actor="cli", uploaded=False)
    assert job_count(rt) == 0


def test_archive_formats_are_recognised_by_their_first_bytes(tmp_path):
    import tarfile

    image_zip(tmp_path / "a.bin", count=1)
    src = tmp_path / "x.jpg"
    src.write_bytes(b"x" * 10)
    with tarfile.open(tmp_path / "b.bin", "w") as tf:
        tf.add(src, arcname="x.jpg")
    with tarfile.open(tmp_path / "c.bin", "w:gz") as tf:
        tf.add(src, arcname="x.jpg")
    (tmp_path / "d.bin").write_bytes(b"\x1f\x8b" + b"not really gzip" * 40)
    assert [archive_format(tmp_path / n) for n in ("a.bin", "b.bin", "c.bin", "d.bin", "x.jpg")] == [
        "zip",
        "tar",
        "tar.gz",
        None,
        None,
    ]


def test_ingesting_a_published_version_is_refused_before_any_job(rt, draft, tmp_path):
    slug, label, version_id = draft
    start_ingest(rt, slug, label, image_zip(tmp_path / "a.zip", count=2), actor="cli", uploaded=False)
    with rt.session() as db:
        catalog.publish(db, version_id, actor="cli")
    before = job_count(rt)
    with pytest.raises(IllegalTransition, match="published"):
        start_ingest(rt, slug, label, image_zip(tmp_path / "b.zip", count=2), actor="cli", uploaded=False)
    assert job_count(rt) == before


def test_only_admins_may_ingest_a_path_on_the_server(rt, draft, curator, tmp_path):
    slug, label, _ = draft
    folder = tmp_path / "folder"
    folder.mkdir()
    with pytest.raises(PermissionDenied):
        start_ingest(rt, slug, label, folder, actor=curator, uploaded=False)
    assert job_count(rt) == 0


def test_a_missing_server_path_is_refused(rt, draft, tmp_path):
    slug, label, _ = draft
    with pytest.raises(InvalidInput, match="does not exist"):
        start_ingest(rt, slug, label, tmp_path / "nowhere", actor="cli", uploaded=False)


def test_a_job_is_visible_to_its_creator_and_admins_only(rt, draft, admin, curator, tmp_path):
    slug, label, _ = draft
    job = start_ingest(rt, slug, label, image_zip(tmp_path / "a.zip", count=1), actor=curator, uploaded=True)
    with rt.session() as db:
        assert jobs.get_for(db, job.id, user=curator).id == job.id
        assert jobs.get_for(db, job.id, user=admin).id == job.id
        from accord.identity import service as identity

        other = identity.create_user(
            db, email="other@example.org", name="O", password="another long passphrase", roles=["curator"], actor="cli"
        )
        with pytest.raises(NotFound):
            jobs.get_for(db, job.id, user=other)


def test_progress_counts_beyond_two_gigabytes_are_stored(rt):
    with rt.session() as db:
        job = jobs.create(db, "ingest", {}, actor="cli")
    jobs.report(rt, job.id, 5 * 2**31, 6 * 2**31, "hashing a large archive", now=1.0)
    with rt.session() as db:
        job = jobs.get(db, job.id)
    assert (job.done, job.total) == (5 * 2**31, 6 * 2**31)


def test_a_job_that_cannot_be_queued_is_marked_failed_not_left_waiting(tmp_path):
    from accord import dbmigrate
    from accord.runtime import build
    from tests.conftest import make_settings

    rt = build(make_settings(tmp_path, jobs_immediate=False, redis_url="redis://127.0.0.1:1/0"))
    dbmigrate.upgrade(rt.engine)
    with rt.session() as db:
        ds = catalog.create_dataset(db, slug="lost", title="Lost", custodian="Lab", actor="cli")
        catalog.create_version(db, ds.id, label="1", actor="cli")
    with pytest.raises(Exception, match="(?i)connect"):
        start_ingest(rt, "lost", "1", image_zip(tmp_path / "a.zip", count=1), actor="cli", uploaded=False)
    with rt.session() as db:
        job = db.scalar(select(Job))
    assert job.status == "failed" and "could not be queued" in job.error
    rt.engine.dispose()
