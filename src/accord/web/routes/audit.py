"""/admin/audit: the audit log for administrators (every event) and curators (events about their datasets),
filtered with a GET form, a page at a time, with a link to the same selection as a JSON Lines export."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request

from accord.api.audit import asked
from accord.audit import service as audit
from accord.audit.schemas import AuditEventOut
from accord.catalog import service as catalog
from accord.db import MAX_INT
from accord.errors import HTTP_STATUS, InvalidInput, NotFound, lookup
from accord.http.deps import CurrentUser, Db
from accord.web.templating import render

router = APIRouter(include_in_schema=False)
FIELDS = ("actor", "action", "dataset", "since", "until")
Cursor = Annotated[int | None, Query(ge=1, le=MAX_INT)]


@router.get("/admin/audit")
def audit_log(
    request: Request,
    db: Db,
    me: CurrentUser,
    actor: str = "",
    action: str = "",
    dataset: str = "",
    since: str = "",
    until: str = "",
    before: Cursor = None,
    after: Cursor = None,
):
    scope = audit.scope_of(me)  # not an admin or a curator: 403
    values = {"actor": actor, "action": action, "dataset": dataset, "since": since, "until": until}
    shown = {k: v.strip()[:320] for k, v in values.items() if v.strip()}
    choices = catalog.slugs(db, None if scope.everything or scope.datasets is None else scope.datasets)
    errors: dict[str, str] = {}
    page, status = audit.Page([], None, None), 200
    try:
        scope, wanted = asked(db, me, actor, action, dataset, since, until)
        page = audit.page(db, scope, wanted, before=before, after=after)
    except (InvalidInput, NotFound) as exc:  # said beside the form; a dataset not theirs is a 403 page
        errors[exc.field or "dataset"], status = exc.message, lookup(HTTP_STATUS, exc)
    query = urlencode(shown)
    return render(
        request,
        "admin/audit.html",
        status_code=status,
        values=shown,
        errors=errors,
        choices=sorted(choices.values()),
        events=[AuditEventOut.of(e, choices) for e in page.events],
        newer=f"?{query}&after={page.newer}" if page.newer else None,
        older=f"?{query}&before={page.older}" if page.older else None,
        export=f"/api/v1/audit/export?{query}",
        everything=scope.everything,
    )
