"""Reviewers hear of new applications one mail at a time (the default) or in one digest a day."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from accord.access import digest
from accord.access import service as access
from accord.audit.models import AuditEvent
from accord.errors import InvalidInput
from accord.identity.models import User
from accord.notify.models import OutboxMessage
from tests.access.helpers import answers, dataset_with_terms, person
from tests.access.test_escalation import submitted

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def mails(db, template):
    return list(db.scalars(select(OutboxMessage).where(OutboxMessage.template == template).order_by(OutboxMessage.to)))


def submit(rt, db, slug, applicant):
    record = access.start(db, slug, actor=applicant, answers=answers(slug, applicant.email))
    access.sign(rt, db, record.id, actor=applicant, full_name="Ana Lima", consent=True)
    return access.submit(db, record.id, actor=applicant, base_url="http://accord.example")


def test_a_submitted_application_is_mailed_to_the_reviewers_who_chose_each_mail(db_rt, db, tmp_path):
    shhq = dataset_with_terms(db_rt, tmp_path, "shhq")
    each = person(db, "each@lab.example", reviewer_of=shhq)
    daily = person(db, "daily@lab.example", reviewer_of=shhq)
    digest.set_review_mail(db, daily, "digest")
    ana = person(db, "ana@mit.edu")
    record = submit(db_rt, db, "shhq", ana)
    told = mails(db, "application-to-review")
    assert [m.to for m in told] == [each.email]
    assert str(record.id) in told[0].subject and f"/review/{record.id}" in told[0].text_body
    assert [m.to for m in mails(db, "application-submitted")] == ["ana@mit.edu"]


def test_each_mail_is_the_default_and_a_bad_choice_is_refused_and_changes_nothing(db_rt, db, tmp_path):
    shhq = dataset_with_terms(db_rt, tmp_path, "shhq")
    reviewer = person(db, "rev@lab.example", reviewer_of=shhq)
    assert reviewer.review_mail == "each"
    with pytest.raises(InvalidInput):
        digest.set_review_mail(db, reviewer, "weekly")
    assert db.get(User, reviewer.id, populate_existing=True).review_mail == "each"
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "user.review_mail_set")).all() == []
    digest.set_review_mail(db, reviewer, "digest")
    assert db.get(User, reviewer.id, populate_existing=True).review_mail == "digest"


def test_the_digest_lists_the_waiting_applications_of_the_reviewers_datasets_only(db_rt, db, tmp_path):
    shhq = dataset_with_terms(db_rt, tmp_path, "shhq")
    llvip = dataset_with_terms(db_rt, tmp_path, "llvip")
    daily = person(db, "daily@lab.example", reviewer_of=shhq)
    digest.set_review_mail(db, daily, "digest")
    person(db, "each@lab.example", reviewer_of=shhq)  # hears of each one, gets no digest
    waiting = [submitted(db, shhq, "one@uni.example", days_ago=2), submitted(db, shhq, "two@uni.example", days_ago=30)]
    decided = submitted(db, shhq, "old@uni.example", days_ago=5, status="approved")
    elsewhere = submitted(db, llvip, "llvip@uni.example", days_ago=1)

    assert digest.send_digests(db, now=NOW) == ["daily@lab.example"]
    [mail] = mails(db, "review-digest")
    assert mail.to == "daily@lab.example" and mail.subject.startswith("2 applications waiting")
    listed = [int(line.split()[1]) for line in mail.text_body.splitlines() if line.startswith("- ")]
    assert sorted(listed) == sorted(waiting) and decided not in listed and elsewhere not in listed
    assert "OVERDUE" in next(line for line in mail.text_body.splitlines() if line.startswith(f"- {waiting[1]} "))


def test_no_digest_is_sent_when_nothing_waits(db_rt, db, tmp_path):
    shhq = dataset_with_terms(db_rt, tmp_path, "shhq")
    daily = person(db, "daily@lab.example", reviewer_of=shhq)
    digest.set_review_mail(db, daily, "digest")
    submitted(db, shhq, "old@uni.example", days_ago=5, status="rejected")
    assert digest.send_digests(db, now=NOW) == []
    assert mails(db, "review-digest") == []
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "review.digest_sent")).all() == []


def test_the_digest_task_runs_daily_and_mails_digest_reviewers(tmp_path):
    from accord import dbmigrate
    from accord.runtime import build
    from tests.conftest import make_settings

    rt = build(make_settings(tmp_path))
    dbmigrate.upgrade(rt.engine)

    def tasks(at):
        return [t for t in rt.huey.read_periodic(at) if t.name.endswith("review_digest")]

    assert len(tasks(datetime(2026, 11, 23, 7, 0))) == 1 and tasks(datetime(2026, 11, 23, 8, 0)) == []
    shhq = dataset_with_terms(rt, tmp_path, "shhq")
    with rt.session() as db:
        digest.set_review_mail(db, person(db, "daily@lab.example", reviewer_of=shhq), "digest")
        submitted(db, shhq, "one@uni.example", days_ago=1)
    rt.huey.execute(tasks(datetime(2026, 11, 23, 7, 0))[0])
    with rt.session() as db:
        assert [m.to for m in mails(db, "review-digest")] == ["daily@lab.example"]
    rt.engine.dispose()


def review_mail_of(rt, email):
    with rt.session() as db:
        return db.scalars(select(User.review_mail).where(User.email == email)).one()


def test_a_reviewer_chooses_the_digest_on_the_account_page(client, rt, tmp_path):
    from tests.identity.helpers import log_in, post_form

    shhq = dataset_with_terms(rt, tmp_path, "shhq")
    with rt.session() as db:
        person(db, "rev@lab.example", reviewer_of=shhq)
    log_in(client, "rev@lab.example")
    page = client.get("/account").text
    assert 'value="each" checked' in page and "How you hear of new applications" in page
    response = post_form(client, "/account/review-mail", {"review_mail": "digest"}, page="/account")
    assert response.status_code == 303 and response.headers["location"] == "/account?notice=review-mail"
    assert review_mail_of(rt, "rev@lab.example") == "digest"
    assert 'value="digest" checked' in client.get("/account").text


def test_a_bad_choice_on_the_account_page_is_shown_next_to_the_field_and_changes_nothing(client, rt, tmp_path):
    from tests.identity.helpers import log_in, post_form

    shhq = dataset_with_terms(rt, tmp_path, "shhq")
    with rt.session() as db:
        person(db, "rev@lab.example", reviewer_of=shhq)
    log_in(client, "rev@lab.example")
    response = post_form(client, "/account/review-mail", {"review_mail": "hourly"}, page="/account")
    assert response.status_code == 422 and 'id="e-review_mail"' in response.text
    assert review_mail_of(rt, "rev@lab.example") == "each"


def test_the_review_mail_choice_is_set_through_the_api(client, rt, tmp_path):
    from tests.identity.helpers import api_token

    shhq = dataset_with_terms(rt, tmp_path, "shhq")
    with rt.session() as db:
        person(db, "rev@lab.example", reviewer_of=shhq)
    headers = {"Authorization": f"Bearer {api_token(rt, 'rev@lab.example')}"}
    assert client.get("/api/v1/users/me", headers=headers).json()["review_mail"] == "each"
    response = client.put("/api/v1/users/me/review-mail", json={"review_mail": "digest"}, headers=headers)
    assert response.status_code == 200 and response.json()["review_mail"] == "digest"
    bad = client.put("/api/v1/users/me/review-mail", json={"review_mail": "weekly"}, headers=headers)
    assert bad.status_code == 422 and "'each' or 'digest'" in bad.text  # declared in the document now: pydantic's words
    assert review_mail_of(rt, "rev@lab.example") == "digest"


def test_reviewers_are_told_when_the_signatory_countersigns_not_before(db_rt, db, tmp_path):
    from accord.access import signatory
    from tests.access.test_signatory import invitation_token, submitted_cion

    _, _, reviewer, app_id = submitted_cion(db_rt, db, tmp_path)
    assert mails(db, "application-to-review") == []  # waiting for the signatory, nothing to review yet
    signatory.decide(db_rt, db, invitation_token(db), sign=True, full_name="Rita Sousa", consent=True)
    [mail] = mails(db, "application-to-review")
    assert mail.to == reviewer.email and f"application {app_id} " in mail.subject


def test_the_digest_is_sent_once_a_day_however_often_the_job_runs(db_rt, db, tmp_path):
    shhq = dataset_with_terms(db_rt, tmp_path, "shhq")
    daily = person(db, "daily@lab.example", reviewer_of=shhq)
    other = person(db, "other@lab.example", reviewer_of=shhq)
    digest.set_review_mail(db, daily, "digest")
    submitted(db, shhq, "one@uni.example", days_ago=2)

    assert digest.send_digests(db, now=NOW) == ["daily@lab.example"]
    second = db_rt.session()  # a second worker, or the job again after a restart
    try:
        assert digest.send_digests(second, now=NOW + timedelta(hours=3)) == []
    finally:
        second.close()
    assert [m.to for m in mails(db, "review-digest")] == ["daily@lab.example"]
    assert len(db.scalars(select(AuditEvent).where(AuditEvent.action == "review.digest_sent")).all()) == 1

    digest.set_review_mail(db, other, "digest")  # the other reviewer's first digest today is still due
    assert digest.send_digests(db, now=NOW + timedelta(hours=4)) == ["other@lab.example"]
    assert digest.send_digests(db, now=NOW + timedelta(days=1)) == ["daily@lab.example", "other@lab.example"]
    assert len(mails(db, "review-digest")) == 4


def test_the_daily_job_run_twice_delivers_one_digest_over_smtp(tmp_path, smtp_server):
    from accord import dbmigrate
    from accord.access import jobs
    from accord.notify import service as notify
    from accord.runtime import build
    from tests.conftest import make_settings

    rt = build(make_settings(tmp_path, smtp_url=f"smtp://{smtp_server.host}:{smtp_server.port}"))
    dbmigrate.upgrade(rt.engine)
    try:
        shhq = dataset_with_terms(rt, tmp_path, "shhq")
        with rt.session() as db:
            daily = person(db, "daily@lab.example", reviewer_of=shhq)
            digest.set_review_mail(db, daily, "digest")
            submit(rt, db, "shhq", person(db, "ana@mit.edu"))
        jobs.review_digest(rt)
        jobs.review_digest(rt)
        notify.send_due(rt)
        assert [m["To"] for m in smtp_server.messages if "waiting" in m["Subject"]] == ["daily@lab.example"]
    finally:
        rt.engine.dispose()
