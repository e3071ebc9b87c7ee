"""The audit log's hash chain: how an event's hash is made, and checking the whole chain in order."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.audit.models import AuditEvent

GENESIS = "0" * 64


def event_hash(
    prev_hash: str,
    at: datetime,
    actor_id: int | None,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    data: dict[str, Any],
) -> str:
    body = json.dumps(
        [prev_hash, at.isoformat(timespec="microseconds"), actor_id, actor, action, object_type, object_id, data],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def dataset_of(object_type: str, object_id: str, data: dict[str, Any]) -> int | None:
    """The dataset an event's hashed content names: its object, or a `dataset_id` in its data."""
    named = data.get("dataset_id")
    if isinstance(named, int) and not isinstance(named, bool):
        return named
    if object_type == "dataset" and object_id.isdigit():
        return int(object_id)
    return None


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
        expected = event_hash(
            ev.prev_hash, ev.at, ev.actor_id, ev.actor, ev.action, ev.object_type, ev.object_id, ev.data
        )
        if expected != ev.hash:
            return Verification(False, n, ev.id, "this event was edited after it was written")
        prev = ev.hash
    return Verification(True, n)
