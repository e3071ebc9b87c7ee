"""When the terms change, every current licensee is told by e-mail that access pauses until they accept the new
version, with what changed and the link to the clause-by-clause page; nobody else is."""

import re
from datetime import timedelta

from sqlalchemy import select

from accord.audit.models import AuditEvent
from accord.db import unit_of_work, utcnow
from accord.entitlements import service as entitlements
from accord.identity import service as identity
from accord.notify.models import OutboxMessage
from accord.policy import service as policies
from accord.policy.io import seed
from tests.jobs.catalogue import published_dataset

NINETY_DAYS = seed("shhq").model_copy(update={"access_days": 90})


def told(db) -> list[OutboxMessage]:
    return list(
        db.scalars(select(OutboxMessage).where(OutboxMessage.template == "terms-changed").order_by(OutboxMessage.to))
    )


def licensee(db, dataset, email, *, version=1, **changes):
    user = identity.create_user(db, email=email, name=email.split("@")[0].title(), password="a long passphrase!")
    with unit_of_work(db):
        ent = entitlements.grant(db, dataset_id=dataset.id, user_id=user.id, policy_version=version, actor="cli")
        for key, value in changes.items():
            setattr(ent, key, value)
    return user, ent


def test_every_current_licensee_is_told_once_with_the_changes_and_the_link(db_rt, db, tmp_path):
    shhq, _ = published_dataset(db_rt, tmp_path, "shhq", title="SHHQ: images", count=1, previews=0)
    other, _ = published_dataset(db_rt, tmp_path, "llvip", title="LLVIP: pairs", count=1, previews=0)
    policies.set_policy(db, shhq.id, seed("shhq"), actor="cli")
    policies.set_policy(db, other.id, seed("llvip"), actor="cli")
    li, li_grant = licensee(db, shhq, "li@uni.example")
    licensee(db, shhq, "gone@uni.example", revoked_at=utcnow(), revoke_reason="misuse")
    licensee(db, shhq, "old@uni.example", expires_at=utcnow() - timedelta(days=1))
    licensee(db, other, "llvip@uni.example")
    with unit_of_work(db):  # a second grant of the same dataset: still one mail
        entitlements.grant(db, dataset_id=shhq.id, user_id=li.id, policy_version=1, actor="cli")

    policies.set_policy(
        db, shhq.id, NINETY_DAYS, actor="cli", note="access now ends after 90 days", base_url="https://accord.example"
    )

    [mail] = told(db)
    assert mail.to == "li@uni.example"
    assert mail.subject == "The terms of SHHQ: images changed: accept them to keep downloading"
    assert "Your access is paused until you accept the new terms" in mail.text_body
    assert "your version 1, now version 2" in mail.text_body and "access now ends after 90 days" in mail.text_body
    assert "- Duration (" in mail.text_body
    assert "https://accord.example/datasets/shhq/terms/accept" in mail.text_body
    assert 'href="https://accord.example/datasets/shhq/terms/accept"' in mail.html_body
    [event] = db.scalars(select(AuditEvent).where(AuditEvent.action == "entitlement.terms_change_told")).all()
    assert event.data["version"] == 2 and li_grant.id in event.data["grants"]
    assert entitlements.check(db, li, shhq.id).needs_reacceptance

    policies.set_policy(db, shhq.id, NINETY_DAYS, actor="cli")  # identical terms: no version, no mail
    assert len(told(db)) == 1


def test_the_first_terms_and_a_licensee_already_on_the_new_version_get_no_mail(db_rt, db, tmp_path):
    shhq, _ = published_dataset(db_rt, tmp_path, "shhq", title="SHHQ: images", count=1, previews=0)
    policies.set_policy(db, shhq.id, seed("shhq"), actor="cli")
    assert told(db) == []
    li, grant = licensee(db, shhq, "li@uni.example")
    policies.set_policy(db, shhq.id, NINETY_DAYS, actor="cli")
    entitlements.reaccept(db, grant.id, actor=li, version=2)
    licensee(db, shhq, "new@uni.example", version=2)
    policies.set_policy(db, shhq.id, seed("shhq").model_copy(update={"access_days": 30}), actor="cli")
    assert [(m.to, re.search(r"your version (\d)", m.text_body)[1]) for m in told(db)] == [
        ("li@uni.example", "1"),
        ("li@uni.example", "2"),
        ("new@uni.example", "2"),
    ]


def test_a_curator_saves_new_terms_and_the_licensee_follows_the_mailed_link(tmp_path, smtp_server):
    from fastapi.testclient import TestClient

    from accord import dbmigrate
    from accord.notify import service as notify
    from accord.runtime import build
    from accord.web.app import create_app
    from tests.access.helpers import dataset_with_terms, person
    from tests.conftest import make_settings
    from tests.identity.helpers import csrf, log_in
    from tests.smtp import text_of

    rt = build(make_settings(tmp_path, smtp_url=f"smtp://{smtp_server.host}:{smtp_server.port}"))
    dbmigrate.upgrade(rt.engine)
    try:
        shhq = dataset_with_terms(rt, tmp_path, "shhq")
        with rt.session() as db:
            person(db, "cur@lab.example", "curator")
            ana = person(db, "ana@mit.edu")
            with unit_of_work(db):
                entitlements.grant(db, dataset_id=shhq.id, user_id=ana.id, policy_version=1, actor="cli")
        with TestClient(create_app(rt), base_url="http://testserver") as client:
            log_in(client, "cur@lab.example")
            saved = client.post(
                "/admin/datasets/shhq/terms/yaml",
                follow_redirects=False,
                data={
                    "csrf_token": csrf(client, "/admin/datasets/shhq/terms"),
                    "note": "teaching allowed",
                    "policy": "purposes: [research, teaching]\n",
                },
            )
            assert saved.headers["location"].endswith("notice=saved")
            assert notify.send_due(rt).sent == 1
            [mail] = smtp_server.inbox.to("ana@mit.edu")
            link = re.search(r"http://testserver/\S+", text_of(mail))[0]
            assert link == "http://testserver/datasets/shhq/terms/accept"
            client.cookies.clear()
            log_in(client, "ana@mit.edu")
            page = client.get(link)
            assert page.status_code == 200 and "from version 1, which you accepted, to version 2" in page.text
    finally:
        rt.engine.dispose()
