from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base, utcnow


class Entitlement(Base):
    """A grant of one dataset to one licensee, for the unit or site named in their application."""

    __tablename__ = "entitlement"
    __table_args__ = (Index("ix_entitlement_user_dataset", "user_id", "dataset_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id", ondelete="SET NULL"), unique=True)
    policy_version: Mapped[int]  # the terms the licensee agreed to
    version_id: Mapped[int | None] = mapped_column(ForeignKey("dataset_version.id", ondelete="CASCADE"))
    # version_id NULL: every published version, current and future (when the terms cover future versions)
    unit: Mapped[str] = mapped_column(String(300), default="")  # where the data may live
    networks: Mapped[list[str]] = mapped_column(JSON, default=list)  # CIDR ranges of that site; empty: anywhere
    # Units added later by approved requests (obligations): [{"unit", "networks", "request_id", "at"}]
    added_units: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    starts_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    expiry_warned_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    # What a curator decided about a revocation afterwards (entitlements.standing): "permanent" (no new
    # application) or "lifted" (applications may be approved automatically again); NULL: undecided, so
    # a person reviews every new application.
    standing: Mapped[str | None] = mapped_column(String(20))
    standing_at: Mapped[datetime | None]
    standing_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    standing_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
