"""Training certificates through the services, on SQLite and PostgreSQL: upload, review, the gate on submitting
and approving, access pausing when a certificate runs out and resuming when a new one is accepted, the warning."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from accord.access import service as access
from accord.access import workflow
from accord.audit.models import AuditEvent
from accord.db import utcnow
from accord.entitlements import service as entitlements
from accord.entitlements.models import Entitlement
from accord.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied, TooLarge
from accord.notify.models import OutboxMessage
from accord.training import service as training
from accord.training.models import TrainingCertificate
from tests.access.helpers import dataset_with_terms
from tests.training.helpers import dataset_needing_training, days, person, png, signed, upload


@pytest.fixture
def world(db_rt, db, tmp_path):
    dataset = dataset_needing_training(db_rt, tmp_path, "at-ustc")
    ana = person(db, "ana@mit.edu")
    rev = person(db, "rev@lab.example", reviewer_of=dataset)
    return dataset, ana, rev


def count(db) -> int:
    return db.scalar(select(func.count()).select_from(TrainingCertificate))


def mails(db, template) -> list[OutboxMessage]:
    return list(db.scalars(select(OutboxMessage).where(OutboxMessage.template == template).order_by(OutboxMessage.id)))


def test_submitting_without_a_certificate_is_refused_at_the_field(db_rt, db, world):
    _, ana, _ = world
    record = signed(db_rt, db, "at-ustc", ana)
    with pytest.raises(InvalidInput) as err:
        access.submit(db, record.id, actor=ana)
    assert err.value.field == "certificate" and "CITI human-subjects research course" in err.value.message
    assert access.get(db, record.id, viewer=ana).state.status is workflow.Status.draft


def test_an_uploaded_certificate_is_stored_pending_and_audited(db_rt, db, world):
    dataset, ana, _ = world
    record = signed(db_rt, db, "at-ustc", ana)
    data = png()
    cert = upload(db_rt, db, ana, application_id=record.id, data=data)
    assert (cert.status, cert.media_type, cert.size, cert.dataset_id) == ("pending", "image/png", len(data), dataset.id)
    with db_rt.store.open(cert.sha256) as fh:
        assert fh.read() == data
    assert (
        db.scalar(
            select(AuditEvent.action).where(
                AuditEvent.object_id == str(cert.id), AuditEvent.object_type == "training_certificate"
            )
        )
        == "training.uploaded"
    )
    assert access.submit(db, record.id, actor=ana).state.status is workflow.Status.submitted


def test_approval_waits_for_the_certificate_to_be_accepted(db_rt, db, world):
    dataset, ana, rev = world
    record = signed(db_rt, db, "at-ustc", ana)
    cert = upload(db_rt, db, ana, application_id=record.id)
    access.submit(db, record.id, actor=ana)
    with pytest.raises(IllegalTransition, match="until the applicant's training certificate is accepted"):
        access.approve(db, record.id, actor=rev)
    assert access.get(db, record.id, viewer=rev).state.status is workflow.Status.submitted
    assert db.scalar(select(func.count()).select_from(Entitlement)) == 0
    accepted = training.accept(db, cert.id, actor=rev)
    assert (accepted.status, accepted.reviewed_by_id) == ("accepted", rev.id) and accepted.reviewed_at
    assert [m.to for m in mails(db, "training-accepted")] == [ana.email]
    assert access.approve(db, record.id, actor=rev).state.status is workflow.Status.approved
    assert entitlements.check(db, ana, dataset.id).allowed


def test_a_click_through_dataset_approves_once_the_reviewer_accepts_the_certificate(db_rt, db, tmp_path):
    dataset = dataset_needing_training(db_rt, tmp_path, "llvip")
    ana = person(db, "ana@lab.example")
    rev = person(db, "rev@lab.example", reviewer_of=dataset)
    record = signed(db_rt, db, "llvip", ana)
    cert = upload(db_rt, db, ana, application_id=record.id)
    assert access.submit(db, record.id, actor=ana).state.status is workflow.Status.submitted  # not approved yet
    training.accept(db, cert.id, actor=rev)
    state = access.get(db, record.id, viewer=ana).state
    assert state.status is workflow.Status.approved and state.decided_by is None
    assert entitlements.check(db, ana, dataset.id).allowed


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GIF89a a gif is not accepted", "the certificate must be a PDF, PNG or JPEG"),
        (b"MZ\x90\x00 an executable called certificate.pdf", "the certificate must be a PDF, PNG or JPEG"),
        (b"%PDF-1.7\n garbage", "damaged"),
        (b"", "choose the certificate file"),
    ],
)
def test_a_file_that_is_not_a_pdf_or_an_image_is_refused_and_nothing_is_stored(db_rt, db, world, data, message):
    _, ana, _ = world
    record = signed(db_rt, db, "at-ustc", ana)
    with pytest.raises(InvalidInput, match=message) as err:
        upload(db_rt, db, ana, application_id=record.id, data=data)
    assert err.value.field == "certificate" and count(db) == 0


def test_a_certificate_over_the_size_limit_is_refused(db_rt, db, world, monkeypatch):
    _, ana, _ = world
    record = signed(db_rt, db, "at-ustc", ana)
    monkeypatch.setattr(training, "MAX_BYTES", 100)
    with pytest.raises(TooLarge, match="larger than"):
        upload(db_rt, db, ana, application_id=record.id, data=png() + b"\x00" * 200)
    assert count(db) == 0


@pytest.mark.parametrize(
    ("kw", "field", "message"),
    [
        ({"course": " "}, "course", "name the course"),
        ({"completed_on": "2026-13-01"}, "completed_on", "YYYY-MM-DD"),
        ({"completed_on": days(3)}, "completed_on", "in the future"),
        ({"completed_on": days(-800)}, "completed_on", "730 days"),
        ({"expires_on": days(-1)}, "expires_on", "expired on"),
        ({"completed_on": days(-10), "expires_on": days(-20)}, "expires_on", "after the completion date"),
    ],
)
def test_bad_course_names_and_dates_are_refused_at_their_field(db_rt, db, world, kw, field, message):
    _, ana, _ = world
    record = signed(db_rt, db, "at-ustc", ana)
    args = {"course": "CITI", "completed_on": days(-30), "expires_on": days(300), **kw}
    with pytest.raises(InvalidInput, match=message) as err:
        training.upload(db_rt, db, actor=ana, data=png(), application_id=record.id, **args)
    assert err.value.field == field and count(db) == 0


def test_terms_without_training_take_no_certificate(db_rt, db, tmp_path):
    dataset_with_terms(db_rt, tmp_path, "shhq")
    ana = person(db, "ana@mit.edu")
    record = signed(db_rt, db, "shhq", ana)
    with pytest.raises(InvalidInput, match="do not ask for a training certificate"):
        upload(db_rt, db, ana, application_id=record.id)


def test_a_rejected_certificate_says_why_and_must_be_replaced_before_submitting(db_rt, db, world):
    _, ana, rev = world
    record = signed(db_rt, db, "at-ustc", ana)
    cert = upload(db_rt, db, ana, application_id=record.id)
    with pytest.raises(InvalidInput, match="why"):
        training.reject(db, cert.id, actor=rev, reason="  ")
    assert db.get(TrainingCertificate, cert.id).status == "pending"
    training.reject(db, cert.id, actor=rev, reason="the name on it is not yours")
    assert [m.to for m in mails(db, "training-rejected")] == [ana.email]
    assert "the name on it is not yours" in mails(db, "training-rejected")[0].text_body
    with pytest.raises(Conflict, match="already rejected"):
        training.accept(db, cert.id, actor=rev)
    with pytest.raises(InvalidInput, match="the name on it is not yours") as err:
        access.submit(db, record.id, actor=ana)
    assert err.value.field == "certificate"
    upload(db_rt, db, ana, application_id=record.id)  # a new row; the rejected one stays on record
    assert [c.status for c in training.mine(db, ana)] == ["pending", "rejected"]
    assert access.submit(db, record.id, actor=ana).state.status is workflow.Status.submitted


def test_only_the_holder_and_the_datasets_reviewers_see_a_certificate(db_rt, db, world, tmp_path):
    _dataset, ana, rev = world
    other_ds = dataset_needing_training(db_rt, tmp_path, "shhq")
    stranger = person(db, "eve@mit.edu")
    elsewhere = person(db, "rev2@lab.example", reviewer_of=other_ds)
    record = signed(db_rt, db, "at-ustc", ana)
    cert = upload(db_rt, db, ana, application_id=record.id)
    assert training.file(db_rt, db, cert.id, viewer=ana)[0] == training.file(db_rt, db, cert.id, viewer=rev)[0]
    for who in (stranger, elsewhere):
        with pytest.raises(NotFound):
            training.file(db_rt, db, cert.id, viewer=who)
        with pytest.raises(NotFound):
            training.accept(db, cert.id, actor=who)
    with pytest.raises(PermissionDenied):
        training.accept(db, cert.id, actor=ana)
    assert [c.id for c in training.to_review(db, rev)] == [cert.id] and training.to_review(db, elsewhere) == []


def _licensee(db_rt, db, world, *, expires_in):
    """Ana holds access to at-ustc with an accepted certificate that runs out in `expires_in` days."""
    _dataset, ana, rev = world
    record = signed(db_rt, db, "at-ustc", ana)
    cert = upload(db_rt, db, ana, application_id=record.id, expires_in=expires_in)
    access.submit(db, record.id, actor=ana)
    training.accept(db, cert.id, actor=rev)
    access.approve(db, record.id, actor=rev)
    return cert


def test_an_expired_certificate_pauses_access_and_a_newly_accepted_one_resumes_it(db_rt, db, world):
    dataset, ana, rev = world
    _licensee(db_rt, db, world, expires_in=20)
    later = utcnow() + timedelta(days=21)
    assert entitlements.check(db, ana, dataset.id, at=utcnow()).allowed
    paused = entitlements.check(db, ana, dataset.id, at=later)
    assert not paused.allowed and paused.needs_training and not paused.needs_reacceptance
    assert f"expired on {days(20)}" in paused.reason and "/datasets/at-ustc/download" in paused.reason
    assert paused.entitlement.revoked_at is None  # paused, not revoked
    renewed = upload(db_rt, db, ana, dataset_slug="at-ustc", expires_in=400)
    waiting = entitlements.check(db, ana, dataset.id, at=later)
    assert not waiting.allowed and "awaiting review" in waiting.reason
    training.accept(db, renewed.id, actor=rev)
    assert entitlements.check(db, ana, dataset.id, at=later).allowed  # no other step


def test_the_terms_limit_how_long_a_course_counts_after_completion(db_rt, db, world):
    dataset, ana, _ = world
    cert = _licensee(db_rt, db, world, expires_in=2000)  # completed 30 days ago; the terms count 730 days
    assert training.valid_until(cert, training.terms_training(db, dataset.id)) == days(-30) + timedelta(days=730)
    assert not entitlements.check(db, ana, dataset.id, at=utcnow() + timedelta(days=701)).allowed


def test_only_licensees_upload_a_renewal_from_the_dataset(db_rt, db, world):
    _, ana, _ = world
    with pytest.raises(PermissionDenied, match="no access"):
        upload(db_rt, db, ana, dataset_slug="at-ustc")


def test_holders_are_warned_once_two_weeks_before_their_certificate_runs_out(db_rt, db, world):
    _dataset, ana, _rev = world
    cert = _licensee(db_rt, db, world, expires_in=30)
    assert training.warn_expiring(db, now=utcnow()) == 0  # a month out: not yet
    soon = utcnow() + timedelta(days=20)
    assert training.warn_expiring(db, now=soon, base_url="http://x") == 1
    assert training.warn_expiring(db, now=soon + timedelta(days=1)) == 0  # once
    [mail] = mails(db, "training-expiring")
    assert mail.to == ana.email and str(days(30)) in mail.subject
    assert "http://x/datasets/at-ustc/download" in mail.text_body
    assert db.get(TrainingCertificate, cert.id).expiry_warned_at is not None


def test_no_warning_when_a_later_certificate_carries_on_or_no_grant_needs_it(db_rt, db, world):
    _dataset, ana, rev = world
    _licensee(db_rt, db, world, expires_in=30)
    renewed = upload(db_rt, db, ana, dataset_slug="at-ustc", expires_in=500)
    training.accept(db, renewed.id, actor=rev)
    assert training.warn_expiring(db, now=utcnow() + timedelta(days=20)) == 0
    grant = db.scalar(select(Entitlement))
    entitlements.revoke(db, grant.id, actor="cli", reason="project over")
    assert training.warn_expiring(db, now=utcnow() + timedelta(days=490)) == 0


def test_a_renewal_is_sent_to_the_datasets_reviewers(db_rt, db, world):
    _, ana, rev = world
    _licensee(db_rt, db, world, expires_in=30)
    renewed = upload(db_rt, db, ana, dataset_slug="at-ustc", base_url="http://x")
    [mail] = list(mails(db, "training-to-review"))
    assert mail.to == rev.email and "http://x/review/training" in mail.text_body
    assert [c.id for c in training.to_review(db, rev)] == [renewed.id]


def test_terms_that_end_access_with_the_certificate_revoke_the_grant_once_it_ran_out(db_rt, db, world):
    dataset, ana, _rev = world
    from accord.policy import service as policies

    ending = policies.get(db, dataset.id).policy.training.model_copy(update={"on_expiry": "end"})
    policies.set_policy(
        db, dataset.id, policies.get(db, dataset.id).policy.model_copy(update={"training": ending}), actor="cli"
    )
    _licensee(db_rt, db, world, expires_in=20)  # applies under the new terms (version 2)
    assert training.end_lapsed(db, now=utcnow() + timedelta(days=19)) == []
    [grant_id] = training.end_lapsed(db, now=utcnow() + timedelta(days=21))
    grant = db.get(Entitlement, grant_id)
    assert grant.revoked_at is not None and f"ran out on {days(20)}" in grant.revoke_reason
    assert [m.to for m in mails(db, "access-revoked")] == [ana.email]
    assert training.end_lapsed(db, now=utcnow() + timedelta(days=22)) == []


def test_pausing_terms_never_revoke(db_rt, db, world):
    _licensee(db_rt, db, world, expires_in=20)
    assert training.end_lapsed(db, now=utcnow() + timedelta(days=30)) == []
    assert db.scalar(select(Entitlement)).revoked_at is None


def test_the_daily_job_sends_the_certificate_warning(rt, tmp_path):
    from accord.training import jobs

    dataset = dataset_needing_training(rt, tmp_path, "at-ustc")
    with rt.session() as db:
        ana = person(db, "ana@mit.edu")
        rev = person(db, "rev@lab.example", reviewer_of=dataset)
        _licensee(rt, db, (dataset, ana, rev), expires_in=10)
    jobs.training_expiry(rt)
    jobs.training_expiry(rt)  # twice in a day: still one mail
    with rt.session() as db:
        assert [m.to for m in mails(db, "training-expiring")] == [ana.email]


def test_an_accepted_certificate_serves_an_application_for_another_dataset(db_rt, db, world, tmp_path):
    _, ana, _rev = world
    cert = _licensee(db_rt, db, world, expires_in=300)
    other = dataset_needing_training(db_rt, tmp_path, "shhq")
    rev2 = person(db, "rev2@lab.example", reviewer_of=other)
    record = signed(db_rt, db, "shhq", ana)
    assert training.for_application(db, record.id).id == cert.id  # no second upload needed
    assert access.submit(db, record.id, actor=ana).state.status is workflow.Status.submitted
    assert training.file(db_rt, db, cert.id, viewer=rev2)[0] == png()  # its reviewers can open it ...
    with pytest.raises(PermissionDenied):
        training.reject(db, cert.id, actor=rev2, reason="not ours")  # ... but it is not theirs to decide
    assert access.approve(db, record.id, actor=rev2).state.status is workflow.Status.approved


def test_a_decision_taken_meanwhile_by_another_reviewer_is_not_overwritten(db_rt, db, world):
    _, ana, rev = world
    record = signed(db_rt, db, "at-ustc", ana)
    cert = upload(db_rt, db, ana, application_id=record.id)
    other = db_rt.session()
    try:
        training.reject(other, cert.id, actor=other.merge(rev), reason="wrong person")
    finally:
        other.close()
    stale = db.get(TrainingCertificate, cert.id)  # this session still holds it as pending
    assert stale.status == "pending"
    with pytest.raises(Conflict, match="a moment ago"):
        training.accept(db, cert.id, actor=rev)
    db.expire_all()
    assert db.get(TrainingCertificate, cert.id).status == "rejected"


def test_a_rejected_upload_does_not_hide_an_accepted_certificate_that_still_counts(db_rt, db, world, tmp_path):
    _, ana, _rev = world
    accepted = _licensee(db_rt, db, world, expires_in=300)
    other = dataset_needing_training(db_rt, tmp_path, "shhq")
    rev2 = person(db, "rev2@lab.example", reviewer_of=other)
    record = signed(db_rt, db, "shhq", ana)
    extra = upload(db_rt, db, ana, application_id=record.id)
    training.reject(db, extra.id, actor=rev2, reason="unreadable")
    assert training.for_application(db, record.id).id == accepted.id
    assert access.submit(db, record.id, actor=ana).state.status is workflow.Status.submitted
