"""Applications counted for the custodian's dashboard, each tally one SQL statement that groups in the database,
whatever the number of applications. An application counts from its first submission (a returned application
sent back keeps its place), so its week and its time to a decision do not move when it is resubmitted."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal_column, or_, select
from sqlalchemy.orm import Session

from accord import dialects
from accord.access.models import Application, ApplicationEvent
from accord.access.workflow import Kind, Status
from accord.entitlements import service as entitlements
from accord.entitlements.models import Entitlement
from accord.identity.models import User

# What became of an application, as the dashboard tells it: still open covers in review and waiting for a signatory.
OUTCOMES = ("approved", "rejected", "returned", "withdrawn", "open")
_OUTCOME = {
    Status.approved.value: "approved",
    Status.rejected.value: "rejected",
    Status.returned.value: "returned",
    Status.withdrawn.value: "withdrawn",
}
DECIDED = (Status.approved.value, Status.rejected.value)


def outcome(status: str) -> str:
    return _OUTCOME.get(status, "open")


def _first_submitted(*where: Any, dataset_ids: Collection[int] | None) -> Any:
    """(application id, status, decided_at, first: when first submitted) of the applications matching `where`:
    one join of applications and their events, grouped by application (an index lookup per application, whatever
    plan the database keeps for the statement)."""
    query = (
        select(Application.id, Application.status, Application.decided_at, func.min(ApplicationEvent.at).label("first"))
        .join(ApplicationEvent, ApplicationEvent.application_id == Application.id)
        .where(ApplicationEvent.kind == Kind.submitted.value, *where)
        .group_by(Application.id, Application.status, Application.decided_at)
    )
    if dataset_ids is not None:
        query = query.where(Application.dataset_id.in_(sorted(dataset_ids)))
    return query.subquery("first_submitted")


def outcomes_by_week(
    db: Session, dataset_ids: Collection[int] | None, *, since: datetime
) -> list[tuple[str, str, int]]:
    """(Monday of the week first submitted, outcome, applications) for those first submitted since `since`, of
    the given datasets (None: of every dataset)."""
    # submitted_at is the last submission, never before the first: those before `since` need no look
    first = _first_submitted(Application.submitted_at >= since, dataset_ids=dataset_ids)
    week = dialects.week(db, first.c.first)
    query = select(week, first.c.status, func.count()).where(first.c.first >= since).group_by(week, first.c.status)
    counted: dict[tuple[str, str], int] = {}
    for monday, status, n in db.execute(query):
        key = (str(monday), outcome(status))
        counted[key] = counted.get(key, 0) + n
    return [(monday, result, n) for (monday, result), n in sorted(counted.items())]


@dataclass(frozen=True)
class Spread:
    """How long decisions took: how many, and the median and 90th percentile in seconds (nearest rank: the
    values of the decisions at ranks ⌈n/2⌉ and ⌈9n/10⌉, fastest first)."""

    decisions: int
    median: float
    p90: float


def decision_times(
    db: Session, dataset_ids: Collection[int] | None, *, since: datetime, by_month: bool
) -> dict[str, Spread]:
    """From first submission to approval or rejection, for decisions made since `since`: per month decided
    ('YYYY-MM-01' → spread) or, without `by_month`, over all of them (key ''). The ranks are window functions,
    so the statement returns two rows per month, not one per application."""
    first = _first_submitted(Application.status.in_(DECIDED), Application.decided_at >= since, dataset_ids=dataset_ids)
    took = dialects.seconds_between(db, first.c.first, first.c.decided_at)
    bucket = dialects.month(db, first.c.decided_at) if by_month else None
    ranked = select(
        (bucket if bucket is not None else literal_column("''")).label("bucket"),
        took.label("took"),
        func.row_number().over(partition_by=bucket, order_by=took).label("rank"),
        func.count().over(partition_by=bucket).label("n"),
    ).subquery("ranked")
    median_rank, p90_rank = (ranked.c.n + 1) // 2, (9 * ranked.c.n + 9) // 10
    rows = db.execute(
        select(ranked.c.bucket, ranked.c.n, ranked.c.rank, ranked.c.took).where(
            or_(ranked.c.rank == median_rank, ranked.c.rank == p90_rank)
        )
    ).all()
    found: dict[str, dict[str, Any]] = {}
    for key, n, rank, took_s in rows:
        entry = found.setdefault(str(key or ""), {"n": n})
        if rank == (n + 1) // 2:
            entry["median"] = float(took_s)
        if rank == (9 * n + 9) // 10:
            entry["p90"] = float(took_s)
    return {key: Spread(e["n"], e["median"], e["p90"]) for key, e in sorted(found.items())}


def licensee_origins(db: Session, dataset_ids: Collection[int] | None, *, at: datetime) -> list[tuple[str, str, int]]:
    """(organisation as the licensee's application named it, or '', their e-mail domain, licensees) over the
    grants held at `at` (in force, or paused for new terms) of the given datasets. Each licensee is counted once,
    under one organisation: the name their applications gave (the last alphabetically, should they differ)."""
    domain = dialects.after_at(db, User.email)
    inner = (
        select(
            Entitlement.user_id,
            func.max(func.coalesce(Application.organisation, "")).label("organisation"),
            domain.label("domain"),
        )
        .join(User, User.id == Entitlement.user_id)
        .outerjoin(Application, Application.id == Entitlement.application_id)
        .where(entitlements.held_at(at))
        .group_by(Entitlement.user_id, User.email)
    )
    if dataset_ids is not None:
        inner = inner.where(Entitlement.dataset_id.in_(sorted(dataset_ids)))
    held = inner.subquery("held")
    rows = db.execute(
        select(held.c.organisation, held.c.domain, func.count()).group_by(held.c.organisation, held.c.domain)
    )
    return sorted(((str(org).strip(), str(dom), n) for org, dom, n in rows), key=lambda r: (-r[2], r[0], r[1]))
