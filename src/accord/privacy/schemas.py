"""What the privacy desk's API reads and answers. A requester's answers say nothing about anyone else; the
curators' say which files were found, by which method and with what score."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TOKEN = Field(min_length=3, max_length=200, description="the secret part of the e-mailed link, '<id>.<secret>'")


class TokenIn(BaseModel):
    token: str = TOKEN


class SubmittedOut(BaseModel):
    status: Literal["unproven"] = "unproven"
    message: str = "we e-mailed a link to the address given; nothing happens until it is opened"
    follow_link: str = Field(description="the requester's private link to follow the request (shown once)")


class StageOut(BaseModel):
    name: str
    at: datetime | None


class RequesterViewOut(BaseModel):
    """All a requester learns: their own request's progress and outcome."""

    dataset: str
    status: str
    due_at: datetime | None
    stages: list[StageOut]
    removed_count: int
    decision_reason: str


class RequestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    dataset_id: int
    status: str
    what: str
    why: str
    labels: list[str]
    paths: list[str]
    has_photo: bool = False
    photo_deleted_at: datetime | None
    proven_at: datetime | None
    due_at: datetime | None
    decided_at: datetime | None
    decision_reason: str
    old_version_id: int | None
    new_version_id: int | None
    removed_count: int


class QueueRowOut(BaseModel):
    request: RequestOut
    dataset: str
    days_left: int = Field(description="days until the answer is due; negative when overdue")
    overdue: bool


class MatchOut(BaseModel):
    item_id: int
    path: str
    subject: str | None
    sha256: str
    method: str = Field(description="label, path, phash or face")
    score: float
    selected: bool


class SearchIn(BaseModel):
    labels: list[str] | None = Field(None, max_length=50, description="default: the labels the requester gave")
    paths: list[str] | None = Field(None, max_length=50, description="default: the file names the requester gave")


class SelectIn(BaseModel):
    item_ids: list[int] = Field(default_factory=list, max_length=100_000)
    labels: list[str] = Field(default_factory=list, max_length=50, description="select every match of these subjects")


class SelectedOut(BaseModel):
    selected: int


class AcceptIn(BaseModel):
    note: str = Field("", max_length=5000, description="told to the requester")


class DeclineIn(BaseModel):
    reason: str = Field(min_length=1, max_length=5000, description="told to the requester")


class NoticeFileOut(BaseModel):
    version: str
    path: str
    sha256: str
    size: int | None = None


class NoticeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    request_id: int
    dataset_id: int
    dataset: str = Field("", description="the dataset's slug")
    kind: Literal["delete", "changed"]
    files: list[NoticeFileOut]
    created_at: datetime
    due_at: datetime
    attested_at: datetime | None
    attestation: str

    @classmethod
    def of(cls, notice, dataset: str) -> NoticeOut:
        out = cls.model_validate(notice)
        out.dataset = dataset
        return out


class AttestIn(BaseModel):
    confirm: bool = Field(description="true: I deleted these files from every copy, including the copies at my site")


class OverdueOut(BaseModel):
    notice: NoticeOut
    dataset: str
    email: str
    days_over: int
