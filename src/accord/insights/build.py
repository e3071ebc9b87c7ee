"""The dashboard assembled from the tallies other domains count in SQL: a fixed number of statements whatever
the number of applications, grants or downloads (tests/insights/test_query_count.py counts them). Here only
the grouped rows are arranged into charts: zero-filled weeks, days from seconds, the top organisations."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from accord import dialects
from accord.access import service as access
from accord.delivery import service as delivery
from accord.entitlements import service as entitlements
from accord.identity import service as identity
from accord.insights import origins
from accord.insights.schemas import Chart, Dashboard, Figure, Series, Tone
from accord.obligations import service as obligations

DAY = 86400.0
OUTCOME_LABELS: dict[str, tuple[str, Tone]] = {
    "approved": ("Approved", "ok"),
    "rejected": ("Rejected", "bad"),
    "returned": ("Returned for changes", "warn"),
    "withdrawn": ("Withdrawn", "muted"),
    "open": ("Still open", "accent"),
}
GRANT_LABELS: dict[str, tuple[str, Tone]] = {
    "active": ("Active", "ok"),
    "paused": ("Paused for new terms", "warn"),
    "not_started": ("Not started yet", "light"),
    "expired": ("Expired", "muted"),
    "revoked": ("Revoked", "bad"),
}
OBLIGATION_LABELS: dict[str, tuple[str, Tone]] = {
    "requests_pending": ("Approval requests to answer", "warn"),
    "derivatives_pending": ("Derivatives to approve", "warn"),
    "derivatives_to_list": ("Derivatives to list", "light"),
    "derivatives_listed": ("Derivatives listed", "ok"),
    "publications": ("Publications registered", "accent"),
    "publications_recent": ("… of them in these weeks", "accent"),
}


def window(weeks: int, at: datetime) -> datetime:
    """The start (Monday 00:00 UTC) of the `weeks` weeks that end with the one holding `at`."""
    first = dialects.monday(at.astimezone(UTC).date()) - timedelta(weeks=weeks - 1)
    return datetime.combine(first, time(), tzinfo=UTC)


def gather(
    db: Session, dataset_ids: Collection[int] | None, *, slugs: list[str], dataset: str | None, weeks: int, at: datetime
) -> Dashboard:
    since = window(weeks, at)
    mondays = [d.isoformat() for d in dialects.weeks(since.date(), at.date())]
    charts = [
        _applications(db, dataset_ids, since, mondays),
        _decision_time(db, dataset_ids, since, at),
        *_downloads(db, dataset_ids, since, mondays),
        _grants(db, dataset_ids, at),
        _obligations(db, dataset_ids, since),
        *_origins(db, dataset_ids, at),
    ]
    board = Dashboard(
        dataset=dataset, datasets=slugs, weeks=weeks, since=since.date(), generated_at=at, figures=[], charts=charts
    )
    board.figures = _figures(board)
    return board


def _applications(db: Session, ids: Collection[int] | None, since: datetime, mondays: list[str]) -> Chart:
    counted = {(week, result): n for week, result, n in access.outcomes_by_week(db, ids, since=since)}
    series = [
        Series(key=key, label=label, tone=tone, values=[float(counted.get((m, key), 0)) for m in mondays])
        for key, (label, tone) in OUTCOME_LABELS.items()
    ]
    return Chart(
        key="applications",
        title="Applications per week, by outcome",
        summary="Applications by the week they were first submitted, and what has become of each by now.",
        kind="stacked",
        unit="applications",
        category="week",
        categories=mondays,
        series=series,
    )


def _decision_time(db: Session, ids: Collection[int] | None, since: datetime, at: datetime) -> Chart:
    months = [d.isoformat() for d in dialects.months(since.date(), at.date())]
    per_month = access.decision_times(db, ids, since=since, by_month=True)
    overall = access.decision_times(db, ids, since=since, by_month=False).get("")
    spreads = [per_month.get(m) for m in months] + [overall]

    def days(which: str) -> list[float | None]:
        return [round(getattr(s, which) / DAY, 1) if s else None for s in spreads]

    return Chart(
        key="decision-time",
        title="Days from submission to decision",
        summary=(
            "Median and 90th percentile of the time from an application's first submission to its approval or "
            "rejection, by the month of the decision, and over all decisions in these weeks."
        ),
        kind="grouped",
        unit="days",
        category="month",
        categories=[*months, "overall"],
        series=[
            Series(key="median", label="Median", tone="accent", values=days("median")),
            Series(key="p90", label="90th percentile", tone="light", values=days("p90")),
            Series(
                key="decisions",
                label="Decisions",
                tone="other",
                values=[float(s.decisions) if s else 0.0 for s in spreads],
                drawn=False,
            ),
        ],
    )


def _grants(db: Session, ids: Collection[int] | None, at: datetime) -> Chart:
    counted = entitlements.grant_counts(db, ids, at=at)
    return _bars(
        "grants",
        "Grants by state",
        "Every grant of access, as it stands now: active, paused until new terms are accepted, not started yet, "
        "expired or revoked.",
        "grants",
        "state",
        [(GRANT_LABELS[k][0], counted.get(k, 0), GRANT_LABELS[k][1]) for k in GRANT_LABELS],
    )


def _downloads(db: Session, ids: Collection[int] | None, since: datetime, mondays: list[str]) -> list[Chart]:
    found = {w.monday: w for w in delivery.downloads_by_week(db, ids, since=since)}

    def per_week(field: str) -> list[float | None]:
        return [float(getattr(found[m], field)) if m in found else 0.0 for m in mondays]

    counts = Chart(
        key="downloads",
        title="Downloads per week",
        summary=(
            "From the download log: files or tar shards a licensee received bytes of (each counted once a week, "
            "however many requests brought it), and how many licensees downloaded."
        ),
        kind="grouped",
        unit="downloads",
        category="week",
        categories=mondays,
        series=[
            Series(key="downloads", label="Files and shards", tone="accent", values=per_week("downloads")),
            Series(key="licensees", label="Licensees", tone="ok", values=per_week("licensees")),
        ],
    )
    size = Chart(
        key="bytes",
        title="Bytes delivered per week",
        summary="From the download log: every byte sent to a licensee, resumed and repeated transfers included.",
        kind="stacked",
        unit="bytes",
        category="week",
        categories=mondays,
        series=[Series(key="bytes", label="Bytes", tone="accent", values=per_week("bytes"))],
    )
    return [counts, size]


def _origins(db: Session, ids: Collection[int] | None, at: datetime) -> list[Chart]:
    registered = [origins.Registered(o.name, o.domain) for o in identity.organisations(db)]
    orgs, countries = origins.tally(access.licensee_origins(db, ids, at=at), registered)
    source = (
        "Licensees holding a grant now, each counted once: the organisation their application named, else the "
        "registered organisation of their e-mail domain, else that domain."
    )
    where = "Licensees holding a grant now, by the country-code ending of their e-mail domain (.de, .ac.uk)."
    return [
        _bars(
            "organisations",
            "Licensees by organisation",
            source,
            "licensees",
            "organisation",
            [(name, n, "accent") for name, n in origins.top(orgs)],
        ),
        _bars(
            "countries",
            "Licensees by country",
            where,
            "licensees",
            "country",
            [(name, n, "muted" if name == origins.GENERIC else "ok") for name, n in origins.top(countries)],
        ),
    ]


def _obligations(db: Session, ids: Collection[int] | None, since: datetime) -> Chart:
    counted = obligations.obligation_counts(db, ids, since=since)
    return _bars(
        "obligations",
        "After the download",
        "What licensees declared, asked and registered: what waits for the custodian's answer, what is listed "
        "on the public page, and the papers registered.",
        "items",
        "kind",
        [(label, counted[k], tone) for k, (label, tone) in OBLIGATION_LABELS.items()],
    )


def _bars(key: str, title: str, summary: str, unit: Any, category: Any, rows: list[tuple[str, int, Tone]]) -> Chart:
    return Chart(
        key=key,
        title=title,
        summary=summary,
        kind="bars",
        unit=unit,
        category=category,
        categories=[name for name, _, _ in rows],
        series=[Series(key=unit, label=unit.capitalize(), values=[float(n) for _, n, _ in rows])],
        tones=[tone for _, _, tone in rows],
    )


def _figures(board: Dashboard) -> list[Figure]:
    def chart(key: str) -> Chart:
        found = board.chart(key)
        assert found is not None
        return found

    apps, times, grants = chart("applications"), chart("decision-time"), chart("grants")
    overall = {s.key: s.values[-1] for s in times.series}
    held = dict(zip(grants.categories, grants.series[0].values, strict=True))
    owed = dict(zip(chart("obligations").categories, chart("obligations").series[0].values, strict=True))
    answers = (owed[OBLIGATION_LABELS["requests_pending"][0]] or 0) + (
        owed[OBLIGATION_LABELS["derivatives_pending"][0]] or 0
    )
    return [
        Figure(key="applications", label="Applications submitted", value=sum(apps.total(k) for k in OUTCOME_LABELS)),
        Figure(key="open", label="Of them still open", value=apps.total("open")),
        Figure(key="median_days", label="Median days to a decision", value=overall["median"], unit="days"),
        Figure(key="p90_days", label="90th percentile, days", value=overall["p90"], unit="days"),
        Figure(key="active_grants", label="Active grants", value=held[GRANT_LABELS["active"][0]]),
        Figure(key="downloads", label="Downloads", value=chart("downloads").total("downloads")),
        Figure(key="bytes", label="Delivered", value=chart("bytes").total("bytes"), unit="bytes"),
        Figure(key="to_answer", label="Requests and derivatives to answer", value=answers),
    ]
