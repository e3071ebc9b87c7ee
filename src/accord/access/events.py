"""Reading and appending an application's stored events; the status cache follows every append."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accord.access import workflow
from accord.access.models import Application, ApplicationEvent
from accord.errors import Conflict, NotFound


@dataclass
class Loaded:
    """An application's row, its events and the state they replay to; `append` keeps all three in step."""

    row: Application
    events: list[workflow.Event] = field(default_factory=list)
    state: workflow.Application = field(default_factory=workflow.Application)

    @property
    def id(self) -> int:
        return self.row.id


def to_event(row: ApplicationEvent) -> workflow.Event:
    return workflow.Event(workflow.Kind(row.kind), row.actor_id, row.at, row.data or {})


def load(db: Session, app_id: int) -> Loaded:
    row = db.get(Application, app_id)
    if row is None:
        raise NotFound(f"no application {app_id}")
    events = [
        to_event(r)
        for r in db.scalars(
            select(ApplicationEvent).where(ApplicationEvent.application_id == app_id).order_by(ApplicationEvent.seq)
        )
    ]
    return Loaded(row, events, workflow.replay(events))


def append(db: Session, loaded: Loaded, event: workflow.Event) -> workflow.Application:
    """Store `event` as the next seq. Someone who appended since we loaded holds that seq: Conflict."""
    state = workflow.apply(loaded.state, event)
    try:
        db.add(
            ApplicationEvent(
                application_id=loaded.row.id,
                seq=len(loaded.events) + 1,
                kind=event.kind.value,
                actor_id=event.actor,
                at=event.at,
                data=event.data,
            )
        )
        db.flush()  # the caller's unit of work rolls everything back on the Conflict
    except IntegrityError:
        raise Conflict(
            "this application was changed by someone else at the same moment; reload it and try again"
        ) from None
    loaded.events.append(event)
    loaded.state = state
    _cache(loaded.row, state, event)
    return state


def _cache(row: Application, state: workflow.Application, event: workflow.Event) -> None:
    row.status = state.status_value
    row.updated_at = event.at
    row.submitted_at = state.submitted_at
    row.decided_at = state.decided_at
    row.organisation = str(state.answers.get("organisation") or "")[:200]
    row.failed_checks = "".join(f",{name}" for name in state.failed_checks) + ("," if state.failed_checks else "")
