"""The reviewers' pages: the queue (filters, sort, pages), one application to decide, bulk decisions."""

import re

from accord.access import service as access
from accord.access import workflow
from tests.access.helpers import answers, dataset_with_terms, person
from tests.identity.helpers import csrf, log_in


def submitted(rt, slug, email) -> int:
    with rt.session() as db:
        ana = person(db, email)
        record = access.start(db, slug, actor=ana, answers=answers(slug, email))
        access.sign(rt, db, record.id, actor=ana, full_name="Ana Lima", consent=True)
        return access.submit(db, record.id, actor=ana).id


def reviewer_of(rt, dataset, email="rev@lab.example"):
    with rt.session() as db:
        return person(db, email, reviewer_of=dataset)


def status_of(rt, app_id, viewer):
    with rt.session() as db:
        return access.get(db, app_id, viewer=viewer).state.status


def test_the_queue_lists_filters_sorts_and_pages(client, rt, tmp_path):
    shhq = dataset_with_terms(rt, tmp_path, "shhq")
    ids = [submitted(rt, "shhq", f"ana{i}@mit.edu") for i in range(3)]
    gmail = submitted(rt, "shhq", "bob@gmail.com")
    rev = reviewer_of(rt, shhq)
    log_in(client, rev.email)
    page = client.get("/review")
    assert page.status_code == 200 and "4 applications" in page.text
    assert all(f'href="/review/{i}"' in page.text for i in [*ids, gmail])
    assert "institutional email" in page.text  # bob's failed check is on his row
    # The reviewer's words for the states: "your institution" and "returned to you" are the applicant's.
    assert ">Waiting for a review<" in page.text and "Returned to the applicant for changes" in page.text
    assert "your institution" not in page.text and "Returned to you" not in page.text
    assert "Waiting for a review" in client.get(f"/review/{gmail}").text
    failed = client.get("/review?failed=any").text
    assert f'href="/review/{gmail}"' in failed and f'href="/review/{ids[0]}"' not in failed
    newest = client.get("/review?sort=newest").text
    assert newest.index(f'href="/review/{gmail}"') < newest.index(f'href="/review/{ids[0]}"')
    assert client.get("/review?sort=random").status_code == 422


def test_the_queue_pages_through_many_applications(client, rt, tmp_path):
    shhq = dataset_with_terms(rt, tmp_path, "shhq")
    for i in range(3):
        submitted(rt, "shhq", f"ana{i}@mit.edu")
    rev = reviewer_of(rt, shhq)
    log_in(client, rev.email)
    first = client.get("/review?per_page=2").text
    assert "3 applications, page 1 of 2" in first and first.count('name="id"') == 2
    assert (
        'href="/review?dataset=&status=submitted&organisation=&failed=&older_than=&sort=oldest&per_page=2&page=2"'
        in first.replace("&amp;", "&")
    )
    second = client.get("/review?per_page=2&page=2").text
    assert "page 2 of 2" in second and second.count('name="id"') == 1 and 'rel="next"' not in second
    assert client.get("/review?per_page=2&page=0").status_code == 422


def test_a_reviewer_approves_and_the_applicant_sees_it(client, rt, tmp_path):
    at_ustc = dataset_with_terms(rt, tmp_path, "at-ustc")
    app_id = submitted(rt, "at-ustc", "ana@mit.edu")
    rev = reviewer_of(rt, at_ustc)
    log_in(client, rev.email)
    page = client.get(f"/review/{app_id}")
    assert page.status_code == 200 and "Timeline" in page.text and "Signed agreement (PDF)" in page.text
    assert "Example University" in page.text and "Approve" in page.text
    token = csrf(client, f"/review/{app_id}")
    empty_reason = client.post(f"/review/{app_id}/reject", data={"csrf_token": token, "text": " "})
    assert empty_reason.status_code == 422 and 'id="e-reject"' in empty_reason.text
    done = client.post(
        f"/review/{app_id}/approve", data={"csrf_token": token, "text": "welcome"}, follow_redirects=False
    )
    assert done.status_code == 303
    with rt.session() as db:
        ana = access.get(db, app_id, viewer=rev)
    assert ana.state.status is workflow.Status.approved
    client.cookies.clear()
    log_in(client, "ana@mit.edu")
    assert 'id="app-status">Approved' in client.get(f"/applications/{app_id}").text


def test_approving_with_a_failing_check_shows_the_service_error(client, rt, tmp_path):
    shhq = dataset_with_terms(rt, tmp_path, "shhq")
    app_id = submitted(rt, "shhq", "bob@gmail.com")
    rev = reviewer_of(rt, shhq)
    log_in(client, rev.email)
    page = client.get(f"/review/{app_id}").text
    assert "Approval is not possible while these checks fail: institutional email" in page
    response = client.post(f"/review/{app_id}/approve", data={"csrf_token": csrf(client, f"/review/{app_id}")})
    assert response.status_code == 409 and "institutional email" in response.text
    assert status_of(rt, app_id, rev) is workflow.Status.submitted


def test_a_reviewer_of_another_dataset_sees_nothing_of_it(client, rt, tmp_path):
    shhq = dataset_with_terms(rt, tmp_path, "shhq")
    llvip = dataset_with_terms(rt, tmp_path, "llvip")
    app_id = submitted(rt, "shhq", "bob@gmail.com")
    other = reviewer_of(rt, llvip, "llvip-rev@lab.example")
    reviewer_of(rt, shhq)
    log_in(client, other.email)
    assert f"/review/{app_id}" not in client.get("/review?status=all").text
    assert client.get("/review?dataset=shhq").status_code == 404
    assert client.get(f"/review/{app_id}").status_code == 404
    token = csrf(client, "/review")
    assert client.post(f"/review/{app_id}/reject", data={"csrf_token": token, "text": "no"}).status_code == 404
    bulk = client.post("/review", data={"csrf_token": token, "id": [str(app_id)], "action": "reject", "reason": "no"})
    assert bulk.status_code == 200 and "0 of 1 done" in bulk.text
    assert status_of(rt, app_id, other_viewer(rt, shhq)) is workflow.Status.submitted


def other_viewer(rt, dataset):
    with rt.session() as db:
        return person(db, "second-rev@lab.example", reviewer_of=dataset)


def test_someone_who_reviews_nothing_is_refused_the_queue(client, rt, tmp_path):
    dataset_with_terms(rt, tmp_path, "shhq")
    with rt.session() as db:
        person(db, "ana@mit.edu")
    log_in(client, "ana@mit.edu")
    assert client.get("/review").status_code == 403


def test_bulk_approve_reports_the_failing_row_and_approves_the_others(client, rt, tmp_path):
    shhq = dataset_with_terms(rt, tmp_path, "shhq")
    good = [submitted(rt, "shhq", f"ana{i}@mit.edu") for i in range(2)]
    bad = submitted(rt, "shhq", "bob@gmail.com")
    rev = reviewer_of(rt, shhq)
    log_in(client, rev.email)
    response = client.post(
        "/review",
        data={"csrf_token": csrf(client, "/review"), "action": "approve", "id": [str(good[0]), str(bad), str(good[1])]},
    )
    assert response.status_code == 200 and "2 of 3 done" in response.text
    line = re.search(rf'id="bulk-{bad}">([^<]+)<', response.text).group(1)
    assert "not done" in line and "institutional email" in line
    assert [status_of(rt, i, rev) for i in good] == [workflow.Status.approved] * 2
    assert status_of(rt, bad, rev) is workflow.Status.submitted
    assert "1 application" in response.text  # the queue shown again holds only the one left


def test_bulk_reject_needs_a_reason_and_a_forged_token_changes_nothing(client, rt, tmp_path):
    shhq = dataset_with_terms(rt, tmp_path, "shhq")
    app_id = submitted(rt, "shhq", "ana@mit.edu")
    rev = reviewer_of(rt, shhq)
    log_in(client, rev.email)
    no_reason = client.post(
        "/review", data={"csrf_token": csrf(client, "/review"), "action": "reject", "id": [str(app_id)]}
    )
    assert no_reason.status_code == 422 and 'id="e-reason"' in no_reason.text
    forged = client.post("/review", data={"csrf_token": "forged", "action": "approve", "id": [str(app_id)]})
    assert forged.status_code == 403
    forged = client.post(f"/review/{app_id}/approve", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    assert status_of(rt, app_id, rev) is workflow.Status.submitted


def test_returned_for_changes_the_applicant_sees_the_comment_edits_signs_again_and_resubmits(client, rt, tmp_path):
    at_ustc = dataset_with_terms(rt, tmp_path, "at-ustc")
    app_id = submitted(rt, "at-ustc", "ana@mit.edu")
    rev = reviewer_of(rt, at_ustc)
    log_in(client, rev.email)
    back = client.post(
        f"/review/{app_id}/return",
        data={"csrf_token": csrf(client, f"/review/{app_id}"), "text": "Name the lab's building in the address"},
        follow_redirects=False,
    )
    assert back.status_code == 303
    client.cookies.clear()
    log_in(client, "ana@mit.edu")
    page = client.get(f"/applications/{app_id}").text
    assert "Returned to you for changes" in page and "Name the lab&#39;s building in the address" in page
    token = csrf(client, f"/applications/{app_id}")
    client.post(f"/applications/{app_id}/answers", data={"csrf_token": token, "address": "Building 7, 1 Campus Road"})
    page = client.get(f"/applications/{app_id}").text
    assert "your signature on the agreement" in page and ">Building 7, 1 Campus Road</textarea>" in page
    with rt.session() as db:
        from accord.access.service import agreement  # the clauses of this application's terms

        keys = [c.key for c in agreement(db, app_id).clauses]
    signed = client.post(
        f"/applications/{app_id}/sign", data={"csrf_token": token, "full_name": "Ana Lima", "ack": keys}
    )
    assert signed.status_code == 200 and "The agreement is signed." in signed.text
    client.post(f"/applications/{app_id}/submit", data={"csrf_token": token})
    assert 'id="app-status">Submitted: waiting for a reviewer' in client.get(f"/applications/{app_id}").text
    assert "Resubmitted" in client.get(f"/applications/{app_id}").text


def test_the_applicant_withdraws_and_the_queue_no_longer_holds_it(client, rt, tmp_path):
    shhq = dataset_with_terms(rt, tmp_path, "shhq")
    app_id = submitted(rt, "shhq", "ana@mit.edu")
    log_in(client, "ana@mit.edu")
    gone = client.post(f"/applications/{app_id}/withdraw", data={"csrf_token": csrf(client, f"/applications/{app_id}")})
    assert (
        gone.status_code == 200
        and 'id="app-status">Withdrawn' in gone.text
        and "Your application was withdrawn." in gone.text
    )
    assert 'href="/datasets/shhq/apply">Apply for access' in client.get("/datasets/shhq").text  # may apply again
    client.cookies.clear()
    log_in(client, reviewer_of(rt, shhq).email)
    assert "0 applications" in client.get("/review").text
    assert f'href="/review/{app_id}"' in client.get("/review?status=withdrawn").text


def test_an_application_waiting_longer_than_the_terms_allow_is_shown_overdue(client, rt, tmp_path):
    from datetime import timedelta

    from accord.access.models import Application
    from accord.db import unit_of_work

    shhq = dataset_with_terms(rt, tmp_path, "shhq")
    late, fresh = submitted(rt, "shhq", "ana@mit.edu"), submitted(rt, "shhq", "bob@mit.edu")
    with rt.session() as db, unit_of_work(db):
        row = db.get(Application, late)
        row.submitted_at = row.submitted_at - timedelta(days=22)  # SHHQ's terms: an answer within 21 days
    log_in(client, reviewer_of(rt, shhq).email)
    page = client.get("/review").text
    rows = {i: page[page.index(f'href="/review/{i}"') :].split("</tr>")[0] for i in (late, fresh)}
    assert "overdue" in rows[late] and "22 days" in rows[late]
    assert "overdue" not in rows[fresh]
