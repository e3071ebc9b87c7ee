"""What the privacy desk's API reads and answers. A requester's answers say nothing about anyone else; the
curators' say which files were found, by which method and with what score."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from accord.privacy.consent import Coverage, ImportReport
    from accord.privacy.consent_withdrawal import Withdrawn
    from accord.privacy.models import DeletionNotice

TOKEN = Field(min_length=3, max_length=200, description="the secret part of the e-mailed link, '<id>.<secret>'")


class LinkTokenIn(BaseModel):
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


class PhotoSearchOut(BaseModel):
    found: int = Field(description="files this search found")
    added: int = Field(description="of which were new to the request")
    faces_in_photo: int = Field(description="0: no face in the photo; only near-duplicates were looked for")
    unindexed: int = Field(description="images of the version not indexed yet, so not searched")
    photo_deleted: bool = Field(description="the requester's photo was deleted after this search")
    matches: list[MatchOut]


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
    def of(cls, notice: DeletionNotice, dataset: str) -> NoticeOut:
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


# --- the consent registry ---------------------------------------------------------------------------------


class ConsentRecordOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    subject: str
    consented_at: date
    scope: str
    form_sha256: str | None
    form_type: str | None
    form_size: int | None
    withdrawn_at: datetime | None
    removal_request_id: int | None
    created_at: datetime
    updated_at: datetime | None


class NewLink(BaseModel):
    subject: str
    link: str  # the private withdrawal link, shown this once


class ImportReportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    created: int
    updated: int
    unchanged: int
    withdrawn: list[str]  # subjects left as they were: their consent was withdrawn
    links: list[NewLink]
    emailed: int

    @classmethod
    def of(cls, report: ImportReport) -> ImportReportOut:
        """From privacy.ImportReport, whose links are (subject, link) pairs."""
        links = [NewLink(subject=s, link=link) for s, link in report.links]
        return cls(
            **{k: getattr(report, k) for k in ("created", "updated", "unchanged", "withdrawn", "emailed")}, links=links
        )


class LabelCount(BaseModel):
    label: str
    items: int


class CoverageOut(BaseModel):
    version: str | None  # the latest published version; None when nothing is published
    missing: list[LabelCount]  # labels with no consent record
    withdrawn: list[LabelCount]  # labels whose consent was withdrawn, still holding items
    unlabelled: int  # items with no subject label
    covered: int

    @classmethod
    def of(cls, cover: Coverage) -> CoverageOut:
        """From privacy.Coverage, whose labels are (label, items) pairs."""
        return cls(
            version=cover.version,
            missing=[LabelCount(label=s, items=n) for s, n in cover.missing],
            withdrawn=[LabelCount(label=s, items=n) for s, n in cover.withdrawn],
            unlabelled=cover.unlabelled,
            covered=cover.covered,
        )


class ConsentWithdrawIn(BaseModel):
    token: str = Field(min_length=1, max_length=200, description="the part of the private link after /privacy/consent/")
    email: str = Field(min_length=1, max_length=320, description="where to write about the removal request")
    why: str = Field("", max_length=5000)


class WithdrawForIn(BaseModel):
    subject: str = Field(min_length=1, max_length=200, description="the subject label")
    email: str = Field(min_length=1, max_length=320, description="the subject's address, for the follow link")
    why: str = Field("", max_length=5000, description="what the subject wrote, if anything")


class WithdrawnOut(BaseModel):
    subject: str
    removal_request_id: int
    status: str
    due_at: datetime
    follow_link: str  # the private link to follow the removal request, shown this once (and e-mailed)

    @classmethod
    def of(cls, done: Withdrawn) -> WithdrawnOut:
        """From privacy.Withdrawn."""
        assert done.request.due_at is not None  # a withdrawal's request is received at once, its clock running
        return cls(
            subject=done.record.subject,
            removal_request_id=done.request.id,
            status=done.request.status,
            due_at=done.request.due_at,
            follow_link=done.follow_link,
        )


# --- anonymisation -----------------------------------------------------------------------------------------


class AnonymiseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    blur: Literal["gaussian", "pixelate", "box"] = "gaussian"
    margin: float = Field(0.3, ge=0, le=1, description="added round each face, as a share of its width and height")
    threshold: float = Field(0.5, ge=0.05, le=0.95, description="CenterFace's score above which a face is blurred")
    second_pass: bool = Field(False, description="CenterFace again at twice the scale where it found no face")


class PrivacyReportOut(BaseModel):
    """Numbers only: public once the anonymised version is published."""

    files: int
    images_scanned: int
    faces_blurred: int
    images_with_faces: int
    images_metadata_removed: int
    metadata_removed: dict[str, int] = Field(description="metadata kind → images that carried it")
    found_by_second_pass_only: int
    unreadable_images: int
    other_files: int
    flagged_for_review: int
    reviewed_by_a_person: int
    left_out: int
    detector: str
    options: dict[str, float | str | bool | int]


class AnonymisationOut(BaseModel):
    id: int
    dataset: str
    source_version: str
    draft_version: str | None = Field(description="the new version's label; None once cancelled")
    status: Literal["running", "failed", "review", "ready", "published", "cancelled"]
    job_id: int | None
    error: str | None
    report: PrivacyReportOut
    created_at: datetime
    finished_at: datetime | None


class AnonymisedFileOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    path: str
    source_sha256: str
    sha256: str = Field(description="the file in the new version (the source's when unchanged)")
    media_type: str
    faces: list[dict[str, float | str | int | list[float]]]
    removed: list[str]
    flags: list[str]
    look: bool = Field(description="flagged: must be reviewed before the new version is published")
    problem: str | None
    decision: Literal["fine", "boxes", "drop"] | None
    boxes: list[list[float]]


class ReviewFileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["fine", "boxes", "drop"]
    boxes: list[list[float]] = Field(default_factory=list, max_length=50, description="[left, top, right, bottom] px")
