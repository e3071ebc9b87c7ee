from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from accord.db import MAX_INT


class EntitlementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    dataset_id: int
    user_id: int
    application_id: int | None
    policy_version: int
    version_id: int | None
    unit: str
    networks: list[str]
    starts_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    revoke_reason: str | None


class RevokeIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class ReacceptIn(BaseModel):
    version: int = Field(ge=1, le=MAX_INT, description="the terms version the licensee read and accepts (the current one)")
    signed_as: str = Field("", max_length=200, description="the licensee's typed full name, kept in the audit log")
