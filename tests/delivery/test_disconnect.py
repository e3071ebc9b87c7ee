"""A licensee's client that reads part of a big file (or tar shard) and then drops the connection, against a live
server (granian, as `accord serve` runs it, and uvicorn): the server goes on serving, the download log does not
say the whole file went out (it holds at least what the client read and less than the whole), and the aborted
answer leaves no file descriptor open."""

from __future__ import annotations

import os
import socket
import struct
import time
from collections import Counter
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from accord.delivery import service as delivery
from accord.delivery.models import DownloadLog
from accord.web.app import create_app
from tests.delivery.world import SMALL, make_world, sha
from tests.live import serving, serving_granian

# Far more than the kernel's and the server's buffers can hold (a few MiB), so a client that stops reading
# stops the server well before the end.
BIG = 64 * 1024 * 1024
KEEP = 256 * 1024  # body bytes the client reads before it leaves
SERVERS = {"granian": serving_granian, "uvicorn": serving}


def _leave_early(base: str, url: str, range_: str | None = None) -> int:
    """GET `url`, read KEEP body bytes, then reset the connection (no orderly close); the body bytes read."""
    host, port = urlsplit(base).hostname, urlsplit(base).port
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)  # a small window: the server cannot run ahead
        s.connect((host, port))
        extra = f"Range: {range_}\r\n" if range_ else ""
        s.sendall(f"GET {url} HTTP/1.1\r\nHost: {host}:{port}\r\n{extra}\r\n".encode())
        data = b""
        while b"\r\n\r\n" not in data:
            data += s.recv(16384)
        head, _, body = data.partition(b"\r\n\r\n")
        assert head.split(b" ")[1] == (b"206" if range_ else b"200"), head
        got = len(body)
        while got < KEEP:
            got += len(s.recv(16384))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close sends a reset
    return got


def _until(what, check, seconds: float = 60):
    """Poll `check` until it gives something truthy (the server finishes the aborted answer on its own time)."""
    deadline = time.monotonic() + seconds  # generous for a loaded machine; it normally takes a few ms
    while not (found := check()):
        assert time.monotonic() < deadline, what() if callable(what) else what
        time.sleep(0.02)
    return found


def _new_row(rt, after: int, obj: str):
    def look():
        delivery.state(rt).log.flush()
        with rt.session() as db:
            return db.scalars(select(DownloadLog).where(DownloadLog.id > after, DownloadLog.object == obj)).first()

    return _until(f"no download log row for {obj}", look)


def _last_id(rt) -> int:
    delivery.state(rt).log.flush()
    with rt.session() as db:
        return db.scalar(select(func.coalesce(func.max(DownloadLog.id), 0)))


def _fds(data_dir) -> dict[int, str]:
    """This process's open descriptors on the test's data dir, less the pack index's (by design one SQLite
    connection per thread that ever looked a blob up, see blobpacks.py: how many depends on which pool thread
    took a request). Only this data dir: runtimes of earlier tests in the same process may still open and close
    their own databases while this test runs."""
    found = {}
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
        except FileNotFoundError:  # the listing's own descriptor, already closed
            continue
        if target.startswith(str(data_dir)) and not target.endswith(("/packs/index.sqlite", "/packs/index.sqlite-wal")):
            found[int(name)] = target
    return found


@pytest.mark.parametrize("server", SERVERS)
def test_a_client_that_drops_the_connection_is_logged_for_what_it_got_and_leaks_nothing(rt, tmp_path, server):
    big = os.urandom(BIG)
    world = make_world(rt, tmp_path, files={"a/small.txt": SMALL, "video/big.bin": big})
    with SERVERS[server](create_app(rt)) as base:
        listing = httpx.get(
            f"{base}/api/v1/datasets/{world.slug}/versions/1.0/files",
            headers={"Authorization": f"Bearer {world.token}"},
        ).json()
        urls = {f["path"]: urlsplit(f["url"]).path for f in listing["files"]}
        [shard] = listing["shards"]
        cases = [
            ("file", urls["video/big.bin"], None, 0, BIG),
            ("file from an offset", urls["video/big.bin"], "bytes=4096-", 4096, BIG - 4096),
            ("shard", urlsplit(shard["url"]).path, None, 0, shard["size"]),
        ]

        def round_(check: bool) -> None:
            for what, url, range_, offset, size in cases:
                obj = delivery.resolve(rt, url.split("/")[2]).link.object
                after = _last_id(rt)
                got = _leave_early(base, url, range_)
                # The server is still there: the next requests are answered, a whole file arrives intact.
                small = httpx.get(f"{base}{urls['a/small.txt']}", timeout=60)
                assert small.status_code == 200 and small.content == SMALL, what
                row = _new_row(rt, after, obj)
                if check:
                    assert row.offset == offset, what
                    # Not the whole file: at least what the client read, short of the end by far more than
                    # the buffers between the two could hold.
                    assert got <= row.bytes < size - 8 * 1024 * 1024, (what, got, row.bytes, size)

        served = str(rt.store.local_path(sha(big)))
        round_(check=False)  # the first round warms up pools and caches that stay open on purpose
        before = _fds(rt.settings.data_dir)
        round_(check=True)

        def as_before():
            now = _fds(rt.settings.data_dir)
            return now if len(now) <= len(before) else None

        def left_open():
            extra = Counter(_fds(rt.settings.data_dir).values()) - Counter(before.values())
            return f"left open: {sorted(extra.elements())}"

        after = _until(left_open, as_before)
        assert served not in after.values()  # the big file is not held open by an abandoned answer
        listed = httpx.get(
            f"{base}/api/v1/datasets/{world.slug}/versions/1.0/files",
            headers={"Authorization": f"Bearer {world.token}"},
        )
        assert listed.status_code == 200
