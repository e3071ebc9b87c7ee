"""The download log counted per week for the custodian's dashboard, grouped in SQL (one statement however long
the log). A download is a file or a tar shard a licensee received bytes of, counted once a week however many
Range requests brought it."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from accord import dialects
from accord.delivery.models import DownloadLog
from accord.entitlements.models import Entitlement


@dataclass(frozen=True)
class Week:
    monday: str  # 'YYYY-MM-DD'
    downloads: int  # distinct (licensee, file or shard) pairs
    licensees: int
    bytes: int


def by_week(db: Session, dataset_ids: Collection[int] | None, *, since: datetime) -> list[Week]:
    """What the licensees of the given datasets (None: of every dataset) received, per week since `since`."""
    week = dialects.week(db, DownloadLog.at)
    what = cast(DownloadLog.user_id, String) + ":" + DownloadLog.object
    query = (
        select(
            week,
            func.count(func.distinct(what)),
            func.count(func.distinct(DownloadLog.user_id)),
            func.coalesce(func.sum(DownloadLog.bytes), 0),
        )
        .join(Entitlement, Entitlement.id == DownloadLog.entitlement_id)
        .where(DownloadLog.at >= since, DownloadLog.bytes > 0)
        .group_by(week)
        .order_by(week)
    )
    if dataset_ids is not None:
        query = query.where(Entitlement.dataset_id.in_(sorted(dataset_ids)))
    return [Week(str(monday), n, people, int(size)) for monday, n, people, size in db.execute(query)]
