"""The outbox: written with the change that caused it, sent later, kept and retried while SMTP is down."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from accord import dbmigrate
from accord.audit.models import AuditEvent
from accord.config import Smtp
from accord.db import unit_of_work, utcnow
from accord.notify import service as notify
from accord.notify.models import OutboxMessage
from accord.runtime import build
from tests.conftest import make_settings
from tests.smtp import SmtpServer, free_port, text_of

CONTEXT = {
    "name": "Ada",
    "email": "ada@example.org",
    "link": "http://testserver/verify-email?token=abc",
    "site": "http://testserver",
    "valid_days": 2,
}


def _runtime(tmp_path, **overrides):
    rt = build(make_settings(tmp_path, **overrides))
    dbmigrate.upgrade(rt.engine)
    return rt


def _enqueue(rt, to="ada@example.org"):
    with rt.session() as db, unit_of_work(db):
        return notify.enqueue(db, "verify-email", to=to, **CONTEXT).id


def _message(rt, msg_id) -> OutboxMessage:
    with rt.session() as db:
        return db.get(OutboxMessage, msg_id)


def test_enqueue_renders_text_and_html_and_leaves_the_commit_to_the_caller(db):
    msg = notify.enqueue(db, "verify-email", to="ada@example.org", **CONTEXT)
    assert msg.subject == "Confirm your e-mail address for Accord"
    assert CONTEXT["link"] in msg.text_body and CONTEXT["link"] in msg.html_body
    assert not msg.text_body.startswith("Subject:")
    db.rollback()  # the caller's transaction failed: the e-mail goes with it
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_missing_template_variable_is_an_error_not_a_blank_in_the_mail(db):
    with pytest.raises(Exception, match="link"):
        notify.enqueue(
            db, "verify-email", to="ada@example.org", name="Ada", email="ada@example.org", site="x", valid_days=2
        )


def test_due_messages_are_delivered_over_smtp_and_marked_sent(tmp_path, smtp_server):
    rt = _runtime(tmp_path, smtp=Smtp(host=smtp_server.host, port=smtp_server.port, sender="Accord <a@lab.example>"))
    msg_id = _enqueue(rt)
    report = notify.send_due(rt)
    assert (report.sent, report.failed) == (1, 0)
    [mail] = smtp_server.messages
    assert mail["To"] == "ada@example.org" and mail["From"] == "Accord <a@lab.example>"
    assert mail["Subject"] == "Confirm your e-mail address for Accord"
    assert CONTEXT["link"] in text_of(mail)
    assert mail.get_body(preferencelist=("html",)) is not None
    row = _message(rt, msg_id)
    assert row.sent_at is not None and row.attempts == 1 and row.last_error is None
    assert notify.send_due(rt).sent == 0  # never sent twice
    assert len(smtp_server.messages) == 1
    with rt.session() as db:
        assert db.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1)) == "email.sent"


def test_when_smtp_is_down_the_message_is_kept_and_delivered_once_the_server_is_back(tmp_path):
    port = free_port()  # nothing listens here yet
    rt = _runtime(tmp_path, smtp=Smtp(host="127.0.0.1", port=port))
    msg_id = _enqueue(rt)
    now = utcnow()

    report = notify.send_due(rt, now=now)
    assert (report.sent, report.failed) == (0, 1)
    row = _message(rt, msg_id)
    assert row.sent_at is None and row.attempts == 1
    assert "ConnectionRefused" in row.last_error
    assert row.next_attempt_at == now + notify.backoff(1)

    server = SmtpServer(port=port).start()
    try:
        assert notify.send_due(rt, now=now + timedelta(seconds=30)).sent == 0  # not due yet
        assert notify.send_due(rt, now=now + notify.backoff(1)).sent == 1
    finally:
        server.stop()
    row = _message(rt, msg_id)
    assert row.sent_at is not None and row.attempts == 2 and row.last_error is None
    assert len(server.messages) == 1 and CONTEXT["link"] in text_of(server.messages[0])


def test_a_batch_stops_at_the_first_connection_failure_and_counts_one_attempt(tmp_path):
    rt = _runtime(tmp_path, smtp=Smtp(host="127.0.0.1", port=free_port()))
    ids = [_enqueue(rt, to=f"p{i}@example.org") for i in range(3)]
    report = notify.send_due(rt)
    assert report.failed == 1
    assert [_message(rt, i).attempts for i in ids] == [1, 0, 0]


def test_retries_back_off_exponentially_up_to_six_hours():
    assert [notify.backoff(n) for n in (1, 2, 3)] == [timedelta(minutes=m) for m in (1, 2, 4)]
    assert notify.backoff(30) == timedelta(hours=6)


def test_a_message_claimed_by_one_sender_is_not_taken_by_another(tmp_path):
    rt = _runtime(tmp_path)
    msg_id = _enqueue(rt)
    now = utcnow()
    with rt.session() as db:
        assert notify._claim(db, msg_id, now) is not None
        assert notify._claim(db, msg_id, now) is None
        assert notify._claim(db, msg_id, now + notify.CLAIM_LEASE) is not None  # a crashed sender's claim ends


def test_console_mode_prints_the_mail_and_records_it_as_sent(tmp_path, capsys):
    rt = _runtime(tmp_path, smtp_url="console://")
    msg_id = _enqueue(rt)
    assert notify.send_due(rt).sent == 1
    printed = capsys.readouterr().err
    assert "e-mail to ada@example.org" in printed and CONTEXT["link"] in printed
    assert _message(rt, msg_id).sent_at is not None


def test_demo_mode_without_an_smtp_url_uses_the_console_and_an_smtp_url_configures_smtp(tmp_path):
    assert make_settings(tmp_path, demo=True).mail_to_console
    s = make_settings(tmp_path, smtp_url="smtp+starttls://bob:p%40ss@mail.lab.example:587?sender=Lab%20<l@x.org>")
    assert not s.mail_to_console
    assert (s.smtp.host, s.smtp.port, s.smtp.username, s.smtp.starttls, s.smtp.sender) == (
        "mail.lab.example",
        587,
        "bob",
        True,
        "Lab <l@x.org>",
    )
    assert s.smtp.password.get_secret_value() == "p@ss"
    with pytest.raises(ValueError, match="ACCORD_SMTP_URL"):
        make_settings(tmp_path, smtp_url="http://mail.example")
