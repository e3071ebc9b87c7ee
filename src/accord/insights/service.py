"""Insights: the custodian's dashboard, for one dataset or across the datasets a curator curates (administrators
and global curators: every dataset). This module is the door: who sees which datasets (here), the numbers
(insights/build.py, from tallies the other domains count in SQL), the charts as SVG (insights/svg.py) and
each chart's numbers as CSV (here)."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from sqlalchemy.orm import Session

from accord.catalog import service as catalog
from accord.db import utcnow
from accord.errors import InvalidInput, NotFound, PermissionDenied
from accord.identity.models import User
from accord.insights import build, svg
from accord.insights.schemas import Chart, Dashboard

WEEKS = 26
MIN_WEEKS, MAX_WEEKS = 4, 104
CHARTS = ("applications", "decision-time", "downloads", "bytes", "grants", "obligations", "organisations", "countries")

chart_svg = svg.svg
amount = svg.amount
period = svg.period


def curated(db: Session, viewer: User | str) -> dict[int, str] | None:
    """id → slug of the datasets `viewer` curates; None: every dataset (administrators, global curators and
    the server's shell)."""
    if isinstance(viewer, str):
        return None
    grants = [r for r in viewer.roles if r.role in ("admin", "curator")]
    if not grants:
        raise PermissionDenied("the dashboard is for the curators of a dataset and for administrators")
    if any(r.role == "admin" or r.dataset_id is None for r in grants):
        return None
    return catalog.slugs(db, {r.dataset_id for r in grants if r.dataset_id is not None})


def dashboard(
    db: Session, *, viewer: User | str, dataset: str | None = None, weeks: int = WEEKS, at: datetime | None = None
) -> Dashboard:
    """The numbers of one dataset (`dataset`, a slug, which `viewer` must curate) or of all they curate, over
    the `weeks` weeks that end with this one."""
    if not MIN_WEEKS <= weeks <= MAX_WEEKS:
        raise InvalidInput(f"show {MIN_WEEKS} to {MAX_WEEKS} weeks", field="weeks")
    if dataset is not None:
        ds = catalog.dataset_by_slug(db, dataset)  # NotFound
        catalog.require_curator(viewer, ds.id)  # PermissionDenied
        ids: dict[int, str] | None = {ds.id: ds.slug}
    else:
        ids = curated(db, viewer)
    slugs = sorted((ids if ids is not None else catalog.slugs(db)).values())
    return build.gather(
        db, None if ids is None else set(ids), slugs=slugs, dataset=dataset, weeks=weeks, at=at or utcnow()
    )


def chart_of(board: Dashboard, key: str) -> Chart:
    found = board.chart(key)
    if found is None:
        raise NotFound(f"no chart called {key!r}; the dashboard has {', '.join(CHARTS)}")
    return found


def csv_text(chart: Chart) -> str:
    """A chart's numbers: a row per week, month or category, a column per series (days with one decimal,
    bytes and counts whole; an empty cell where there is nothing to measure)."""
    out = io.StringIO()
    write = csv.writer(out, lineterminator="\n")
    write.writerow([chart.category, *(s.key for s in chart.series)])
    for i, name in enumerate(chart.categories):
        write.writerow([_cell(name), *(_number(s.values[i]) for s in chart.series)])
    return out.getvalue()


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _cell(text: str) -> str:
    """A name as a spreadsheet will not run it: a leading =, +, - or @ would start a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
