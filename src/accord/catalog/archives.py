"""Staging zip and tar archives: each member is streamed into a temp file in the blob store while hashed.

Members are committed to the store only after the whole archive was read and every entry passed the checks,
so a refused or damaged archive leaves the store as it was (temp files are removed).
"""

from __future__ import annotations

import hashlib
import os
import stat
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from accord.blobpacks import PACK_MAX_BLOB
from accord.catalog.sources import SIDECAR, Label, Report, Staged, link_escapes, media_type, member_path, read_labels
from accord.errors import InvalidInput
from accord.storage import BlobStore

if TYPE_CHECKING:
    from accord.config import Settings

CHUNK = 1024 * 1024
SMALL_MEMBER = PACK_MAX_BLOB  # members up to this size skip the temp file
RATIO_FROM = 1024 * 1024  # smaller entries may compress well (text, blank masks) and cannot be bombs


@dataclass(frozen=True)
class Limits:
    """Refusals for archive bombs and a full disk (see Settings.ingest_max_*)."""

    max_ratio: int = 200
    max_entry: int = 4 * 1024**3
    max_total: int = 16 * 1024**4
    min_free: int = 0

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(
            settings.ingest_max_ratio,
            settings.ingest_max_entry_bytes,
            settings.ingest_max_total_bytes,
            settings.storage_min_free_bytes,
        )


def _gib(n: int) -> str:
    return f"{n / 1024**3:,.2f} GiB" if n >= 1024**2 else f"{n:,} bytes"


def require_space(store: BlobStore, needed: int, limits: Limits) -> None:
    """Refuse before writing `needed` bytes that would leave less than limits.min_free in the store."""
    free = store.free_bytes()
    if free is not None and free - needed < limits.min_free:
        raise InvalidInput(
            f"the blob store has {_gib(free)} free; this needs {_gib(needed)} and "
            f"{_gib(limits.min_free)} must stay free. Free some space or move the store, then retry"
        )


class _Staging:
    """Temp files written so far; committed together or removed together."""

    def __init__(self, store: BlobStore, report: Report, limits: Limits, archive_bytes: int) -> None:
        self.store = store
        self.report = report
        self.limits = limits
        # the archive may expand to this much in all: a bomb stops here whatever its headers say
        self.expand_cap = min(limits.max_total, max(RATIO_FROM, archive_bytes * limits.max_ratio))
        self.rows: list[Staged] = []
        self.temps: list[tuple[Path, str]] = []
        self.seen: set[str] = set()
        self.done = 0
        self.labels: dict[str, Label] = {}

    def claim(self, path: str, name: str) -> None:
        if path in self.seen:
            raise InvalidInput(f"archive entry {name!r} appears twice; the archive was refused")
        self.seen.add(path)

    def grow(self, path: str, size: int, declared: int | None, more: int) -> None:
        """Refuse before `more` bytes of this entry are written if they pass a limit (headers can lie)."""
        size += more
        if declared is not None and size > declared:
            raise InvalidInput(
                f"archive entry {path!r} holds more than the {declared:,} bytes its header declares; "
                "the archive was refused"
            )
        if size > self.limits.max_entry:
            raise InvalidInput(
                f"archive entry {path!r} expands past {_gib(self.limits.max_entry)}, the limit for "
                "one file (ACCORD_INGEST_MAX_ENTRY_BYTES); the archive was refused"
            )
        if self.done + more > self.expand_cap:
            raise InvalidInput(
                f"the archive expands past {_gib(self.expand_cap)} at entry {path!r}: more than "
                f"{self.limits.max_ratio}:1 its size or past ACCORD_INGEST_MAX_TOTAL_BYTES; "
                "the archive was refused"
            )

    def add(self, path: str, stream: IO[bytes], total: int | None, size_hint: int | None = None) -> None:
        if size_hint is not None and size_hint <= SMALL_MEMBER:
            return self._add_small(path, stream, total, size_hint)
        require_space(self.store, size_hint or 0, self.limits)
        tmp = self.store.temp_path()
        digest = hashlib.sha256()
        size = 0
        head = b""
        try:
            with open(tmp, "wb") as out:
                while chunk := stream.read(CHUNK):
                    self.grow(path, size, size_hint, len(chunk))
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

    def _add_small(self, path: str, stream: IO[bytes], total: int | None, declared: int) -> None:
        """Held in memory (bounded by SMALL_MEMBER) and put straight into the store: no temp file to create.
        If the archive is refused later, the stored blob is simply never referenced."""
        data = stream.read(SMALL_MEMBER + 1)
        self.grow(path, 0, declared, len(data))  # a header that lies about the size is refused here
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


def _damaged(source: Path, exc: Exception, entry: str | None = None) -> InvalidInput:
    where = f" at entry {entry!r}" if entry else ""
    return InvalidInput(f"{source.name} is damaged or truncated{where}: {exc}")


def _check_zip_entry(info: zipfile.ZipInfo, limits: Limits) -> None:
    """The declared sizes, before a byte is expanded."""
    if info.file_size > limits.max_entry:
        raise InvalidInput(
            f"archive entry {info.filename!r} declares {_gib(info.file_size)}, past the limit of "
            f"{_gib(limits.max_entry)} for one file (ACCORD_INGEST_MAX_ENTRY_BYTES); "
            "the archive was refused"
        )
    if info.file_size > RATIO_FROM and info.file_size > limits.max_ratio * max(info.compress_size, 1):
        raise InvalidInput(
            f"archive entry {info.filename!r} expands {info.file_size // max(info.compress_size, 1):,}"
            f" times (from {_gib(info.compress_size)} to {_gib(info.file_size)}), past "
            f"{limits.max_ratio}:1 (ACCORD_INGEST_MAX_RATIO): no image compresses so well, so the "
            "archive was refused as a possible archive bomb"
        )


def stage_zip(source: Path, store: BlobStore, report: Report, limits: Limits = Limits()) -> _Staging:
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise InvalidInput(f"{source.name} is not a readable zip archive ({exc})") from None
    staging = _Staging(store, report, limits, os.path.getsize(source))
    with archive:
        members = []
        for info in archive.infolist():  # the central directory: every name is checked before any byte is read
            path = member_path(info.filename)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise InvalidInput(
                    f"archive entry {info.filename!r} is a symbolic link; links are refused "
                    "because they can point outside the archive"
                )
            if info.is_dir() or not path:
                continue
            if stat.S_IFMT(mode) and not stat.S_ISREG(mode):
                raise InvalidInput(f"archive entry {info.filename!r} is not a regular file; the archive was refused")
            staging.claim(path, info.filename)
            _check_zip_entry(info, limits)
            members.append((path, info))
        total = sum(info.file_size for path, info in members if path != SIDECAR)
        if total > staging.expand_cap:
            raise InvalidInput(
                f"{source.name} declares {_gib(total)} of files, more than {limits.max_ratio}:1 its "
                "size or past ACCORD_INGEST_MAX_TOTAL_BYTES; the archive was refused"
            )
        require_space(store, total, limits)
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


def stage_tar(source: Path, store: BlobStore, report: Report, limits: Limits = Limits()) -> _Staging:
    staging = _Staging(store, report, limits, os.path.getsize(source))
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
                staging.grow(path, 0, None, member.size)  # the declared size, before reading it
                stream = archive.extractfile(member)
                if stream is None:  # no file's content (_check_tar_member lets only files through)
                    continue
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
            raise InvalidInput(
                f"archive entry {member.name!r} is a link pointing outside the archive "
                f"({member.linkname}); the archive was refused"
            )
        raise InvalidInput(
            f"archive entry {member.name!r} is a link; links inside archives are not supported, archive the file itself"
        )
    if member.isdir() or not path:
        return None
    if not member.isreg():
        raise InvalidInput(f"archive entry {member.name!r} is a device or special file; the archive was refused")
    return path
