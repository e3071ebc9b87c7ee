"""Renewal on SQLite and PostgreSQL: a licensee whose access is ending (or ended by expiry) starts a new
application under the current terms with their last approved answers filled in; answers the terms no longer
ask for are dropped, new questions stay empty and show as missing; it then goes through review as any other."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from accord.access import renewal, workflow
from accord.access import service as access
from accord.access.models import Application
from accord.audit.models import AuditEvent
from accord.db import unit_of_work, utcnow
from accord.entitlements import service as entitlements
from accord.errors import Conflict, NotFound
from accord.policy import service as policies
from accord.policy.io import seed
from accord.policy.schema import ApplicantField
from tests.access.helpers import answers, dataset_with_terms, person

YEAR = seed("shhq").model_copy(update={"access_days": 365})


@pytest.fixture
def licensed(db_rt, db, tmp_path):
    """Ana holds SHHQ (terms v1: a year's access) through an approved application."""
    dataset = dataset_with_terms(db_rt, tmp_path, "shhq")
    policies.set_policy(db, dataset.id, YEAR, actor="cli")  # version 2, before anyone applies
    reviewer = person(db, "rui@lab.example", reviewer_of=dataset)
    ana = person(db, "ana@mit.edu")
    record = access.start(db, "shhq", actor=ana, answers=answers("shhq", ana.email))
    access.sign(db_rt, db, record.id, actor=ana, full_name="Ana Lima", consent=True)
    access.submit(db, record.id, actor=ana)
    access.approve(db, record.id, actor=reviewer)
    ent = entitlements.newest(db, ana, dataset.id)
    assert ent.application_id == record.id and ent.expires_at is not None
    return dataset, ana, reviewer, ent, record.id


def _ends(db, ent, delta: timedelta) -> None:
    ent.expires_at = utcnow() + delta
    db.commit()


def _applications(db, ana) -> int:
    return db.scalar(select(func.count()).select_from(Application).where(Application.applicant_id == ana.id))


def test_access_ending_within_two_weeks_renews_with_the_old_answers(db, licensed):
    _dataset, ana, _reviewer, ent, old_id = licensed
    _ends(db, ent, timedelta(days=5))
    record = renewal.renew(db, "shhq", actor=ana)
    assert record.id != old_id and record.state.status is workflow.Status.draft
    assert record.state.answers == answers("shhq", ana.email) and record.missing_fields == []
    assert record.state.policy_version == 2
    data = db.scalar(
        select(AuditEvent.data).where(
            AuditEvent.action == "application.started", AuditEvent.object_id == str(record.id)
        )
    )
    assert data["renews"] == ent.id and data["prefilled_from"] == old_id


def test_after_new_terms_dropped_answers_go_and_new_questions_show_as_missing(db_rt, db, licensed):
    dataset, ana, reviewer, ent, _old = licensed
    _ends(db, ent, timedelta(days=-3))  # expired three days ago
    asked = [f for f in YEAR.applicant_fields if f is not ApplicantField.purpose_statement] + [ApplicantField.telephone]
    policies.set_policy(db, dataset.id, YEAR.model_copy(update={"applicant_fields": asked}), actor="cli")
    record = renewal.renew(db, "shhq", actor=ana)
    assert record.state.policy_version == 3
    assert "purpose_statement" not in record.state.answers
    assert record.missing_fields == ["telephone"]
    assert record.state.answers["unit"] == "Vision Lab, Lisbon"

    # From here it is an ordinary application: fill in, sign, submit, a reviewer approves, access resumes.
    access.save(db, record.id, actor=ana, answers={"telephone": "+351 21 000 0000"})
    access.sign(db_rt, db, record.id, actor=ana, full_name="Ana Lima", consent=True)
    access.submit(db, record.id, actor=ana)
    access.approve(db, record.id, actor=reviewer)
    renewed = entitlements.newest(db, ana, dataset.id)
    assert renewed.id != ent.id and renewed.policy_version == 3 and renewed.expires_at > utcnow()
    assert entitlements.check(db, ana, dataset.id).allowed


def test_renewing_too_early_is_refused_and_starts_nothing(db, licensed):
    _dataset, ana, _reviewer, _ent, _old = licensed
    before = _applications(db, ana)
    with pytest.raises(Conflict, match="you can renew it from"):
        renewal.renew(db, "shhq", actor=ana)
    assert _applications(db, ana) == before


def test_a_grant_ended_by_a_curator_is_not_renewed(db, licensed):
    _dataset, ana, _reviewer, ent, _old = licensed
    _ends(db, ent, timedelta(days=2))
    entitlements.revoke(db, ent.id, actor="cli", reason="breach of clause 3")
    before = _applications(db, ana)
    with pytest.raises(Conflict, match="only access that expires"):
        renewal.renew(db, "shhq", actor=ana)
    assert _applications(db, ana) == before


def test_someone_without_access_has_nothing_to_renew_and_a_second_renewal_is_the_open_one(db, licensed):
    _dataset, ana, _reviewer, ent, _old = licensed
    stranger = person(db, "bo@uni.example")
    with pytest.raises(NotFound, match="no access"):
        renewal.renew(db, "shhq", actor=stranger)
    _ends(db, ent, timedelta(days=1))
    first = renewal.renew(db, "shhq", actor=ana)
    with pytest.raises(Conflict, match=f"open application \\({first.id}\\)"):
        renewal.renew(db, "shhq", actor=ana)


def test_a_grant_made_without_an_application_renews_with_only_name_and_email(db, licensed):
    dataset, _ana, _reviewer, _ent, _old = licensed
    lee = person(db, "lee@uni.example")
    with unit_of_work(db):
        ent = entitlements.grant(db, dataset_id=dataset.id, user_id=lee.id, policy_version=2, actor="cli")
    _ends(db, ent, timedelta(days=10))
    record = renewal.renew(db, "shhq", actor=lee)
    assert record.state.answers == {"name": lee.name, "email": lee.email}
    assert record.missing_fields == ["organisation", "purpose_statement", "unit"]


def test_access_the_system_ended_when_a_certificate_ran_out_is_renewed_but_a_cli_revocation_is_not(db, licensed):
    dataset, ana, _reviewer, ent, _old = licensed
    entitlements.revoke(db, ent.id, actor="system", reason="your training certificate ran out on 2026-01-01")
    assert entitlements.ended_by_lapse(db, ent)
    record = renewal.renew(db, "shhq", actor=ana)
    assert record.state.answers == answers("shhq", ana.email)
    lee = person(db, "lee@mit.edu")
    with unit_of_work(db):
        other = entitlements.grant(db, dataset_id=dataset.id, user_id=lee.id, policy_version=2, actor="cli")
    entitlements.revoke(db, other.id, actor="cli", reason="ended by the custodian")
    assert not entitlements.ended_by_lapse(db, other)
    with pytest.raises(Conflict, match="only access that expires"):
        renewal.renew(db, "shhq", actor=lee)
