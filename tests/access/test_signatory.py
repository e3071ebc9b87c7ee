"""CION-AL's signatory with legal authority: invited by e-mail, signs or declines through a one-use link."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from accord.access import sealing, signatory, workflow
from accord.access import service as access
from accord.db import utcnow
from accord.entitlements import service as entitlements
from accord.errors import InvalidInput
from accord.notify.models import OutboxMessage
from tests.access.helpers import SIGNATORY, answers, dataset_with_terms, person

LINK = re.compile(r"/signatory/(\d+\.[A-Za-z0-9_-]+)")


def submitted_cion(rt, db, tmp_path):
    cion = dataset_with_terms(rt, tmp_path, "cion-al")
    ana = person(db, "ana@mit.edu")
    reviewer = person(db, "rev@hust.edu.cn", reviewer_of=cion)
    record = access.start(db, "cion-al", actor=ana, answers=answers("cion-al", ana.email), signatory=SIGNATORY)
    access.sign(rt, db, record.id, actor=ana, full_name="Ana Lima", consent=True)
    access.submit(db, record.id, actor=ana, base_url="https://accord.lab.example")
    return cion, ana, reviewer, record.id


def invitation_token(db) -> str:
    mail = db.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "signatory-invited").order_by(OutboxMessage.id.desc())
    ).first()
    assert mail.to == SIGNATORY["email"] and "https://accord.lab.example/signatory/" in mail.text_body
    return LINK.search(mail.text_body).group(1)


def test_the_signatory_signs_then_the_reviewer_approves_and_access_is_granted(db_rt, db, tmp_path):
    cion, ana, reviewer, app_id = submitted_cion(db_rt, db, tmp_path)
    token = invitation_token(db)
    seen = signatory.view(db, token)
    assert seen.applicant == "Ana Lima" and seen.agreement.dataset_title.startswith("CION-AL")
    state = signatory.decide(db_rt, db, token, sign=True, full_name="Rita Sousa", consent=True)
    assert state.status is workflow.Status.submitted and state.signatory_signature["full_name"] == "Rita Sousa"
    access.approve(db, app_id, actor=reviewer)
    assert entitlements.check(db, ana, cion.id).allowed
    pdf = access.agreement_pdf(db_rt, db, app_id, viewer=ana)
    assert sealing.verify(pdf, db_rt.settings.data_dir / "keys" / "seal.pem").ok
    templates = [m.template for m in db.scalars(select(OutboxMessage).where(OutboxMessage.to == ana.email))]
    assert "application-countersigned" in templates and templates[-1] == "application-approved"


def test_a_used_link_cannot_be_used_again(db_rt, db, tmp_path):
    submitted_cion(db_rt, db, tmp_path)
    token = invitation_token(db)
    signatory.decide(db_rt, db, token, sign=True, full_name="Rita Sousa", consent=True)
    with pytest.raises(signatory.SignatoryLinkInvalid, match="already used"):
        signatory.decide(db_rt, db, token, sign=False, reason="changed my mind")


def test_an_expired_link_is_refused_and_changes_nothing(db_rt, db, tmp_path):
    _, ana, _, app_id = submitted_cion(db_rt, db, tmp_path)
    token = invitation_token(db)
    with pytest.raises(signatory.SignatoryLinkInvalid, match="expired"):
        signatory.decide(
            db_rt, db, token, sign=True, full_name="Rita Sousa", consent=True, now=utcnow() + timedelta(days=15)
        )
    assert access.get(db, app_id, viewer=ana).state.status is workflow.Status.awaiting_signatory


@pytest.mark.parametrize("token", ["", "abc", "1.", "999.abcdef", "1.wrong-secret"])
def test_forged_links_are_refused(db_rt, db, tmp_path, token):
    submitted_cion(db_rt, db, tmp_path)
    with pytest.raises(signatory.SignatoryLinkInvalid):
        signatory.view(db, token)


def test_signing_needs_consent_and_a_name(db_rt, db, tmp_path):
    submitted_cion(db_rt, db, tmp_path)
    token = invitation_token(db)
    with pytest.raises(InvalidInput) as err:
        signatory.decide(db_rt, db, token, sign=True, full_name="Rita Sousa", consent=False)
    assert err.value.field == "consent"
    with pytest.raises(InvalidInput) as err:
        signatory.decide(db_rt, db, token, sign=True, full_name=" ", consent=True)
    assert err.value.field == "full_name"
    assert signatory.view(db, token)  # still usable


def test_a_decline_returns_the_application_and_a_new_invitation_replaces_the_old_link(db_rt, db, tmp_path):
    _, ana, _, app_id = submitted_cion(db_rt, db, tmp_path)
    old = invitation_token(db)
    state = signatory.decide(db_rt, db, old, sign=False, reason="I cannot sign for the university")
    assert state.status is workflow.Status.returned and "cannot sign" in state.reason
    other = {**SIGNATORY, "name": "Joao Reis", "email": "legal@example.edu"}
    access.save(db, app_id, actor=ana, answers={}, signatory=other)
    access.sign(db_rt, db, app_id, actor=ana, full_name="Ana Lima", consent=True)
    access.submit(db, app_id, actor=ana, base_url="https://accord.lab.example")
    new = LINK.search(
        db.scalars(select(OutboxMessage.text_body).where(OutboxMessage.to == "legal@example.edu")).one()
    ).group(1)
    assert new != old
    with pytest.raises(signatory.SignatoryLinkInvalid):
        signatory.view(db, old)
    assert signatory.view(db, new).signatory["name"] == "Joao Reis"
