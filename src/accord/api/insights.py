"""/api/v1/dashboard: the custodian's dashboard as numbers, across the datasets the caller curates
(administrators: all) or for one dataset."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from accord.http.deps import CurrentUser, Db
from accord.insights import service as insights
from accord.insights.schemas import Dashboard

router = APIRouter(tags=["dashboard"])
Weeks = Annotated[
    int, Query(ge=insights.MIN_WEEKS, le=insights.MAX_WEEKS, description="how many weeks, ending with this one")
]


@router.get("/dashboard", response_model=Dashboard, summary="The dashboard across the datasets I curate")
def across(db: Db, user: CurrentUser, weeks: Weeks = insights.WEEKS) -> Dashboard:
    """Applications by outcome, time to a decision, grants, downloads, licensees' organisations and countries,
    and obligations, for administrators (every dataset) and curators (their datasets)."""
    return insights.dashboard(db, viewer=user, weeks=weeks)


@router.get("/datasets/{slug}/dashboard", response_model=Dashboard, summary="One dataset's dashboard")
def one(slug: str, db: Db, user: CurrentUser, weeks: Weeks = insights.WEEKS) -> Dashboard:
    """The same numbers for one dataset, for its curators and administrators."""
    return insights.dashboard(db, viewer=user, dataset=slug, weeks=weeks)
