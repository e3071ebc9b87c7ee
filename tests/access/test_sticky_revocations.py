"""Revocations that stick, on SQLite and PostgreSQL (issue 12 §1): after a curator revokes a licensee's LLVIP
grant, their next application (or renewal) waits for a person although LLVIP is click-through; the reviewer is
told why; the curator makes the revocation permanent (no applying, no renewing) or lifts it (automatic again)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from accord.access import queue, renewal, workflow
from accord.access import service as access
from accord.audit.models import AuditEvent
from accord.db import utcnow
from accord.entitlements import service as entitlements
from accord.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from accord.notify.models import OutboxMessage
from accord.policy import service as policies
from accord.policy.io import seed
from accord.web import error_pages
from tests.access.helpers import answers, dataset_with_terms, person

YEAR = seed("llvip").model_copy(update={"access_days": 365})


def _apply(rt, db, ana):
    record = access.start(db, "llvip", actor=ana, answers=answers("llvip", ana.email))
    access.sign(rt, db, record.id, actor=ana, full_name="Ana Lima", consent=True)
    return access.submit(db, record.id, actor=ana)


def _mails(db, template):
    return list(db.scalars(select(OutboxMessage).where(OutboxMessage.template == template)))


def _audit(db, action):
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.fixture
def revoked(db_rt, db, tmp_path):
    """Ana's LLVIP grant (approved automatically) revoked by Cora, a curator; Rui reviews LLVIP."""
    llvip = dataset_with_terms(db_rt, tmp_path, "llvip")
    llvip.custodian_contact = "llvip-custodian@example.org"
    db.merge(llvip)
    db.commit()
    cora = person(db, "cora@lab.example", "curator")
    rui = person(db, "rui@lab.example", reviewer_of=llvip)
    ana = person(db, "ana@lab.example")
    first = _apply(db_rt, db, ana)
    assert first.state.status is workflow.Status.approved
    grant = entitlements.newest(db, ana, llvip.id)
    entitlements.revoke(db, grant.id, actor=cora, reason="shared the images on a public drive")
    return llvip, ana, cora, rui, grant


def test_after_a_revocation_the_click_through_application_waits_for_a_person(db_rt, db, revoked):
    llvip, ana, _cora, rui, grant = revoked
    again = _apply(db_rt, db, ana)
    assert again.state.status is workflow.Status.submitted  # not approved automatically
    check = again.state.checks["history"]
    assert check["passed"] is False and check["hold"] is True and check["blocking"] is False
    assert "shared the images on a public drive" in check["detail"] and "Cora" not in check["detail"]
    assert f"{grant.revoked_at:%Y-%m-%d}" in check["detail"]  # the applicant reads the checks too: not who
    [earlier] = entitlements.revocations(db, ana.id, llvip.id)
    assert (earlier.revoked_by, earlier.reason, earlier.standing) == (
        "Cora",
        "shared the images on a public drive",
        None,
    )
    assert not entitlements.check(db, ana, llvip.id).allowed
    # the reviewer sees it and may still approve, by hand
    seen = access.get(db, again.id, viewer=rui)
    assert "approve" in seen.actions
    assert access.approve(db, again.id, actor=rui).state.status is workflow.Status.approved
    assert entitlements.check(db, ana, llvip.id).allowed


def test_bulk_approval_leaves_it_for_its_own_page_and_tells_strangers_nothing(db_rt, db, revoked):
    _llvip, ana, _cora, rui, _grant = revoked
    again = _apply(db_rt, db, ana)
    [result] = queue.bulk_decide(db, [again.id], actor=rui, action="approve")
    assert not result.ok and "shared the images" in result.message and f"/review/{again.id}" in result.message
    assert access.get(db, again.id, viewer=rui).state.status is workflow.Status.submitted
    nosy = person(db, "nia@lab.example")
    [hidden] = queue.bulk_decide(db, [again.id], actor=nosy, action="approve")
    assert not hidden.ok and "shared" not in hidden.message and "no application" in hidden.message
    # rejecting in bulk is a person's decision and still works
    [rejected] = queue.bulk_decide(db, [again.id], actor=rui, action="reject", reason="not now")
    assert rejected.ok


def test_a_permanent_revocation_refuses_applying_and_says_whom_to_write_to(db_rt, db, revoked):
    llvip, ana, cora, _rui, grant = revoked
    assert error_pages.may_apply_again(db, ana, llvip.id)
    draft = access.start(db, "llvip", actor=ana, answers=answers("llvip", ana.email))
    access.sign(db_rt, db, draft.id, actor=ana, full_name="Ana Lima", consent=True)
    entitlements.make_permanent(db, grant.id, actor=cora, reason="second breach")
    with pytest.raises(PermissionDenied, match="may not apply for LLVIP again"):
        access.submit(db, draft.id, actor=ana)  # a draft from before is not sent either
    access.withdraw(db, draft.id, actor=ana)
    with pytest.raises(PermissionDenied) as refused:
        access.start(db, "llvip", actor=ana)
    message = refused.value.message
    assert "may not apply for LLVIP again" in message and "shared the images on a public drive" in message
    assert "made permanent" in message and "llvip-custodian@example.org" in message
    assert not error_pages.may_apply_again(db, ana, llvip.id)
    [event] = _audit(db, "entitlement.revocation_permanent")
    assert event.data["reason"] == "second breach" and event.actor_id == cora.id
    [mail] = _mails(db, "revocation-permanent")
    assert mail.to == ana.email and "llvip-custodian@example.org" in mail.text_body
    db.expire_all()
    ent = entitlements.get(db, grant.id)
    assert (ent.standing, ent.standing_reason, ent.standing_by_id) == ("permanent", "second breach", cora.id)
    # a second call changes nothing and writes nothing
    entitlements.make_permanent(db, grant.id, actor=cora, reason="again")
    assert len(_audit(db, "entitlement.revocation_permanent")) == 1


def test_a_lifted_revocation_is_approved_automatically_again_and_the_lift_is_recorded(db_rt, db, revoked):
    llvip, ana, cora, _rui, grant = revoked
    entitlements.make_permanent(db, grant.id, actor=cora, reason="second breach")
    entitlements.lift(db, grant.id, actor=cora, reason="the drive was taken down; appeal upheld")
    again = _apply(db_rt, db, ana)
    assert again.state.status is workflow.Status.approved
    assert again.state.checks["history"].get("hold") is not True  # the note stays, it no longer holds
    assert "revoked" in again.state.checks["history"]["detail"]
    [event] = _audit(db, "entitlement.revocation_lifted")
    assert event.data == {
        "reason": "the drive was taken down; appeal upheld",
        "before": "permanent",
        "user_id": ana.id,
        "dataset_id": llvip.id,
    }
    assert [m.to for m in _mails(db, "revocation-lifted")] == [ana.email]
    assert entitlements.revocations(db, ana.id, llvip.id)[0].standing == "lifted"


def test_a_rejection_on_the_dataset_also_holds_the_next_application(db_rt, db, revoked):
    _llvip, ana, cora, rui, grant = revoked
    held = _apply(db_rt, db, ana)
    access.reject(db, held.id, actor=rui, reason="no answer to our questions")
    entitlements.lift(db, grant.id, actor=cora, reason="appeal upheld")
    again = _apply(db_rt, db, ana)
    assert again.state.status is workflow.Status.submitted
    assert "no answer to our questions" in again.state.checks["history"]["detail"]
    # a later approval answers the rejection: the next one is click-through again
    access.approve(db, again.id, actor=rui)
    entitlements.revoke(db, entitlements.newest(db, ana, _llvip.id).id, actor=cora, reason="moved labs")
    for r in entitlements.revocations(db, ana.id, _llvip.id):
        if r.standing is None:
            entitlements.lift(db, r.grant_id, actor=cora, reason="asked to leave by mistake")
    assert _apply(db_rt, db, ana).state.status is workflow.Status.approved


def test_a_renewal_after_a_revocation_waits_for_a_person_and_a_permanent_one_refuses_it(db_rt, db, tmp_path):
    llvip = dataset_with_terms(db_rt, tmp_path, "llvip")
    policies.set_policy(db, llvip.id, YEAR, actor="cli")
    cora = person(db, "cora@lab.example", "curator")
    rui = person(db, "rui@lab.example", reviewer_of=llvip)
    ana = person(db, "ana@lab.example")
    _apply(db_rt, db, ana)
    first = entitlements.newest(db, ana, llvip.id)
    entitlements.revoke(db, first.id, actor=cora, reason="shared the images")
    access.approve(db, _apply(db_rt, db, ana).id, actor=rui)  # a person let her back in
    second = entitlements.newest(db, ana, llvip.id)
    second.expires_at = utcnow() + timedelta(days=5)
    db.commit()
    draft = renewal.renew(db, "llvip", actor=ana)
    access.sign(db_rt, db, draft.id, actor=ana, full_name="Ana Lima", consent=True)
    renewed = access.submit(db, draft.id, actor=ana)
    assert renewed.state.status is workflow.Status.submitted and renewed.state.checks["history"]["hold"]
    access.withdraw(db, draft.id, actor=ana)
    entitlements.make_permanent(db, first.id, actor=cora, reason="the second breach came to light")
    assert renewal.renewable(db, ana, llvip.id) is None
    with pytest.raises(Conflict, match="may not apply for LLVIP again"):
        renewal.renew(db, "llvip", actor=ana)


def test_only_the_datasets_curators_decide_and_only_on_a_curators_revocation(db_rt, db, revoked):
    _llvip, ana, _cora, rui, grant = revoked
    with pytest.raises(PermissionDenied):
        entitlements.make_permanent(db, grant.id, actor=rui, reason="reviewers do not decide this")
    with pytest.raises(PermissionDenied):
        entitlements.lift(db, grant.id, actor=ana, reason="let me back")
    with pytest.raises(InvalidInput):
        entitlements.lift(db, grant.id, actor="cli", reason="  ")
    with pytest.raises(NotFound):
        entitlements.lift(db, 987654, actor="cli", reason="none such")
    assert _audit(db, "entitlement.revocation_lifted") == []


def test_a_grant_still_in_force_has_no_revocation_to_decide(db_rt, db, tmp_path):
    dataset_with_terms(db_rt, tmp_path, "llvip")
    ana = person(db, "ana@lab.example")
    _apply(db_rt, db, ana)
    grant = entitlements.held_by(db, ana)[0]
    with pytest.raises(Conflict, match="not been revoked"):
        entitlements.make_permanent(db, grant.id, actor="cli", reason="pre-emptive")


def test_a_lapse_ended_by_the_system_neither_holds_nor_can_be_made_permanent(db_rt, db, tmp_path):
    llvip = dataset_with_terms(db_rt, tmp_path, "llvip")
    ana = person(db, "ana@lab.example")
    _apply(db_rt, db, ana)
    grant = entitlements.newest(db, ana, llvip.id)
    entitlements.revoke(db, grant.id, actor="system", reason="the training certificate ran out")
    assert entitlements.revocations(db, ana.id, llvip.id) == []
    with pytest.raises(Conflict, match="ended by itself"):
        entitlements.make_permanent(db, grant.id, actor="cli", reason="no")
    assert _apply(db_rt, db, ana).state.status is workflow.Status.approved


def test_a_revocation_after_submitting_holds_the_approval_that_waited_for_the_email(db_rt, db, tmp_path):
    from accord.db import unit_of_work

    llvip = dataset_with_terms(db_rt, tmp_path, "llvip")
    cora = person(db, "cora@lab.example", "curator")
    ana = person(db, "ana@lab.example", verified=False)
    with unit_of_work(db):
        grant = entitlements.grant(db, dataset_id=llvip.id, user_id=ana.id, policy_version=1, actor="cli")
    waiting = _apply(db_rt, db, ana)
    assert waiting.state.status is workflow.Status.submitted  # the address is not confirmed yet
    entitlements.revoke(db, grant.id, actor=cora, reason="shared the images")
    ana.email_verified_at = utcnow()
    db.commit()
    assert access.confirm_email(db, ana) == [waiting.id]
    state = access.get(db, waiting.id, viewer=ana).state
    assert state.status is workflow.Status.submitted and state.checks["history"]["hold"]
    assert "shared the images" in state.checks["history"]["detail"]
    assert not entitlements.check(db, ana, llvip.id).allowed


def test_a_revocation_after_submitting_keeps_a_waiting_application_out_of_bulk_approval(db_rt, db, tmp_path):
    from accord.db import unit_of_work

    at_ustc = dataset_with_terms(db_rt, tmp_path, "at-ustc")  # reviewed by a person
    cora = person(db, "cora@lab.example", "curator")
    rui = person(db, "rui@lab.example", reviewer_of=at_ustc)
    ana = person(db, "ana@mit.edu")
    with unit_of_work(db):
        grant = entitlements.grant(db, dataset_id=at_ustc.id, user_id=ana.id, policy_version=1, actor="cli")
    record = access.start(db, "at-ustc", actor=ana, answers=answers("at-ustc", ana.email))
    access.sign(db_rt, db, record.id, actor=ana, full_name="Ana Lima", consent=True)
    waiting = access.submit(db, record.id, actor=ana)
    assert waiting.state.status is workflow.Status.submitted and not waiting.state.checks["history"].get("hold")
    entitlements.revoke(db, grant.id, actor=cora, reason="shared the images")
    [result] = queue.bulk_decide(db, [waiting.id], actor=rui, action="approve")
    assert not result.ok and "shared the images" in result.message
    assert access.get(db, waiting.id, viewer=rui).state.status is workflow.Status.submitted
