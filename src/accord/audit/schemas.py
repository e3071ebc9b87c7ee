"""Audit log shapes out, shared by the API and the web page."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from accord.audit.browse import summary

if TYPE_CHECKING:
    from accord.audit.browse import Page
    from accord.audit.models import AuditEvent


class AuditEventOut(BaseModel):
    id: int
    at: datetime
    actor: str = Field(description="the acting user's e-mail address, or cli, jobs or system")
    actor_id: int | None
    action: str
    object_type: str
    object_id: str
    dataset: str | None = Field(None, description="the slug of the dataset the event is about, if any")
    data: dict[str, Any]
    summary: str = Field(description="the data in one short line")
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, ev: AuditEvent, slugs: dict[int, str]) -> AuditEventOut:
        return cls(
            id=ev.id,
            at=ev.at,
            actor=ev.actor,
            actor_id=ev.actor_id,
            action=ev.action,
            object_type=ev.object_type,
            object_id=ev.object_id,
            dataset=slugs.get(ev.dataset_id, str(ev.dataset_id)) if ev.dataset_id is not None else None,
            data=ev.data,
            summary=summary(ev.data),
            prev_hash=ev.prev_hash,
            hash=ev.hash,
        )


class AuditPageOut(BaseModel):
    events: list[AuditEventOut] = Field(description="newest first")
    next: int | None = Field(None, description="pass as `before` for the next (older) page; null: none")
    newer: int | None = Field(None, description="pass as `after` for the page of newer events; null: none")

    @classmethod
    def of(cls, page: Page, slugs: dict[int, str]) -> AuditPageOut:
        return cls(events=[AuditEventOut.of(e, slugs) for e in page.events], next=page.older, newer=page.newer)
