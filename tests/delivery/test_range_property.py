"""Property: any satisfiable single Range on any kind of link returns exactly that slice of the bytes."""

from __future__ import annotations

import io
import tarfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.api.delivery import _log_sent
from accord.delivery import log as download_log
from accord.delivery import service as delivery
from tests.delivery.world import LARGE, make_world


@pytest.fixture
def urls(client, rt, tmp_path):
    world = make_world(rt, tmp_path)
    listing = client.get(
        f"/api/v1/datasets/{world.slug}/versions/1.0/files", headers={"Authorization": f"Bearer {world.token}"}
    ).json()
    out = {f["path"]: (f["url"], world.files[f["path"]]) for f in listing["files"]}
    shard = listing["shards"][0]["url"]
    out["shard"] = (shard, client.get(shard).content)
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(["a/small.txt", "b/large.bin", "shard"]),
    a=st.integers(0, 2_000_000),
    b=st.integers(0, 2_000_000),
    suffix=st.booleans(),
)
def test_a_range_returns_exactly_those_bytes(client, urls, kind, a, b, suffix):
    url, data = urls[kind]
    if suffix:
        header, want = f"bytes=-{a}", data[-a:] if a else None
    else:
        start, end = min(a, b), max(a, b)
        header, want = f"bytes={start}-{end}", data[start : end + 1] if start < len(data) else None
    response = client.get(url, headers={"Range": header})
    if want is None:
        assert response.status_code == 416 and response.headers["content-range"] == f"bytes */{len(data)}"
    else:
        assert response.status_code == 206 and response.content == want
        first = len(data) - len(want) if suffix else min(a, b)
        assert response.headers["content-range"] == f"bytes {first}-{first + len(want) - 1}/{len(data)}"


def test_tarfile_reads_a_shard_assembled_from_resumed_pieces(client, urls):
    url, data = urls["shard"]
    pieces, pos = [], 0
    while pos < len(data):  # a downloader that keeps getting cut off after 300,000 bytes
        pieces.append(client.get(url, headers={"Range": f"bytes={pos}-{pos + 299_999}"}).content)
        pos += len(pieces[-1])
    with tarfile.open(fileobj=io.BytesIO(b"".join(pieces))) as tar:
        assert tar.extractfile("b/large.bin").read() == LARGE


def test_a_client_that_leaves_early_is_logged_with_the_bytes_it_got(client, rt, urls):
    """The log counts the body bytes that went out and maps them onto the answer's layout: in a multipart
    answer, each range with its bytes that were sent, and none for a range never reached (a live server and a
    client that really drops the connection: test_disconnect.py)."""
    url, data = urls["shard"]
    target = delivery.resolve(rt, url.split("/")[2])
    log = delivery.state(rt).log
    log.flush()
    client.get(url, headers={"Range": "bytes=0-9,5000-5099,-7"})  # read to the end: all three ranges
    assert log.flush() == 3
    parts = [
        (0, 100, b"--b\r\n(headers)\r\n\r\n"),
        (1000, 2000, b"--b\r\n(more)\r\n\r\n"),
        (3000, 4000, b"--b\r\n(more)\r\n\r\n"),
        (0, 0, b"--b--\r\n"),
    ]
    _log_sent(rt, target, parts, True, len(parts[0][2]) + 100 + 2 + len(parts[1][2]) + 300)
    assert log.flush() == 2
    with rt.session() as db:
        rows = [(r.object, r.offset, r.bytes) for r in download_log.for_user(db, target.link.user_id)][-5:]
    obj = target.link.object
    assert rows == [(obj, 0, 10), (obj, 5000, 100), (obj, len(data) - 7, 7), (obj, 0, 100), (obj, 1000, 300)]
