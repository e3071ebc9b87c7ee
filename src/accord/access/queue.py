"""The reviewers' queue and the applicant's expected wait, read from the `application` table's cached columns.

A queue page costs a fixed number of statements whatever the queue's size: one count, one page of rows (joined
with the dataset and the applicant), one for the page's terms (their response times), and, only when a row's
terms ask for a quorum, one for who approved the page's rows so far (the events of those kinds alone), and one per
requirement the page's terms ask for (`requirements.stages`; a training certificate's, say).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import Session

from accord.access import decisions, history, requirements, workflow
from accord.access.models import Application, ApplicationEvent
from accord.catalog.models import Dataset
from accord.db import utcnow
from accord.errors import AccordError, InvalidInput, NotFound, PermissionDenied
from accord.identity.models import User
from accord.policy.models import PolicyVersion
from accord.policy.schema import Policy, Review

REVIEWING = {"reviewer", "curator"}
SORTS = {
    "oldest": (Application.submitted_at.asc(), Application.id.asc()),
    "newest": (Application.submitted_at.desc(), Application.id.desc()),
    "dataset": (Dataset.slug.asc(), Application.submitted_at.asc(), Application.id.asc()),
    "organisation": (Application.organisation.asc(), Application.submitted_at.asc(), Application.id.asc()),
}
STATUSES = [s.value for s in workflow.Status if s is not workflow.Status.draft] + ["all"]
RECENT = 50  # decisions the typical waiting time is computed from


@dataclass(frozen=True)
class QueueRow:
    id: int
    applicant: str
    applicant_email: str
    organisation: str
    dataset_slug: str
    dataset_title: str
    status: str
    submitted_at: datetime | None
    age_days: int
    failed_checks: list[str]
    overdue: bool
    escalated: bool = False  # every reviewer was told it is overdue (access.escalation)
    approvals_needed: int = 1  # more than one: the terms ask for a quorum of reviewers
    approved_by: list[str] = field(default_factory=list)  # who approved so far (only read for a quorum)
    # Where each requirement the terms ask for stands, by its name: {"certificate": "waiting"} (none, waiting,
    # accepted, ran out, not accepted, as the application's "what is still needed" says).
    stages: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    pages: int


def reviewed_datasets(user: User | None) -> set[int] | None:
    """The dataset ids `user` reviews; None means every dataset (admins, global reviewers and curators)."""
    if user is None:
        return set()
    mine: set[int] = set()
    for grant in user.roles:
        if grant.role == "admin" or (grant.role in REVIEWING and grant.dataset_id is None):
            return None
        if grant.role in REVIEWING and grant.dataset_id is not None:  # (a global grant returned above)
            mine.add(grant.dataset_id)
    return mine


def reviews_any(user: User | None) -> bool:
    return reviewed_datasets(user) != set()


MAX_PER_PAGE = 200
MAX_PAGE = 1_000_000_000  # (page - 1) * per_page stays a number the database can take
MAX_DAYS = 36_500  # a century; a date further back than Python's calendar cannot be asked for


def review_queue(
    db: Session,
    reviewer: User,
    *,
    dataset: str | None = None,
    status: str = "submitted",
    organisation: str | None = None,
    failed_checks: str | None = None,
    older_than_days: int | None = None,
    sort: str = "oldest",
    page: int = 1,
    per_page: int = 50,
) -> QueuePage:
    """Applications on the datasets `reviewer` reviews, filtered, sorted and cut into pages.

    `failed_checks` is "any", "none" or one check's name; `organisation` matches part of the name."""
    scope = reviewed_datasets(reviewer)
    if scope == set():
        raise PermissionDenied("the review queue is for reviewers and curators of a dataset")
    if status not in STATUSES:
        raise InvalidInput(f"unknown status {status!r}; choose one of {', '.join(STATUSES)}", field="status")
    if sort not in SORTS:
        raise InvalidInput(f"unknown sort {sort!r}; choose one of {', '.join(SORTS)}", field="sort")
    if not 1 <= page <= MAX_PAGE or not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(f"pages run from 1 to {MAX_PAGE:,} and a page holds 1 to {MAX_PER_PAGE} rows", field="page")
    if older_than_days is not None and not 0 <= older_than_days <= MAX_DAYS:
        raise InvalidInput(f"older than: give a number of days from 0 to {MAX_DAYS:,}", field="older_than_days")

    query = select(Application.id).join(Dataset, Dataset.id == Application.dataset_id)
    if scope is not None:
        query = query.where(Application.dataset_id.in_(sorted(scope)))
    if dataset:
        query = query.where(Dataset.slug == dataset)
    query = _filtered(
        query, status=status, organisation=organisation, failed_checks=failed_checks, older_than_days=older_than_days
    )

    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    if dataset and total == 0 and not _reviews_slug(db, scope, dataset):
        raise NotFound(f"no dataset {dataset!r} among those you review")
    rows = db.execute(
        query.add_columns(Application, Dataset.slug, Dataset.title, User.name, User.email)
        .join(User, User.id == Application.applicant_id)
        .order_by(*SORTS[sort])
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    terms = _terms(db, {(r.Application.dataset_id, r.Application.policy_version) for r in rows})
    reviews = {k: review for k, (review, _) in terms.items()}
    quorum = {
        r.Application.id
        for r in rows
        if _needed(reviews, r.Application) > 1 and r.Application.status != workflow.Status.draft.value
    }
    approvers = approved_by(db, quorum)
    now = utcnow()
    policies = {
        r.Application.id: terms[key][1]
        for r in rows
        if (key := (r.Application.dataset_id, r.Application.policy_version)) in terms
    }
    stages = requirements.stages(db, [r.Application for r in rows], policies, now.date())
    out = [_row(r, reviews, approvers, stages, now) for r in rows]
    return QueuePage(out, total, page, max(1, math.ceil(total / per_page)))


def _filtered(
    query: Select[int], *, status: str, organisation: str | None, failed_checks: str | None, older_than_days: int | None
) -> Select[int]:
    if status == "all":
        query = query.where(Application.status != workflow.Status.draft.value)
    else:
        query = query.where(Application.status == status)
    if organisation:
        query = query.where(
            func.lower(Application.organisation).contains(organisation.strip().lower(), autoescape=True)
        )
    if failed_checks == "any":
        query = query.where(Application.failed_checks != "")
    elif failed_checks == "none":
        query = query.where(Application.failed_checks == "")
    elif failed_checks:
        query = query.where(Application.failed_checks.contains(f",{failed_checks},", autoescape=True))
    if older_than_days is not None:
        query = query.where(Application.submitted_at <= utcnow() - timedelta(days=older_than_days))
    return query


def _reviews_slug(db: Session, scope: set[int] | None, slug: str) -> bool:
    dataset_id = db.scalar(select(Dataset.id).where(Dataset.slug == slug))
    return dataset_id is not None and (scope is None or dataset_id in scope)


def _terms(db: Session, keys: set[tuple[int, int]]) -> dict[tuple[int, int], tuple[Review, Policy]]:
    """Each (dataset, terms version) on the page: how it is reviewed (days to answer, approvals needed) and the
    terms themselves (for what their requirements need)."""
    if not keys:
        return {}
    found = db.execute(
        select(PolicyVersion.dataset_id, PolicyVersion.version, PolicyVersion.document).where(
            PolicyVersion.dataset_id.in_({k[0] for k in keys})
        )
    ).all()
    out: dict[tuple[int, int], tuple[Review, Policy]] = {}
    for d, v, doc in found:
        if (d, v) in keys:
            policy = Policy.model_validate(doc)
            out[(d, v)] = (policy.review, policy)
    return out


def _reviews(db: Session, keys: set[tuple[int, int]]) -> dict[tuple[int, int], Review]:
    """Each (dataset, terms version) on the page: how it is reviewed (days to answer, approvals needed)."""
    return {k: review for k, (review, _) in _terms(db, keys).items()}


def response_days(db: Session, keys: set[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """Each (dataset, terms version): how many days its reviewers have to answer."""
    return {k: review.response_days for k, review in _reviews(db, keys).items()}


def _needed(reviews: dict[tuple[int, int], Review], app: Application) -> int:
    review = reviews.get((app.dataset_id, app.policy_version))
    return review.approvals_needed if review else 1


def approved_by(db: Session, app_ids: set[int]) -> dict[int, list[str]]:
    """Who approved each application since it was last sent back, in one statement: approvals count towards a
    quorum until the application is returned (or resubmitted), as `workflow.apply` folds them."""
    if not app_ids:
        return {}
    kinds = [workflow.Kind.approved.value, workflow.Kind.returned.value, workflow.Kind.resubmitted.value]
    rows = db.execute(
        select(ApplicationEvent.application_id, ApplicationEvent.kind, User.name)
        .outerjoin(User, User.id == ApplicationEvent.actor_id)
        .where(ApplicationEvent.application_id.in_(sorted(app_ids)), ApplicationEvent.kind.in_(kinds))
        .order_by(ApplicationEvent.application_id, ApplicationEvent.seq)
    ).all()
    out: dict[int, list[str]] = {i: [] for i in app_ids}
    for app_id, kind, name in rows:
        out[app_id] = out[app_id] + [name or "Accord"] if kind == workflow.Kind.approved.value else []
    return out


def _row(
    r: Row[int, Application, str, str, str, str],
    reviews: dict[tuple[int, int], Review],
    approvers: dict[int, list[str]],
    stages: dict[int, dict[str, str]],
    now: datetime,
) -> QueueRow:
    _, app, slug, title, name, email = r
    since = app.submitted_at or app.created_at
    review = reviews.get((app.dataset_id, app.policy_version))
    overdue = (
        app.status == workflow.Status.submitted.value
        and app.submitted_at is not None
        and review is not None
        and now - app.submitted_at > timedelta(days=review.response_days)
    )
    return QueueRow(
        app.id,
        name,
        email,
        app.organisation,
        slug,
        title,
        app.status,
        app.submitted_at,
        (now - since).days,
        [c for c in app.failed_checks.split(",") if c],
        overdue,
        app.escalated_at is not None,
        _needed(reviews, app),
        approvers.get(app.id, []),
        stages.get(app.id, {}),
    )


def typical_decision_time(db: Session, dataset_id: int) -> timedelta | None:
    """The median time from submission to decision over the dataset's last 50 decisions; None before any."""
    rows = db.execute(
        select(Application.submitted_at, Application.decided_at)
        .where(
            Application.dataset_id == dataset_id,
            Application.status.in_([workflow.Status.approved.value, workflow.Status.rejected.value]),
            Application.submitted_at.is_not(None),
            Application.decided_at.is_not(None),
        )
        .order_by(Application.decided_at.desc())
        .limit(RECENT)
    ).all()
    if not rows:
        return None
    # (the query keeps rows with both dates only)
    return timedelta(
        seconds=statistics.median((d - s).total_seconds() for s, d in rows if s is not None and d is not None)
    )


def open_application(db: Session, user: User | None, dataset_id: int) -> int | None:
    """The user's application for this dataset that is still going (a draft, in review ...), if any."""
    if user is None:
        return None
    open_ = [s.value for s in workflow.Status if s not in workflow.TERMINAL]
    return db.scalar(
        select(Application.id)
        .where(Application.dataset_id == dataset_id, Application.applicant_id == user.id, Application.status.in_(open_))
        .order_by(Application.id.desc())
        .limit(1)
    )


def people(db: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Names for the actors of a timeline, in one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(db.execute(select(User.id, User.name).where(User.id.in_(wanted))).all())


def reviewed_choices(db: Session, user: User) -> list[tuple[str, str]]:
    """(slug, title) of the datasets `user` reviews, for the queue's dataset filter."""
    scope = reviewed_datasets(user)
    query = select(Dataset.slug, Dataset.title).order_by(Dataset.slug)
    if scope is not None:
        query = query.where(Dataset.id.in_(sorted(scope)))
    return [(slug, title) for slug, title in db.execute(query).all()]


@dataclass(frozen=True)
class BulkResult:
    id: int
    ok: bool
    message: str


def bulk_decide(
    db: Session, ids: list[int], *, actor: User, action: str, reason: str = "", base_url: str = ""
) -> list[BulkResult]:
    """Approve or reject many applications, each as on its own page (access.decisions) in its own unit of work: one
    refusal (a failing check, a decision someone else just took) is reported and leaves the others done."""
    if action not in ("approve", "reject"):
        raise InvalidInput("choose approve or reject for the selected applications", field="action")
    if not ids:
        raise InvalidInput("select at least one application", field="ids")
    if action == "reject" and not reason.strip():
        raise InvalidInput("give the reason for rejecting (the applicants are told)", field="reason")
    out = []
    for app_id in dict.fromkeys(ids):  # a row ticked twice is decided once
        try:
            held = history.bulk_refusal(db, app_id, actor) if action == "approve" else None
            if held is not None:  # a person's decision, on the application's own page
                out.append(BulkResult(app_id, False, held))
                continue
            if action == "approve":
                record = decisions.approve(db, app_id, actor=actor, base_url=base_url)
            else:
                record = decisions.reject(db, app_id, actor=actor, reason=reason)
        except AccordError as exc:
            out.append(BulkResult(app_id, False, exc.message))
            continue
        out.append(BulkResult(app_id, True, record.state.status_value))
    return out


def current_application(db: Session, user: User | None, dataset_id: int) -> tuple[int, str] | None:
    """(id, status) of the user's latest application for the dataset while it is going or approved; after a
    rejection or a withdrawal the dataset page offers to apply again."""
    if user is None:
        return None
    keep = [s.value for s in workflow.Status if s not in (workflow.Status.rejected, workflow.Status.withdrawn)]
    row = db.execute(
        select(Application.id, Application.status)
        .where(Application.dataset_id == dataset_id, Application.applicant_id == user.id, Application.status.in_(keep))
        .order_by(Application.id.desc())
        .limit(1)
    ).first()
    return (row.id, row.status) if row else None
