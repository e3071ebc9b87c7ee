"""Training certificates: a person's proof of human-subjects research training, reviewed before it counts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base, utcnow


class TrainingCertificate(Base):
    """One uploaded certificate. A renewal is a new row, so the history of what was shown and decided stays."""

    __tablename__ = "training_certificate"
    __table_args__ = (Index("ix_training_certificate_user_status", "user_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id", ondelete="SET NULL"), index=True)
    # The dataset whose terms asked for it: its reviewers decide on it (a renewal has no application).
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("dataset.id", ondelete="SET NULL"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))  # the file, in the blob store
    media_type: Mapped[str] = mapped_column(String(40))  # sniffed from the bytes
    size: Mapped[int]
    filename: Mapped[str] = mapped_column(String(200), default="")
    course: Mapped[str] = mapped_column(String(200))  # the course and who issued it
    completed_on: Mapped[date]
    expires_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending | accepted | rejected
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None]
    reject_reason: Mapped[str | None] = mapped_column(Text)
    expiry_warned_at: Mapped[datetime | None]  # the holder was told it runs out soon (once)
