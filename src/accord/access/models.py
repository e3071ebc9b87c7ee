"""Applications are stored as their events; `application` holds who/what/when and a status cache."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base, utcnow


class Application(Base):
    """One application for one dataset. `status` and the *_at columns are a cache of the replayed events,
    written in the same transaction as each event, so the review queue can filter and sort in SQL."""

    __tablename__ = "application"
    __table_args__ = (Index("ix_application_queue", "dataset_id", "status", "submitted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"))
    applicant_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    policy_version: Mapped[int]
    status: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    # Also cached for the review queue's filters, so it never reads the answers' JSON or the events:
    organisation: Mapped[str] = mapped_column(String(200), default="")
    failed_checks: Mapped[str] = mapped_column(String(500), default="")  # ",name,other," (LIKE '%,name,%')
    escalated_at: Mapped[datetime | None]  # told every reviewer it is overdue (access.escalation), once


class ApplicationEvent(Base):
    """An append-only fact about an application. A racing second writer takes the same seq and fails."""

    __tablename__ = "application_event"
    __table_args__ = (UniqueConstraint("application_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"))
    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    at: Mapped[datetime]
    data: Mapped[dict[str, Any]]
