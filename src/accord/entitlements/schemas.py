from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from accord.db import MAX_INT


class AddedUnit(BaseModel):
    unit: str
    networks: list[str]
    request_id: int
    at: datetime


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
    added_units: list[AddedUnit] = Field(default_factory=list, description="units added by approved requests")
    starts_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    revoke_reason: str | None
    standing: Literal["permanent", "lifted"] | None = Field(
        None, description="a curator's decision on the revocation: permanent (no applying again) or lifted"
    )
    standing_at: datetime | None = None
    standing_reason: str | None = None


class RevokeIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class StandingIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="kept with the revocation; the licensee is told")


class RevocationOut(BaseModel):
    """An earlier revocation of the applicant's access to the dataset, shown to its reviewers."""

    model_config = ConfigDict(from_attributes=True)

    grant_id: int
    revoked_at: datetime
    revoked_by: str
    reason: str
    standing: Literal["permanent", "lifted"] | None = Field(
        description="undecided (null): a person reviews each new application; permanent; lifted"
    )
    standing_at: datetime | None
    standing_by: str | None
    standing_reason: str | None


class ReacceptIn(BaseModel):
    version: int = Field(
        ge=1, le=MAX_INT, description="the terms version the licensee read and accepts (the current one)"
    )
    signed_as: str = Field("", max_length=200, description="the licensee's typed full name, kept in the audit log")
