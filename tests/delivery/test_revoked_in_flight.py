"""A grant revoked while one of its downloads is on its way, against a live server (uvicorn, and granian as
`accord serve` runs it): the transfer stops there (a whole file, a range of one, a tar shard), the client gets
fewer bytes than it asked for and a broken connection rather than a short answer that looks whole, the next
request is refused with the curator's reason, and the download log says the answer was stopped and why.
`accord download` then says access was refused and leaves the unfinished file as an unverified .part."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select

from accord.delivery import service as delivery
from accord.delivery.models import DownloadLog
from accord.entitlements import service as entitlements
from accord.web.app import create_app
from tests.delivery.world import SMALL, make_world
from tests.live import serving, serving_granian

BIG = 24 * 1024 * 1024  # far more than the server checks again after (a few MiB) plus the buffers between
HOLD = 2 * 1024 * 1024  # the gate holds the answer here until the test has revoked the grant
SERVERS = {"uvicorn": serving, "granian": serving_granian}
REASON = "breach of clause 3"


class Gate:
    """Test-only ASGI wrapper: holds the body of the /dl answer whose path ends with `name` after HOLD bytes until
    `opened` is set, so that the grant is surely revoked in the middle of the transfer (not before it began, not
    after it ended). Nothing else is changed: the server then sends on as fast as the client reads."""

    def __init__(self, app, name: str):
        self.app, self.name = app, name
        self.opened = threading.Event()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].endswith("/" + self.name):
            return await self.app(scope, receive, send)
        sent = 0

        async def holding(message):
            nonlocal sent
            if message["type"] == "http.response.body":
                while sent >= HOLD and not self.opened.is_set():
                    await asyncio.sleep(0.01)
                sent += len(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, holding)


def _revoke(rt, grant_id: int) -> None:
    with rt.session() as db:
        entitlements.revoke(db, grant_id, actor="cli", reason=REASON)
    delivery.state(rt).revocations.refresh()  # what the server's next look (at most ~2 s later) would learn


CASES = {  # what is downloaded: (the path of the file, or the shard), the Range asked for, its first byte
    "file": ("video/big.bin", None, 0),
    "range": ("video/big.bin", "bytes=1048576-", 1048576),
    "shard": (None, None, 0),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("server", SERVERS)
def test_a_revocation_stops_a_download_already_on_its_way(rt, tmp_path, server, case):
    path, range_, offset = CASES[case]
    world = make_world(rt, tmp_path, files={"a/small.txt": SMALL, "video/big.bin": os.urandom(BIG)})
    name = "big.bin" if path else f"{world.slug}-1.0-0000.tar"
    app = Gate(create_app(rt), name)
    with SERVERS[server](app) as base:
        listing = httpx.get(
            f"{base}/api/v1/datasets/{world.slug}/versions/1.0/files",
            headers={"Authorization": f"Bearer {world.token}"},
        ).json()
        if path:
            url = next(f["url"] for f in listing["files"] if f["path"] == path)
            size = BIG - offset
        else:
            [shard] = listing["shards"]
            url, size = shard["url"], shard["size"]
        obj = delivery.resolve(rt, urlsplit(url).path.split("/")[2]).link.object
        got = 0
        with httpx.stream("GET", f"{base}{url}", headers={"Range": range_} if range_ else {}, timeout=120) as response:
            assert response.status_code == (206 if range_ else 200)
            assert int(response.headers["content-length"]) == size
            with pytest.raises(httpx.RemoteProtocolError):  # the connection ends before the promised bytes
                for chunk in response.iter_bytes():
                    got += len(chunk)
                    if got >= 1024 * 1024 and not app.opened.is_set():
                        _revoke(rt, world.grant_id)
                        app.opened.set()
        assert app.opened.is_set() and 1024 * 1024 <= got < size

        # Asking for the rest is refused, with the curator's words.
        again = httpx.get(f"{base}{url}", headers={"Range": f"bytes={offset + got}-"}, timeout=60)
        assert again.status_code == 403 and REASON in again.text
        assert again.headers["x-accord-refusal"] == "revoked"

    delivery.state(rt).log.flush()
    with rt.session() as db:
        rows = db.scalars(select(DownloadLog).where(DownloadLog.object == obj)).all()
    [row] = rows  # the refused request sent nothing and logs nothing
    assert row.stopped == "revoked" and row.offset == offset
    assert got <= row.bytes < size


def test_accord_download_says_access_was_refused_and_leaves_the_unfinished_file_unverified(rt, tmp_path):
    files = {"notes/readme.txt": b"one small file, one big\n", "video/big.bin": os.urandom(BIG)}
    world = make_world(rt, tmp_path, "llvip", files=files)
    to = tmp_path / "out"
    part = to / "video" / "big.bin.part"
    app = Gate(create_app(rt), "big.bin")
    with serving(app) as url:
        run = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "accord.cli.main",
                "download",
                "llvip",
                "--to",
                str(to),
                "--server",
                url,
                "--token",
                world.token,
                "--workers",
                "1",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 120  # generous for a loaded machine; the normal wait is well under 1 s
        while not (part.exists() and part.stat().st_size >= 1024 * 1024):
            assert run.poll() is None, f"the download ended before the grant was revoked: {run.communicate()}"
            assert time.monotonic() < deadline, "the download wrote no .part bytes"
            time.sleep(0.02)
        _revoke(rt, world.grant_id)
        app.opened.set()
        out, err = run.communicate(timeout=300)
    assert run.returncode == 4, (out, err)
    assert "access refused" in err and REASON in err
    assert "unfinished" in err and "not verified" in err
    assert "verified in" not in out
    # The unfinished file stays a .part (a true prefix, short of the whole); nothing says the download is whole.
    assert not (to / "video" / "big.bin").exists()
    kept = part.read_bytes()
    assert 1024 * 1024 <= len(kept) < BIG and kept == files["video/big.bin"][: len(kept)]
    assert not (to / "SHA256SUMS").exists()
