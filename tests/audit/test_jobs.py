"""The scheduled checkpoints: hourly into storage, daily by mail to the admins (through the outbox, real SMTP)."""

import json
import shutil
import subprocess
from datetime import datetime

import pytest
from sqlalchemy import delete, select

from accord import dbmigrate, signing
from accord.audit import checkpoints
from accord.audit.models import AuditEvent
from accord.config import Smtp
from accord.db import unit_of_work, utcnow
from accord.identity import service as identity
from accord.identity.models import User
from accord.notify import service as notify
from accord.notify.models import OutboxMessage
from accord.runtime import build
from tests.audit.test_checkpoints import write_events
from tests.conftest import make_settings


@pytest.fixture
def mail_rt(tmp_path, smtp_server):
    rt = build(
        make_settings(
            tmp_path, smtp=Smtp(host=smtp_server.host, port=smtp_server.port), audit_mail_to=["Records@Archive.example"]
        )
    )
    dbmigrate.upgrade(rt.engine)
    with rt.session() as db:
        identity.create_user(db, email="ada@lab.example", name="Ada", password="a long passphrase!", roles=["admin"])
        gone = identity.create_user(
            db, email="gone@lab.example", name="Gone", password="a long passphrase!", roles=["admin"]
        )
        identity.create_user(db, email="ana@mit.edu", name="Ana", password="a long passphrase!")
        with unit_of_work(db):
            db.get(User, gone.id).disabled_at = utcnow()
    yield rt
    rt.engine.dispose()


def run_periodic(rt, name, at):
    due = [t for t in rt.huey.read_periodic(at) if t.name.endswith(name)]
    assert len(due) == 1, f"{name} is not due at {at}"
    return rt.huey.execute(due[0])


def document_in(body: str) -> bytes:
    body = body.replace("\r\n", "\n")
    start = body.index("{\n")
    return body[start : body.index("\n}\n", start) + 3].encode()


def test_the_checkpoint_job_runs_hourly_and_stores_a_signed_checkpoint(mail_rt):
    assert not [
        t for t in mail_rt.huey.read_periodic(datetime(2026, 12, 7, 3, 0)) if t.name.endswith("audit_checkpoint")
    ]
    report = run_periodic(mail_rt, "audit_checkpoint", datetime(2026, 12, 7, 3, 40))
    assert report.ok and [s.name for s in checkpoints.stored(mail_rt)] == [report.written.name]
    with mail_rt.session() as db:
        assert report.written.checkpoint.count == db.query(AuditEvent).count()


def test_the_daily_mail_carries_the_signed_checkpoint_to_admins_and_witnesses(mail_rt, smtp_server):
    run_periodic(mail_rt, "audit_checkpoint_mail", datetime(2026, 12, 7, 5, 30))
    assert notify.send_due(mail_rt).sent == 2
    assert sorted(to for _, [to] in smtp_server.inbox.envelopes) == ["ada@lab.example", "records@archive.example"]
    [mail] = smtp_server.inbox.to("ada@lab.example")
    assert "Audit log checkpoint" in mail["Subject"] and "events verified" in mail["Subject"]
    body = mail.get_body(preferencelist=("plain",)).get_content()
    kept = document_in(body)
    assert "accord audit verify --checkpoint FILE" in body
    [stored] = checkpoints.stored(mail_rt)
    assert kept == stored.raw  # the very document in storage, signature included
    with mail_rt.session() as db:
        logged = db.scalar(select(AuditEvent).where(AuditEvent.action == "audit.checkpoint_mailed"))
        assert logged.data["checkpoint"] == stored.name and sorted(logged.data["to"]) == [
            "ada@lab.example",
            "records@archive.example",
        ]
        # The copy from the mail still catches a cut after the stored checkpoints are gone.
        for name in checkpoints.shelf(mail_rt.store).names():
            (mail_rt.store.root / checkpoints.PREFIX / name).unlink()
        # Four: the three written since (mailed, sent twice) and one the checkpoint covers.
        newest = db.scalars(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(4)).all()
        with unit_of_work(db):
            db.execute(delete(AuditEvent).where(AuditEvent.id.in_(newest)))
        report = checkpoints.verify(mail_rt, db, extra=[("mailed.json", kept)])
    assert not report.ok and report.failures[0].name == "mailed.json"


def test_the_daily_mail_goes_once_a_day_however_often_the_job_runs(mail_rt):
    run_periodic(mail_rt, "audit_checkpoint_mail", datetime(2026, 12, 7, 5, 30))
    run_periodic(mail_rt, "audit_checkpoint_mail", datetime(2026, 12, 7, 5, 30))
    with mail_rt.session() as db:
        sent = db.scalars(select(OutboxMessage.to).where(OutboxMessage.template == "audit-checkpoint")).all()
    assert sorted(sent) == ["ada@lab.example", "records@archive.example"]


def test_an_altered_log_is_mailed_as_such_and_gets_no_new_checkpoint(mail_rt, smtp_server):
    with mail_rt.session() as db:
        write_events(db, 6)
        cp = checkpoints.verify(mail_rt, db).written
        newest = db.scalars(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(5)).all()
        with unit_of_work(db):
            db.execute(delete(AuditEvent).where(AuditEvent.id.in_(newest)))
    run_periodic(mail_rt, "audit_checkpoint_mail", datetime(2026, 12, 7, 5, 30))
    notify.send_due(mail_rt)
    [mail] = smtp_server.inbox.to("ada@lab.example")
    assert "FAILED verification" in mail["Subject"]
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert f"Checkpoint {cp.name}: cut:" in body
    assert [s.name for s in checkpoints.stored(mail_rt)] == [cp.name]


@pytest.mark.skipif(not (shutil.which("openssl") and shutil.which("jq")), reason="needs openssl and jq")
def test_the_mailed_recipe_checks_the_signature_without_accord(mail_rt, smtp_server, tmp_path):
    run_periodic(mail_rt, "audit_checkpoint_mail", datetime(2026, 12, 7, 5, 30))
    notify.send_due(mail_rt)
    [mail] = smtp_server.inbox.to("ada@lab.example")
    body = mail.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    recipe = [line.strip() for line in body.splitlines() if line.startswith(("    jq ", "    openssl "))]
    assert len(recipe) == 2 and "/api/v1/signing-key" in body
    pem = signing.platform_keys(mail_rt.settings.data_dir).cert.read_bytes()
    (tmp_path / "accord-signing.pem").write_bytes(pem + signing.public_pem(signing.load_cert(pem)))  # as served
    (tmp_path / "FILE").write_bytes(document_in(body))

    def check():
        return subprocess.run(
            " && ".join(recipe), shell=True, cwd=tmp_path, capture_output=True, text=True, check=False
        )

    done = check()
    assert done.returncode == 0 and "Verified OK" in done.stdout, done.stderr
    doc = json.loads(document_in(body))
    doc["checkpoint"]["count"] -= 1
    (tmp_path / "FILE").write_text(json.dumps(doc))
    assert check().returncode != 0
