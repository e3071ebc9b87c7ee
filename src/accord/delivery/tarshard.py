"""Deterministic tar shards built on the fly.

A version's files, sorted by path, are cut into shards of about `target` bytes. A shard's bytes are a pure
function of its members (fixed mtime, owner and mode; PAX headers for long or non-ASCII names), so its size and
ETag are known before a byte is read and any byte range can be served without building the archive: a client
that drops the connection resumes with a Range request.
"""

from __future__ import annotations

import bisect
import hashlib
import tarfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol

BLOCK = 512
END = b"\0" * (2 * BLOCK)
DEFAULT_TARGET = 1 << 30  # about 1 GiB per shard


class Blob(Protocol):
    """A member blob opened for reading: a file, or a forward-only stream made to seek (delivery.shards)."""

    def seek(self, pos: int, /) -> object: ...
    def read(self, n: int, /) -> bytes: ...
    def __enter__(self) -> Blob: ...
    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None, /
    ) -> object: ...


@dataclass(frozen=True)
class Member:
    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Segment:
    offset: int
    length: int
    literal: bytes | None  # header or padding bytes
    sha256: str | None  # or a blob's bytes


def header(m: Member, mtime: int) -> bytes:
    info = tarfile.TarInfo(m.path)
    info.size = m.size
    info.mtime = mtime
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info.tobuf(format=tarfile.PAX_FORMAT, encoding="utf-8", errors="strict")


class Shard:
    def __init__(self, members: list[Member], *, mtime: int = 0):
        self.members = members
        self.segments: list[Segment] = []
        offset = 0
        for m in members:
            head = header(m, mtime)
            self.segments.append(Segment(offset, len(head), head, None))
            offset += len(head)
            if m.size:
                self.segments.append(Segment(offset, m.size, None, m.sha256))
                offset += m.size
            pad = -m.size % BLOCK
            if pad:
                self.segments.append(Segment(offset, pad, b"\0" * pad, None))
                offset += pad
        self.segments.append(Segment(offset, len(END), END, None))
        self.size = offset + len(END)
        self._starts = [s.offset for s in self.segments]

    @property
    def etag(self) -> str:
        """Strong validator: changes if any member's name, size or content changes."""
        h = hashlib.sha256()
        for m in self.members:
            h.update(f"{m.path}\0{m.size}\0{m.sha256}\n".encode())
        return h.hexdigest()[:32]

    def read(self, start: int, end: int, open_blob: Callable[[str], Blob], chunk: int = 1 << 20) -> Iterator[bytes]:
        """Yield the bytes [start, end) of the shard, reading blob data in chunks."""
        if not 0 <= start <= end <= self.size:
            raise ValueError(f"range {start}-{end} outside shard of {self.size} bytes")
        i = bisect.bisect_right(self._starts, start) - 1
        pos = start
        while pos < end and i < len(self.segments):
            seg = self.segments[i]
            lo, hi = pos - seg.offset, min(end, seg.offset + seg.length) - seg.offset
            if seg.literal is not None:
                yield seg.literal[lo:hi]
            else:
                assert seg.sha256 is not None  # a segment is literal bytes or a blob's
                with open_blob(seg.sha256) as f:
                    f.seek(lo)
                    left = hi - lo
                    while left:
                        data = f.read(min(chunk, left))
                        if not data:
                            raise OSError(f"blob {seg.sha256} is shorter than recorded")
                        left -= len(data)
                        yield data
            pos = seg.offset + hi
            i += 1


def plan(members: Iterable[Member], *, target: int = DEFAULT_TARGET) -> list[list[Member]]:
    """Cut path-sorted members into consecutive shards of about `target` bytes (a big file gets its own)."""
    shards: list[list[Member]] = [[]]
    size = 0
    for m in sorted(members, key=lambda m: m.path):
        cost = m.size + BLOCK * 2
        if shards[-1] and size + cost > target:
            shards.append([])
            size = 0
        shards[-1].append(m)
        size += cost
    return [s for s in shards if s]
