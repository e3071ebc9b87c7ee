"""`accord download` killed with SIGKILL in the middle of a file, then run again: the second run resumes from the
`.part` bytes already on disk (the server sees a Range request from there and sends only the rest, and the
download log says so) and ends with files identical to the originals."""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from accord.delivery import service as delivery
from accord.delivery.models import DownloadLog
from accord.web.app import create_app
from tests.delivery.world import make_world
from tests.live import serving

BIG = 8 * 1024 * 1024 + 123  # a loose file, sent by FileResponse in 64 KiB pieces
KILL_AFTER = 2 * 1024 * 1024  # the client writes 1 MiB at a time: two of them on disk, most still to come


class Throttle:
    """Test-only ASGI wrapper: slows the bytes of /dl answers (so a run is surely mid-file when it is killed)
    and counts, per request, the file name, the Range asked for and the body bytes sent."""

    def __init__(self, app, delay: float):
        self.app, self.delay = app, delay
        self.requests: list[dict] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith("/dl/"):
            return await self.app(scope, receive, send)
        seen = {
            "name": scope["path"].rsplit("/", 1)[-1],
            "sent": 0,
            "range": dict(scope["headers"]).get(b"range", b"").decode(),
        }
        self.requests.append(seen)

        async def counting(message):
            if message["type"] == "http.response.body":
                seen["sent"] += len(message.get("body", b""))
                if self.delay:
                    await asyncio.sleep(self.delay)
            await send(message)

        await self.app(scope, receive, counting)


@pytest.fixture
def world(rt, tmp_path):
    files = {
        "video/big.bin": os.urandom(BIG),
        "notes/readme.txt": b"two files, one big\n",
        "crops/0001.jpg": os.urandom(3000),
    }
    made = make_world(rt, tmp_path, "llvip", files=files)
    return {"files": files, "token": made.token, "grant": made.grant_id, "user": made.licensee_id}


def _download(url: str, token: str, to) -> subprocess.Popen:
    return subprocess.Popen(
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
            token,
            "--workers",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _hashes(folder) -> dict[str, str]:
    """The dataset's files (not the signed manifest the download keeps beside them)."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file() and p.name not in ("manifest.jsonl", "manifest.sig", "SHA256SUMS")
    }


def test_a_killed_download_resumes_where_it_stopped_and_ends_identical(rt, world, tmp_path):
    to = tmp_path / "out"
    part = to / "video" / "big.bin.part"
    app = Throttle(create_app(rt), delay=0.05)  # about 1.3 MB/s: the big file takes several seconds
    with serving(app) as url:
        first = _download(url, world["token"], to)
        deadline = time.monotonic() + 120  # generous for a loaded machine; the normal wait is about 2 s
        while not (part.exists() and part.stat().st_size >= KILL_AFTER):
            assert first.poll() is None, f"the first run ended before it was killed: {first.communicate()}"
            assert time.monotonic() < deadline, "the first run wrote no .part bytes"
            time.sleep(0.05)
        first.kill()  # SIGKILL: no clean-up, no chance to finish the file
        first.wait()
        assert first.returncode == -9
        kept = part.stat().st_size
        assert KILL_AFTER <= kept < BIG and not (to / "video" / "big.bin").exists()
        assert part.read_bytes() == world["files"]["video/big.bin"][:kept]  # what is on disk is a true prefix

        app.delay, app.requests = 0.0, []
        second = _download(url, world["token"], to)
        out, err = second.communicate(timeout=300)
    assert second.returncode == 0, err
    assert "files verified" in out
    assert _hashes(to) == {p: hashlib.sha256(d).hexdigest() for p, d in world["files"].items()}

    # The second run asked for the big file from where the first stopped, and got only the rest.
    [big] = [r for r in app.requests if r["name"] == "big.bin"]
    assert big["range"] == f"bytes={kept}-" and big["sent"] == BIG - kept
    # The download log agrees: one entry for the big file in the second run, starting at the kept bytes.
    delivery.state(rt).log.flush()
    with rt.session() as db:
        rows = db.execute(
            select(DownloadLog.offset, DownloadLog.bytes).where(
                DownloadLog.user_id == world["user"], DownloadLog.object.like("item:%"), DownloadLog.offset > 0
            )
        ).all()
    assert (kept, BIG - kept) in [tuple(r) for r in rows]
