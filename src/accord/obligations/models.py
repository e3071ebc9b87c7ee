"""A licensee's obligations after the download, each a row with a status: what they declared, asked or
published, and what the custodian answered."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base, utcnow


class Derivative(Base):
    """New annotations, a subset, a processed copy or a trained model made from a version of a dataset."""

    __tablename__ = "derivative"
    __table_args__ = (Index("ix_derivative_dataset_status", "dataset_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("dataset_version.id", ondelete="CASCADE"))
    entitlement_id: Mapped[int | None] = mapped_column(ForeignKey("entitlement.id", ondelete="SET NULL"))
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # annotations | subset | processed | model | other
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    relation: Mapped[str] = mapped_column(Text, default="")  # how it relates to the original
    location: Mapped[str] = mapped_column(String(500), default="")  # where it lives (a URL, or words)
    licence: Mapped[str] = mapped_column(String(300), default="")
    authors: Mapped[str] = mapped_column(String(500), default="")  # the credit, if it is listed
    citation: Mapped[str] = mapped_column(Text, default="")  # how its users must cite the original
    wants_listing: Mapped[bool] = mapped_column(Boolean, default=False)  # the authors agree to be listed
    # recorded (no approval needed) | pending | approved | refused | withdrawn
    status: Mapped[str] = mapped_column(String(12))
    listed: Mapped[bool] = mapped_column(Boolean, default=False)  # on the dataset's public page
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApprovalRequest(Base):
    """A licensee's request to do what the terms allow only with the custodian's approval."""

    __tablename__ = "approval_request"
    __table_args__ = (Index("ix_approval_request_dataset_status", "dataset_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"))
    entitlement_id: Mapped[int] = mapped_column(ForeignKey("entitlement.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))  # modify | redistribute | unit | commercial
    description: Mapped[str] = mapped_column(Text)
    party_name: Mapped[str] = mapped_column(String(300), default="")  # redistribute: who receives it
    party_email: Mapped[str] = mapped_column(String(320), default="", index=True)
    unit: Mapped[str] = mapped_column(String(300), default="")  # unit: the other unit of the organisation
    networks: Mapped[list[str]] = mapped_column(JSON, default=list)  # unit: that unit's CIDR ranges
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | approved | refused | withdrawn
    conditions: Mapped[str] = mapped_column(Text, default="")  # what an approval is subject to
    granted_networks: Mapped[list[str]] = mapped_column(JSON, default=list)  # unit: what the approval allowed
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Publication(Base):
    """A paper that used a version of the dataset, registered by a licensee (its identifiers checked for form)."""

    __tablename__ = "publication"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("dataset_version.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    doi: Mapped[str | None] = mapped_column(String(200))
    arxiv: Mapped[str | None] = mapped_column(String(40))
    year: Mapped[int | None]
    venue: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PublicationAsk(Base):
    """A reminder sent to a licensee to register their publications (by a curator, or by the terms' schedule)."""

    __tablename__ = "publication_ask"
    __table_args__ = (Index("ix_publication_ask_entitlement_at", "entitlement_id", "asked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entitlement_id: Mapped[int] = mapped_column(ForeignKey("entitlement.id", ondelete="CASCADE"))
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
