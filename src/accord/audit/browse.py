"""Reading the audit log in pages: administrators read every event, curators the events about the datasets they
curate (an event's `dataset_id`). Pages are keyset pages on the event id, newest first, so a page costs the
same few queries on a log of ten events or ten million (tests/audit/test_browse.py counts them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from accord.audit.models import AuditEvent
from accord.errors import InvalidInput, PermissionDenied

PER_PAGE = 50
MAX_PER_PAGE = 200
# Actors that are no person: the server's shell, the job worker, the platform's own schedules.
MACHINE_ACTORS = ("cli", "jobs", "system")


class Grant(Protocol):
    @property
    def role(self) -> str: ...
    @property
    def dataset_id(self) -> int | None: ...


class Viewer(Protocol):
    """Who reads the log, as far as audit needs to know (an identity User; audit imports no domain)."""

    @property
    def roles(self) -> Sequence[Grant]: ...


@dataclass(frozen=True)
class Scope:
    """The events a reader may see: all of them, or those about some datasets (`datasets` None: about any)."""

    everything: bool = False
    datasets: frozenset[int] | None = None

    def covers(self, dataset_id: int) -> bool:
        return self.everything or self.datasets is None or dataset_id in self.datasets


EVERYTHING = Scope(everything=True)


def scope_of(viewer: Viewer) -> Scope:
    """Administrators read everything; a global curator the events about any dataset; a curator of some
    datasets the events about those."""
    grants = list(viewer.roles)
    if any(g.role == "admin" for g in grants):
        return EVERYTHING
    curated = [g.dataset_id for g in grants if g.role == "curator"]
    if not curated:
        raise PermissionDenied("the audit log is for administrators and curators")
    if None in curated:
        return Scope()
    return Scope(datasets=frozenset(d for d in curated if d is not None))


@dataclass(frozen=True)
class Filters:
    actor: str = ""  # an e-mail address or cli / jobs / system, exactly
    action: str = ""  # exact, or a prefix ending in "." or "*" (anonymisation.)
    dataset_id: int | None = None
    since: datetime | None = None  # from this moment on
    until: datetime | None = None  # before this moment


def moment(text: str | None, *, field: str, end: bool = False) -> datetime | None:
    """A filter's time from what a person types: YYYY-MM-DD (the day's start; as an end, the next day's start,
    so the day is included) or an ISO date and time (UTC unless it says otherwise)."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day + timedelta(days=1) if end else day, time(), tzinfo=UTC)
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date (YYYY-MM-DD) or an ISO date and time", field=field) from None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def filters(
    *,
    actor: str | None = None,
    action: str | None = None,
    dataset_id: int | None = None,
    since: str | None = None,
    until: str | None = None,
) -> Filters:
    """Filters from what a form, a query string or the command line gave, checked."""
    found = Filters(
        actor=(actor or "").strip().lower()[:320],
        action=(action or "").strip()[:100],
        dataset_id=dataset_id,
        since=moment(since, field="since"),
        until=moment(until, field="until", end=True),
    )
    if found.since and found.until and found.since >= found.until:
        raise InvalidInput("the time range is empty: 'from' must come before 'to'", field="until")
    return found


def conditions(ev: Any, scope: Scope, wanted: Filters) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a scope and its filters, for AuditEvent or an alias of it."""
    where: list[ColumnElement[bool]] = []
    if wanted.dataset_id is not None:
        if not scope.covers(wanted.dataset_id):
            raise PermissionDenied("you do not curate this dataset")
        where.append(ev.dataset_id == wanted.dataset_id)
    elif not scope.everything:
        where.append(ev.dataset_id.is_not(None) if scope.datasets is None else ev.dataset_id.in_(scope.datasets))
    if wanted.actor:
        where.append(ev.actor == wanted.actor)
    if wanted.action.endswith(("*", ".")):
        where.append(ev.action.startswith(wanted.action.rstrip("*"), autoescape=True))
    elif wanted.action:
        where.append(ev.action == wanted.action)
    if wanted.since:
        where.append(ev.at >= wanted.since)
    if wanted.until:
        where.append(ev.at < wanted.until)
    return where


@dataclass(frozen=True)
class Page:
    events: list[AuditEvent]  # newest first
    newer: int | None  # `after=` this for the page of newer events; None: this is the newest
    older: int | None  # `before=` this for the page of older events; None: this is the oldest


def page(
    db: Session,
    scope: Scope,
    wanted: Filters,
    *,
    before: int | None = None,
    after: int | None = None,
    per_page: int = PER_PAGE,
) -> Page:
    """One page of the events `scope` covers that match `wanted`: the newest, or those older than `before`, or
    those newer than `after`. Two queries whatever the log's size: the page (one row more, to know whether
    there is another), and whether any event lies on the other side."""
    if before is not None and after is not None:
        raise InvalidInput("page either before or after an event, not both", field="before")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(f"a page holds 1 to {MAX_PER_PAGE} events", field="per_page")
    where = conditions(AuditEvent, scope, wanted)
    q = select(AuditEvent).where(*where)
    if after is not None:  # the newer page: the `per_page` events just above `after`, shown newest first
        rows = list(db.scalars(q.where(AuditEvent.id > after).order_by(AuditEvent.id).limit(per_page + 1)))
        if not rows:  # nothing newer (any more): the newest page
            return page(db, scope, wanted, per_page=per_page)
        more, rows = len(rows) > per_page, rows[:per_page][::-1]
        older = db.scalar(select(exists().where(*where, AuditEvent.id < rows[-1].id)))
        return Page(rows, rows[0].id if more else None, rows[-1].id if older else None)
    if before is not None:
        q = q.where(AuditEvent.id < before)
    rows = list(db.scalars(q.order_by(AuditEvent.id.desc()).limit(per_page + 1)))
    more, rows = len(rows) > per_page, rows[:per_page]
    newer = None
    if before is not None:  # came from a newer page: is there still one?
        edge = rows[0].id if rows else before - 1
        if db.scalar(select(exists().where(*where, AuditEvent.id > edge))):
            newer = edge
    return Page(rows, newer, rows[-1].id if more else None)


def summary(data: dict[str, Any], width: int = 140) -> str:
    """An event's data in one short line: `key: value` pairs, long values cut, lists counted."""
    parts = []
    for key in sorted(data):
        value = data[key]
        if isinstance(value, list):
            shown = ", ".join(map(str, value)) if len(value) <= 3 else f"{len(value)} items"
        elif isinstance(value, dict):
            shown = "{" + ", ".join(sorted(map(str, value))) + "}"
        else:
            shown = str(value)
        parts.append(f"{key}: {shown if len(shown) <= 60 else shown[:57] + '...'}")
    line = "; ".join(parts)
    return line if len(line) <= width else line[: width - 3] + "..."
