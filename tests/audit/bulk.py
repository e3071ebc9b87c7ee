"""Many audit events at once: the chain computed here and written in one INSERT, for tests about the log's
size (audit.record would take a query or two per event)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from accord.audit import service as audit
from accord.audit.models import AuditEvent
from accord.db import unit_of_work

START = datetime(2026, 1, 1, tzinfo=UTC)


def bulk_events(db, n: int, *, datasets=(1, 2, None), actors=("ada@lab.example", "cli", "jobs"), start=START):
    """`n` chained events after the existing ones, one a minute from `start`: actions cycle through
    `thing.made`, `thing.changed`, `other.done`; datasets and actors cycle through the given ones."""
    prev = db.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) or audit.GENESIS
    rows = []
    actions = ("thing.made", "thing.changed", "other.done")
    for i in range(n):
        at = start + timedelta(minutes=i)
        actor, action, dataset = actors[i % len(actors)], actions[i % 3], datasets[i % len(datasets)]
        data = {"i": i} if dataset is None else {"i": i, "dataset_id": dataset}
        digest = audit.event_hash(prev, at, None, actor, action, "thing", str(i), data)
        rows.append(
            {
                "at": at,
                "actor_id": None,
                "actor": actor,
                "action": action,
                "object_type": "thing",
                "object_id": str(i),
                "data": data,
                "dataset_id": dataset,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    with unit_of_work(db):
        for i in range(0, len(rows), 2000):
            db.execute(insert(AuditEvent), rows[i : i + 2000])
