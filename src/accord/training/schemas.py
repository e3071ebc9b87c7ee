"""Training certificate shapes for the API and the CLI."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class CertificateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    application_id: int | None
    dataset_id: int | None
    course: str
    completed_on: date
    expires_on: date
    status: str  # pending | accepted | rejected
    media_type: str
    size: int
    sha256: str
    uploaded_at: datetime
    reviewed_by_id: int | None
    reviewed_at: datetime | None
    reject_reason: str | None
    holder_email: str | None = None  # filled in by the API


class CertificateRejectIn(BaseModel):
    reason: str = Field(max_length=2000)
