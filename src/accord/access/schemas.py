"""Application shapes in and out, shared by the API and the CLI."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from accord.entitlements.schemas import RevocationOut
from accord.entitlements.service import GrantState
from accord.policy.schema import FIELD_LABELS, ApplicantField

if TYPE_CHECKING:
    from accord.access.common import ApplicationView
    from accord.access.models import Application


class AnswersIn(BaseModel):
    answers: dict[str, Any] = Field(default_factory=dict)
    signatory: dict[str, Any] | None = None  # name, title, email (terms signed by a legal signatory)


class SignIn(BaseModel):
    full_name: str = Field(max_length=200)
    consent: bool


class ApproveIn(BaseModel):
    note: str = Field("", max_length=2000)


class RejectIn(BaseModel):
    reason: str = Field(max_length=2000)


class ReturnIn(BaseModel):
    comment: str = Field(max_length=2000)


class ApplicationRow(BaseModel):
    id: int
    dataset: str
    status: str
    policy_version: int
    created_at: datetime
    submitted_at: datetime | None
    decided_at: datetime | None
    grant: GrantState | None = None  # once approved: whether the access it granted is active, revoked ...

    @classmethod
    def of(cls, app: Application, slug: str, grant: GrantState | None = None) -> ApplicationRow:
        return cls(
            id=app.id,
            dataset=slug,
            status=app.status,
            policy_version=app.policy_version,
            created_at=app.created_at,
            submitted_at=app.submitted_at,
            decided_at=app.decided_at,
            grant=grant,
        )


class EventOut(BaseModel):
    kind: str
    actor_id: int | None
    at: datetime
    data: dict[str, Any]


class CheckOut(BaseModel):
    name: str
    passed: bool
    blocking: bool
    detail: str


class ApplicationOut(BaseModel):
    id: int
    dataset: str
    dataset_title: str
    status: str
    policy_version: int
    applicant_email: str
    answers: dict[str, str]
    signatory: dict[str, str] | None
    signed: bool
    signed_by: str | None
    document_sha256: str | None
    email_verified: bool
    missing: list[str]  # what still stands between the application and a decision, in plain words
    actions: list[str]  # what the caller may do next (save, sign, submit, withdraw, approve, reject, return)
    checks: list[CheckOut]
    reason: str | None  # the rejection reason or the return comment
    created_at: datetime
    submitted_at: datetime | None
    decided_at: datetime | None
    grant: GrantState | None  # once approved: whether the access it granted is active, revoked, expired, paused
    timeline: list[EventOut]
    earlier_revocations: list[RevocationOut] = Field(
        default_factory=list,
        description="the applicant's revoked access to this dataset, newest first: "
        "reviewers only (empty for the applicant)",
    )

    @classmethod
    def of(cls, record: ApplicationView) -> ApplicationOut:
        state = record.state
        assert state.policy_version is not None and state.created_at is not None  # "created" sets both
        missing = [f"the field “{FIELD_LABELS[ApplicantField(f)]}”" for f in record.missing_fields]
        sig = state.signature or {}
        return cls(
            id=record.id,
            dataset=record.dataset_slug,
            dataset_title=record.dataset_title,
            status=state.status_value,
            policy_version=state.policy_version,
            applicant_email=record.applicant_email,
            answers=state.answers,
            signatory=state.signatory,
            signed=bool(sig),
            signed_by=sig.get("full_name"),
            document_sha256=sig.get("document_sha256"),
            email_verified=state.email_verified,
            missing=missing + [need.words for need in record.needed] + state.missing,
            actions=record.actions,
            checks=[
                CheckOut(name=name, passed=c["passed"], blocking=c.get("blocking", True), detail=c["detail"])
                for name, c in state.checks.items()
            ],
            reason=state.reason,
            created_at=state.created_at,
            submitted_at=state.submitted_at,
            decided_at=state.decided_at,
            grant=record.grant,
            timeline=[EventOut(kind=e.kind.value, actor_id=e.actor, at=e.at, data=e.data) for e in record.events],
        )
