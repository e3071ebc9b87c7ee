"""Serving one stored blob (a dataset file, or a version's manifest): a redirect to the object store (S3), a whole
local file (for sendfile or nginx), or its bytes read from a pack."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from accord.delivery.links import Link
from accord.storage import LocalBlobStore

if TYPE_CHECKING:
    from accord.runtime import Runtime


@dataclass
class Target:
    """What one link serves: `redirect` (S3), else `read` (any byte range), and `path` if a whole local file
    holds the bytes (for sendfile or nginx)."""

    link: Link
    version_id: int
    filename: str
    media_type: str
    etag: str
    size: int = 0
    path: Path | None = None
    relative: str | None = None  # the file's path inside the blob folder (for X-Accel-Redirect)
    redirect: str | None = None
    read: Callable[[int, int], Iterator[bytes]] | None = None
    address: str | None = None  # the client's, for asking about the grant again while the bytes go out


def blob(
    rt: Runtime,
    link: Link,
    vid: int,
    sha: str,
    filename: str,
    etag: str,
    expires_in: int,
    media_type: str | None = None,
) -> Target:
    media_type = media_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    target = Target(link, vid, filename, media_type, etag)
    url = rt.store.presigned_url(sha, expires_in=expires_in, filename=filename)
    if url:
        target.redirect = url
        return target
    store = rt.store
    path = store.local_path(sha)
    if path is not None:
        assert isinstance(store, LocalBlobStore)  # the one store with local paths
        target.path = path
        target.relative = path.relative_to(store.root).as_posix()
        target.size = path.stat().st_size
    else:
        target.size = rt.store.size(sha)  # a small blob inside a pack

    def read(start: int, end: int) -> Iterator[bytes]:
        with rt.store.open(sha) as f:
            f.seek(start)
            left = end - start
            while left:
                data = f.read(min(1 << 20, left))
                if not data:
                    raise OSError(f"blob {sha} is shorter than recorded")
                left -= len(data)
                yield data

    target.read = read
    return target
