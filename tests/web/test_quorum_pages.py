"""Terms that need N reviewers to approve: the queue and the application page show how far the quorum got and
who approved; a reviewer who approved cannot approve again."""

import re

import pytest

from accord.access import queue, workflow
from accord.access import service as access
from accord.errors import IllegalTransition
from accord.policy import service as policies
from accord.policy.io import seed
from accord.policy.schema import Review, ReviewMode
from tests.access.helpers import dataset_with_terms, person
from tests.identity.helpers import csrf, log_in
from tests.web.test_review_pages import submitted


def quorum_dataset(rt, tmp_path, needed=2):
    """SHHQ whose current terms (version 2) need `needed` reviewers to approve."""
    dataset = dataset_with_terms(rt, tmp_path, "shhq")
    policy = seed("shhq").model_copy(update={"review": Review(mode=ReviewMode.quorum, approvals_needed=needed)})
    with rt.session() as db:
        policies.set_policy(db, dataset.id, policy, actor="cli")
    return dataset


def reviewers(rt, dataset, *names):
    with rt.session() as db:
        out = []
        for name in names:
            user = person(db, f"{name.lower()}@lab.example", reviewer_of=dataset)
            user.name = name
            db.commit()
            out.append(user)
        return out


def approve(client, app_id):
    return client.post(
        f"/review/{app_id}/approve", data={"csrf_token": csrf(client, f"/review/{app_id}")}, follow_redirects=False
    )


def test_the_queue_and_the_pages_show_the_quorum_and_a_reviewer_cannot_approve_twice(client, rt, tmp_path):
    shhq = quorum_dataset(rt, tmp_path)
    app_id = submitted(rt, "shhq", "ana@mit.edu")
    rui, sara = reviewers(rt, shhq, "Rui", "Sara")

    log_in(client, rui.email)
    assert re.search(rf'id="quorum-{app_id}">0 of 2 approvals<', client.get("/review").text)
    assert "0 of 2 approvals" in client.get(f"/review/{app_id}").text
    assert approve(client, app_id).status_code == 303

    queue_page = client.get("/review").text
    assert re.search(rf'id="quorum-{app_id}">1 of 2 approvals: Rui<', queue_page)
    item = client.get(f"/review/{app_id}").text
    assert "1 of 2 approvals: Rui." in item and 'id="approved-by-you"' in item
    assert f'action="/review/{app_id}/approve"' not in item  # no second approve button
    again = approve(client, app_id)  # a stale page, or the button pressed twice
    assert again.status_code == 409 and "you have already approved this application" in again.text
    with rt.session() as db:
        state = access.get(db, app_id, viewer=rui).state
    assert state.status is workflow.Status.submitted and state.approvals == (rui.id,)

    client.cookies.clear()
    log_in(client, "ana@mit.edu")
    mine = client.get(f"/applications/{app_id}").text
    assert "1 of 2 approvals: Rui." in mine and "the approval of 1 more reviewer" in mine

    client.cookies.clear()
    log_in(client, sara.email)
    assert approve(client, app_id).status_code == 303
    done = client.get(f"/review/{app_id}").text
    assert 'id="app-status">Approved' in done and "2 of 2 approvals: Rui, Sara." in done
    assert re.search(rf'id="quorum-{app_id}">2 of 2 approvals: Rui, Sara<', client.get("/review?status=approved").text)


def test_single_review_terms_show_no_quorum(client, rt, tmp_path):
    shhq = dataset_with_terms(rt, tmp_path, "shhq")
    app_id = submitted(rt, "shhq", "ana@mit.edu")
    [rui] = reviewers(rt, shhq, "Rui")
    log_in(client, rui.email)
    assert "approvals" not in client.get("/review").text and 'id="quorum"' not in client.get(f"/review/{app_id}").text


def test_returning_an_application_starts_the_quorum_again(db_rt, db, tmp_path):
    shhq = quorum_dataset(db_rt, tmp_path, needed=3)
    app_id = submitted(db_rt, "shhq", "ana@mit.edu")
    rui, sara = reviewers(db_rt, shhq, "Rui", "Sara")
    access.approve(db, app_id, actor=rui)
    access.approve(db, app_id, actor=sara)
    with pytest.raises(IllegalTransition, match="already approved"):
        access.approve(db, app_id, actor=sara)
    page = queue.review_queue(db, rui)
    [row] = page.rows
    assert (row.approvals_needed, row.approved_by) == (3, ["Rui", "Sara"])

    access.return_for_changes(db, app_id, actor=rui, comment="add your department")
    [row] = queue.review_queue(db, rui, status="returned").rows
    assert row.approved_by == []


def test_a_quorum_queue_page_costs_one_statement_more_whatever_its_size(db_rt, db, tmp_path):
    from sqlalchemy import event

    from tests.access.helpers import TITLES
    from tests.access.test_queue import many
    from tests.jobs.catalogue import published_dataset

    dataset, _ = published_dataset(db_rt, tmp_path, "shhq", title=TITLES["shhq"], count=1, previews=0)
    policy = seed("shhq").model_copy(update={"review": Review(mode=ReviewMode.quorum, approvals_needed=2)})
    policies.set_policy(db, dataset.id, policy, actor="cli")  # version 1, as `many` writes
    reviewer = person(db, "rev@lab.example", reviewer_of=dataset)
    statements = []

    def count(conn, cursor, statement, *args):
        if not statement.startswith(("SAVEPOINT", "RELEASE")):
            statements.append(statement)

    def cost() -> int:
        db.expire_all()
        statements.clear()
        event.listen(db_rt.engine, "before_cursor_execute", count)
        try:
            page = queue.review_queue(db, reviewer, per_page=50)
        finally:
            event.remove(db_rt.engine, "before_cursor_execute", count)
        assert page.rows and all(r.approvals_needed == 2 for r in page.rows)
        return len(statements)

    many(db, dataset, 10)
    small = cost()
    many(db, dataset, 190, start=10)
    assert cost() == small <= 6  # the reviewer, their roles, count, rows, terms, approvals
