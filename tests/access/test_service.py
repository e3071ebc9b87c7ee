"""Applications through the service, on SQLite and PostgreSQL: the seed datasets' real paths and bad input."""

import hashlib
import uuid

import pytest
from sqlalchemy import select, text

from accord import dbmigrate
from accord.access import applicant, sealing, workflow
from accord.access import service as access
from accord.access.models import Application, ApplicationEvent
from accord.audit.models import AuditEvent
from accord.config import Smtp
from accord.db import make_engine
from accord.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from accord.identity import service as identity
from accord.notify import service as notify
from accord.notify.models import OutboxMessage
from accord.runtime import build
from tests.access.helpers import SIGNATORY, answers, dataset_with_terms, person
from tests.conftest import PG_URL, make_settings
from tests.smtp import text_of


def events_of(db, app_id) -> list[str]:
    return list(
        db.scalars(
            select(ApplicationEvent.kind)
            .where(ApplicationEvent.application_id == app_id)
            .order_by(ApplicationEvent.seq)
        )
    )


def assert_cache_matches_events(db, app_id):
    db.expire_all()
    row = db.get(Application, app_id)
    state = workflow.replay(access.history(db, app_id))
    assert (row.status, row.submitted_at, row.decided_at) == (state.status.value, state.submitted_at, state.decided_at)


def signed(rt, db, slug, applicant, *, signatory=None):
    record = access.start(db, slug, actor=applicant)
    access.save(db, record.id, actor=applicant, answers=answers(slug, applicant.email), signatory=signatory)
    return access.sign(rt, db, record.id, actor=applicant, full_name="Ana Lima", consent=True)


def mails(db, to=None) -> list[tuple[str, str]]:
    rows = db.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    return [(m.template, m.to) for m in rows if to is None or m.to == to]


def test_llvip_click_through_is_approved_automatically_when_every_check_passes(db_rt, db, tmp_path):
    dataset_with_terms(db_rt, tmp_path, "llvip")
    ana = person(db, "ana@lab.example")
    record = signed(db_rt, db, "llvip", ana)
    result = access.submit(db, record.id, actor=ana)
    assert result.state.status is workflow.Status.approved and result.state.decided_by is None
    assert events_of(db, record.id) == [
        "created",
        "email_verified",
        "saved",
        "signed",
        "submitted",
        "checks_run",
        "approved",
    ]
    assert mails(db, ana.email) == [("application-approved", ana.email)]
    assert db.scalar(select(AuditEvent.actor).where(AuditEvent.action == "application.approved")) == "system"
    assert_cache_matches_events(db, record.id)


def test_shhq_with_a_gmail_address_fails_institutional_email_and_cannot_be_approved(db_rt, db, tmp_path):
    shhq = dataset_with_terms(db_rt, tmp_path, "shhq")
    ana = person(db, "ana.lima@gmail.com")
    reviewer = person(db, "rev@lab.example", reviewer_of=shhq)
    record = signed(db_rt, db, "shhq", ana)
    result = access.submit(db, record.id, actor=ana)
    assert result.state.status is workflow.Status.submitted
    assert result.state.failed_checks == ["institutional_email"]
    assert "check to pass: institutional email" in result.state.missing
    assert access.get(db, record.id, viewer=reviewer).actions == ["reject", "return"]
    with pytest.raises(IllegalTransition, match="institutional email"):
        access.approve(db, record.id, actor=reviewer)
    assert events_of(db, record.id)[-1] == "checks_run"
    assert mails(db) == [("application-submitted", ana.email), ("application-to-review", reviewer.email)]


def test_a_reviewer_of_at_ustc_approves_and_the_applicant_is_told(db_rt, db, tmp_path):
    at_ustc = dataset_with_terms(db_rt, tmp_path, "at-ustc")
    ana = person(db, "ana@mit.edu")
    reviewer = person(db, "rev@ustc.edu.cn", reviewer_of=at_ustc)
    started = access.start(db, "at-ustc", actor=ana)
    assert started.actions == ["save", "sign", "withdraw"]  # not yet signed: nothing to submit
    access.withdraw(db, started.id, actor=ana)
    record = signed(db_rt, db, "at-ustc", ana)
    assert record.actions == ["save", "sign", "submit", "withdraw"]
    assert access.submit(db, record.id, actor=ana).actions == ["withdraw"]
    assert access.get(db, record.id, viewer=reviewer).actions == ["approve", "reject", "return"]
    result = access.approve(db, record.id, actor=reviewer, note="  welcome  ")
    assert result.actions == []
    assert result.state.status is workflow.Status.approved and result.state.decided_by == reviewer.id
    assert result.state.policy_version == 1
    assert mails(db, ana.email) == [("application-submitted", ana.email), ("application-approved", ana.email)]
    assert "welcome" in db.scalars(select(OutboxMessage.text_body).order_by(OutboxMessage.id)).all()[-1]
    assert_cache_matches_events(db, record.id)


def test_a_reviewer_of_another_dataset_is_refused_and_nothing_changes(db_rt, db, tmp_path):
    dataset_with_terms(db_rt, tmp_path, "at-ustc")
    shhq = dataset_with_terms(db_rt, tmp_path, "shhq")
    ana = person(db, "ana@mit.edu")
    other = person(db, "rev@lab.example", reviewer_of=shhq)
    record = signed(db_rt, db, "at-ustc", ana)
    access.submit(db, record.id, actor=ana)
    before = events_of(db, record.id)
    for act in (
        lambda: access.approve(db, record.id, actor=other),
        lambda: access.reject(db, record.id, actor=other, reason="no"),
        lambda: access.return_for_changes(db, record.id, actor=other, comment="no"),
    ):
        with pytest.raises(NotFound):  # the same answer as reading it: no existence oracle
            act()
    with pytest.raises(NotFound):
        access.get(db, record.id, viewer=other)
    assert events_of(db, record.id) == before


def test_the_applicant_cannot_approve_their_own_application(db_rt, db, tmp_path):
    dataset_with_terms(db_rt, tmp_path, "at-ustc")
    ana = person(db, "ana@mit.edu")
    record = signed(db_rt, db, "at-ustc", ana)
    access.submit(db, record.id, actor=ana)
    with pytest.raises(PermissionDenied):
        access.approve(db, record.id, actor=ana)


def test_returned_then_saved_re_signed_and_resubmitted_goes_back_to_review(db_rt, db, tmp_path):
    at_ustc = dataset_with_terms(db_rt, tmp_path, "at-ustc")
    ana = person(db, "ana@mit.edu")
    reviewer = person(db, "rev@ustc.edu.cn", reviewer_of=at_ustc)
    record = signed(db_rt, db, "at-ustc", ana)
    first_hash = record.state.signature["document_sha256"]
    access.submit(db, record.id, actor=ana)
    returned = access.return_for_changes(db, record.id, actor=reviewer, comment="Name the lab's site.")
    assert returned.state.status is workflow.Status.returned and returned.state.reason == "Name the lab's site."
    saved = access.save(db, record.id, actor=ana, answers={"unit": "Vision Lab, Porto site"})
    assert saved.state.signature is None and saved.state.answers["name"] == "Ana Lima"
    with pytest.raises(IllegalTransition, match="sign"):
        access.submit(db, record.id, actor=ana)
    resigned = access.sign(db_rt, db, record.id, actor=ana, full_name="Ana Lima", consent=True)
    assert resigned.state.signature["document_sha256"] != first_hash
    again = access.submit(db, record.id, actor=ana)
    assert again.state.status is workflow.Status.submitted and again.state.reason is None
    assert events_of(db, record.id)[-3:] == ["signed", "resubmitted", "checks_run"]
    assert access.approve(db, record.id, actor=reviewer).state.status is workflow.Status.approved
    assert ("application-returned", ana.email) in mails(db)
    assert_cache_matches_events(db, record.id)


def test_a_withdrawn_application_cannot_be_approved(db_rt, db, tmp_path):
    at_ustc = dataset_with_terms(db_rt, tmp_path, "at-ustc")
    ana = person(db, "ana@mit.edu")
    reviewer = person(db, "rev@ustc.edu.cn", reviewer_of=at_ustc)
    record = signed(db_rt, db, "at-ustc", ana)
    access.submit(db, record.id, actor=ana)
    assert access.withdraw(db, record.id, actor=ana).state.status is workflow.Status.withdrawn
    with pytest.raises(IllegalTransition, match="withdrawn"):
        access.approve(db, record.id, actor=reviewer)
    with pytest.raises(PermissionDenied):
        access.withdraw(db, record.id, actor=reviewer)
    assert events_of(db, record.id)[-1] == "withdrawn"
    assert_cache_matches_events(db, record.id)


def test_a_second_submit_of_the_same_application_is_refused(db_rt, db, tmp_path):
    dataset_with_terms(db_rt, tmp_path, "shhq")
    ana = person(db, "ana@mit.edu")
    record = signed(db_rt, db, "shhq", ana)
    access.submit(db, record.id, actor=ana)
    before = events_of(db, record.id)
    with pytest.raises(IllegalTransition, match="submitted"):
        access.submit(db, record.id, actor=ana)
    assert events_of(db, record.id) == before
    assert len(mails(db)) == 1


def test_a_second_open_application_for_the_same_dataset_is_refused(db_rt, db, tmp_path):
    dataset_with_terms(db_rt, tmp_path, "shhq")
    ana = person(db, "ana@mit.edu")
    first = access.start(db, "shhq", actor=ana)
    with pytest.raises(Conflict, match=str(first.id)):
        access.start(db, "shhq", actor=ana)
    access.withdraw(db, first.id, actor=ana)
    assert access.start(db, "shhq", actor=ana).id != first.id


@pytest.mark.parametrize(
    "given, field",
    [
        ({"colour": "blue"}, "colour"),
        ({"organisation": "   "}, "organisation"),
        ({"organisation": 42}, "organisation"),
        ({"organisation": "x" * 201}, "organisation"),
        ({"email": "not an address"}, "email"),
        ({"email": "someone.else@mit.edu"}, "email"),
    ],
)
def test_a_wrong_field_is_refused_with_its_name_and_nothing_is_saved(db_rt, db, tmp_path, given, field):
    dataset_with_terms(db_rt, tmp_path, "shhq")
    ana = person(db, "ana@mit.edu")
    record = access.start(db, "shhq", actor=ana)
    with pytest.raises(InvalidInput) as err:
        access.save(db, record.id, actor=ana, answers=given)
    assert err.value.field == field
    assert events_of(db, record.id) == ["created", "email_verified"]


def test_starting_with_answers_validates_them_and_a_bad_one_creates_nothing(db_rt, db, tmp_path):
    dataset_with_terms(db_rt, tmp_path, "cion-al")
    ana = person(db, "ana@mit.edu")
    with pytest.raises(InvalidInput) as err:
        access.start(db, "cion-al", actor=ana, answers={**answers("cion-al", ana.email), "telephone": ""})
    assert err.value.field == "telephone" and db.scalar(select(Application.id)) is None
    record = access.start(db, "cion-al", actor=ana, answers=answers("cion-al", ana.email), signatory=SIGNATORY)
    assert record.missing_fields == [] and record.state.signatory == SIGNATORY
    assert events_of(db, record.id) == ["created", "saved", "email_verified"]


def test_signing_with_fields_missing_names_the_first_missing_field(db_rt, db, tmp_path):
    dataset_with_terms(db_rt, tmp_path, "shhq")
    ana = person(db, "ana@mit.edu")
    record = access.start(db, "shhq", actor=ana)
    assert record.missing_fields == ["organisation", "purpose_statement", "unit"]  # name, e-mail prefilled
    with pytest.raises(InvalidInput) as err:
        access.sign(db_rt, db, record.id, actor=ana, full_name="Ana Lima", consent=True)
    assert err.value.field == "organisation"
    access.save(db, record.id, actor=ana, answers=answers("shhq", ana.email))
    with pytest.raises(InvalidInput) as err:
        access.sign(db_rt, db, record.id, actor=ana, full_name="Ana Lima", consent=False)
    assert err.value.field == "consent"
    assert events_of(db, record.id) == ["created", "email_verified", "saved"]


def test_cion_al_needs_a_signatory_and_then_waits_for_their_signature(db_rt, db, tmp_path):
    cion = dataset_with_terms(db_rt, tmp_path, "cion-al")
    ana = person(db, "ana@mit.edu")
    reviewer = person(db, "rev@lab.example", reviewer_of=cion)
    record = access.start(db, "cion-al", actor=ana)
    access.save(db, record.id, actor=ana, answers=answers("cion-al", ana.email))
    with pytest.raises(InvalidInput) as err:
        access.sign(db_rt, db, record.id, actor=ana, full_name="Ana Lima", consent=True)
    assert err.value.field == "signatory"
    with pytest.raises(InvalidInput) as err:
        access.save(db, record.id, actor=ana, answers={}, signatory={**SIGNATORY, "email": "nope"})
    assert err.value.field == "signatory.email"
    access.save(db, record.id, actor=ana, answers={}, signatory=SIGNATORY)
    access.sign(db_rt, db, record.id, actor=ana, full_name="Ana Lima", consent=True)
    result = access.submit(db, record.id, actor=ana)
    assert result.state.status is workflow.Status.awaiting_signatory
    with pytest.raises(IllegalTransition):
        access.approve(db, record.id, actor=reviewer)


def test_a_signatory_is_refused_where_the_applicant_signs(db_rt, db, tmp_path):
    dataset_with_terms(db_rt, tmp_path, "shhq")
    ana = person(db, "ana@mit.edu")
    record = access.start(db, "shhq", actor=ana)
    with pytest.raises(InvalidInput) as err:
        access.save(db, record.id, actor=ana, answers={}, signatory=SIGNATORY)
    assert err.value.field == "signatory"


def test_a_dataset_without_terms_cannot_be_applied_for(db_rt, db, tmp_path):
    from tests.jobs.catalogue import published_dataset

    published_dataset(db_rt, tmp_path, "bare", title="Bare", count=1, previews=0)
    ana = person(db, "ana@mit.edu")
    with pytest.raises(NotFound, match="terms"):
        access.start(db, "bare", actor=ana)
    assert db.scalar(select(Application.id)) is None


def test_the_signed_pdf_is_sealed_stored_by_hash_and_binds_the_agreement(db_rt, db, tmp_path):
    dataset_with_terms(db_rt, tmp_path, "shhq")
    ana = person(db, "ana@mit.edu")
    record = signed(db_rt, db, "shhq", ana)
    signature = record.state.signature
    assert signature["document_sha256"] == access.agreement(db, record.id).sha256
    pdf = access.agreement_pdf(db_rt, db, record.id, viewer=ana)
    assert hashlib.sha256(pdf).hexdigest() == signature["pdf_sha256"]
    cert = db_rt.settings.data_dir / "keys" / "seal.pem"
    assert sealing.verify(pdf, cert).ok
    tampered = bytearray(pdf)
    tampered[pdf.find(b"stream") + 20] ^= 0x01  # one byte of the first page's content
    assert not sealing.verify(bytes(tampered), cert).ok


def test_the_unsigned_preview_is_a_pdf_and_strangers_cannot_read_it(db_rt, db, tmp_path):
    dataset_with_terms(db_rt, tmp_path, "shhq")
    ana = person(db, "ana@mit.edu")
    stranger = person(db, "eve@mit.edu")
    record = access.start(db, "shhq", actor=ana)
    assert access.agreement_pdf(db_rt, db, record.id, viewer=ana).startswith(b"%PDF-")
    with pytest.raises(NotFound):
        access.agreement_pdf(db_rt, db, record.id, viewer=stranger)


def test_an_unverified_address_is_proven_later_before_approval(db_rt, db, tmp_path):
    at_ustc = dataset_with_terms(db_rt, tmp_path, "at-ustc")
    ana = person(db, "ana@mit.edu", verified=False)
    reviewer = person(db, "rev@ustc.edu.cn", reviewer_of=at_ustc)
    record = signed(db_rt, db, "at-ustc", ana)
    result = access.submit(db, record.id, actor=ana)
    assert result.state.failed_checks == ["email_proven"]
    with pytest.raises(IllegalTransition):
        access.approve(db, record.id, actor=reviewer)
    assert access.confirm_email(db, ana) == []  # not proven yet: nothing recorded
    ana = identity.verify_email(db, db_rt.secret, identity.email_verification_token(db_rt.secret, ana))
    assert access.confirm_email(db, ana) == [record.id]
    assert events_of(db, record.id)[-2:] == ["email_verified", "checks_run"]
    assert access.approve(db, record.id, actor=reviewer).state.status is workflow.Status.approved


def test_a_click_through_submitted_before_the_address_was_proven_is_approved_once_it_is(db_rt, db, tmp_path):
    dataset_with_terms(db_rt, tmp_path, "llvip")
    ana = person(db, "ana@lab.example", verified=False)
    record = signed(db_rt, db, "llvip", ana)
    assert access.submit(db, record.id, actor=ana).state.status is workflow.Status.submitted
    ana = identity.verify_email(db, db_rt.secret, identity.email_verification_token(db_rt.secret, ana))
    access.confirm_email(db, ana)
    state = access.get(db, record.id, viewer=ana).state
    assert state.status is workflow.Status.approved and state.checks["email_proven"]["passed"]
    assert mails(db, ana.email)[-1] == ("application-approved", ana.email)
    assert access.confirm_email(db, ana) == []  # once only
    assert_cache_matches_events(db, record.id)


def test_mine_lists_the_users_applications_newest_first(db_rt, db, tmp_path):
    dataset_with_terms(db_rt, tmp_path, "shhq")
    dataset_with_terms(db_rt, tmp_path, "llvip")
    ana = person(db, "ana@mit.edu")
    a = access.start(db, "shhq", actor=ana)
    b = access.start(db, "llvip", actor=ana)
    assert [(r.id, r.dataset, r.status) for r in access.mine(db, ana)] == [
        (b.id, "llvip", "draft"),
        (a.id, "shhq", "draft"),
    ]


def test_the_approval_mail_reaches_the_applicant_over_smtp(tmp_path, smtp_server):
    rt = build(
        make_settings(
            tmp_path, smtp=Smtp(host=smtp_server.host, port=smtp_server.port, sender="Accord <accord@lab.example>")
        )
    )
    dbmigrate.upgrade(rt.engine)
    at_ustc = dataset_with_terms(rt, tmp_path, "at-ustc")
    with rt.session() as db:
        ana = person(db, "ana@mit.edu")
        reviewer = person(db, "rev@ustc.edu.cn", reviewer_of=at_ustc)
        record = signed(rt, db, "at-ustc", ana)
        access.submit(db, record.id, actor=ana)
        access.approve(db, record.id, actor=reviewer, note="Enjoy the data.")
    report = notify.send_due(rt)
    assert report.sent == 3  # received, approved (to Ana) and "to review" (to the reviewer)
    assert [m["Subject"].strip() for m in smtp_server.inbox.to("rev@ustc.edu.cn")] == [
        f"New application {record.id} for {at_ustc.title} to review"
    ]
    approved = [m for m in smtp_server.inbox.to("ana@mit.edu") if "approved" in m["Subject"]]
    assert len(approved) == 1 and "Enjoy the data." in text_of(approved[0])
    rt.engine.dispose()


# --- racing writers need real separate connections, so PostgreSQL gets its own schema here -----------------


@pytest.fixture(params=["sqlite", "postgresql"])
def racing_rt(request, tmp_path):
    settings = make_settings(tmp_path)
    if request.param == "sqlite":
        rt = build(settings)
        dbmigrate.upgrade(rt.engine)
        yield rt
        rt.engine.dispose()
        return
    schema = f"race_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        dbmigrate.upgrade(engine)
        yield build(settings, engine=engine)
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_approve_and_withdraw_racing_the_second_gets_conflict_and_nothing_is_lost(racing_rt, tmp_path, monkeypatch):
    rt = racing_rt
    at_ustc = dataset_with_terms(rt, tmp_path, "at-ustc")
    with rt.session() as db:
        ana = person(db, "ana@mit.edu")
        reviewer = person(db, "rev@ustc.edu.cn", reviewer_of=at_ustc)
        record = signed(rt, db, "at-ustc", ana)
        access.submit(db, record.id, actor=ana)
    real_load = applicant.load  # where withdraw (access/applicant.py) reads the events

    def load_while_a_reviewer_approves(db, app_id):
        loaded = real_load(db, app_id)  # the withdrawal has read the events ...
        monkeypatch.setattr(applicant, "load", real_load)
        with rt.session() as other:  # ... and a reviewer approves in between, on another connection
            access.approve(other, app_id, actor=reviewer)
        return loaded

    monkeypatch.setattr(applicant, "load", load_while_a_reviewer_approves)
    with rt.session() as db, pytest.raises(Conflict):
        access.withdraw(db, record.id, actor=ana)
    with rt.session() as db:
        assert events_of(db, record.id)[-2:] == ["checks_run", "approved"]
        assert access.get(db, record.id, viewer=ana).state.status is workflow.Status.approved
        assert_cache_matches_events(db, record.id)
        actions = db.scalars(select(AuditEvent.action)).all()
        assert "application.approved" in actions and "application.withdrawn" not in actions
        # Told the truth: withdrawing now is refused for what it is.
        with pytest.raises(IllegalTransition):
            access.withdraw(db, record.id, actor=ana)


def test_an_approval_grants_the_dataset_to_the_applicant_for_their_unit(db_rt, db, tmp_path):
    from accord.entitlements import service as entitlements

    at_ustc = dataset_with_terms(db_rt, tmp_path, "at-ustc")
    ana = person(db, "ana@mit.edu")
    reviewer = person(db, "rev@ustc.edu.cn", reviewer_of=at_ustc)
    record = signed(db_rt, db, "at-ustc", ana)
    access.submit(db, record.id, actor=ana)
    assert not entitlements.check(db, ana, at_ustc.id).allowed
    access.approve(db, record.id, actor=reviewer)
    decision = entitlements.check(db, ana, at_ustc.id)
    assert decision.allowed and decision.entitlement.application_id == record.id
    assert decision.entitlement.unit == "Vision Lab, Lisbon" and decision.entitlement.policy_version == 1


def test_a_click_through_approval_grants_access_too(db_rt, db, tmp_path):
    from accord.entitlements import service as entitlements

    llvip = dataset_with_terms(db_rt, tmp_path, "llvip")
    ana = person(db, "ana@lab.example")
    access.submit(db, signed(db_rt, db, "llvip", ana).id, actor=ana)
    assert entitlements.check(db, ana, llvip.id).allowed


def test_reviewers_see_an_earlier_revoked_grant_in_the_checks(db_rt, db, tmp_path):
    from accord.entitlements import service as entitlements

    llvip = dataset_with_terms(db_rt, tmp_path, "llvip")
    dataset_with_terms(db_rt, tmp_path, "at-ustc")
    ana = person(db, "ana@mit.edu")
    access.submit(db, signed(db_rt, db, "llvip", ana).id, actor=ana)
    grant = entitlements.check(db, ana, llvip.id).entitlement
    entitlements.revoke(db, grant.id, actor="cli", reason="shared the data")
    record = access.submit(db, signed(db_rt, db, "at-ustc", ana).id, actor=ana)
    assert record.state.checks["history"]["passed"] is False
    assert "revoked" in record.state.checks["history"]["detail"]
