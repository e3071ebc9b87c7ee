"""Serving what is made from a version's file list rather than stored: its tar shards (built on the fly from the
member blobs, any byte range), SHA256SUMS and the manifest's signature."""

from __future__ import annotations

import hashlib
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO

from accord.delivery.files import Target
from accord.delivery.links import Link
from accord.delivery.signatures import manifest_signature
from accord.delivery.state import VersionFiles
from accord.delivery.tarshard import Blob

if TYPE_CHECKING:
    from accord.runtime import Runtime


def shard(rt: Runtime, link: Link, files: VersionFiles, n: int) -> Target:
    made = files.shards[n]
    return Target(
        link,
        files.version_id,
        f"{files.name}-{n:04d}.tar",
        "application/x-tar",
        etag=made.etag,
        size=made.size,
        read=lambda start, end: made.read(start, end, lambda sha: _seekable(rt, sha)),
    )


def sums(link: Link, files: VersionFiles) -> Target:
    body = files.sums
    return Target(
        link,
        files.version_id,
        "SHA256SUMS",
        "text/plain; charset=utf-8",
        etag=f"sums-{files.manifest_sha or files.version_id}",
        size=len(body),
        read=lambda start, end: iter([body[start:end]]),
    )


def signature(rt: Runtime, link: Link, files: VersionFiles) -> Target:
    body = manifest_signature(rt, files)
    return Target(
        link,
        files.version_id,
        f"{files.name}-manifest.sig",
        "application/octet-stream",
        etag=f"sig-{files.manifest_sha}-{hashlib.sha256(body).hexdigest()[:16]}",
        size=len(body),
        read=lambda start, end: iter([body[start:end]]),
    )


class _Skipping:
    """A forward-only stream (S3 body) made to look seekable for shard reads: seeking skips bytes."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream

    def seek(self, pos: int) -> None:
        while pos:
            data = self.stream.read(min(pos, 1 << 20))
            if not data:
                raise OSError("blob is shorter than recorded")
            pos -= len(data)

    def read(self, n: int) -> bytes:
        return self.stream.read(n)

    def __enter__(self) -> _Skipping:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stream.close()


def _seekable(rt: Runtime, sha: str) -> Blob:
    f = rt.store.open(sha)
    return f if hasattr(f, "seekable") and f.seekable() else _Skipping(f)
