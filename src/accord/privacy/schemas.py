"""Consent registry shapes for the API and the CLI."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


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
    def of(cls, report) -> ImportReportOut:
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
    def of(cls, cover) -> CoverageOut:
        """From privacy.Coverage, whose labels are (label, items) pairs."""
        return cls(
            version=cover.version,
            missing=[LabelCount(label=s, items=n) for s, n in cover.missing],
            withdrawn=[LabelCount(label=s, items=n) for s, n in cover.withdrawn],
            unlabelled=cover.unlabelled,
            covered=cover.covered,
        )


class WithdrawIn(BaseModel):
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
    def of(cls, done) -> WithdrawnOut:
        """From privacy.Withdrawn."""
        return cls(
            subject=done.record.subject,
            removal_request_id=done.request.id,
            status=done.request.status,
            due_at=done.request.due_at,
            follow_link=done.follow_link,
        )
