"""The dashboard's numbers for a small world whose answers are known: applications decided at known times,
grants active, paused, not started, expired and revoked, downloads logged, obligations waiting; on SQLite and
PostgreSQL."""

from __future__ import annotations

import pytest

from accord.errors import InvalidInput, NotFound, PermissionDenied
from accord.identity import service as identity
from accord.insights import service as insights
from accord.policy import service as policies
from accord.policy.io import seed
from tests.identity.helpers import PASSWORD
from tests.insights import world
from tests.insights.world import Story, at

NOW = at("2026-03-18 12:00")  # a Wednesday; four weeks back begin on Monday 23 February
MONDAYS = ["2026-02-23", "2026-03-02", "2026-03-09", "2026-03-16"]


def build(db) -> dict:
    a, a_version = world.dataset(db, "alpha")
    b, _ = world.dataset(db, "beta")
    policies.set_policy(db, a, seed("shhq"), actor="cli")
    policies.set_policy(db, a, seed("llvip"), actor="cli")  # alpha's terms are at version 2: older grants pause
    identity.register_organisation(db, name="Example College London", domain="example.ac.uk", actor="cli")
    people = world.users(
        db,
        [
            "ana@cs.uni-example.de",  # 0
            "bo@example.ac.uk",  # 1
            "cy@example.com",  # 2
            "di@lab.example.nl",  # 3
            "ed@old.example.fr",  # 4
            "fay@gone.example.fr",  # 5
            "gil@beta.example.jp",  # 6
        ],
    )
    stories = [
        Story(people[0], at("2026-02-24 10:00"), [("approved", at("2026-02-26 10:00"))], organisation="Uni Example"),
        Story(people[2], at("2026-02-25 09:00"), [("rejected", at("2026-03-05 09:00"))]),
        Story(people[2], at("2026-03-03 09:00"), [("returned", at("2026-03-04 09:00"))]),
        # returned, sent back, approved: counted from its first submission (8 days)
        Story(
            people[1],
            at("2026-03-03 12:00"),
            [
                ("returned", at("2026-03-04 12:00")),
                ("resubmitted", at("2026-03-10 12:00")),
                ("approved", at("2026-03-11 12:00")),
            ],
        ),
        Story(people[2], at("2026-03-10 08:00"), [("withdrawn", at("2026-03-12 08:00"))]),
        Story(people[2], at("2026-03-16 08:00")),  # in review
        Story(people[3], at("2026-03-17 08:00"), [("signatory_invited", at("2026-03-17 08:00"))]),
        Story(people[4], at("2026-01-05 08:00"), [("approved", at("2026-01-06 08:00"))]),  # before the weeks
        Story(people[5], at("2026-02-10 08:00"), [("approved", at("2026-03-02 08:00"))]),  # decided inside: 20 days
        Story(people[2], None),  # a draft
    ]
    apps = world.applications(db, a, stories)
    beta_apps = world.applications(
        db, b, [Story(people[6], at("2026-03-09 09:00"), [("approved", at("2026-03-09 21:00"))])]
    )
    grants = world.grants(
        db,
        [
            {"dataset_id": a, "user_id": people[0], "application_id": apps[0], "policy_version": 2},  # active
            {"dataset_id": a, "user_id": people[1], "application_id": apps[3]},  # paused: terms 1 of 2
            {"dataset_id": a, "user_id": people[3], "policy_version": 2},  # active, given by hand (no application)
            {"dataset_id": a, "user_id": people[2], "starts_at": at("2026-04-01 00:00"), "policy_version": 2},
            {"dataset_id": a, "user_id": people[4], "application_id": apps[7], "expires_at": at("2026-03-01 00:00")},
            {"dataset_id": a, "user_id": people[5], "application_id": apps[8], "revoked_at": at("2026-03-10 00:00")},
            {"dataset_id": b, "user_id": people[6], "application_id": beta_apps[0]},
        ],
    )

    def got(person: int, grant: int, obj: str, nbytes: int, when: str, **extra) -> dict:
        return {"user_id": people[person], "entitlement_id": grants[grant], "object": obj, "bytes": nbytes,
                "at": at(when), **extra}  # fmt: skip

    world.downloads(
        db,
        [
            # one file in three Range requests: one download
            *(got(0, 0, "item:1:aa", 100, "2026-03-03 10:00", offset=100 * i) for i in range(3)),
            got(0, 0, "item:1:bb", 50, "2026-03-04 10:00"),
            got(1, 1, "shard:1:0", 1000, "2026-03-10 10:00"),
            got(1, 1, "shard:1:1", 0, "2026-03-10 10:01", stopped="terms_changed"),  # refused: nothing received
            got(0, 0, "item:1:aa", 10, "2026-03-11 10:00"),
            got(0, 0, "item:1:cc", 500, "2026-02-01 10:00"),  # before the weeks
            got(6, 6, "item:9:zz", 777, "2026-03-16 10:00"),  # beta's
        ],
    )
    world.owed(db, a, a_version, grants[0], people[0])
    return {"alpha": a, "beta": b, "people": people}


def values(board, chart: str, series: str) -> list:
    found = insights.chart_of(board, chart)
    return next(s.values for s in found.series if s.key == series)


def bars(board, chart: str) -> dict[str, float]:
    found = insights.chart_of(board, chart)
    return dict(zip(found.categories, found.series[0].values, strict=True))


def test_applications_are_counted_by_the_week_of_their_first_submission_and_their_outcome(db):
    build(db)
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
    build(db)
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
    build(db)
    board = insights.dashboard(db, viewer="cli", dataset="alpha", weeks=4, at=NOW)
    assert bars(board, "grants") == {
        "Active": 2,
        "Paused for new terms": 1,
        "Not started yet": 1,
        "Expired": 1,
        "Revoked": 1,
    }


def test_downloads_count_each_file_once_a_week_and_every_byte(db):
    build(db)
    board = insights.dashboard(db, viewer="cli", dataset="alpha", weeks=4, at=NOW)
    assert values(board, "downloads", "downloads") == [0, 2, 2, 0]
    assert values(board, "downloads", "licensees") == [0, 1, 2, 0]
    assert values(board, "bytes", "bytes") == [0, 350, 1010, 0]
    figures = {f.key: f.value for f in board.figures}
    assert figures["downloads"] == 4 and figures["bytes"] == 1360


def test_licensees_are_counted_by_organisation_and_country_from_what_accord_holds(db):
    build(db)
    board = insights.dashboard(db, viewer="cli", dataset="alpha", weeks=4, at=NOW)
    # held now: ana (her application names Uni Example), bo (his domain is a registered organisation's), di (a
    # grant given by hand: only the domain is known); not the grant not started, expired or revoked
    assert bars(board, "organisations") == {"Example College London": 1, "lab.example.nl": 1, "Uni Example": 1}
    assert bars(board, "countries") == {"Germany": 1, "Netherlands": 1, "United Kingdom": 1}


def test_obligations_count_what_waits_what_is_listed_and_the_papers(db):
    build(db)
    board = insights.dashboard(db, viewer="cli", dataset="alpha", weeks=4, at=NOW)
    assert list(bars(board, "obligations").values()) == [1, 1, 1, 1, 2, 1]
    assert {f.key: f.value for f in board.figures}["to_answer"] == 2


def test_across_datasets_counts_every_dataset_and_a_curator_sees_only_theirs(db):
    made = build(db)
    every = insights.dashboard(db, viewer="cli", weeks=4, at=NOW)
    assert every.dataset is None and every.datasets == ["alpha", "beta"]
    assert values(every, "applications", "approved") == [1, 1, 1, 0]
    assert values(every, "bytes", "bytes") == [0, 350, 1010, 777]
    assert bars(every, "countries")["Japan"] == 1
    curator = identity.create_user(db, email="cu@example.org", name="Cu", password=PASSWORD, actor="cli")
    identity.grant_role(db, curator, "curator", dataset_id=made["beta"])
    mine = insights.dashboard(db, viewer=curator, weeks=4, at=NOW)
    assert mine.datasets == ["beta"] and values(mine, "applications", "approved") == [0, 0, 1, 0]
    assert values(mine, "bytes", "bytes") == [0, 0, 0, 777]
    with pytest.raises(PermissionDenied):
        insights.dashboard(db, viewer=curator, dataset="alpha", at=NOW)


def test_the_dashboard_is_not_for_reviewers_or_licensees_and_knows_its_limits(db):
    made = build(db)
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
