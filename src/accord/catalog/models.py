from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accord.db import Base, utcnow

VERSION_STATES = ("draft", "published", "withdrawn")


class Dataset(Base):
    __tablename__ = "dataset"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    custodian: Mapped[str] = mapped_column(String(300))  # the organisation holding the rights
    custodian_short: Mapped[str] = mapped_column(String(60), default="", server_default="")  # "HUST"; clauses
    # name the custodian in full once, then by this
    custodian_contact: Mapped[str] = mapped_column(String(300), default="", server_default="")  # e-mail addresses
    # (or a contact page), comma-separated: where clauses send what Accord cannot take in yet
    summary: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    homepage: Mapped[str | None] = mapped_column(String(500))
    modalities: Mapped[list[str]] = mapped_column(JSON, default=list)  # e.g. ["visible", "infrared"]
    subject_count: Mapped[int | None]  # identities / people, as declared by the custodian
    image_count: Mapped[int | None]  # images in the full release, as declared
    citation_bibtex: Mapped[str] = mapped_column(Text, default="")
    terms_summary: Mapped[str] = mapped_column(Text, default="")  # plain words; the policy model replaces it
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    versions: Mapped[list[DatasetVersion]] = relationship(
        back_populates="dataset", order_by="DatasetVersion.id", cascade="all, delete-orphan"
    )


class DatasetVersion(Base):
    """draft → published → withdrawn. Once published, its items and manifest never change."""

    __tablename__ = "dataset_version"
    __table_args__ = (UniqueConstraint("dataset_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    notes: Mapped[str] = mapped_column(Text, default="")
    file_count: Mapped[int] = mapped_column(default=0)
    total_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    root_hash: Mapped[str | None] = mapped_column(String(64))  # sha256 over the manifest lines
    manifest_sha256: Mapped[str | None] = mapped_column(String(64))  # the manifest file's blob
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ingested_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    # The ingest report: files whose names or contents a licensee should know about (catalog/checks.py).
    ingest_flags: Mapped[list[dict[str, str]]] = mapped_column(
        JSON, default=list
    )  # [{"path", "problem"}], at most checks.MAX_FLAGS
    ingest_flag_count: Mapped[int] = mapped_column(default=0)

    dataset: Mapped[Dataset] = relationship(back_populates="versions")


class Item(Base):
    __tablename__ = "item"
    __table_args__ = (UniqueConstraint("version_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("dataset_version.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(1000))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    subject: Mapped[str | None] = mapped_column(String(200))  # identity / person label
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)  # scene, modality, camera, ...
    preview: Mapped[bool] = mapped_column(default=False)  # part of the public preview subset


Index("ix_item_sha256", Item.sha256)
Index("ix_item_version_subject", Item.version_id, Item.subject)
Index("ix_item_version_preview", Item.version_id, Item.preview)
