"""Which files each licensee received, from the download log: a file served alone (`item:<version>:<sha256>`) or
any byte of its content inside a tar shard (`shard:<version>:<n>`, mapped back through the version's shard plan).
What a deletion notice lists comes from here, so a licensee is told of exactly the files they hold."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.delivery.models import DownloadLog
from accord.delivery.state import state

if TYPE_CHECKING:
    from accord.runtime import Runtime

CHUNK = 500


def received(rt: Runtime, db: Session, version_id: int, shas: set[str]) -> dict[int, set[str]]:
    """user id → the subset of `shas` (blobs of version `version_id`) that the user received any byte of."""
    out: dict[int, set[str]] = defaultdict(set)
    wanted = sorted(shas)
    objects = [f"item:{version_id}:{sha}" for sha in wanted]
    for i in range(0, len(objects), CHUNK):
        for user_id, obj in db.execute(
            select(DownloadLog.user_id, DownloadLog.object).where(
                DownloadLog.object.in_(objects[i : i + CHUNK]), DownloadLog.bytes > 0
            )
        ):
            out[user_id].add(obj.rsplit(":", 1)[1])
    # In shards: each removed file's content range inside its shard, then the logged ranges that overlap it.
    spans: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    for n, shard in enumerate(state(rt).files.get(version_id).shards):
        for segment in shard.segments:
            if segment.sha256 in shas:
                spans[n].append((segment.offset, segment.offset + segment.length, segment.sha256))
    if spans:
        names = {f"shard:{version_id}:{n}": n for n in spans}
        rows = db.execute(
            select(DownloadLog.user_id, DownloadLog.object, DownloadLog.offset, DownloadLog.bytes).where(
                DownloadLog.object.in_(list(names)), DownloadLog.bytes > 0
            )
        )
        for user_id, obj, offset, nbytes in rows:
            for start, end, sha in spans[names[obj]]:
                if offset < end and offset + nbytes > start:
                    out[user_id].add(sha)
    return dict(out)


@dataclass(frozen=True)
class Downloaded:
    """What one licensee received of one version, summed from the download log."""

    version_id: int | None
    responses: int
    bytes: int
    first_at: datetime
    last_at: datetime


def downloaded_by(db: Session, user_id: int) -> list[Downloaded]:
    """Per version, what the user received (their own record), most recent first."""
    rows = db.execute(
        select(
            DownloadLog.version_id,
            func.count(),
            func.coalesce(func.sum(DownloadLog.bytes), 0),
            func.min(DownloadLog.at),
            func.max(DownloadLog.at),
        )
        .where(DownloadLog.user_id == user_id)
        .group_by(DownloadLog.version_id)
    )
    found = [Downloaded(v, n, int(size), first, last) for v, n, size, first, last in rows]
    return sorted(found, key=lambda d: d.last_at, reverse=True)


def downloads_of(db: Session, user_id: int) -> list[DownloadLog]:
    """Every logged response to the user, newest first (their own record)."""
    query = select(DownloadLog).where(DownloadLog.user_id == user_id)
    return list(db.scalars(query.order_by(DownloadLog.at.desc(), DownloadLog.id.desc())))
