"""/api/v1/datasets: listing, search, versions, manifests, writes by role, and JSON problem bodies."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from accord.catalog import service as catalog
from accord.catalog.models import Dataset, DatasetVersion
from accord.identity import service as identity
from tests.catalog.conftest import dataset_and_draft, make_tree


def _token(rt, email, roles=(), dataset_id=None) -> dict:
    with rt.session() as db:
        user = identity.create_user(db, email=email, name=email, password="a long password 1", roles=list(roles))
        if dataset_id:
            identity.grant_role(db, user, "curator", dataset_id=dataset_id)
        return {"Authorization": f"Bearer {identity.create_api_token(db, user, name='test').secret}"}


@pytest.fixture
def published(rt, tmp_path):
    """llvip 1.0 published from a small tree, plus a draft 2.0; shhq has only a draft."""
    with rt.session() as db:
        ds, version = dataset_and_draft(db, "llvip")
        catalog.ingest(rt, version.id, make_tree(tmp_path / "src", n=4), actor="cli")
        catalog.publish(db, version.id, actor="cli")
        catalog.create_version(db, ds.id, label="2.0", actor="cli")
        dataset_and_draft(db, "shhq")
    return ds


def _count(rt, model):
    with rt.session() as db:
        return db.scalar(select(func.count()).select_from(model))


def test_the_listing_shows_only_published_datasets_and_searches(client, published):
    cards = client.get("/api/v1/datasets").json()
    assert [c["slug"] for c in cards] == ["llvip"]
    assert cards[0]["latest_version"] == "1.0" and cards[0]["file_count"] == 6 and cards[0]["has_preview"]
    assert client.get("/api/v1/datasets", params={"q": "INFRARED"}).json()[0]["slug"] == "llvip"
    assert client.get("/api/v1/datasets", params={"q": "nothing like it"}).json() == []
    assert client.get("/api/v1/datasets", params={"modality": "visible"}).json()[0]["slug"] == "llvip"
    assert client.get("/api/v1/datasets", params={"custodian": "Nobody"}).json() == []


def test_a_dataset_page_hides_drafts_from_visitors_and_shows_them_to_its_curators(client, rt, published):
    body = client.get("/api/v1/datasets/llvip").json()
    assert body["title"] == "LLVIP" and [v["label"] for v in body["versions"]] == ["1.0"]
    assert client.get("/api/v1/datasets/llvip/versions/2.0").status_code == 404
    assert client.get("/api/v1/datasets/shhq").status_code == 404
    curator = _token(rt, "cur@example.org", dataset_id=published.id)
    versions = client.get("/api/v1/datasets/llvip/versions", headers=curator).json()
    assert [(v["label"], v["status"]) for v in versions] == [("1.0", "published"), ("2.0", "draft")]


def test_the_manifest_is_json_lines_whose_hash_is_the_root_hash(client, rt, published):
    version = client.get("/api/v1/datasets/llvip/versions/1.0").json()
    assert client.get("/api/v1/datasets/llvip/versions/1.0/manifest").status_code == 401  # licensees only
    assert client.get("/api/v1/datasets/llvip/versions/1.0/items").status_code == 401
    assert (
        client.get("/api/v1/datasets/llvip/versions/1.0/items", headers=_token(rt, "nobody@example.org")).status_code
        == 403
    )
    curator = _token(rt, "cur@example.org", dataset_id=published.id)
    response = client.get("/api/v1/datasets/llvip/versions/1.0/manifest", headers=curator)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/jsonl")
    assert hashlib.sha256(response.content).hexdigest() == version["root_hash"]
    assert len(response.content.splitlines()) == 6
    items = client.get("/api/v1/datasets/llvip/versions/1.0/items", params={"limit": 2}, headers=curator).json()
    assert [i["path"] for i in items] == ["big.bin", "infrared/0000.jpg"]


def test_a_drafts_manifest_is_only_for_curators(client, rt, tmp_path):
    with rt.session() as db:
        ds, version = dataset_and_draft(db, "cion-al")
    catalog.ingest(rt, version.id, make_tree(tmp_path / "s", n=2, labels=False), actor="cli")
    assert client.get("/api/v1/datasets/cion-al/versions/1.0/manifest").status_code == 404
    curator = _token(rt, "c@example.org", dataset_id=ds.id)
    assert client.get("/api/v1/datasets/cion-al/versions/1.0/manifest", headers=curator).status_code == 200


def test_writes_without_a_login_are_401_and_without_the_role_403_as_problem_json(client, rt, published):
    applicant = _token(rt, "app@example.org")
    new = {"slug": "new-set", "title": "New", "custodian": "Lab"}
    response = client.post("/api/v1/datasets", json=new, headers={"Authorization": "Bearer acc_not-a-token"})
    assert response.status_code == 401 and response.headers["content-type"] == "application/problem+json"
    response = client.post("/api/v1/datasets", json=new, headers=applicant)
    assert response.status_code == 403 and "curator" in response.json()["detail"]
    assert client.post("/api/v1/datasets/llvip/versions", json={"label": "3"}, headers=applicant).status_code == 403
    assert (
        client.post("/api/v1/datasets/llvip/versions/1.0/withdraw", json={"reason": "x"}, headers=applicant).status_code
        == 403
    )
    assert client.post("/api/v1/datasets/llvip/versions/2.0/publish").status_code == 401  # no token, no cookie
    assert _count(rt, Dataset) == 2 and _count(rt, DatasetVersion) == 3


def test_a_curator_creates_a_dataset_and_a_version_and_withdraws_a_release(client, rt, published):
    admin = _token(rt, "admin@example.org", roles=["admin"])
    response = client.post(
        "/api/v1/datasets",
        headers=admin,
        json={"slug": "at-ustc", "title": "AT-USTC", "custodian": "USTC", "modalities": ["visible", "infrared"]},
    )
    assert response.status_code == 201 and response.json()["slug"] == "at-ustc"
    response = client.post("/api/v1/datasets/at-ustc/versions", json={"label": "1.0"}, headers=admin)
    assert response.status_code == 201 and response.json()["status"] == "draft"
    response = client.post(
        "/api/v1/datasets/llvip/versions/1.0/withdraw", json={"reason": "removal request"}, headers=admin
    )
    assert response.json()["status"] == "withdrawn"


def test_errors_are_problem_json_with_404_409_and_422(client, rt, published):
    admin = _token(rt, "admin@example.org", roles=["admin"])
    missing = client.get("/api/v1/datasets/nope")
    assert missing.status_code == 404 and missing.json()["title"] == "NotFound"
    duplicate = client.post("/api/v1/datasets", json={"slug": "llvip", "title": "X", "custodian": "Y"}, headers=admin)
    assert duplicate.status_code == 409 and duplicate.json()["field"] == "slug"
    empty = client.post("/api/v1/datasets/llvip/versions/2.0/publish", headers=admin)
    assert empty.status_code == 422 and "no files" in empty.json()["detail"]
    again = client.post("/api/v1/datasets/llvip/versions/1.0/publish", headers=admin)
    assert again.status_code == 409 and "never changes" in again.json()["detail"]
    bad = client.post("/api/v1/datasets", json={"slug": "Bad Slug", "title": "X", "custodian": "Y"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["field"] == "slug"
    schema = client.post("/api/v1/datasets", json={"slug": "x"}, headers=admin)
    assert schema.status_code == 422 and schema.headers["content-type"] == "application/problem+json"
    with rt.session() as db:
        assert catalog.version_by_label(db, "llvip", "2.0").status == "draft"
    assert _count(rt, Dataset) == 2
