"""The review queue and the typical time to a decision, on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from sqlalchemy import event

from accord.access import queue
from accord.access import service as access
from accord.access.models import Application
from accord.db import unit_of_work, utcnow
from accord.errors import InvalidInput, NotFound, PermissionDenied
from accord.identity.models import User
from tests.access.helpers import answers, dataset_with_terms, person


def signed(rt, db, slug, applicant):
    record = access.start(db, slug, actor=applicant, answers=answers(slug, applicant.email))
    return access.sign(rt, db, record.id, actor=applicant, full_name="Ana Lima", consent=True)


def many(
    db,
    dataset,
    count: int,
    *,
    start: int = 0,
    status="submitted",
    days_ago=1,
    organisation="Uni",
    failed="",
    decided_after=None,
):
    """`count` applications straight into the table the queue reads (the service path is tested below)."""
    now = utcnow()
    with unit_of_work(db):
        for i in range(start, start + count):
            user = User(email=f"a{i}-{dataset.slug}@uni.example", name=f"Applicant {i}")
            db.add(user)
            db.flush()
            submitted = now - timedelta(days=days_ago, minutes=i)
            db.add(
                Application(
                    dataset_id=dataset.id,
                    applicant_id=user.id,
                    policy_version=1,
                    status=status,
                    created_at=submitted,
                    updated_at=submitted,
                    submitted_at=submitted,
                    decided_at=submitted + decided_after if decided_after else None,
                    organisation=organisation,
                    failed_checks=failed,
                )
            )


def test_submitting_through_the_service_fills_the_queue_columns(db_rt, db, tmp_path):
    shhq = dataset_with_terms(db_rt, tmp_path, "shhq")
    reviewer = person(db, "rev@lab.example", reviewer_of=shhq)
    ana = person(db, "ana.lima@gmail.com")
    access.submit(db, signed(db_rt, db, "shhq", ana).id, actor=ana)
    page = queue.review_queue(db, reviewer)
    assert page.total == 1 and page.pages == 1
    row = page.rows[0]
    assert (row.applicant_email, row.dataset_slug, row.status) == ("ana.lima@gmail.com", "shhq", "submitted")
    assert row.failed_checks == ["institutional_email"] and not row.overdue
    assert queue.review_queue(db, reviewer, failed_checks="institutional_email").total == 1
    assert queue.review_queue(db, reviewer, failed_checks="none").total == 0


def test_a_reviewer_sees_only_the_datasets_they_review(db_rt, db, tmp_path):
    shhq = dataset_with_terms(db_rt, tmp_path, "shhq")
    llvip = dataset_with_terms(db_rt, tmp_path, "llvip")
    many(db, shhq, 3)
    many(db, llvip, 2, start=10)
    reviewer = person(db, "rev@lab.example", reviewer_of=shhq)
    assert {r.dataset_slug for r in queue.review_queue(db, reviewer).rows} == {"shhq"}
    with pytest.raises(NotFound):
        queue.review_queue(db, reviewer, dataset="llvip")
    assert queue.review_queue(db, person(db, "admin@lab.example", "admin")).total == 5
    stranger = person(db, "ana@uni.example")
    assert not queue.reviews_any(stranger)
    with pytest.raises(PermissionDenied):
        queue.review_queue(db, stranger)


def test_filters_sort_and_pages(db_rt, db, tmp_path):
    shhq = dataset_with_terms(db_rt, tmp_path, "shhq")
    reviewer = person(db, "rev@lab.example", reviewer_of=shhq)
    many(db, shhq, 5, organisation="Example University", days_ago=1)
    many(db, shhq, 3, start=5, organisation="Other Institute", days_ago=30, failed=",blocklist,")
    many(db, shhq, 2, start=8, status="approved")
    assert queue.review_queue(db, reviewer).total == 8
    assert queue.review_queue(db, reviewer, status="approved").total == 2
    assert queue.review_queue(db, reviewer, status="all").total == 10
    assert queue.review_queue(db, reviewer, organisation="other inst").total == 3
    assert queue.review_queue(db, reviewer, organisation="%").total == 0  # a wildcard is matched as text
    assert queue.review_queue(db, reviewer, failed_checks="any").total == 3
    assert queue.review_queue(db, reviewer, failed_checks="blocklist").total == 3
    assert queue.review_queue(db, reviewer, older_than_days=10).total == 3
    oldest = queue.review_queue(db, reviewer, sort="oldest", per_page=3)
    assert oldest.pages == 3 and [r.organisation for r in oldest.rows] == ["Other Institute"] * 3
    assert all(r.overdue and r.age_days >= 30 for r in oldest.rows)  # SHHQ's terms answer within 21 days
    newest = queue.review_queue(db, reviewer, sort="newest", per_page=3, page=1)
    assert not any(r.overdue for r in newest.rows)
    pages = [queue.review_queue(db, reviewer, per_page=3, page=p).rows for p in (1, 2, 3)]
    ids = [r.id for rows in pages for r in rows]
    assert len(ids) == len(set(ids)) == 8


def test_bad_queue_parameters_are_refused(db_rt, db, tmp_path):
    shhq = dataset_with_terms(db_rt, tmp_path, "shhq")
    reviewer = person(db, "rev@lab.example", reviewer_of=shhq)
    for bad in ({"sort": "random"}, {"status": "draft"}, {"page": 0}, {"per_page": 1000}, {"older_than_days": -1}):
        with pytest.raises(InvalidInput):
            queue.review_queue(db, reviewer, **bad)


def test_a_queue_page_costs_the_same_statements_for_10_and_for_200_applications(db_rt, db, tmp_path):
    shhq = dataset_with_terms(db_rt, tmp_path, "shhq")
    reviewer = person(db, "rev@lab.example", reviewer_of=shhq)
    statements = []

    def count(conn, cursor, statement, *args):
        if not statement.startswith(("SAVEPOINT", "RELEASE")):  # the PostgreSQL fixture's transaction
            statements.append(statement)

    def cost() -> int:
        db.expire_all()  # both runs start cold: the reviewer and their roles are read again each time
        statements.clear()
        event.listen(db_rt.engine, "before_cursor_execute", count)
        try:
            page = queue.review_queue(db, reviewer, failed_checks="none", per_page=50)
        finally:
            event.remove(db_rt.engine, "before_cursor_execute", count)
        assert page.rows
        return len(statements)

    many(db, shhq, 10)
    small = cost()
    many(db, shhq, 190, start=10)
    assert queue.review_queue(db, reviewer).total == 200
    assert cost() == small <= 5  # the reviewer, their roles, count, rows, terms


def test_typical_decision_time_is_the_median_of_recent_decisions(db_rt, db, tmp_path):
    shhq = dataset_with_terms(db_rt, tmp_path, "shhq")
    assert queue.typical_decision_time(db, shhq.id) is None
    many(db, shhq, 2, status="approved", decided_after=timedelta(days=2))
    many(db, shhq, 1, start=2, status="rejected", decided_after=timedelta(days=5))
    many(db, shhq, 1, start=3, status="withdrawn", decided_after=timedelta(days=90))  # not a decision
    many(db, shhq, 1, start=4)  # still waiting
    assert queue.typical_decision_time(db, shhq.id) == timedelta(days=2)
