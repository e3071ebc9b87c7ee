"""Tamper-evident audit log: every state change appends one event chained to the one before."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from accord.audit import browse, checkpoints, export
from accord.audit.chain import GENESIS as GENESIS
from accord.audit.chain import Verification as Verification
from accord.audit.chain import dataset_of as dataset_of
from accord.audit.chain import event_hash as event_hash
from accord.audit.chain import verify as verify
from accord.audit.models import AuditEvent
from accord.db import utcnow

# Re-exported under the door's names. Assigned, since the type checker counts a renamed import as private.
count_events = checkpoints.events
stored_checkpoints = checkpoints.stored
verify_with_checkpoints = checkpoints.verify
# Browsing the log in pages (audit/browse.py) and exporting it for an offline check (audit/export.py).
EVERYTHING = browse.EVERYTHING
MAX_PER_PAGE = browse.MAX_PER_PAGE
PER_PAGE = browse.PER_PAGE
Filters = browse.Filters
Page = browse.Page
Scope = browse.Scope
filters = browse.filters
page = browse.page
scope_of = browse.scope_of
summary = browse.summary
ExportCheck = export.Checked
check_export = export.check
export_lines = export.lines


class Actor(Protocol):
    """Who acted, as the log names them (an identity User; audit imports no domain)."""

    @property
    def id(self) -> int: ...
    @property
    def email(self) -> str: ...


def _actor(actor: Actor | str | None) -> tuple[int | None, str]:
    if actor is None:
        return None, "system"
    if isinstance(actor, str):
        return None, actor
    return actor.id, actor.email


def record(
    db: Session,
    *,
    actor: Actor | str | None,
    action: str,
    object: tuple[str, object],
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
    dataset: int | None = None,
) -> AuditEvent:
    """Append one event inside the caller's transaction (never commits). `dataset`: the dataset it is about,
    for the curators' view; without it, an object ("dataset", id) or a `dataset_id` in `data` says so."""
    if db.get_bind().dialect.name == "postgresql":
        # Serialise appenders so the chain never forks; released at commit or rollback.
        db.execute(text("SELECT pg_advisory_xact_lock(7316001)"))
    prev = db.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) or GENESIS
    actor_id, actor_label = _actor(actor)
    at = (at or utcnow()).astimezone(UTC)
    data = json.loads(json.dumps(data or {}, default=str))  # what the database will give back
    object_type, object_id = object[0], str(object[1])
    if dataset is not None:
        data["dataset_id"] = dataset  # hashed with the rest: the column beside it is only an index
    dataset_id = dataset_of(object_type, object_id, data)
    ev = AuditEvent(
        at=at,
        actor_id=actor_id,
        actor=actor_label,
        action=action,
        object_type=object_type,
        object_id=object_id,
        data=data,
        dataset_id=dataset_id,
        prev_hash=prev,
        hash=event_hash(prev, at, actor_id, actor_label, action, object_type, object_id, data),
    )
    db.add(ev)
    db.flush()
    return ev


def recent(db: Session, *, limit: int = 100, object: tuple[str, object] | None = None) -> list[AuditEvent]:
    q = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if object:
        q = q.where(AuditEvent.object_type == object[0], AuditEvent.object_id == str(object[1]))
    return list(db.scalars(q))


def about_user(db: Session, user_id: int) -> list[AuditEvent]:
    """The events about one account (its sign-ins, password, roles, e-mail confirmation), newest first."""
    query = select(AuditEvent).where(AuditEvent.object_type == "user", AuditEvent.object_id == str(user_id))
    return list(db.scalars(query.order_by(AuditEvent.id.desc())))
