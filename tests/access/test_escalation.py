"""Overdue applications are escalated to every reviewer of their dataset, once, with a fixed clock."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from accord.access import escalation, queue
from accord.access.models import Application
from accord.audit.models import AuditEvent
from accord.db import unit_of_work
from accord.identity import service as identity
from accord.identity.models import User
from accord.notify.models import OutboxMessage
from tests.access.helpers import dataset_with_terms, person

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def submitted(db, dataset, email, *, days_ago, status="submitted"):
    with unit_of_work(db):
        user = User(email=email, name=email.split("@")[0].title())
        db.add(user)
        db.flush()
        at = NOW - timedelta(days=days_ago)
        app = Application(
            dataset_id=dataset.id,
            applicant_id=user.id,
            policy_version=1,
            status=status,
            created_at=at,
            updated_at=at,
            submitted_at=at,
            organisation="Uni",
        )
        db.add(app)
    return app.id


def overdue_mail(db):
    return sorted(
        (m.to, m.subject)
        for m in db.scalars(select(OutboxMessage).where(OutboxMessage.template == "application-overdue"))
    )


def test_an_application_past_the_response_time_is_mailed_to_every_reviewer_of_its_dataset(db_rt, db, tmp_path):
    shhq = dataset_with_terms(db_rt, tmp_path, "shhq")  # 21 days to answer
    llvip = dataset_with_terms(db_rt, tmp_path, "llvip")
    person(db, "rev1@lab.example", reviewer_of=shhq)
    curator = person(db, "cur@lab.example")
    identity.grant_role(db, curator, "curator", dataset_id=shhq.id)
    person(db, "other@lab.example", reviewer_of=llvip)
    late = submitted(db, shhq, "late@uni.example", days_ago=22)
    submitted(db, shhq, "fresh@uni.example", days_ago=20)
    submitted(db, shhq, "done@uni.example", days_ago=40, status="approved")

    assert escalation.escalate_overdue(db, now=NOW, base_url="http://accord.example") == [late]
    mails = overdue_mail(db)
    assert [to for to, _ in mails] == ["cur@lab.example", "rev1@lab.example"]
    assert all(f"application {late} " in subject for _, subject in mails)
    assert db.get(Application, late).escalated_at == NOW
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "application.escalated")).one()
    assert (event.object_id, sorted(event.data["reviewers"])) == (str(late), ["cur@lab.example", "rev1@lab.example"])


def test_an_escalated_application_is_not_escalated_again(db_rt, db, tmp_path):
    shhq = dataset_with_terms(db_rt, tmp_path, "shhq")
    person(db, "rev1@lab.example", reviewer_of=shhq)
    submitted(db, shhq, "late@uni.example", days_ago=30)
    assert len(escalation.escalate_overdue(db, now=NOW)) == 1
    assert escalation.escalate_overdue(db, now=NOW + timedelta(hours=1)) == []
    assert len(overdue_mail(db)) == 1


def test_nothing_is_escalated_before_the_response_time(db_rt, db, tmp_path):
    shhq = dataset_with_terms(db_rt, tmp_path, "shhq")
    person(db, "rev1@lab.example", reviewer_of=shhq)
    app_id = submitted(db, shhq, "fresh@uni.example", days_ago=21)  # exactly 21 days: not yet past
    assert escalation.escalate_overdue(db, now=NOW) == []
    assert overdue_mail(db) == [] and db.get(Application, app_id).escalated_at is None
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "application.escalated")).all() == []


def test_the_queue_shows_an_escalated_application(db_rt, db, tmp_path):
    shhq = dataset_with_terms(db_rt, tmp_path, "shhq")
    reviewer = person(db, "rev1@lab.example", reviewer_of=shhq)
    app_id = submitted(db, shhq, "late@uni.example", days_ago=30)
    assert [r.escalated for r in queue.review_queue(db, reviewer).rows] == [False]
    escalation.escalate_overdue(db, now=NOW)
    row = queue.review_queue(db, reviewer).rows[0]
    assert (row.id, row.escalated) == (app_id, True)


def test_the_escalation_task_runs_hourly(tmp_path):
    from accord import dbmigrate
    from accord.runtime import build
    from tests.conftest import make_settings

    rt = build(make_settings(tmp_path))
    dbmigrate.upgrade(rt.engine)

    def hourly(at):
        return [t for t in rt.huey.read_periodic(at) if t.name.endswith("review_escalation")]

    assert len(hourly(datetime(2026, 11, 23, 9, 15))) == 1 and len(hourly(datetime(2026, 11, 23, 10, 15))) == 1
    assert hourly(datetime(2026, 11, 23, 10, 16)) == []
    shhq = dataset_with_terms(rt, tmp_path, "shhq")
    with rt.session() as db:
        person(db, "rev1@lab.example", reviewer_of=shhq)
        submitted(db, shhq, "late@uni.example", days_ago=400)  # NOW is the past; the task uses the clock
    rt.huey.execute(hourly(datetime(2026, 11, 23, 9, 15))[0])
    with rt.session() as db:
        assert [to for to, _ in overdue_mail(db)] == ["rev1@lab.example"]
    rt.engine.dispose()


def test_the_review_page_marks_an_escalated_application(client, rt, tmp_path):
    from tests.identity.helpers import log_in

    shhq = dataset_with_terms(rt, tmp_path, "shhq")
    with rt.session() as db:
        person(db, "rev1@lab.example", reviewer_of=shhq)
        submitted(db, shhq, "late@uni.example", days_ago=400)
    log_in(client, "rev1@lab.example")
    assert ">escalated</span>" not in client.get("/review").text
    with rt.session() as db:
        escalation.escalate_overdue(db)
    assert ">escalated</span>" in client.get("/review").text


def test_the_queue_api_lists_overdue_and_escalated_applications_and_refuses_bad_filters(client, rt, tmp_path):
    from tests.identity.helpers import api_token

    shhq = dataset_with_terms(rt, tmp_path, "shhq")
    with rt.session() as db:
        person(db, "rev1@lab.example", reviewer_of=shhq)
        person(db, "ana@mit.edu")
        late = submitted(db, shhq, "late@uni.example", days_ago=400)
        fresh = submitted(db, shhq, "fresh@uni.example", days_ago=1)
        escalation.escalate_overdue(db)
    headers = {"Authorization": f"Bearer {api_token(rt, 'rev1@lab.example')}"}
    body = client.get("/api/v1/review-queue", headers=headers).json()
    assert (body["total"], body["pages"]) == (2, 1)
    assert [(r["id"], r["overdue"], r["escalated"]) for r in body["rows"]] == [
        (late, True, True),
        (fresh, False, False),
    ]
    assert client.get("/api/v1/review-queue?sort=sideways", headers=headers).status_code == 422
    stranger = {"Authorization": f"Bearer {api_token(rt, 'ana@mit.edu')}"}
    assert client.get("/api/v1/review-queue", headers=stranger).status_code == 403
