"""Curation pages: who may use them, dataset and version forms, uploads (streamed, size-limited, sniffed),
publishing and withdrawing, and the job status page and API."""

from __future__ import annotations

import re
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from accord.catalog import service as catalog
from accord.catalog.models import Dataset
from accord.http import upload as upload_module
from accord.http.deps import SESSION_COOKIE
from accord.identity import service as identity
from accord.jobs import service as jobs
from accord.jobs.models import Job
from tests.identity.helpers import session_csrf
from tests.jobs.archives import image_zip
from tests.jobs.catalogue import published_dataset


def login(client, rt, *, roles=("admin",), email="admin@example.org"):
    with rt.session() as db:
        user = identity.create_user(
            db, email=email, name=email.split("@")[0], password="a long test passphrase", roles=list(roles), actor="cli"
        )
        token = identity.start_session(db, user, ttl=timedelta(hours=1))
    client.cookies.set(SESSION_COOKIE, token)
    return user


def count(rt, model) -> int:
    with rt.session() as db:
        return db.scalar(select(func.count()).select_from(model))


def uploads(rt) -> list:
    folder = rt.settings.data_dir / "uploads"
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.fixture
def draft(rt):
    with rt.session() as db:
        ds = catalog.create_dataset(db, slug="faces", title="Faces", custodian="Lab", actor="cli")
        catalog.create_version(db, ds.id, label="1.0", actor="cli")
    return "faces", "1.0"


def upload(client, slug, label, path, *, csrf=None, name=None):
    with open(path, "rb") as fh:
        return client.post(
            f"/admin/datasets/{slug}/versions/{label}/upload",
            data={"csrf_token": csrf or session_csrf(client)},
            files={"archive": (name or path.name, fh, "application/octet-stream")},
            follow_redirects=False,
        )


# --- who may see the pages -----------------------------------------------------------------------------


def test_visitors_are_sent_to_log_in_and_applicants_are_refused(client, rt):
    response = client.get("/admin", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    login(client, rt, roles=(), email="applicant@example.org")
    assert client.get("/admin").status_code == 403
    assert (
        client.post(
            "/admin/datasets", data={"csrf_token": session_csrf(client), "slug": "x1", "title": "X", "custodian": "Y"}
        ).status_code
        == 403
    )
    assert count(rt, Dataset) == 0


@pytest.mark.parametrize("roles", [("admin",), ("curator",)])
def test_admins_and_global_curators_see_the_admin_page(client, rt, roles):
    login(client, rt, roles=roles)
    page = client.get("/admin")
    assert page.status_code == 200 and "New dataset" in page.text


def test_the_admin_link_shows_in_the_menu_for_admins(client, rt):
    login(client, rt)
    assert '<a href="/admin">Admin</a>' in client.get("/").text


# --- datasets and versions -------------------------------------------------------------------------------


def test_creating_a_dataset_redirects_to_its_management_page(client, rt):
    login(client, rt)
    response = client.post(
        "/admin/datasets",
        data={
            "csrf_token": session_csrf(client),
            "slug": "llvip",
            "title": "LLVIP",
            "custodian": "BUPT",
            "modalities": "visible, Infrared",
            "subject_count": "",
            "image_count": "30976",
            "homepage": "https://example.org/llvip",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/admin/datasets/llvip?note=created"
    with rt.session() as db:
        ds = catalog.dataset_by_slug(db, "llvip")
        assert (ds.modalities, ds.image_count, ds.subject_count) == (["visible", "infrared"], 30976, None)
    page = client.get(response.headers["location"])
    assert "Dataset created" in page.text and "No versions yet" in page.text


def test_a_bad_field_is_reported_next_to_it_and_nothing_is_created(client, rt):
    login(client, rt)
    page = client.post(
        "/admin/datasets",
        data={
            "csrf_token": session_csrf(client),
            "slug": "Bad Slug!",
            "title": "T",
            "custodian": "C",
            "summary": "kept",
        },
    )
    assert page.status_code == 422
    assert re.search(
        r'<input id="f-slug" name="slug" type="text" value="Bad Slug!"[^>]*aria-invalid="true"', page.text, re.S
    )
    assert re.search(r'<p class="field-error" id="f-slug-note">the slug needs', page.text)
    assert 'value="kept"' in page.text  # what was typed survives
    assert count(rt, Dataset) == 0


def test_a_duplicate_slug_is_a_conflict_shown_at_the_slug_field(client, rt, draft):
    login(client, rt)
    page = client.post(
        "/admin/datasets", data={"csrf_token": session_csrf(client), "slug": "faces", "title": "T", "custodian": "C"}
    )
    assert page.status_code == 409 and 'id="f-slug-note">a dataset with the slug' in page.text
    assert count(rt, Dataset) == 1


def test_a_forged_csrf_token_changes_nothing(client, rt):
    login(client, rt)
    response = client.post(
        "/admin/datasets", data={"csrf_token": "forged", "slug": "x1", "title": "X", "custodian": "Y"}
    )
    assert response.status_code == 403 and count(rt, Dataset) == 0


def test_versions_are_created_published_and_withdrawn_from_the_dataset_page(client, rt, draft, tmp_path):
    login(client, rt)
    response = client.post(
        "/admin/datasets/faces/versions",
        data={"csrf_token": session_csrf(client), "label": "2.0"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = client.get("/admin/datasets/faces").text
    assert "Version 2.0" in page and 'action="/admin/datasets/faces/versions/2.0/upload"' in page

    assert (
        client.post(
            "/admin/datasets/faces/versions", data={"csrf_token": session_csrf(client), "label": "2.0"}
        ).status_code
        == 409
    )

    with rt.session() as db:
        version = catalog.version_by_label(db, "faces", "1.0")
    catalog.ingest(rt, version.id, image_zip(tmp_path / "a.zip", count=2), actor="cli")
    assert 'action="/admin/datasets/faces/versions/1.0/publish"' in client.get("/admin/datasets/faces").text
    response = client.post(
        "/admin/datasets/faces/versions/1.0/publish", data={"csrf_token": session_csrf(client)}, follow_redirects=False
    )
    assert response.status_code == 303
    with rt.session() as db:
        assert catalog.version_by_label(db, "faces", "1.0").status == "published"

    assert (
        client.post(
            "/admin/datasets/faces/versions/1.0/withdraw", data={"csrf_token": session_csrf(client), "reason": ""}
        ).status_code
        == 422
    )  # a reason is required
    client.post(
        "/admin/datasets/faces/versions/1.0/withdraw", data={"csrf_token": session_csrf(client), "reason": "consent"}
    )
    with rt.session() as db:
        version = catalog.version_by_label(db, "faces", "1.0")
    assert (version.status, version.withdrawn_reason) == ("withdrawn", "consent")


def test_publishing_an_empty_draft_is_refused(client, rt, draft):
    login(client, rt)
    response = client.post("/admin/datasets/faces/versions/1.0/publish", data={"csrf_token": session_csrf(client)})
    assert response.status_code == 422 and "has no files yet" in response.text
    with rt.session() as db:
        assert catalog.version_by_label(db, "faces", "1.0").status == "draft"


# --- uploads ---------------------------------------------------------------------------------------------


def test_an_uploaded_zip_is_ingested_by_a_job_and_the_upload_is_removed(client, rt, draft, tmp_path):
    login(client, rt)
    response = upload(client, "faces", "1.0", image_zip(tmp_path / "faces.zip", count=5, previews=2))
    assert response.status_code == 303
    job_url = response.headers["location"]
    assert re.fullmatch(r"/jobs/\d+", job_url)
    page = client.get(job_url).text
    assert '<span class="badge done" id="job-state">done</span>' in page
    assert 'hx-trigger="every 1s"' not in page and 'http-equiv="refresh"' not in page  # nothing left to poll
    assert "Ingested 5 files" in page and 'href="/datasets/faces"' in page
    with rt.session() as db:
        assert catalog.version_by_label(db, "faces", "1.0").file_count == 5
    assert uploads(rt) == []


def test_an_upload_over_the_limit_is_refused_with_413_and_leaves_nothing(client, rt, draft, tmp_path):
    rt.settings.max_upload_bytes = 2000
    login(client, rt)
    archive = image_zip(tmp_path / "big.zip", count=40, size=(320, 240))
    assert archive.stat().st_size > 2000 + upload_module.FORM_SLACK  # refused on its declared length alone
    response = upload(client, "faces", "1.0", archive)
    assert response.status_code == 413 and "larger than the limit" in response.text
    assert count(rt, Job) == 0 and uploads(rt) == []
    with rt.session() as db:
        assert catalog.version_by_label(db, "faces", "1.0").file_count == 0


def test_a_streamed_upload_without_a_length_is_cut_off_at_the_limit(client, rt, draft, tmp_path):
    """No Content-Length (chunked): the limit is enforced while the bytes arrive; the partial file goes."""
    rt.settings.max_upload_bytes = 50_000
    login(client, rt)
    boundary = "accordtestboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{session_csrf(client)}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="archive"; filename="big.zip"\r\n'
        "Content-Type: application/zip\r\n\r\n"
    ).encode()

    def body():
        yield head
        yield b"PK\x03\x04"
        for _ in range(100):  # 100 x 10 KB, far past the limit
            yield b"\0" * 10_000
        yield f"\r\n--{boundary}--\r\n".encode()

    response = client.post(
        "/admin/datasets/faces/versions/1.0/upload",
        content=body(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413
    assert count(rt, Job) == 0 and uploads(rt) == []


def test_a_file_that_is_not_an_archive_is_refused_and_removed(client, rt, draft, tmp_path):
    login(client, rt)
    fake = tmp_path / "holiday.zip"
    fake.write_bytes(b"GIF89a" + b"\0" * 2000)
    response = upload(client, "faces", "1.0", fake)
    assert response.status_code == 422 and "not a .zip, .tar or .tar.gz archive" in response.text
    assert count(rt, Job) == 0 and uploads(rt) == []


def test_an_upload_into_a_published_version_is_refused_before_reading_it(client, rt, tmp_path):
    login(client, rt)
    published_dataset(rt, tmp_path, "done", title="Done")
    response = upload(client, "done", "1.0", image_zip(tmp_path / "more.zip", count=2))
    assert response.status_code == 409 and "only a draft version can be ingested" in response.text
    with rt.session() as db:  # publishing queued the privacy index job; no ingest job
        assert list(db.scalars(select(Job.kind))) == ["privacy_index"]
    assert uploads(rt) == []


def test_a_curator_cannot_ingest_a_server_path_but_an_admin_can(client, rt, draft, tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    with zipfile.ZipFile(image_zip(tmp_path / "x.zip", count=3)) as zf:
        zf.extractall(folder)
    login(client, rt, roles=("curator",), email="curator@example.org")
    assert "ingest-path" not in client.get("/admin/datasets/faces").text
    response = client.post(
        "/admin/datasets/faces/versions/1.0/ingest-path", data={"csrf_token": session_csrf(client), "path": str(folder)}
    )
    assert response.status_code == 403 and count(rt, Job) == 0

    client.cookies.clear()
    login(client, rt)
    response = client.post(
        "/admin/datasets/faces/versions/1.0/ingest-path",
        data={"csrf_token": session_csrf(client), "path": str(folder)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    with rt.session() as db:
        assert catalog.version_by_label(db, "faces", "1.0").file_count == 3
    assert folder.exists()


# --- the job page and API ----------------------------------------------------------------------------------


def test_an_unfinished_job_page_polls_with_htmx_and_refreshes_without_javascript(client, rt, draft):
    user = login(client, rt)
    with rt.session() as db:
        job = jobs.create(db, "ingest", {"dataset": "faces", "label": "1.0"}, actor=user)
    jobs.report(rt, job.id, 30, 120, "hashing files")
    page = client.get(f"/jobs/{job.id}").text
    assert f'hx-get="/jobs/{job.id}/status" hx-trigger="every 1s"' in page
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert '<progress id="job-progress" max="120" value="30">' in page and "hashing files" in page
    fragment = client.get(f"/jobs/{job.id}/status", headers={"HX-Request": "true"}).text
    assert fragment.lstrip().startswith('<section id="job-status"') and "<html" not in fragment

    api = client.get(f"/api/v1/jobs/{job.id}").json()
    assert (api["status"], api["done"], api["total"], api["message"]) == ("queued", 30, 120, "hashing files")


def test_a_failed_job_page_shows_the_error(client, rt, draft):
    user = login(client, rt)
    with rt.session() as db:
        job = jobs.create(db, "ingest", {"dataset": "faces", "label": "1.0"}, actor=user)
    jobs.mark_failed(rt, job.id, error="archive entry '../x' escapes the archive")
    page = client.get(f"/jobs/{job.id}").text
    assert "The job failed:</strong> archive entry &#39;../x&#39; escapes the archive" in page
    assert 'hx-trigger="every 1s"' not in page


def test_someone_elses_job_is_not_found(client, rt, draft):
    with rt.session() as db:
        job = jobs.create(db, "ingest", {}, actor="cli")
    login(client, rt, roles=("curator",), email="curator@example.org")
    assert client.get(f"/jobs/{job.id}").status_code == 404
    assert client.get(f"/api/v1/jobs/{job.id}").status_code == 404
    client.cookies.clear()
    assert client.get(f"/api/v1/jobs/{job.id}").status_code == 401


@pytest.mark.parametrize(("roles", "sees_link"), [(("curator",), True), (("admin",), True), ((), False)])
def test_the_admin_link_shows_for_curators_and_admins_only(client, rt, roles, sees_link):
    login(client, rt, roles=roles, email="someone@example.org")
    assert ('href="/admin"' in client.get("/").text) is sees_link
