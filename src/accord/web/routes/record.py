"""/account/record: the signed-in user's own record on one page, and the same as a JSON download (GDPR Art. 15)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from accord.http.deps import CurrentUser, Db
from accord.record import service as record
from accord.web.templating import render

router = APIRouter(include_in_schema=False)
SHOWN = 50  # rows of the long lists on the page; the JSON holds them all


@router.get("/account/record")
def record_page(request: Request, db: Db, me: CurrentUser):
    return render(request, "record/page.html", record=record.of(db, me), shown=SHOWN)


@router.get("/account/record.json")
def record_json(db: Db, me: CurrentUser):
    mine = record.of(db, me)
    name = f"accord-record-{mine.generated_at:%Y%m%d}.json"
    return Response(
        mine.model_dump_json(indent=2),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"},
    )
