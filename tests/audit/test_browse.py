"""Browsing the audit log: keyset pages whose cost does not grow with the log, filters, and who sees what."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select

from accord.audit import service as audit
from accord.audit.models import AuditEvent
from accord.db import unit_of_work
from accord.errors import InvalidInput, PermissionDenied
from tests.audit.bulk import bulk_events


@dataclass
class Role:
    role: str
    dataset_id: int | None = None


@dataclass
class Reader:
    roles: list[Role]


ADMIN = audit.scope_of(Reader([Role("admin")]))


@contextmanager
def statements(db):
    """Every SQL statement the session sends while the block runs."""
    db.scalar(select(1))  # the transaction (a savepoint on PostgreSQL) is open before counting starts
    seen: list[str] = []
    bind = db.get_bind()

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(bind, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(bind, "before_cursor_execute", count)


def page_costs(db) -> dict[str, int]:
    """Statements per kind of page: the newest, an older one, a newer one, and filtered and curators' pages."""
    curator = audit.scope_of(Reader([Role("curator", 1)]))
    costs = {}
    first = audit.page(db, ADMIN, audit.Filters(), per_page=5)
    kinds = {
        "newest": lambda: audit.page(db, ADMIN, audit.Filters(), per_page=5),
        "older": lambda: audit.page(db, ADMIN, audit.Filters(), before=first.older, per_page=5),
        "newer": lambda: audit.page(db, ADMIN, audit.Filters(), after=first.older - 1, per_page=5),
        "filtered": lambda: audit.page(
            db,
            ADMIN,
            audit.filters(actor="cli", action="thing.", dataset_id=2, since="2026-01-01"),
            before=first.older,
            per_page=5,
        ),
        "curator": lambda: audit.page(db, curator, audit.Filters(), before=first.older, per_page=5),
    }
    for kind, read in kinds.items():
        with statements(db) as seen:
            found = read()
        assert found.events, kind
        costs[kind] = len(seen)
    return costs


def test_a_page_costs_the_same_statements_over_10_and_over_10000_events(db):
    bulk_events(db, 10)
    small = page_costs(db)
    bulk_events(db, 10_000 - 10, start=datetime(2026, 2, 1, tzinfo=UTC))
    assert db.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) >= 10_000
    large = page_costs(db)
    assert small == large
    assert large == {"newest": 1, "older": 2, "newer": 2, "filtered": 2, "curator": 2}


def test_walking_the_pages_down_and_back_up_sees_every_event_once(db):
    bulk_events(db, 23)
    everything = list(db.scalars(select(AuditEvent.id).order_by(AuditEvent.id.desc())))
    pages = [audit.page(db, ADMIN, audit.Filters(), per_page=5)]
    while pages[-1].older:
        pages.append(audit.page(db, ADMIN, audit.Filters(), before=pages[-1].older, per_page=5))
    assert [e.id for p in pages for e in p.events] == everything
    assert len(pages) == 5 and pages[0].newer is None and pages[-1].older is None
    back = [pages[-1]]
    while back[-1].newer:
        back.append(audit.page(db, ADMIN, audit.Filters(), after=back[-1].newer, per_page=5))
    assert [e.id for p in reversed(back) for e in p.events] == everything


def ids(page) -> list[int]:
    return [int(e.object_id) for e in page.events]


def test_the_filters_pick_actor_action_dataset_and_time(db):
    bulk_events(db, 30)  # event i: actor i % 3, action i % 3, dataset (1, 2, None)[i % 3], at minute i
    every = audit.page(db, ADMIN, audit.filters(actor="CLI "), per_page=100)
    assert ids(every) == list(range(28, 0, -3)) and {e.actor for e in every.events} == {"cli"}
    assert ids(audit.page(db, ADMIN, audit.filters(action="other.done"), per_page=100)) == list(range(29, 0, -3))
    made_or_changed = ids(audit.page(db, ADMIN, audit.filters(action="thing."), per_page=100))
    assert made_or_changed == [i for i in range(29, -1, -1) if i % 3 != 2]
    assert ids(audit.page(db, ADMIN, audit.filters(action="thing.*"), per_page=100)) == made_or_changed
    assert ids(audit.page(db, ADMIN, audit.filters(dataset_id=2), per_page=100)) == list(range(28, 0, -3))
    window = audit.filters(since="2026-01-01T00:10:00", until="2026-01-01T00:15:00Z")
    assert ids(audit.page(db, ADMIN, window, per_page=100)) == [14, 13, 12, 11, 10]
    whole_day = audit.filters(since="2026-01-01", until="2026-01-01")
    assert len(audit.page(db, ADMIN, whole_day, per_page=100).events) == 30
    assert audit.page(db, ADMIN, audit.filters(until="2025-12-31"), per_page=100).events == []


def test_a_prefix_matches_literally_not_as_a_like_pattern(db):
    with unit_of_work(db):
        audit.record(db, actor="cli", action="dataset_version.published", object=("dataset_version", 1))
        audit.record(db, actor="cli", action="datasetXversion.published", object=("thing", 2))
    found = audit.page(db, ADMIN, audit.filters(action="dataset_version."))
    assert [e.action for e in found.events] == ["dataset_version.published"]


def test_a_curator_sees_only_events_about_the_datasets_they_curate(db):
    bulk_events(db, 30)
    one = audit.scope_of(Reader([Role("curator", 1), Role("reviewer", 2)]))
    assert {e.dataset_id for e in audit.page(db, one, audit.Filters(), per_page=100).events} == {1}
    assert ids(audit.page(db, one, audit.filters(actor="ada@lab.example"), per_page=100)) == list(range(27, -1, -3))
    with pytest.raises(PermissionDenied, match="do not curate"):
        audit.page(db, one, audit.filters(dataset_id=2))
    everywhere = audit.scope_of(Reader([Role("curator")]))  # a global curator: any dataset, not the rest
    assert {e.dataset_id for e in audit.page(db, everywhere, audit.Filters(), per_page=100).events} == {1, 2}
    assert len(audit.page(db, ADMIN, audit.Filters(), per_page=100).events) == 30


def test_the_log_is_not_for_licensees_or_reviewers():
    with pytest.raises(PermissionDenied, match="administrators and curators"):
        audit.scope_of(Reader([Role("reviewer", 1), Role("applicant")]))


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-13-01"}, "until"),
        ({"since": "2026-02-01", "until": "2026-01-01"}, "until"),
    ],
)
def test_a_time_that_is_no_time_is_refused_naming_its_field(given, field):
    with pytest.raises(InvalidInput) as refused:
        audit.filters(**given)
    assert refused.value.field == field


def test_a_page_size_out_of_bounds_or_both_cursors_are_refused(db):
    with pytest.raises(InvalidInput, match="1 to 200"):
        audit.page(db, ADMIN, audit.Filters(), per_page=500)
    with pytest.raises(InvalidInput, match="not both"):
        audit.page(db, ADMIN, audit.Filters(), before=5, after=2)


def test_the_summary_is_one_short_line():
    line = audit.summary({"note": "x" * 300, "files": list(range(10)), "to": ["a@b.example"], "n": 3})
    assert line.startswith("files: 10 items; n: 3; note: xxx") and "to: a@b.example" in line
    assert len(line) <= 140
