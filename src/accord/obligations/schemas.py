"""Obligation shapes for the API and the CLI."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from accord.http.params import MAX_INT


class DerivativeIn(BaseModel):
    kind: str = Field(max_length=20, description="annotations | subset | processed | model | other")
    title: str = Field(max_length=300)
    description: str = Field(default="", max_length=4000)
    relation: str = Field(default="", max_length=4000, description="how it relates to the original")
    location: str = Field(default="", max_length=500)
    licence: str = Field(default="", max_length=300)
    authors: str = Field(default="", max_length=500)
    wants_listing: bool = False
    version: str | None = Field(default=None, max_length=100)


class DerivativeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    dataset_id: int
    version_id: int
    kind: str
    title: str
    description: str
    relation: str
    location: str
    licence: str
    authors: str
    citation: str  # how its users must cite the original
    wants_listing: bool
    status: str  # recorded | pending | approved | refused | withdrawn
    listed: bool
    decision_note: str
    created_at: datetime
    decided_at: datetime | None


class ListedDerivativeOut(BaseModel):
    """What the public sees of a listed derivative."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    title: str
    relation: str
    location: str
    licence: str
    authors: str
    citation: str


class DerivativeDecisionIn(BaseModel):
    decision: str = Field(max_length=10, description="approve | refuse")
    note: str = Field(default="", max_length=2000)
    listed: bool = False


class ListingIn(BaseModel):
    listed: bool


class ApprovalIn(BaseModel):
    kind: str = Field(max_length=20, description="modify | redistribute | unit | commercial")
    description: str = Field(max_length=4000)
    party_name: str = Field(default="", max_length=300)
    party_email: str = Field(default="", max_length=320)
    unit: str = Field(default="", max_length=300)
    networks: list[str] = Field(default_factory=list, max_length=64)


class ApprovalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    dataset_id: int
    entitlement_id: int
    kind: str
    description: str
    party_name: str
    party_email: str
    unit: str
    networks: list[str]
    status: str  # pending | approved | refused | withdrawn
    conditions: str
    granted_networks: list[str]
    decision_note: str
    created_at: datetime
    decided_at: datetime | None


class ApprovalDecisionIn(BaseModel):
    decision: str = Field(max_length=10, description="approve | refuse")
    conditions: str = Field(default="", max_length=4000)
    note: str = Field(default="", max_length=2000)
    networks: list[str] | None = Field(
        default=None, max_length=64, description="for a unit: the networks allowed (default: all those asked)"
    )


class PublicationIn(BaseModel):
    title: str = Field(default="", max_length=500)
    doi: str = Field(default="", max_length=300)
    arxiv: str = Field(default="", max_length=100)
    year: int | None = Field(default=None, ge=1900, le=MAX_INT)
    venue: str = Field(default="", max_length=300)
    version: str | None = Field(default=None, max_length=100)


class PublicationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    dataset_id: int
    version_id: int | None
    title: str
    doi: str | None
    arxiv: str | None
    year: int | None
    venue: str
    created_at: datetime


class AskedOut(BaseModel):
    asked: int  # licensees e-mailed


class ObligationsOut(BaseModel):
    """A licensee's obligations for one dataset."""

    dataset: str
    grant_in_force: bool
    may_ask: dict[str, str]  # the requests these terms leave room for
    derivatives: list[DerivativeOut]
    requests: list[ApprovalOut]
    publications: list[PublicationOut]


class QueueOut(BaseModel):
    """What waits for the reviewers, oldest first."""

    derivatives: list[DerivativeOut]
    requests: list[ApprovalOut]
