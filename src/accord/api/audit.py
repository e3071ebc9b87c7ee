"""/api/v1/audit: the audit log in pages and as a JSON Lines export, for administrators (every event) and
curators (the events about the datasets they curate)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from accord.audit import service as audit
from accord.audit.schemas import AuditPageOut
from accord.catalog import service as catalog
from accord.db import MAX_INT, utcnow
from accord.http.deps import CurrentUser, Db, Rt

router = APIRouter(tags=["audit"])
EXPORT_TYPE = "application/x-ndjson"

Actor = Annotated[str, Query(max_length=320, description="an e-mail address, or cli, jobs or system")]
Action = Annotated[str, Query(max_length=100, description="exact, or a prefix ending in '.' (anonymisation.)")]
Dataset = Annotated[str, Query(max_length=100, description="a dataset's slug")]
Since = Annotated[str, Query(max_length=40, description="from: YYYY-MM-DD or an ISO date and time (UTC)")]
Until = Annotated[str, Query(max_length=40, description="to: YYYY-MM-DD (that day included) or an ISO date and time")]
Cursor = Annotated[int | None, Query(ge=1, le=MAX_INT)]


def asked(db, user, actor: str, action: str, dataset: str, since: str, until: str):
    """The reader's scope and the filters, checked (an unknown dataset: 404; one not theirs: 403)."""
    scope = audit.scope_of(user)
    dataset_id = catalog.dataset_by_slug(db, dataset).id if dataset else None
    return scope, audit.filters(actor=actor, action=action, dataset_id=dataset_id, since=since, until=until)


@router.get("/audit/events", response_model=AuditPageOut, summary="Audit events, newest first, a page at a time")
def events(
    db: Db,
    user: CurrentUser,
    actor: Actor = "",
    action: Action = "",
    dataset: Dataset = "",
    since: Since = "",
    until: Until = "",
    before: Cursor = None,
    after: Cursor = None,
    per_page: Annotated[int, Query(ge=1, le=audit.MAX_PER_PAGE)] = audit.PER_PAGE,
) -> AuditPageOut:
    """Administrators read every event, curators those about their datasets. Follow `next` (as `before`) for
    older events and `newer` (as `after`) back."""
    scope, wanted = asked(db, user, actor, action, dataset, since, until)
    page = audit.page(db, scope, wanted, before=before, after=after, per_page=per_page)
    slugs = catalog.slugs(db, {e.dataset_id for e in page.events if e.dataset_id is not None})
    return AuditPageOut.of(page, slugs)


@router.get(
    "/audit/export",
    response_class=StreamingResponse,
    responses={200: {"content": {EXPORT_TYPE: {}}, "description": "JSON Lines: header, checkpoints, events, end"}},
    summary="The audit log as JSON Lines with its hash chain and signed checkpoints, to check offline",
)
def export(
    db: Db,
    rt: Rt,
    user: CurrentUser,
    actor: Actor = "",
    action: Action = "",
    dataset: Dataset = "",
    since: Since = "",
    until: Until = "",
) -> StreamingResponse:
    """The events the filters pick, oldest first, each with its hash and the hash before it, and the signed
    checkpoints over their range; `accord audit check FILE` checks it without the server."""
    scope, wanted = asked(db, user, actor, action, dataset, since, until)
    lines = audit.export_lines(rt, scope, wanted)  # refuses a dataset outside the scope before any line
    name = f"audit-{dataset + '-' if dataset else ''}{utcnow():%Y%m%dT%H%M%S}.jsonl"
    return StreamingResponse(
        (line.encode() for line in lines),
        media_type=EXPORT_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"},
    )
