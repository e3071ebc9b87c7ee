"""Obligations counted for the custodian's dashboard: what waits for an answer, what is listed, what was
published. One statement of counting subqueries, whatever the number of rows."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.obligations.models import ApprovalRequest, Derivative, Publication

KINDS = (
    "requests_pending",  # requests for approval (modify, redistribute, another unit, commercial) unanswered
    "derivatives_pending",  # derivatives whose terms need the custodian's approval, unanswered
    "derivatives_to_list",  # recorded or approved, their authors asked to be listed, not listed yet
    "derivatives_listed",  # on the dataset's public page
    "publications",  # papers registered, ever
    "publications_recent",  # papers registered since `since`
)


def counts(db: Session, dataset_ids: Collection[int] | None, *, since: datetime) -> dict[str, int]:
    """kind → how many, for the given datasets (None: every dataset)."""

    def count(model: Any, *where: Any) -> Any:
        query = select(func.count()).select_from(model).where(*where)
        if dataset_ids is not None:
            query = query.where(model.dataset_id.in_(sorted(dataset_ids)))
        return query.scalar_subquery()

    row = db.execute(
        select(
            count(ApprovalRequest, ApprovalRequest.status == "pending"),
            count(Derivative, Derivative.status == "pending"),
            count(
                Derivative,
                Derivative.status.in_(("recorded", "approved")),
                Derivative.wants_listing.is_(True),
                Derivative.listed.is_(False),
            ),
            count(Derivative, Derivative.listed.is_(True)),
            count(Publication),
            count(Publication, Publication.created_at >= since),
        )
    ).one()
    return {kind: int(n or 0) for kind, n in zip(KINDS, row, strict=True)}
