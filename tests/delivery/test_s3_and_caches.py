"""Downloads from an S3 store (moto's server), the revocation cache and the batched download log."""

from __future__ import annotations

import io
import tarfile
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from accord import dbmigrate
from accord.catalog import service as catalog
from accord.db import utcnow
from accord.delivery import log as download_log
from accord.delivery import service as delivery
from accord.delivery.log import DownloadLogWriter
from accord.delivery.revocations import RevocationCache
from accord.entitlements import service as entitlements
from accord.runtime import build
from accord.web.app import create_app
from tests.conftest import make_settings
from tests.delivery.world import LARGE, SMALL, make_world, sha
from tests.test_storage import s3_bucket, s3_endpoint  # noqa: F401  (moto's server, shared)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def s3_client(s3_endpoint, s3_bucket, tmp_path):  # noqa: F811
    rt = build(make_settings(tmp_path, storage_url=f"s3://{s3_bucket}/accord", s3_endpoint_url=s3_endpoint))
    dbmigrate.upgrade(rt.engine)
    world = make_world(rt, tmp_path)
    with TestClient(create_app(rt), base_url="http://testserver", follow_redirects=False) as client:
        yield client, world
    rt.engine.dispose()


def _listing(client, world) -> dict:
    response = client.get(
        f"/api/v1/datasets/{world.slug}/versions/1.0/files", headers={"Authorization": f"Bearer {world.token}"}
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_with_s3_storage_a_link_redirects_to_a_presigned_url_that_serves_the_file(s3_client):
    client, world = s3_client
    listing = _listing(client, world)
    url = next(f["url"] for f in listing["files"] if f["path"] == "b/large.bin")
    response = client.get(url)
    assert response.status_code == 303 and "Signature=" in response.headers["location"]
    fetched = httpx.get(response.headers["location"])
    assert fetched.status_code == 200 and fetched.content == LARGE
    assert "large.bin" in fetched.headers["content-disposition"]
    ranged = httpx.get(response.headers["location"], headers={"Range": "bytes=5-14"})
    assert ranged.status_code == 206 and ranged.content == LARGE[5:15]
    manifest = client.get(listing["manifest_url"])
    assert manifest.status_code == 303 and httpx.get(manifest.headers["location"]).status_code == 200


def test_with_s3_storage_a_shard_is_built_by_the_app_and_a_range_inside_it_matches(s3_client):
    client, world = s3_client
    [shard] = _listing(client, world)["shards"]
    whole = client.get(shard["url"])
    assert whole.status_code == 200
    with tarfile.open(fileobj=io.BytesIO(whole.content)) as tar:
        assert {m.name: tar.extractfile(m).read() for m in tar.getmembers()} == world.files
    part = client.get(shard["url"], headers={"Range": "bytes=3000-5000"})
    assert part.status_code == 206 and part.content == whole.content[3000:5001]


def test_the_revocation_cache_asks_the_database_at_most_every_interval(rt, tmp_path):
    world = make_world(rt, tmp_path)
    clock = Clock()
    cache = RevocationCache(rt.session, lookback=timedelta(minutes=15), interval=2.0, clock=clock)
    assert not cache.revoked(world.grant_id)
    with rt.session() as db:
        entitlements.revoke(db, world.grant_id, actor="cli", reason="terminated by the custodian")
    clock.now += 1.9
    assert not cache.revoked(world.grant_id)  # within the interval: the cached answer, no query
    clock.now += 0.1
    assert cache.revoked(world.grant_id)


def test_revocations_older_than_a_links_lifetime_are_not_loaded(rt, tmp_path):
    world = make_world(rt, tmp_path)
    with rt.session() as db:
        entitlements.revoke(db, world.grant_id, actor="cli", reason="long ago", at=utcnow() - timedelta(hours=2))
    cache = RevocationCache(rt.session, lookback=timedelta(minutes=15))
    cache.refresh()
    assert cache.revoked_ids == set()  # no link issued before then can still be valid


def test_the_log_writes_one_insert_per_batch_of_rows(rt, tmp_path):
    world = make_world(rt, tmp_path)
    clock = Clock()
    writer = DownloadLogWriter(rt.session, batch=3, every=60.0, clock=clock)
    row = {
        "user_id": world.licensee_id,
        "entitlement_id": world.grant_id,
        "version_id": world.version_id,
        "object": f"item:{world.version_id}:{sha(SMALL)}",
        "nbytes": 10,
    }

    def logged() -> int:
        with rt.session() as db:
            return len(download_log.for_user(db, world.licensee_id))

    writer.add(offset=0, **row)
    writer.add(offset=10, **row)
    assert logged() == 0
    writer.add(offset=20, **row)
    assert logged() == 3  # the batch filled up
    writer.add(offset=30, **row)
    clock.now += 61
    writer.add(offset=40, **row)
    assert logged() == 5  # the oldest waiting row got too old
    assert writer.flush() == 0


def test_a_draft_or_withdrawn_version_lists_nothing(client, rt, tmp_path):
    world = make_world(rt, tmp_path)
    headers = {"Authorization": f"Bearer {world.token}"}
    with rt.session() as db:
        version = catalog.version_by_label(db, world.slug, "1.0")
        catalog.withdraw(db, version.id, actor="cli", reason="a participant withdrew consent")
        draft = catalog.create_version(db, version.dataset_id, label="2.0", actor="cli")
    response = client.get(f"/api/v1/datasets/{world.slug}/versions/1.0/files", headers=headers)
    assert response.status_code == 404 and "withdrew consent" in response.json()["detail"]
    assert client.get(f"/api/v1/datasets/{world.slug}/versions/{draft.label}/files", headers=headers).status_code == 404
    assert client.get(f"/api/v1/datasets/{world.slug}/versions/9.9/files", headers=headers).status_code == 404


def test_a_listing_refused_by_the_site_networks_says_why(client, rt, tmp_path):
    world = make_world(rt, tmp_path)
    with rt.session() as db:
        grant = entitlements.get(db, world.grant_id)
        grant.networks = ["192.0.2.0/24"]  # the TestClient's address ("testclient") is outside it
        db.commit()
    response = client.get(
        f"/api/v1/datasets/{world.slug}/versions/1.0/files", headers={"Authorization": f"Bearer {world.token}"}
    )
    assert response.status_code == 403 and "site named in the application" in response.json()["detail"]


def test_a_link_to_a_shard_that_does_not_exist_is_refused(client, rt, tmp_path):
    from accord.delivery import links

    world = make_world(rt, tmp_path)
    token = links.sign(
        rt.secret,
        links.Link(world.licensee_id, world.grant_id, f"shard:{world.version_id}:7", int(utcnow().timestamp()) + 60),
    )
    response = client.get(f"/dl/{token}", headers={"Accept": "application/json"})
    assert response.status_code == 403 and "nothing that can be downloaded" in response.json()["detail"]
    assert delivery.state(rt).log.flush() == 0  # refusals log nothing


def test_rows_left_waiting_are_written_once_due_and_kept_when_the_write_fails(rt, tmp_path):
    world = make_world(rt, tmp_path)
    clock = Clock()

    def unreachable():
        raise OSError("database unreachable")

    writer = DownloadLogWriter(unreachable, batch=100, every=5.0, clock=clock)
    writer.add(
        user_id=world.licensee_id,
        entitlement_id=world.grant_id,
        version_id=world.version_id,
        object="sha256sums:1",
        offset=0,
        nbytes=99,
    )
    assert writer.flush_if_due() == 0  # not yet due: what the watcher thread finds before 5 s
    clock.now += 5
    with pytest.raises(OSError):
        writer.flush_if_due()
    writer.sessions = rt.session  # the database is back
    clock.now += 5
    assert writer.flush_if_due() == 1  # the row was kept for this try
    with rt.session() as db:
        assert [r.bytes for r in download_log.for_user(db, world.licensee_id)] == [99]
