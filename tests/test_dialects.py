"""The SQL the dashboard groups by, on SQLite and PostgreSQL alike: a moment's week (its Monday, UTC) and month,
the seconds between two moments, an address's domain."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import String, literal, select

from accord import dialects
from accord.db import UTCDateTime


def moment(text: str):
    return literal(datetime.fromisoformat(text).replace(tzinfo=UTC), UTCDateTime())


@pytest.mark.parametrize(
    ("at", "week", "month"),
    [
        ("2026-03-08 23:59:59", "2026-03-02", "2026-03-01"),  # a Sunday night still belongs to its week
        ("2026-03-09 00:00:00", "2026-03-09", "2026-03-01"),  # Monday begins the next
        ("2026-03-31 23:30:00", "2026-03-30", "2026-03-01"),
        ("2027-01-01 12:00:00", "2026-12-28", "2027-01-01"),  # a week that spans two years
    ],
)
def test_weeks_begin_on_monday_and_months_on_the_first_in_utc(db, at, week, month):
    found = db.execute(select(dialects.week(db, moment(at)), dialects.month(db, moment(at)))).one()
    assert tuple(found) == (week, month)


def test_the_seconds_between_two_moments_and_the_domain_of_an_address(db):
    took = db.scalar(select(dialects.seconds_between(db, moment("2026-03-01 10:00:00"), moment("2026-03-03 22:00:30"))))
    assert took == pytest.approx(2.5 * 86400 + 30, abs=0.01)
    assert db.scalar(select(dialects.after_at(db, literal("Ana@CS.Uni-Example.DE", String())))) == "cs.uni-example.de"


def test_the_calendar_in_python_matches():
    assert dialects.weeks(date(2026, 3, 4), date(2026, 3, 16)) == [
        date(2026, 3, 2),
        date(2026, 3, 9),
        date(2026, 3, 16),
    ]
    assert dialects.months(date(2026, 11, 20), date(2027, 1, 2)) == [
        date(2026, 11, 1),
        date(2026, 12, 1),
        date(2027, 1, 1),
    ]
