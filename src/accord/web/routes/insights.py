"""The custodian's dashboard: /admin/dashboard across the datasets the curator curates (administrators: all),
/admin/datasets/{slug}/dashboard for one, and each chart's numbers as CSV beside it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from markupsafe import Markup

from accord.catalog import service as catalog
from accord.http.deps import CurrentUser, Db
from accord.insights import service as insights
from accord.insights.schemas import Dashboard
from accord.web.templating import render

router = APIRouter(include_in_schema=False)
Weeks = Annotated[int, Query(ge=insights.MIN_WEEKS, le=insights.MAX_WEEKS)]
CHOICES = (13, 26, 52)


def _page(request: Request, board: Dashboard, *, base: str, title: str, ds=None):
    # Markup: the renderer escapes every text it writes into the SVG.
    charts = [(c, Markup(insights.chart_svg(c, prefix=f"chart-{c.key}"))) for c in board.charts]
    return render(
        request,
        "admin/dashboard.html",
        board=board,
        charts=charts,
        base=base,
        title=title,
        ds=ds,
        choices=CHOICES,
        amount=insights.amount,
        period=insights.period,
    )


@router.get("/admin/dashboard")
def across(request: Request, db: Db, me: CurrentUser, weeks: Weeks = insights.WEEKS):
    board = insights.dashboard(db, viewer=me, weeks=weeks)
    everything = me.is_admin or insights.curated(db, me) is None
    return _page(request, board, base="/admin/dashboard", title="All datasets" if everything else "My datasets")


@router.get("/admin/datasets/{slug}/dashboard")
def one(request: Request, slug: str, db: Db, me: CurrentUser, weeks: Weeks = insights.WEEKS):
    board = insights.dashboard(db, viewer=me, dataset=slug, weeks=weeks)
    ds = catalog.dataset_by_slug(db, slug)
    return _page(request, board, base=f"/admin/datasets/{slug}/dashboard", title=ds.title, ds=ds)


def _csv(board: Dashboard, chart: str, name: str) -> Response:
    text = insights.csv_text(insights.chart_of(board, chart))
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}-{chart}-{board.since:%Y%m%d}.csv"',
            "Cache-Control": "private, no-store",
        },
    )


@router.get("/admin/dashboard/{chart}.csv")
def across_csv(chart: str, db: Db, me: CurrentUser, weeks: Weeks = insights.WEEKS):
    return _csv(insights.dashboard(db, viewer=me, weeks=weeks), chart, "accord")


@router.get("/admin/datasets/{slug}/dashboard/{chart}.csv")
def one_csv(slug: str, chart: str, db: Db, me: CurrentUser, weeks: Weeks = insights.WEEKS):
    return _csv(insights.dashboard(db, viewer=me, dataset=slug, weeks=weeks), chart, slug)
