"""A person's own record, as the page shows it and as the JSON they download (GDPR Art. 15)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from accord.access.schemas import ApplicationRow
from accord.entitlements.service import GrantState


class Account(BaseModel):
    email: str
    name: str
    created_at: datetime
    email_confirmed_at: datetime | None
    roles: list[str]


class Grant(BaseModel):
    id: int
    dataset: str
    version: str | None = Field(description="the one version it covers; null: every version its terms cover")
    application_id: int | None
    policy_version: int = Field(description="the terms version you accepted")
    unit: str
    networks: list[str]
    starts_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    revoke_reason: str | None
    standing: str | None
    standing_reason: str | None
    state: GrantState


class DownloadTotal(BaseModel):
    dataset: str | None
    version: str | None
    responses: int
    bytes: int
    first_at: datetime
    last_at: datetime


class Download(BaseModel):
    at: datetime
    dataset: str | None
    version: str | None
    object: str = Field(description="item:<version>:<sha256> (one file), shard:<version>:<n> (a tar shard), ...")
    offset: int
    bytes: int
    stopped: str | None = Field(description="why the server cut the answer short, if it did")


class Notice(BaseModel):
    id: int
    dataset: str | None
    kind: str
    files: int = Field(description="how many files it asks you to delete (listed on the notice's own page)")
    created_at: datetime
    due_at: datetime
    reminded_at: datetime | None
    attested_at: datetime | None


class RemovalRequest(BaseModel):
    id: int
    dataset: str | None
    status: str
    what: str
    why: str
    created_at: datetime
    proven_at: datetime | None
    decided_at: datetime | None
    decision_reason: str
    removed_count: int


class Mail(BaseModel):
    created_at: datetime
    sent_at: datetime | None
    template: str
    subject: str | None = Field(description="null for mail about others' business (a review to do)")
    text: str | None = Field(description="the text as sent; null as for the subject")


class Certificate(BaseModel):
    id: int
    dataset: str | None
    application_id: int | None
    course: str
    completed_on: date
    expires_on: date
    status: str
    filename: str
    uploaded_at: datetime
    reviewed_at: datetime | None
    reject_reason: str | None


class ApprovalRequest(BaseModel):
    id: int
    dataset: str | None
    kind: str = Field(description="modify, redistribute, unit (another unit of your organisation) or commercial")
    description: str
    unit: str
    networks: list[str]
    status: str
    conditions: str
    granted_networks: list[str]
    decision_note: str
    created_at: datetime
    decided_at: datetime | None


class Derivative(BaseModel):
    id: int
    dataset: str | None
    version: str | None
    kind: str
    title: str
    location: str
    licence: str
    status: str
    listed: bool
    decision_note: str
    created_at: datetime
    decided_at: datetime | None


class Publication(BaseModel):
    id: int
    dataset: str | None
    version: str | None
    title: str
    doi: str | None
    arxiv: str | None
    year: int | None
    venue: str
    created_at: datetime


class AccountEvent(BaseModel):
    at: datetime
    action: str
    by: str = Field(description="you, the platform, or staff (who by name is theirs to know, not in your record)")


class Section(BaseModel):
    """What a later domain adds to the record (accord.plugins "record.sections"): a title and its rows."""

    key: str
    title: str
    rows: list[dict[str, Any]]


class Record(BaseModel):
    generated_at: datetime
    account: Account
    address_confirmed: bool = Field(
        description="whether your e-mail address is confirmed; until it is, the mail sent to it and removal "
        "requests made from it are left out (the address may not be yours)"
    )
    applications: list[ApplicationRow]
    grants: list[Grant]
    downloads_by_version: list[DownloadTotal]
    downloads: list[Download]
    deletion_notices: list[Notice]
    removal_requests: list[RemovalRequest]
    mail: list[Mail]
    training_certificates: list[Certificate]
    approval_requests: list[ApprovalRequest]
    derivatives: list[Derivative]
    publications: list[Publication]
    account_history: list[AccountEvent]
    more: list[Section] = Field(default_factory=list)
