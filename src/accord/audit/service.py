"""Tamper-evident audit log: every state change appends one event chained to the one before."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from accord.audit.models import AuditEvent
from accord.db import utcnow

GENESIS = "0" * 64


def _actor(actor) -> tuple[int | None, str]:
    if actor is None:
        return None, "system"
    if isinstance(actor, str):
        return None, actor
    return actor.id, actor.email


def event_hash(prev_hash: str, at: datetime, actor_id: int | None, actor: str, action: str,
               object_type: str, object_id: str, data: dict) -> str:
    body = json.dumps(
        [prev_hash, at.isoformat(timespec="microseconds"), actor_id, actor, action, object_type, object_id,
         data], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def record(db: Session, *, actor, action: str, object: tuple[str, object], data: dict | None = None,
           at: datetime | None = None) -> AuditEvent:
    """Append one event inside the caller's transaction (never commits)."""
    if db.get_bind().dialect.name == "postgresql":
        # Serialise appenders so the chain never forks; released at commit or rollback.
        db.execute(text("SELECT pg_advisory_xact_lock(7316001)"))
    prev = db.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) or GENESIS
    actor_id, actor_label = _actor(actor)
    at = (at or utcnow()).astimezone(timezone.utc)
    data = json.loads(json.dumps(data or {}, default=str))  # what the database will give back
    object_type, object_id = object[0], str(object[1])
    ev = AuditEvent(at=at, actor_id=actor_id, actor=actor_label, action=action, object_type=object_type,
                    object_id=object_id, data=data, prev_hash=prev,
                    hash=event_hash(prev, at, actor_id, actor_label, action, object_type, object_id, data))
    db.add(ev)
    db.flush()
    return ev


@dataclass
class Verification:
    ok: bool
    checked: int
    bad_event_id: int | None = None
    reason: str = ""


def verify(db: Session) -> Verification:
    """Recompute every hash in order; report the first event whose content or link was altered."""
    prev = GENESIS
    n = 0
    rows = db.execute(select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=1000)).scalars()
    for ev in rows:
        n += 1
        if ev.prev_hash != prev:
            return Verification(False, n, ev.id, "the chain is broken before this event (deleted or reordered)")
        expected = event_hash(ev.prev_hash, ev.at, ev.actor_id, ev.actor, ev.action, ev.object_type,
                              ev.object_id, ev.data)
        if expected != ev.hash:
            return Verification(False, n, ev.id, "this event was edited after it was written")
        prev = ev.hash
    return Verification(True, n)


def recent(db: Session, *, limit: int = 100, object: tuple[str, object] | None = None) -> list[AuditEvent]:
    q = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if object:
        q = q.where(AuditEvent.object_type == object[0], AuditEvent.object_id == str(object[1]))
    return list(db.scalars(q))
