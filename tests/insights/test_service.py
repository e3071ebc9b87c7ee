"""The dashboard's numbers for a small world whose answers are known: applications decided at known times,
grants active, paused, not started, expired and revoked, downloads logged, obligations waiting; on SQLite and
PostgreSQL."""

from __future__ import annotations

import pytest

from accord.errors import InvalidInput, NotFound, PermissionDenied
from accord.identity import service as identity
from accord.insights import service as insights
from tests.identity.helpers import PASSWORD
from tests.insights import world

NOW = world.NOW
MONDAYS = ["2026-02-23", "2026-03-02", "2026-03-09", "2026-03-16"]


def values(board, chart: str, series: str) -> list:
    found = insights.chart_of(board, chart)
    return next(s.values for s in found.series if s.key == series)


def bars(board, chart: str) -> dict[str, float]:
    found = insights.chart_of(board, chart)
    return dict(zip(found.categories, found.series[0].values, strict=True))


def test_applications_are_counted_by_the_week_of_their_first_submission_and_their_outcome(db):
    world.small(db)
    board = insights.dashboard(db, viewer="cli", dataset="alpha", weeks=4, at=NOW)
    assert board.since.isoformat() == "2026-02-23" and board.datasets == ["alpha"]
    chart = insights.chart_of(board, "applications")
    assert chart.categories == MONDAYS
    assert values(board, "applications", "approved") == [1, 1, 0, 0]  # the returned-then-approved one stays in March 2
    assert values(board, "applications", "rejected") == [1, 0, 0, 0]
    assert values(board, "applications", "returned") == [0, 1, 0, 0]
    assert values(board, "applications", "withdrawn") == [0, 0, 1, 0]
    assert values(board, "applications", "open") == [0, 0, 0, 2]  # in review, and waiting for a signatory


def test_decision_times_are_the_median_and_90th_percentile_per_month_and_overall(db):
    world.small(db)
    board = insights.dashboard(db, viewer="cli", dataset="alpha", weeks=4, at=NOW)
    chart = insights.chart_of(board, "decision-time")
    assert chart.categories == ["2026-02-01", "2026-03-01", "overall"]
    # February: 2 days. March: 8 (rejected), 8 (from the first submission) and 20 days. Nearest rank.
    assert values(board, "decision-time", "median") == [2.0, 8.0, 8.0]
    assert values(board, "decision-time", "p90") == [2.0, 20.0, 20.0]
    assert values(board, "decision-time", "decisions") == [1, 3, 4]
    figures = {f.key: f.value for f in board.figures}
    assert figures["median_days"] == 8.0 and figures["p90_days"] == 20.0


def test_grants_are_counted_by_their_state_now(db):
    world.small(db)
    board = insights.dashboard(db, viewer="cli", dataset="alpha", weeks=4, at=NOW)
    assert bars(board, "grants") == {
        "Active": 2,
        "Paused for new terms": 1,
        "Not started yet": 1,
        "Expired": 1,
        "Revoked": 1,
    }


def test_downloads_count_each_file_once_a_week_and_every_byte(db):
    world.small(db)
    board = insights.dashboard(db, viewer="cli", dataset="alpha", weeks=4, at=NOW)
    assert values(board, "downloads", "downloads") == [0, 2, 2, 0]
    assert values(board, "downloads", "licensees") == [0, 1, 2, 0]
    assert values(board, "bytes", "bytes") == [0, 350, 1010, 0]
    figures = {f.key: f.value for f in board.figures}
    assert figures["downloads"] == 4 and figures["bytes"] == 1360


def test_licensees_are_counted_by_organisation_and_country_from_what_accord_holds(db):
    world.small(db)
    board = insights.dashboard(db, viewer="cli", dataset="alpha", weeks=4, at=NOW)
    # held now: ana (her application names Uni Example), bo (his domain is a registered organisation's), di (a
    # grant given by hand: only the domain is known); not the grant not started, expired or revoked
    assert bars(board, "organisations") == {"Example College London": 1, "lab.example.nl": 1, "Uni Example": 1}
    assert bars(board, "countries") == {"Germany": 1, "Netherlands": 1, "United Kingdom": 1}


def test_obligations_count_what_waits_what_is_listed_and_the_papers(db):
    world.small(db)
    board = insights.dashboard(db, viewer="cli", dataset="alpha", weeks=4, at=NOW)
    assert list(bars(board, "obligations").values()) == [1, 1, 1, 1, 2, 1]
    assert {f.key: f.value for f in board.figures}["to_answer"] == 2


def test_across_datasets_counts_every_dataset_and_a_curator_sees_only_theirs(db):
    made = world.small(db)
    every = insights.dashboard(db, viewer="cli", weeks=4, at=NOW)
    assert every.dataset is None and every.datasets == ["alpha", "beta"]
    assert values(every, "applications", "approved") == [1, 1, 1, 0]
    assert values(every, "bytes", "bytes") == [0, 350, 1010, 777]
    assert bars(every, "countries") == {"Germany": 1, "Japan": 1, "Netherlands": 1, "United Kingdom": 1}
    # ana, who holds both, is counted once, under the organisation her application named
    assert bars(every, "organisations")["Uni Example"] == 1 and "cs.uni-example.de" not in bars(every, "organisations")
    curator = identity.create_user(db, email="cu@example.org", name="Cu", password=PASSWORD, actor="cli")
    identity.grant_role(db, curator, "curator", dataset_id=made["beta"])
    mine = insights.dashboard(db, viewer=curator, weeks=4, at=NOW)
    assert mine.datasets == ["beta"] and values(mine, "applications", "approved") == [0, 0, 1, 0]
    assert values(mine, "bytes", "bytes") == [0, 0, 0, 777]
    assert bars(mine, "organisations") == {"beta.example.jp": 1, "cs.uni-example.de": 1}
    with pytest.raises(PermissionDenied):
        insights.dashboard(db, viewer=curator, dataset="alpha", at=NOW)


def test_the_dashboard_is_not_for_reviewers_or_licensees_and_knows_its_limits(db):
    made = world.small(db)
    reviewer = identity.create_user(db, email="rev@example.org", name="Rev", password=PASSWORD, actor="cli")
    identity.grant_role(db, reviewer, "reviewer", dataset_id=made["alpha"])
    with pytest.raises(PermissionDenied, match="curators"):
        insights.dashboard(db, viewer=reviewer)
    with pytest.raises(NotFound):
        insights.dashboard(db, viewer="cli", dataset="no-such")
    with pytest.raises(InvalidInput) as refused:
        insights.dashboard(db, viewer="cli", weeks=500)
    assert refused.value.field == "weeks"
    board = insights.dashboard(db, viewer="cli", at=NOW)
    with pytest.raises(NotFound, match="no chart called"):
        insights.chart_of(board, "nonsense")


def test_an_empty_instance_has_a_dashboard_of_zeros(db):
    board = insights.dashboard(db, viewer="cli", weeks=4, at=NOW)
    assert board.datasets == []
    assert values(board, "applications", "approved") == [0, 0, 0, 0]
    assert values(board, "decision-time", "median") == [None, None, None]
    assert bars(board, "organisations") == {}
