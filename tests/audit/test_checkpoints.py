"""Signed checkpoints catch what the chain alone cannot: a log cut short, or rewritten with fresh hashes."""

import json
import shutil
from datetime import timedelta

from sqlalchemy import delete, select, update

from accord import signing
from accord.audit import checkpoints
from accord.audit import service as audit
from accord.audit.models import AuditEvent
from accord.db import unit_of_work
from tests.test_storage import s3_bucket, s3_endpoint  # noqa: F401  (moto's server, shared)


def write_events(db, n, start=0):
    with unit_of_work(db):
        for i in range(start, start + n):
            audit.record(db, actor="tester", action="thing.done", object=("thing", i), data={"i": i})


def rewrite(db, position, data):
    """What an intruder with database access does: edit one event, then recompute every hash after it."""
    events = db.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    prev = events[position - 2].hash if position > 1 else audit.GENESIS
    with unit_of_work(db):
        for n, ev in enumerate(events[position - 1 :], position):
            new = audit.event_hash(
                prev,
                ev.at,
                ev.actor_id,
                ev.actor,
                ev.action,
                ev.object_type,
                ev.object_id,
                data if n == position else ev.data,
            )
            values = {"prev_hash": prev, "hash": new} | ({"data": data} if n == position else {})
            db.execute(update(AuditEvent).where(AuditEvent.id == ev.id).values(**values))
            prev = new
    db.expire_all()


def test_an_untouched_chain_verifies_against_every_checkpoint_and_gains_a_new_one(db_rt, db):
    write_events(db, 4)
    first = checkpoints.verify(db_rt, db)
    assert first.ok and first.checked == 0 and first.written.checkpoint.count == 4
    write_events(db, 3, start=4)
    second = checkpoints.verify(db_rt, db)
    assert second.ok and second.checked == 1 and second.written.checkpoint.count == 7
    names = [s.name for s in checkpoints.stored(db_rt)]
    assert names == [first.written.name, second.written.name] and names[0].startswith("000000000004-")
    last = db.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    assert second.written.checkpoint.hash == last


def test_deleting_the_last_five_events_fails_naming_the_checkpoint(db_rt, db):
    write_events(db, 10)
    cp = checkpoints.verify(db_rt, db).written
    newest = db.scalars(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(5)).all()
    with unit_of_work(db):
        db.execute(delete(AuditEvent).where(AuditEvent.id.in_(newest)))
    assert audit.verify(db).ok  # the chain alone cannot tell
    report = checkpoints.verify(db_rt, db)
    assert not report.ok and report.written is None  # a cut log is never vouched for
    [failure] = report.failures
    assert failure.name == cp.name
    assert failure.reason.startswith("cut:") and "10 events" in failure.reason and "now has 5" in failure.reason


def test_editing_an_event_and_recomputing_the_later_hashes_fails_at_the_checkpoint(db_rt, db):
    write_events(db, 6)
    early = checkpoints.verify(db_rt, db).written
    write_events(db, 4, start=6)
    late = checkpoints.verify(db_rt, db).written
    rewrite(db, 8, {"i": "nothing happened"})
    assert audit.verify(db).ok  # every hash recomputed: the chain is consistent again
    report = checkpoints.verify(db_rt, db)
    assert not report.ok and [f.name for f in report.failures] == [late.name]  # the early one still holds
    assert report.failures[0].reason.startswith("rewritten:") and "position 10" in report.failures[0].reason
    rewrite(db, 3, {"i": "earlier still"})
    assert [f.name for f in checkpoints.verify(db_rt, db).failures] == [early.name, late.name]


def test_a_tampered_checkpoint_file_is_refused_as_forged(db_rt, db):
    write_events(db, 10)
    cp = checkpoints.verify(db_rt, db).written
    path = db_rt.store.root / checkpoints.PREFIX / cp.name
    doc = json.loads(path.read_text())
    doc["checkpoint"]["count"] = 5  # to cover a cut of the last five
    path.write_text(json.dumps(doc))
    [found] = checkpoints.stored(db_rt)
    assert found.problem.startswith("forged:")
    report = checkpoints.verify(db_rt, db)
    assert not report.ok and report.written is None
    assert report.failures[0].name == cp.name and "does not verify" in report.failures[0].reason


def test_a_checkpoint_signed_with_another_key_is_forged_and_names_that_key(db_rt, db, tmp_path):
    write_events(db, 3)
    other = signing.ensure_keys(tmp_path / "other-keys")
    fake = checkpoints.Checkpoint(
        3,
        "f" * 64,
        db.scalar(select(AuditEvent.at).limit(1)),
        signing.fingerprint(signing.load_cert(other.cert.read_bytes())),
    )
    raw = checkpoints.document(fake, signing.sign(fake.payload(), other))
    report = checkpoints.verify(db_rt, db, extra=[("mailed.json", raw)])
    assert not report.ok and report.failures[0].name == "mailed.json"
    assert f"it names the key {fake.key}" in report.failures[0].reason


def test_an_unreadable_document_is_refused(db_rt, db):
    write_events(db, 2)
    report = checkpoints.verify(db_rt, db, extra=[("junk.json", b"not json")])
    assert not report.ok and report.failures[0].reason.startswith("unreadable")


def test_a_kept_copy_catches_a_cut_even_when_the_stored_checkpoints_are_deleted(db_rt, db):
    write_events(db, 8)
    kept = checkpoints.verify(db_rt, db).written.raw  # e.g. from the daily mail
    shutil.rmtree(db_rt.store.root / checkpoints.PREFIX)
    newest = db.scalars(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(5)).all()
    with unit_of_work(db):
        db.execute(delete(AuditEvent).where(AuditEvent.id.in_(newest)))
    assert checkpoints.verify(db_rt, db, write_checkpoint=False).ok  # nothing left in storage to compare
    report = checkpoints.verify(db_rt, db, extra=[("kept.json", kept)])
    assert not report.ok and report.failures[0].name == "kept.json"


def test_an_empty_log_writes_no_checkpoint_and_a_damaged_chain_none_either(db_rt, db):
    report = checkpoints.verify(db_rt, db)
    assert report.ok and report.written is None
    write_events(db, 3)
    second = db.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()[1]
    with unit_of_work(db):
        db.execute(update(AuditEvent).where(AuditEvent.id == second).values(data={"i": 42}))
    db.expire_all()
    report = checkpoints.verify(db_rt, db)
    assert not report.ok and not report.failures and report.written is None
    assert checkpoints.stored(db_rt) == []


def test_checkpoints_live_in_an_s3_bucket_and_are_not_garbage(tmp_path, s3_endpoint, s3_bucket):  # noqa: F811
    import boto3

    from accord import dbmigrate, storage_gc
    from accord.runtime import build
    from tests.conftest import make_settings

    rt = build(make_settings(tmp_path, storage_url=f"s3://{s3_bucket}/blobs", s3_endpoint_url=s3_endpoint))
    dbmigrate.upgrade(rt.engine)
    try:
        with rt.session() as db:
            write_events(db, 10)
            cp = checkpoints.verify(rt, db).written
            keys = [
                o["Key"]
                for o in boto3.client("s3", endpoint_url=s3_endpoint).list_objects_v2(Bucket=s3_bucket)["Contents"]
            ]
            assert keys == [f"blobs/{checkpoints.PREFIX}/{cp.name}"]
            assert [s.name for s in checkpoints.stored(rt)] == [cp.name]
            assert storage_gc.find(rt, grace=timedelta(0)).found == []
            newest = db.scalars(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(5)).all()
            with unit_of_work(db):
                db.execute(delete(AuditEvent).where(AuditEvent.id.in_(newest)))
            report = checkpoints.verify(rt, db)
        assert [f.name for f in report.failures] == [cp.name]
    finally:
        rt.engine.dispose()


def test_local_checkpoints_are_not_garbage_either(rt):
    from accord import storage_gc

    with rt.session() as db:
        write_events(db, 2)
        checkpoints.verify(rt, db)
    assert storage_gc.find(rt, grace=timedelta(0)).found == []
    assert len(checkpoints.stored(rt)) == 1
