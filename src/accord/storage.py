"""Blob storage by content hash, behind one small interface: a local folder or an S3 bucket."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol
from urllib.parse import urlparse

from accord.blobpacks import FLUSH_EVERY, PACK_MAX_BLOB, PackIndex, PackSlice, PackWriter, erase
from accord.errors import InvalidInput, NotFound

if TYPE_CHECKING:  # worker processes import this module: pydantic would add ~0.2 s to their start
    from accord.config import Settings


_SHA256 = re.compile(r"[0-9a-f]{64}")


def _check(sha256: str) -> str:
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise InvalidInput(f"not a sha256 hex digest: {sha256!r}")
    return sha256


class BlobStore(Protocol):
    def exists(self, sha256: str) -> bool: ...
    def put_file(self, sha256: str, src: Path) -> None: ...
    def put_stream(self, sha256: str, stream: BinaryIO) -> None: ...
    def put_bytes(self, sha256: str, data: bytes) -> None: ...
    def put_many(self, blobs: list[tuple[str, bytes]]) -> set[str]: ...
    def flush(self) -> None: ...
    def batch(self) -> contextlib.AbstractContextManager: ...
    def temp_path(self) -> Path: ...
    def put_temp(self, tmp_path: Path, sha256: str) -> None: ...
    def open(self, sha256: str) -> BinaryIO: ...
    def size(self, sha256: str) -> int: ...
    def delete(self, sha256: str) -> None: ...
    def local_path(self, sha256: str) -> Path | None: ...
    def free_bytes(self) -> int | None: ...
    def presigned_url(self, sha256: str, *, expires_in: int, filename: str | None = None) -> str | None: ...


class LocalBlobStore:
    """Files under root/ab/<sha256>. Writes go to a temp file and are renamed, so a crash leaves no half blob.

    One level of 256 folders (as git does): a second level would cost a mkdir for most of the first ~65,000
    blobs, and creating entries is the slow part of storing many small files."""

    def __init__(self, root: Path, *, pack_small: bool = True):
        self.root = Path(root)
        self.tmp = self.root / ".tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)
        self._root = str(self.root)  # plain strings on the per-blob path: pathlib costs more than the syscall
        # Small blobs go into packs (see blobpacks.py); large ones stay files the kernel can sendfile.
        self.pack_small = pack_small
        self.packs = PackIndex(self.root / "packs")
        self._writers = threading.local()

    def _writer(self) -> PackWriter:
        writer = getattr(self._writers, "writer", None)
        if writer is None or getattr(self._writers, "pid", None) != os.getpid():
            writer = self._writers.writer = PackWriter(self.root / "packs")
            self._writers.pid = os.getpid()
        return writer

    def flush(self) -> None:
        """Make this thread's packed blobs visible to every reader (index rows after their bytes)."""
        writer = getattr(self._writers, "writer", None)
        if writer is not None and writer.pending and self._writers.pid == os.getpid():
            self.packs.add(writer.take())

    @contextlib.contextmanager
    def batch(self):
        """Within the block, this thread's packed blobs become readable together at its end (or every
        FLUSH_EVERY blobs): one index transaction per batch instead of one per blob."""
        self._writers.deferring = True
        try:
            yield self
        except BaseException:
            writer = getattr(self._writers, "writer", None)
            if writer is not None:
                writer.rollback()  # a failed batch indexes nothing and leaves no bytes behind
            raise
        finally:
            self._writers.deferring = False
            self.flush()

    def list_blobs(self) -> Iterator[str]:
        """Every stored blob's sha256, loose or packed (for checks and garbage collection)."""
        for folder in self.root.iterdir():
            if len(folder.name) == 2 and folder.is_dir():
                yield from (f.name for f in folder.iterdir() if _SHA256.fullmatch(f.name))
        if self.packs.path.exists():
            yield from (row[0] for row in self.packs.conn().execute("SELECT sha256 FROM blob"))

    def _packed(self, sha256: str):
        _check(sha256)
        return self.packs.lookup(sha256) if self.packs.exists() else None

    def _file(self, sha256: str) -> str:
        _check(sha256)
        return f"{self._root}/{sha256[:2]}/{sha256}"

    def path(self, sha256: str) -> Path:
        return Path(self._file(sha256))

    def exists(self, sha256: str) -> bool:
        return os.path.exists(self._file(sha256)) or self._packed(sha256) is not None

    def _commit(self, tmp_path, sha256: str) -> None:
        dest = self._file(sha256)
        try:
            os.replace(tmp_path, dest)
        except FileNotFoundError:  # first blob in this fan-out folder (cheaper than mkdir every time)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            os.replace(tmp_path, dest)

    def temp_path(self) -> Path:
        """A fresh name in the store's tmp dir, on the same filesystem so committing is a rename."""
        return self.tmp / f"{uuid.uuid4().hex}.part"

    def put_temp(self, tmp_path: Path, sha256: str) -> None:
        """Commit a finished temp file (from temp_path) under its hash; drop it if the blob exists."""
        if self.exists(sha256):
            Path(tmp_path).unlink(missing_ok=True)
        else:
            self._commit(Path(tmp_path), sha256)

    def put_bytes(self, sha256: str, data: bytes) -> None:
        if self.pack_small and len(data) <= PACK_MAX_BLOB:
            writer = self._writer()
            if sha256 in writer.pending_shas or self.exists(sha256):
                return
            writer.append(_check(sha256), data)
            if not getattr(self._writers, "deferring", False) or len(writer.pending) >= FLUSH_EVERY:
                self.flush()
            return
        if self.exists(sha256):
            return
        tmp = f"{self._root}/.tmp/{uuid.uuid4().hex}.part"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
            finally:
                os.close(fd)
            self._commit(tmp, sha256)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def put_many(self, blobs: list[tuple[str, bytes]], *, unindexed: list | None = None) -> set[str]:
        """Store (sha256, bytes) pairs; returns the hashes that were not stored before.

        Small blobs cost one index query for the lot, one writev and one index transaction (unless inside
        batch()), where put_bytes costs a query, a stat and a write per blob. They are looked up in the
        packs only: a small blob stored as a loose file (a manifest, a put_file) may be packed once more,
        which is harmless (open() prefers the file, delete() erases both).

        With `unindexed`, the index rows of the packed blobs are appended to that list instead of written:
        the caller makes them readable later with add_index (worker processes hand them to the parent, which
        writes them in one sorted transaction: 400 small index transactions from two processes cost more than
        the hashing). Until then the bytes are unreferenced, as after a crash."""
        new: set[str] = set()
        small: list[tuple[str, bytes]] = []
        for sha256, data in blobs:
            if self.pack_small and len(data) <= PACK_MAX_BLOB:
                small.append((_check(sha256), data))
            elif not self.exists(sha256):
                self.put_bytes(sha256, data)
                new.add(sha256)
        if not small:
            return new
        writer = self._writer()
        known = self.packs.known([sha256 for sha256, _ in small])
        fresh = []
        for sha256, data in small:
            if sha256 not in known and sha256 not in writer.pending_shas:
                known.add(sha256)  # the same content twice in one call is stored once
                fresh.append((sha256, data))
        new.update(sha256 for sha256, _ in fresh)
        if unindexed is not None:
            held = writer.take()  # rows of put_bytes in this batch() stay pending for its end
            writer.append_many(fresh)
            unindexed.extend(writer.take())
            writer.pending.extend(held)
            writer.pending_shas.update(row[0] for row in held)
            return new
        writer.append_many(fresh)
        if not getattr(self._writers, "deferring", False) or len(writer.pending) >= FLUSH_EVERY:
            self.flush()
        return new

    def add_index(self, rows: list[tuple[str, str, int, int]]) -> None:
        """Make blobs stored with put_many(unindexed=...) readable: one transaction, in key order."""
        if rows:
            self.packs.add(sorted(rows))

    def put_file(self, sha256: str, src: Path) -> None:
        if self.exists(sha256):
            return
        fd, tmp = tempfile.mkstemp(dir=self.tmp)
        os.close(fd)
        try:
            shutil.copyfile(src, tmp)  # copy_file_range/sendfile: the kernel moves the bytes
            self._commit(Path(tmp), sha256)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def put_stream(self, sha256: str, stream: BinaryIO) -> None:
        if self.exists(sha256):
            return
        fd, tmp = tempfile.mkstemp(dir=self.tmp)
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(stream, out, 1024 * 1024)
            self._commit(Path(tmp), sha256)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def open(self, sha256: str) -> BinaryIO:
        try:
            return open(self.path(sha256), "rb")
        except FileNotFoundError:
            pass
        where = self._packed(sha256)
        if where is None:
            raise NotFound(f"blob {sha256} is missing from storage")
        pack, offset, size = where
        return io.BufferedReader(PackSlice(self.root / "packs" / pack, offset, size))

    def size(self, sha256: str) -> int:
        try:
            return self.path(sha256).stat().st_size
        except FileNotFoundError:
            pass
        where = self._packed(sha256)
        if where is None:
            raise NotFound(f"blob {sha256} is missing from storage")
        return where[2]

    def delete(self, sha256: str) -> None:
        """Really erase the bytes: a removed person's image must not linger in a pack."""
        self.path(sha256).unlink(missing_ok=True)
        where = self._packed(sha256)
        if where is not None:
            pack, offset, size = where
            erase(self.root / "packs" / pack, offset, size)
            self.packs.remove(sha256)

    def local_path(self, sha256: str) -> Path | None:
        """A whole file holding exactly this blob, or None (packed blobs are read through open())."""
        path = self.path(sha256)
        return path if path.exists() else None

    def presigned_url(self, sha256: str, *, expires_in: int, filename: str | None = None) -> str | None:
        return None

    def free_bytes(self) -> int | None:
        return shutil.disk_usage(self.root).free


class S3BlobStore:
    """Objects at s3://bucket/prefix/<sha256> through the S3 API (AWS, MinIO, Ceph, moto in tests)."""

    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None, client=None):
        import boto3

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client or boto3.client("s3", endpoint_url=endpoint_url)

    def key(self, sha256: str) -> str:
        _check(sha256)
        return f"{self.prefix}/{sha256}" if self.prefix else sha256

    def exists(self, sha256: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise

    def put_file(self, sha256: str, src: Path) -> None:
        if not self.exists(sha256):
            self.client.upload_file(str(src), self.bucket, self.key(sha256))

    def put_stream(self, sha256: str, stream: BinaryIO) -> None:
        if not self.exists(sha256):
            self.client.upload_fileobj(stream, self.bucket, self.key(sha256))

    def put_bytes(self, sha256: str, data: bytes) -> None:
        if not self.exists(sha256):
            self.client.put_object(Bucket=self.bucket, Key=self.key(sha256), Body=data)

    def put_many(self, blobs: list[tuple[str, bytes]]) -> set[str]:
        new = set()
        for sha256, data in blobs:
            if sha256 not in new and not self.exists(sha256):
                self.client.put_object(Bucket=self.bucket, Key=self.key(sha256), Body=data)
                new.add(sha256)
        return new

    def flush(self) -> None:
        """Every put is visible once it returns."""

    def batch(self):
        return contextlib.nullcontext(self)

    def temp_path(self) -> Path:
        return Path(tempfile.gettempdir()) / f"accord-{uuid.uuid4().hex}.part"

    def put_temp(self, tmp_path: Path, sha256: str) -> None:
        """Upload a finished temp file (from temp_path) under its hash, then remove it."""
        try:
            self.put_file(sha256, Path(tmp_path))
        finally:
            Path(tmp_path).unlink(missing_ok=True)

    def open(self, sha256: str) -> BinaryIO:
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))["Body"]
        except ClientError as exc:
            raise NotFound(f"blob {sha256} is missing from storage") from exc

    def size(self, sha256: str) -> int:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))["ContentLength"]
        except ClientError as exc:
            raise NotFound(f"blob {sha256} is missing from storage") from exc

    def delete(self, sha256: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key(sha256))

    def local_path(self, sha256: str) -> Path | None:
        return None

    def free_bytes(self) -> int | None:
        """Unknown: a bucket has no free space to ask about (quotas, if any, refuse the upload itself)."""
        return None

    def presigned_url(self, sha256: str, *, expires_in: int, filename: str | None = None) -> str | None:
        params = {"Bucket": self.bucket, "Key": self.key(sha256)}
        if filename:
            params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
        return self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)


def open_store(settings: Settings) -> BlobStore:
    if not settings.storage_url:
        return LocalBlobStore(settings.blob_dir)
    url = urlparse(settings.storage_url)
    if url.scheme == "s3":
        return S3BlobStore(url.netloc, url.path, endpoint_url=settings.s3_endpoint_url)
    if url.scheme in ("file", ""):
        return LocalBlobStore(Path(url.path))
    raise InvalidInput(f"unsupported ACCORD_STORAGE_URL scheme: {url.scheme!r} (use file:// or s3://)")
