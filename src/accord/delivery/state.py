"""What delivery keeps per process and runtime: the revocation cache, the download log writer, and each version's
file list (immutable once published), so serving a link needs no database round trip."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from accord.catalog import service as catalog
from accord.delivery import tarshard
from accord.delivery.log import DownloadLogWriter
from accord.delivery.revocations import RevocationCache

if TYPE_CHECKING:
    from accord.runtime import Runtime


@dataclass
class VersionFiles:
    """What serving a version's shards and SHA256SUMS needs, loaded once per process (it never changes)."""

    version_id: int
    name: str  # "<dataset>-<label>", for file names
    manifest_sha: str | None
    members: list[tarshard.Member]
    target: int = tarshard.DEFAULT_TARGET
    signature: bytes | None = None  # the manifest's, made on first request (ECDSA signatures differ each time)

    @cached_property
    def shards(self) -> list[tarshard.Shard]:
        return [tarshard.Shard(group) for group in tarshard.plan(self.members, target=self.target)]

    @cached_property
    def sums(self) -> bytes:
        """`sha256sum -c` input: '<sha256>  <path>' per file, in path order."""
        return "".join(f"{m.sha256}  {m.path}\n" for m in self.members).encode()


class FilesCache:
    def __init__(
        self, sessions: Callable[[], Session], *, keep: int = 4, shard_target: int = tarshard.DEFAULT_TARGET
    ) -> None:
        self.sessions = sessions
        self.keep = keep
        self.shard_target = shard_target
        self._cache: OrderedDict[int, VersionFiles] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, version_id: int) -> VersionFiles:
        with self._lock:
            if version_id in self._cache:
                self._cache.move_to_end(version_id)
                return self._cache[version_id]
        files = self._load(version_id)
        with self._lock:
            self._cache[version_id] = files
            while len(self._cache) > self.keep:
                self._cache.popitem(last=False)
        return files

    def _load(self, version_id: int) -> VersionFiles:
        with self.sessions() as db:
            version, rows = catalog.version_files(db, version_id)
            name, manifest_sha = f"{version.dataset.slug}-{version.label}", version.manifest_sha256
        return VersionFiles(
            version_id, name, manifest_sha, [tarshard.Member(p, s, h) for p, s, h in rows], self.shard_target
        )


@dataclass
class State:
    revocations: RevocationCache
    log: DownloadLogWriter
    files: FilesCache


def state(rt: Runtime) -> State:
    """This process's delivery state for the runtime (built on first use)."""
    return rt.kept(
        "delivery",
        lambda: State(
            RevocationCache(rt.session, lookback=rt.settings.link_ttl),
            DownloadLogWriter(rt.session),
            FilesCache(rt.session),
        ),
    )
