from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base


class AuditEvent(Base):
    """One state change. Each row carries the hash of the one before; a unique prev_hash stops forks.

    `dataset_id` says which dataset the event is about, for the curators' view of the log. It is an index beside
    the chain, not part of the hash (adding it to the hash would have broken every older event): audit.record
    writes it into `data` as well, so for events recorded since it exists the hashed content says the same
    (tests/audit/test_export.py); older events got it from the rows they name, by the migration."""

    __tablename__ = "audit_event"
    # Keyset pages (newest first) per dataset and per actor, and time ranges.
    __table_args__ = (
        Index("ix_audit_event_dataset_id", "dataset_id", "id"),
        Index("ix_audit_event_actor", "actor", "id"),
        Index("ix_audit_event_at", "at"),
        Index("ix_audit_event_object", "object_type", "object_id"),  # an object's history, a person's record
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None]  # no foreign key: the log outlives deleted accounts
    actor: Mapped[str] = mapped_column(String(320))  # e-mail or "system" / "cli", readable without joins
    action: Mapped[str] = mapped_column(String(100), index=True)
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[str] = mapped_column(String(100))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    dataset_id: Mapped[int | None]  # no foreign key either: the log outlives deleted datasets
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
