from sqlalchemy import update

from accord.audit import service as audit
from accord.audit.models import AuditEvent
from accord.db import unit_of_work


def _write(db, n=3):
    with unit_of_work(db):
        for i in range(n):
            audit.record(db, actor="tester", action="thing.done", object=("thing", i), data={"i": i})


def test_a_fresh_chain_verifies(db):
    _write(db)
    result = audit.verify(db)
    assert result.ok and result.checked == 3


def test_each_event_carries_the_hash_of_the_one_before(db):
    _write(db)
    events = db.query(AuditEvent).order_by(AuditEvent.id).all()
    assert events[0].prev_hash == audit.GENESIS
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]


def test_editing_an_event_is_detected_at_that_event(db):
    _write(db)
    second = db.query(AuditEvent).order_by(AuditEvent.id).all()[1]
    with unit_of_work(db):
        db.execute(update(AuditEvent).where(AuditEvent.id == second.id).values(data={"i": 99}))
    db.expire_all()
    result = audit.verify(db)
    assert not result.ok and result.bad_event_id == second.id and "edited" in result.reason


def test_deleting_an_event_breaks_the_chain(db):
    _write(db)
    second = db.query(AuditEvent).order_by(AuditEvent.id).all()[1]
    with unit_of_work(db):
        db.delete(second)
    result = audit.verify(db)
    assert not result.ok and "broken" in result.reason


def test_a_rolled_back_change_leaves_no_audit_event(db):
    try:
        with unit_of_work(db):
            audit.record(db, actor="tester", action="x", object=("thing", 1))
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert db.query(AuditEvent).count() == 0
