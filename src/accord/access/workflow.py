"""An application is its events. This module is pure: no Session, no clock, no I/O.

`decide_*` functions look at the current state and either return the next event or raise IllegalTransition;
`apply` folds one event into the state; `replay` rebuilds the state from the stored events.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from functools import reduce
from typing import Any

from accord.errors import IllegalTransition, InvalidInput


class Status(StrEnum):
    draft = "draft"
    awaiting_signatory = "awaiting_signatory"
    submitted = "submitted"  # in review
    returned = "returned"  # back with the applicant for changes
    approved = "approved"
    rejected = "rejected"
    withdrawn = "withdrawn"


TERMINAL = {Status.approved, Status.rejected, Status.withdrawn}


class Kind(StrEnum):
    created = "created"
    saved = "saved"
    signed = "signed"
    submitted = "submitted"
    email_verified = "email_verified"
    checks_run = "checks_run"
    signatory_invited = "signatory_invited"
    signatory_signed = "signatory_signed"
    signatory_declined = "signatory_declined"
    returned = "returned"
    resubmitted = "resubmitted"
    approved = "approved"
    rejected = "rejected"
    withdrawn = "withdrawn"


@dataclass(frozen=True)
class Event:
    kind: Kind
    actor: int | None
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Application:
    status: Status | None = None
    dataset_id: int | None = None
    applicant_id: int | None = None
    policy_version: int | None = None
    needs_signatory: bool = False
    approvals_needed: int = 1
    answers: dict[str, Any] = field(default_factory=dict)
    signature: dict[str, Any] | None = None  # who signed what (document hash), cleared when answers change
    signatory: dict[str, Any] | None = None  # the invited signatory: name, title, email
    signatory_signature: dict[str, Any] | None = None
    email_verified: bool = False
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> {"passed": bool, "blocking": bool, ...}
    approvals: tuple[int | None, ...] = ()  # reviewers who approved (quorum); None: approved automatically
    decided_by: int | None = None
    reason: str | None = None  # rejection reason or return comment
    created_at: datetime | None = None
    submitted_at: datetime | None = None
    decided_at: datetime | None = None

    @property
    def status_value(self) -> str:
        """The status of a stored application: its history starts with "created", which sets one."""
        if self.status is None:
            raise ValueError("an application without events has no status")
        return self.status.value

    @property
    def failed_checks(self) -> list[str]:
        return sorted(k for k, v in self.checks.items() if not v.get("passed") and v.get("blocking", True))

    @property
    def missing(self) -> list[str]:
        """What still stands between this application and a decision, in the applicant's words."""
        out = []
        if self.status in (Status.draft, Status.returned):
            if not self.signature:
                out.append("your signature on the agreement")
            out.append("submitting the application")
        if self.status is Status.awaiting_signatory and not self.signatory_signature:
            out.append("the signature of your institution's signatory")
        if not self.email_verified and self.status not in TERMINAL:
            out.append("confirming your e-mail address (follow the link we sent)")
        if self.status is Status.submitted:
            out.extend(f"check to pass: {c.replace('_', ' ')}" for c in self.failed_checks)
            left = self.approvals_needed - len(self.approvals)
            if not self.failed_checks and self.approvals_needed == 1:
                out.append("a reviewer's decision")
            elif not self.failed_checks:  # a quorum: say how far it got
                out.append(f"the approval of {left} more reviewer{'' if left == 1 else 's'}")
        return out


def apply(app: Application, event: Event) -> Application:
    d = event.data
    match event.kind:
        case Kind.created:
            return replace(
                app,
                status=Status.draft,
                dataset_id=d["dataset_id"],
                applicant_id=event.actor,
                policy_version=d["policy_version"],
                needs_signatory=d.get("needs_signatory", False),
                approvals_needed=d.get("approvals_needed", 1),
                answers=d.get("answers", {}),
                created_at=event.at,
            )
        case Kind.saved:
            return replace(
                app,
                answers={**app.answers, **d["answers"]},
                signature=None,
                signatory=d.get("signatory", app.signatory),
            )
        case Kind.signed:
            return replace(app, signature=d)
        case Kind.submitted:
            nxt = Status.awaiting_signatory if app.needs_signatory else Status.submitted
            return replace(app, status=nxt, submitted_at=event.at, reason=None)
        case Kind.resubmitted:
            nxt = Status.awaiting_signatory if app.needs_signatory else Status.submitted
            return replace(app, status=nxt, submitted_at=event.at, reason=None, approvals=(), signatory_signature=None)
        case Kind.email_verified:
            return replace(app, email_verified=True)
        case Kind.checks_run:
            return replace(app, checks={**app.checks, **d["results"]})
        case Kind.signatory_invited:
            return replace(app, signatory=d["signatory"])
        case Kind.signatory_signed:
            return replace(app, signatory_signature=d, status=Status.submitted)
        case Kind.signatory_declined:
            return replace(app, status=Status.returned, reason=d.get("reason") or "the signatory declined to sign")
        case Kind.returned:
            return replace(app, status=Status.returned, reason=d["comment"], approvals=())
        case Kind.approved:
            approvals = (*app.approvals, event.actor)
            done = len(approvals) >= app.approvals_needed
            return replace(
                app,
                approvals=approvals,
                status=Status.approved if done else app.status,
                decided_by=event.actor if done else None,
                decided_at=event.at if done else None,
            )
        case Kind.rejected:
            return replace(app, status=Status.rejected, reason=d["reason"], decided_by=event.actor, decided_at=event.at)
        case Kind.withdrawn:
            return replace(app, status=Status.withdrawn, decided_at=event.at)
    raise ValueError(f"unknown event kind {event.kind!r}")


def replay(events: Iterable[Event]) -> Application:
    return reduce(apply, events, Application())


# --- decisions ----------------------------------------------------------------------------------------


def _require(app: Application, allowed: set[Status], action: str) -> None:
    if app.status not in allowed:
        now = app.status.value if app.status else "not created"
        raise IllegalTransition(f"cannot {action} an application that is {now.replace('_', ' ')}")


def decide_create(
    *,
    applicant: int,
    dataset_id: int,
    policy_version: int,
    needs_signatory: bool,
    approvals_needed: int,
    at: datetime,
    answers: dict[str, Any] | None = None,
) -> Event:
    return Event(
        Kind.created,
        applicant,
        at,
        {
            "dataset_id": dataset_id,
            "policy_version": policy_version,
            "needs_signatory": needs_signatory,
            "approvals_needed": approvals_needed,
            "answers": answers or {},
        },
    )


def _own(app: Application, actor: int, action: str) -> None:
    if actor != app.applicant_id:
        raise IllegalTransition(f"only the applicant can {action} this application")


def decide_save(
    app: Application, *, actor: int, answers: dict[str, Any], at: datetime, signatory: dict[str, Any] | None = None
) -> Event:
    _require(app, {Status.draft, Status.returned}, "change")
    _own(app, actor, "change")
    data: dict[str, Any] = {"answers": answers}
    if signatory is not None:
        data["signatory"] = signatory
    return Event(Kind.saved, actor, at, data)


def decide_sign(
    app: Application,
    *,
    actor: int,
    full_name: str,
    consent: bool,
    document_sha256: str,
    at: datetime,
    method: str = "typed",
) -> Event:
    _require(app, {Status.draft, Status.returned}, "sign")
    _own(app, actor, "sign")
    if not consent:
        raise InvalidInput("tick the box to confirm you agree to every clause", field="consent")
    if len(full_name.strip()) < 2:
        raise InvalidInput("type your full name to sign", field="full_name")
    return Event(
        Kind.signed, actor, at, {"full_name": full_name.strip(), "document_sha256": document_sha256, "method": method}
    )


def decide_submit(app: Application, *, actor: int, at: datetime) -> Event:
    _require(app, {Status.draft, Status.returned}, "submit")
    _own(app, actor, "submit")
    if not app.signature:
        raise IllegalTransition("sign the agreement before submitting")
    if app.needs_signatory and not app.signatory:
        raise InvalidInput("name the signatory with legal authority for your institution", field="signatory")
    kind = Kind.resubmitted if app.status is Status.returned else Kind.submitted
    return Event(kind, actor, at)


def decide_invite_signatory(app: Application, *, actor: int | None, at: datetime) -> Event:
    _require(app, {Status.awaiting_signatory}, "invite a signatory for")
    return Event(Kind.signatory_invited, actor, at, {"signatory": app.signatory})


def decide_signatory(
    app: Application, *, sign: bool, full_name: str, at: datetime, reason: str = "", document_sha256: str = ""
) -> Event:
    _require(app, {Status.awaiting_signatory}, "countersign")
    if not sign:
        return Event(Kind.signatory_declined, None, at, {"reason": reason.strip() or None})
    if len(full_name.strip()) < 2:
        raise InvalidInput("type your full name to sign", field="full_name")
    return Event(Kind.signatory_signed, None, at, {"full_name": full_name.strip(), "document_sha256": document_sha256})


def decide_checks(app: Application, *, results: dict[str, dict[str, Any]], at: datetime) -> Event:
    _require(app, {Status.draft, Status.awaiting_signatory, Status.submitted, Status.returned}, "check")
    return Event(Kind.checks_run, None, at, {"results": results})


def decide_email_verified(app: Application, *, at: datetime) -> Event:
    _require(app, set(Status) - TERMINAL, "verify the e-mail of")
    return Event(Kind.email_verified, app.applicant_id, at)


def decide_approve(app: Application, *, actor: int | None, at: datetime, note: str = "") -> Event:
    # actor None: approved automatically (click-through terms, every check passed)
    _require(app, {Status.submitted}, "approve")
    if actor == app.applicant_id:
        raise IllegalTransition("reviewers cannot approve their own application")
    if actor in app.approvals:
        raise IllegalTransition("you have already approved this application")
    if app.failed_checks:
        raise IllegalTransition(
            "cannot approve while checks fail: " + ", ".join(c.replace("_", " ") for c in app.failed_checks)
        )
    if not app.email_verified:
        raise IllegalTransition("cannot approve before the applicant's e-mail address is confirmed")
    return Event(Kind.approved, actor, at, {"note": note})


def decide_reject(app: Application, *, actor: int, reason: str, at: datetime) -> Event:
    _require(app, {Status.submitted, Status.awaiting_signatory}, "reject")
    if not reason.strip():
        raise InvalidInput("give the applicant a reason", field="reason")
    return Event(Kind.rejected, actor, at, {"reason": reason.strip()})


def decide_return(app: Application, *, actor: int, comment: str, at: datetime) -> Event:
    _require(app, {Status.submitted, Status.awaiting_signatory}, "return")
    if not comment.strip():
        raise InvalidInput("tell the applicant what to change", field="comment")
    return Event(Kind.returned, actor, at, {"comment": comment.strip()})


def decide_withdraw(app: Application, *, actor: int, at: datetime) -> Event:
    _require(app, {Status.draft, Status.awaiting_signatory, Status.submitted, Status.returned}, "withdraw")
    _own(app, actor, "withdraw")
    return Event(Kind.withdrawn, actor, at)
