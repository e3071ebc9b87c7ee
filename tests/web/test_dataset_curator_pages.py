"""A curator of one dataset uses the curation pages for that dataset (versions, upload, publish, withdraw, who has
access and revoking, the terms editor) and gets 403 for every other dataset's pages; creating datasets stays
with global curators. Nothing is changed by a refused request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from accord.catalog import service as catalog
from accord.catalog.models import Dataset, DatasetVersion
from accord.db import unit_of_work
from accord.entitlements import service as entitlements
from accord.http.deps import SESSION_COOKIE
from accord.identity import service as identity
from accord.policy import service as policies
from accord.policy.io import seed
from tests.identity.helpers import session_csrf
from tests.jobs.archives import image_zip
from tests.jobs.catalogue import published_dataset


@pytest.fixture
def world(client, rt, tmp_path):
    """Cara curates 'mine' only; 'theirs' belongs to other curators. Each has a licensee's grant."""
    grants = {}
    for slug in ("mine", "theirs"):
        ds, _ = published_dataset(rt, tmp_path, slug, title=slug.title(), count=2, previews=0)
        with rt.session() as db:
            policies.set_policy(db, ds.id, seed("llvip"), actor="cli")
            lee = identity.create_user(db, email=f"lee@{slug}.example", name="Lee", password="a long passphrase!")
            with unit_of_work(db):
                grants[slug] = entitlements.grant(
                    db, dataset_id=ds.id, user_id=lee.id, policy_version=1, actor="cli"
                ).id
            catalog.create_version(db, ds.id, label="2.0", actor="cli")  # a draft to publish
    with rt.session() as db:
        cara = identity.create_user(
            db, email="cara@lab.example", name="Cara", password="a long passphrase!", actor="cli"
        )
        identity.grant_role(db, cara, "curator", dataset_id=catalog.dataset_by_slug(db, "mine").id)
        client.cookies.set(SESSION_COOKIE, identity.start_session(db, cara, ttl=timedelta(hours=1)))
    return grants


def _post(client, path, **data):
    return client.post(path, data={"csrf_token": session_csrf(client), **data}, follow_redirects=False)


def _versions(rt, slug) -> dict[str, str]:
    with rt.session() as db:
        return {v.label: v.status for v in catalog.dataset_by_slug(db, slug).versions}


def test_the_admin_home_lists_only_the_curated_dataset_and_no_create_form(client, world):
    page = client.get("/admin")
    assert page.status_code == 200
    assert 'href="/admin/datasets/mine"' in page.text and "/admin/datasets/theirs" not in page.text
    assert 'action="/admin/datasets"' not in page.text
    assert 'href="/admin"' in client.get("/").text  # the navigation offers the pages


def test_their_own_dataset_is_fully_manageable(client, rt, world, tmp_path):
    page = client.get("/admin/datasets/mine")
    assert page.status_code == 200 and "lee@mine.example" in page.text  # who has access
    assert _post(client, "/admin/datasets/mine/versions", label="3.0").status_code == 303
    with open(image_zip(tmp_path / "up.zip", count=1, previews=0), "rb") as fh:
        uploaded = client.post(
            "/admin/datasets/mine/versions/3.0/upload",
            data={"csrf_token": session_csrf(client)},
            files={"archive": ("up.zip", fh, "application/zip")},
            follow_redirects=False,
        )
    assert uploaded.status_code == 303 and uploaded.headers["location"].startswith("/jobs/")
    assert client.get(uploaded.headers["location"]).status_code == 200  # the job they started
    assert _post(client, "/admin/datasets/mine/versions/3.0/publish").status_code == 303
    assert _post(client, "/admin/datasets/mine/versions/1.0/withdraw", reason="a subject withdrew").status_code == 303
    assert _versions(rt, "mine") == {"1.0": "withdrawn", "2.0": "draft", "3.0": "published"}
    revoked = _post(client, f"/admin/datasets/mine/access/{world['mine']}/revoke", reason="ended by the lab")
    assert revoked.status_code == 303
    assert client.get("/admin/datasets/mine/terms").status_code == 200


def test_every_page_of_another_dataset_is_refused_and_changes_nothing(client, rt, world, tmp_path):
    before = _versions(rt, "theirs")
    assert client.get("/admin/datasets/theirs").status_code == 403
    assert _post(client, "/admin/datasets/theirs/versions", label="3.0").status_code == 403
    assert _post(client, "/admin/datasets/theirs/versions", label="").status_code == 403  # before the form
    assert _post(client, "/admin/datasets/theirs/versions/2.0/publish").status_code == 403
    assert _post(client, "/admin/datasets/theirs/versions/1.0/withdraw", reason="x").status_code == 403
    with open(image_zip(tmp_path / "up.zip", count=1, previews=0), "rb") as fh:
        uploaded = client.post(
            "/admin/datasets/theirs/versions/2.0/upload",
            data={"csrf_token": session_csrf(client)},
            files={"archive": ("up.zip", fh, "application/zip")},
            follow_redirects=False,
        )
    assert uploaded.status_code == 403
    assert not (rt.settings.data_dir / "uploads").exists() or not any((rt.settings.data_dir / "uploads").iterdir())
    assert _post(client, f"/admin/datasets/theirs/access/{world['theirs']}/revoke", reason="x").status_code == 403
    assert client.get("/admin/datasets/theirs/terms").status_code == 403
    assert _versions(rt, "theirs") == before
    with rt.session() as db:
        assert entitlements.get(db, world["theirs"]).revoked_at is None


def test_creating_a_dataset_is_for_global_curators(client, rt, world):
    response = _post(client, "/admin/datasets", slug="new-set", title="New", custodian="Lab")
    assert response.status_code == 403
    bad = _post(client, "/admin/datasets", slug="Not A Slug")  # refused for who asks, not for what was typed
    assert bad.status_code == 403
    with rt.session() as db:
        assert db.scalar(select(func.count()).select_from(Dataset)) == 2
        assert db.scalar(select(func.count()).select_from(DatasetVersion)) == 4


def test_someone_curating_nothing_is_refused_the_admin_home(client, rt, world):
    with rt.session() as db:
        reviewer = identity.create_user(
            db, email="rev@lab.example", name="Rev", password="a long passphrase!", actor="cli"
        )
        identity.grant_role(db, reviewer, "reviewer", dataset_id=catalog.dataset_by_slug(db, "mine").id)
        client.cookies.set(SESSION_COOKIE, identity.start_session(db, reviewer, ttl=timedelta(hours=1)))
    assert client.get("/admin").status_code == 403
    assert client.get("/admin/datasets/mine").status_code == 403
