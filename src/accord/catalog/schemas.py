"""Shapes in and out of the catalogue, shared by web, API and CLI."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from accord.db import MAX_INT32


class DatasetCard(BaseModel):
    """One row of the catalogue listing."""

    slug: str
    title: str
    custodian: str
    summary: str
    modalities: list[str]
    subject_count: int | None
    image_count: int | None
    latest_version: str | None  # label of the newest published version (newest draft with include_drafts)
    file_count: int
    total_bytes: int
    has_preview: bool


class DatasetIn(BaseModel):
    slug: str
    title: str
    custodian: str
    custodian_short: str = ""  # how clauses name the custodian after the first mention, e.g. HUST
    custodian_contact: str = ""  # e-mail addresses or a contact page, comma-separated
    summary: str = ""
    description: str = ""
    homepage: str | None = None
    modalities: list[str] = Field(default_factory=list)
    subject_count: int | None = Field(None, ge=0, le=MAX_INT32)
    image_count: int | None = Field(None, ge=0, le=MAX_INT32)
    citation_bibtex: str = ""
    terms_summary: str = ""


class VersionIn(BaseModel):
    label: str
    notes: str = ""


class WithdrawIn(BaseModel):
    reason: str


class VersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    label: str
    status: str
    notes: str
    file_count: int
    total_bytes: int
    root_hash: str | None
    manifest_sha256: str | None
    created_at: datetime
    ingested_at: datetime | None
    published_at: datetime | None
    withdrawn_at: datetime | None
    withdrawn_reason: str | None


class DatasetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    slug: str
    title: str
    custodian: str
    custodian_short: str
    custodian_contact: str
    summary: str
    description: str
    homepage: str | None
    modalities: list[str]
    subject_count: int | None
    image_count: int | None
    citation_bibtex: str
    terms_summary: str
    created_at: datetime
    versions: list[VersionOut] = Field(default_factory=list)


class ItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    path: str
    size: int
    sha256: str
    media_type: str
    subject: str | None
    attributes: dict[str, Any]
    preview: bool


class IngestResult(BaseModel):
    version_id: int
    file_count: int
    total_bytes: int
    root_hash: str
    new_blobs: int  # blobs this ingest added to the catalogue, the manifest included (the rest were known)
    seconds: float
    flags: list[dict[str, str]] = Field(default_factory=list)  # {"path", "problem"}: see catalog/checks.py
    flag_count: int = 0
