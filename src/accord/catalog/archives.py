"""Staging zip and tar archives: each member is streamed into a temp file in the blob store while hashed.

Members are committed to the store only after the whole archive was read and every entry passed the checks,
so a refused or damaged archive leaves the store as it was (temp files are removed).
"""
from __future__ import annotations

import hashlib
import stat
import tarfile
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

from accord.blobpacks import PACK_MAX_BLOB
from accord.catalog.sources import SIDECAR, link_escapes, media_type, member_path, read_labels
from accord.errors import InvalidInput

CHUNK = 1024 * 1024
SMALL_MEMBER = PACK_MAX_BLOB  # members up to this size skip the temp file


class _Staging:
    """Temp files written so far; committed together or removed together."""

    def __init__(self, store, report):
        self.store = store
        self.report = report
        self.rows: list[tuple[str, int, str, str]] = []
        self.temps: list[tuple[Path, str]] = []
        self.seen: set[str] = set()
        self.done = 0
        self.labels: dict = {}

    def claim(self, path: str, name: str) -> None:
        if path in self.seen:
            raise InvalidInput(f"archive entry {name!r} appears twice; the archive was refused")
        self.seen.add(path)

    def add(self, path: str, stream: BinaryIO, total: int | None, size_hint: int | None = None) -> None:
        if size_hint is not None and size_hint <= SMALL_MEMBER:
            return self._add_small(path, stream, total)
        tmp = self.store.temp_path()
        digest = hashlib.sha256()
        size = 0
        head = b""
        try:
            with open(tmp, "wb") as out:
                while chunk := stream.read(CHUNK):
                    if not head:
                        head = chunk[:16]
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                    self.done += len(chunk)
                    self.report(self.done, total, f"reading {path}")
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        sha = digest.hexdigest()
        self.temps.append((tmp, sha))
        self.rows.append((path, size, sha, media_type(path, head)))

    def _add_small(self, path: str, stream: BinaryIO, total: int | None) -> None:
        """Held in memory (bounded by SMALL_MEMBER) and put straight into the store: no temp file to create.
        If the archive is refused later, the stored blob is simply never referenced."""
        data = stream.read(SMALL_MEMBER + 1)
        if len(data) > SMALL_MEMBER:  # the header lied about the size: fall back to streaming
            stream = _Prefixed(data, stream)
            return self.add(path, stream, total)
        sha = hashlib.sha256(data).hexdigest()
        self.store.put_bytes(sha, data)
        self.done += len(data)
        self.report(self.done, total, f"reading {path}")
        self.rows.append((path, len(data), sha, media_type(path, data[:16])))

    def commit(self) -> None:
        while self.temps:
            tmp, sha = self.temps.pop()
            self.store.put_temp(tmp, sha)

    def discard(self) -> None:
        for tmp, _ in self.temps:
            tmp.unlink(missing_ok=True)
        self.temps.clear()


class _Prefixed:
    """A stream with some bytes already read put back in front."""

    def __init__(self, head: bytes, rest: BinaryIO):
        self.head, self.rest = head, rest

    def read(self, n: int = -1) -> bytes:
        if self.head:
            out, self.head = self.head, b""
            return out
        return self.rest.read(n)


def _damaged(source: Path, exc: Exception, entry: str | None = None) -> InvalidInput:
    where = f" at entry {entry!r}" if entry else ""
    return InvalidInput(f"{source.name} is damaged or truncated{where}: {exc}")


def stage_zip(source: Path, store, report) -> _Staging:
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise InvalidInput(f"{source.name} is not a readable zip archive ({exc})") from None
    staging = _Staging(store, report)
    with archive:
        members = []
        for info in archive.infolist():  # the central directory: every name is checked before any byte is read
            path = member_path(info.filename)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise InvalidInput(f"archive entry {info.filename!r} is a symbolic link; links are refused "
                                   "because they can point outside the archive")
            if info.is_dir() or not path:
                continue
            if stat.S_IFMT(mode) and not stat.S_ISREG(mode):
                raise InvalidInput(f"archive entry {info.filename!r} is not a regular file; the archive was refused")
            staging.claim(path, info.filename)
            members.append((path, info))
        total = sum(info.file_size for path, info in members if path != SIDECAR)
        name = None
        try:
            with store.batch():
                for path, info in members:
                    name = info.filename
                    with archive.open(info) as stream:
                        if path == SIDECAR:
                            staging.labels = read_labels(stream)
                        else:
                            staging.add(path, stream, total, info.file_size)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
            staging.discard()
            raise _damaged(source, exc, name) from None
        except BaseException:
            staging.discard()
            raise
    return staging


def stage_tar(source: Path, store, report) -> _Staging:
    staging = _Staging(store, report)
    name = None
    try:
        # Stream mode ("r|*"): members are read in order, nothing is seeked or held in memory.
        with tarfile.open(source, mode="r|*") as archive, store.batch():
            for member in archive:
                name = member.name
                path = _check_tar_member(member)
                if path is None:
                    continue
                staging.claim(path, member.name)
                stream = archive.extractfile(member)
                if path == SIDECAR:
                    staging.labels = read_labels(stream)
                else:
                    staging.add(path, stream, None, member.size)
    except (tarfile.TarError, zlib.error, EOFError, OSError) as exc:
        staging.discard()
        if name is None:
            raise InvalidInput(f"{source.name} is not a readable tar archive ({exc})") from None
        raise _damaged(source, exc, name) from None
    except BaseException:
        staging.discard()
        raise
    return staging


def _check_tar_member(member: tarfile.TarInfo) -> str | None:
    """The member's path if it is a file to ingest, None for folders; refuses links and special files."""
    path = member_path(member.name)
    if member.issym() or member.islnk():
        if link_escapes(path, member.linkname, hard=member.islnk()):
            raise InvalidInput(f"archive entry {member.name!r} is a link pointing outside the archive "
                               f"({member.linkname}); the archive was refused")
        raise InvalidInput(f"archive entry {member.name!r} is a link; links inside archives are not supported, "
                           "archive the file itself")
    if member.isdir() or not path:
        return None
    if not member.isreg():
        raise InvalidInput(f"archive entry {member.name!r} is a device or special file; the archive was refused")
    return path
