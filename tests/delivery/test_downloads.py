"""Downloads end to end through the app: listing, signed links, Range, shards, revocation, the log."""

from __future__ import annotations

import io
import tarfile
import time

import pytest

from accord.delivery import links
from accord.delivery import log as download_log
from accord.delivery import service as delivery
from accord.delivery.links import Link
from accord.entitlements import service as entitlements
from tests.delivery.world import LARGE, SMALL, make_world, sha
from tests.identity.helpers import api_token, make_user


@pytest.fixture
def world(rt, tmp_path):
    return make_world(rt, tmp_path)


def _auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _listing(client, world, **params) -> dict:
    response = client.get(
        f"/api/v1/datasets/{world.slug}/versions/{world.label}/files", params=params, headers=_auth(world.token)
    )
    assert response.status_code == 200, response.text
    return response.json()


def _url(listing: dict, path: str) -> str:
    return next(f["url"] for f in listing["files"] if f["path"] == path)


def test_a_licensee_lists_the_files_and_downloads_one_whose_bytes_match_its_hash(client, world):
    listing = _listing(client, world)
    assert [f["path"] for f in listing["files"]] == sorted(world.files)
    large = next(f for f in listing["files"] if f["path"] == "b/large.bin")
    assert large["size"] == len(LARGE) and large["sha256"] == sha(LARGE)
    response = client.get(large["url"])
    assert response.status_code == 200 and response.content == LARGE and sha(response.content) == large["sha256"]
    assert response.headers["etag"] == f'"{sha(LARGE)}"' and response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-disposition"] == 'attachment; filename="large.bin"'
    assert listing["file_count"] == 3 and listing["manifest_url"] and listing["sha256sums_url"]


def test_the_listing_pages_through_big_versions(client, world):
    first, rest = _listing(client, world, limit=2), _listing(client, world, offset=2, limit=2)
    assert [f["path"] for f in first["files"] + rest["files"]] == sorted(world.files)


def test_someone_without_a_grant_is_refused_the_listing(client, rt, world):
    make_user(rt, "stranger@example.org")
    response = client.get(
        f"/api/v1/datasets/{world.slug}/versions/1.0/files", headers=_auth(api_token(rt, "stranger@example.org"))
    )
    assert response.status_code == 403 and "apply" in response.json()["detail"]
    assert client.get(f"/api/v1/datasets/{world.slug}/versions/1.0/files").status_code == 401


@pytest.mark.parametrize("path", ["a/small.txt", "b/large.bin"])
def test_a_packed_and_a_loose_file_both_answer_range_requests(client, world, path):
    data = world.files[path]
    url = _url(_listing(client, world), path)
    part = client.get(url, headers={"Range": "bytes=100-999"})
    assert part.status_code == 206 and part.content == data[100:1000]
    assert part.headers["content-range"] == f"bytes 100-999/{len(data)}"
    tail = client.get(url, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == data[-10:]
    assert client.get(url, headers={"Range": f"bytes={len(data)}-"}).status_code == 416
    refused = client.get(url, headers={"Range": f"bytes={len(data) + 5}-{len(data) + 9}"})
    assert refused.status_code == 416 and refused.headers["content-range"] == f"bytes */{len(data)}"
    malformed = client.get(url, headers={"Range": "bytes=banana"})
    assert malformed.status_code == 200 and malformed.content == data
    head = client.head(url)
    assert head.status_code == 200 and int(head.headers["content-length"]) == len(data) and not head.content
    assert head.headers["etag"] == f'"{sha(data)}"'


@pytest.mark.parametrize("path", ["a/small.txt", "b/large.bin"])
def test_several_ranges_come_back_as_multipart_byteranges(client, world, path):
    data = world.files[path]
    response = client.get(_url(_listing(client, world), path), headers={"Range": "bytes=0-9,200-209"})
    assert response.status_code == 206
    assert response.headers["content-type"].startswith("multipart/byteranges; boundary=")
    assert int(response.headers["content-length"]) == len(response.content)
    body = response.content
    assert data[0:10] in body and data[200:210] in body
    assert f"bytes 0-9/{len(data)}".encode() in body and f"bytes 200-209/{len(data)}".encode() in body


def test_if_range_with_a_stale_etag_gets_the_whole_packed_file(client, world):
    url = _url(_listing(client, world), "a/small.txt")
    stale = client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"0000"'})
    assert stale.status_code == 200 and stale.content == SMALL
    fresh = client.get(url, headers={"Range": "bytes=0-9", "If-Range": f'"{sha(SMALL)}"'})
    assert fresh.status_code == 206 and fresh.content == SMALL[:10]


def test_an_altered_link_is_refused(client, world):
    url = _url(_listing(client, world), "a/small.txt")
    token = url.split("/")[2]
    altered = url.replace(token, token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"))
    response = client.get(altered, headers={"Accept": "application/json"})
    assert response.status_code == 403 and "not valid" in response.json()["detail"]
    assert client.get("/dl/nonsense").status_code == 403


def test_an_expired_link_is_refused_and_says_so(client, rt, world):
    token = links.sign(
        rt.secret,
        Link(world.licensee_id, world.grant_id, f"item:{world.version_id}:{sha(SMALL)}", int(time.time()) - 1),
    )
    response = client.get(f"/dl/{token}", headers={"Accept": "application/json"})
    assert response.status_code == 403 and "expired" in response.json()["detail"]


def test_a_link_used_by_another_logged_in_account_is_refused(client, rt, world):
    url = _url(_listing(client, world), "a/small.txt")
    make_user(rt, "other@example.org")
    response = client.get(url, headers={**_auth(api_token(rt, "other@example.org")), "Accept": "application/json"})
    assert response.status_code == 403 and "another account" in response.json()["detail"]
    assert client.get(url, headers=_auth(world.token)).content == SMALL  # its owner may send a token


def test_after_a_revocation_the_next_request_with_a_valid_link_fails(client, rt, world):
    url = _url(_listing(client, world), "b/large.bin")
    assert client.get(url, headers={"Range": "bytes=0-99"}).status_code == 206
    with rt.session() as db:
        entitlements.revoke(db, world.grant_id, actor="cli", reason="breach of clause 3")
    delivery.state(rt).revocations.refresh()  # what the next look (at most ~2 s later) would learn
    response = client.get(url, headers={"Range": "bytes=100-199", "Accept": "application/json"})
    assert response.status_code == 403 and "breach of clause 3" in response.json()["detail"]  # the curator's words
    assert response.json()["code"] == "revoked"


def test_sha256sums_lists_every_file_for_sha256sum_check(client, world):
    listing = _listing(client, world)
    response = client.get(listing["sha256sums_url"])
    assert response.status_code == 200
    assert response.text == "".join(f"{sha(world.files[p])}  {p}\n" for p in sorted(world.files))
    assert response.headers["content-disposition"] == 'attachment; filename="SHA256SUMS"'


def test_the_manifest_downloads_and_names_every_file(client, world):
    response = client.get(_listing(client, world)["manifest_url"])
    assert response.status_code == 200
    assert all(p in response.text and sha(d) in response.text for p, d in world.files.items())


def test_a_tar_shard_holds_the_exact_files_and_a_range_equals_the_same_slice(client, world):
    listing = _listing(client, world)
    [shard] = listing["shards"]
    whole = client.get(shard["url"])
    assert whole.status_code == 200 and len(whole.content) == shard["size"] == int(whole.headers["content-length"])
    with tarfile.open(fileobj=io.BytesIO(whole.content)) as tar:
        assert {m.name: tar.extractfile(m).read() for m in tar.getmembers()} == world.files
    part = client.get(shard["url"], headers={"Range": "bytes=1000-700000"})
    assert part.status_code == 206 and part.content == whole.content[1000:700001]
    resumed = client.get(shard["url"], headers={"Range": "bytes=512-"})
    assert resumed.content == whole.content[512:]


def test_every_response_is_logged_per_licensee_in_batches(client, rt, world):
    url = _url(_listing(client, world), "a/small.txt")
    client.get(url, headers={"Range": "bytes=0-99"})
    client.get(url)
    client.get(_url(_listing(client, world), "b/large.bin"), headers={"Range": "bytes=10-19"})
    with rt.session() as db:
        assert download_log.for_user(db, world.licensee_id) == []  # not yet written: batched in memory
    assert delivery.state(rt).log.flush() == 3
    with rt.session() as db:
        rows = [
            (r.object.split(":")[2], r.offset, r.bytes, r.entitlement_id, r.version_id)
            for r in download_log.for_user(db, world.licensee_id)
        ]
    assert rows == [
        (sha(SMALL), 0, 100, world.grant_id, world.version_id),
        (sha(SMALL), 0, len(SMALL), world.grant_id, world.version_id),
        (sha(LARGE), 10, 10, world.grant_id, world.version_id),
    ]


def test_behind_nginx_a_loose_file_is_handed_over_with_x_accel_redirect(client, rt, world):
    rt.settings.accel_redirect_prefix = "/_blobs/"
    url = _url(_listing(client, world), "b/large.bin")
    response = client.get(url)
    assert response.status_code == 200 and response.content == b""
    assert response.headers["x-accel-redirect"] == f"/_blobs/{sha(LARGE)[:2]}/{sha(LARGE)}"
    assert response.headers["content-disposition"] == 'attachment; filename="large.bin"'
    packed = client.get(_url(_listing(client, world), "a/small.txt"))  # inside a pack: the app sends it
    assert "x-accel-redirect" not in packed.headers and packed.content == SMALL


def test_serving_a_link_asks_the_database_nothing(client, rt, world):
    from sqlalchemy import event

    listing = _listing(client, world)
    urls = [_url(listing, p) for p in world.files] + [listing["shards"][0]["url"], listing["sha256sums_url"]]
    for url in urls:  # warm up: the first look at revocations, the version's file list
        client.get(url, headers={"Range": "bytes=0-0"})
    st = delivery.state(rt)
    st.revocations.interval = st.log.every = 3600.0  # no periodic look falls inside the measured requests
    statements = []
    event.listen(rt.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    for url in urls * 5:
        assert client.get(url, headers={"Range": "bytes=1-100"}).status_code == 206
    assert statements == []


def test_a_link_expires_with_its_grant_when_that_comes_first(client, rt, world):
    from datetime import timedelta

    from accord.db import utcnow

    soon = (utcnow() + timedelta(minutes=5)).replace(microsecond=0)
    with rt.session() as db:
        entitlements.get(db, world.grant_id).expires_at = soon
        db.commit()
    url = _url(_listing(client, world), "a/small.txt")
    token = url.split("/")[2]
    assert client.get(url).status_code == 200
    link = links.check(rt.secret, token, object=f"item:{world.version_id}:{sha(SMALL)}")
    assert link.expires == int(soon.timestamp())
    with pytest.raises(links.LinkExpired):
        links.check(rt.secret, token, object=link.object, now=soon.timestamp())


def test_if_range_on_a_loose_file_is_honoured_only_with_its_etag(client, world):
    url = _url(_listing(client, world), "b/large.bin")
    fresh = client.get(url, headers={"Range": "bytes=0-9", "If-Range": f'"{sha(LARGE)}"'})
    assert fresh.status_code == 206 and fresh.content == LARGE[:10]
    stale = client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"0000"'})
    assert stale.status_code == 200 and stale.content == LARGE


def test_the_name_in_a_link_only_names_the_saved_file(client, world):
    url = _url(_listing(client, world), "a/small.txt")
    renamed = url.rsplit("/", 1)[0] + "/r%C3%A9sum%C3%A9%22%3B.txt"
    response = client.get(renamed)
    assert response.content == SMALL
    assert response.headers["content-disposition"] == "attachment; filename*=utf-8''r%C3%A9sum%C3%A9__.txt"
