"""A licensee's deletion notices: which files to delete after a removal at a data subject's request, by when,
and the attestation that they did."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from accord.catalog import service as catalog
from accord.errors import HTTP_STATUS, AccordError, lookup
from accord.http.deps import CurrentUser, Db
from accord.http.params import Id
from accord.privacy import service as privacy
from accord.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/privacy/notices")
def mine(request: Request, db: Db, user: CurrentUser):
    rows = privacy.notices_for(db, user)
    titles = {n.dataset_id: catalog.dataset_by_id(db, n.dataset_id).title for n in rows}
    return render(request, "privacy/notices.html", rows=rows, titles=titles)


def _page(request: Request, db, user, notice_id: int, *, status_code: int = 200, error: str = "", done: bool = False):
    notice = privacy.notice(db, notice_id, user=user)
    return render(
        request,
        "privacy/notice.html",
        status_code=status_code,
        notice=notice,
        dataset=catalog.dataset_by_id(db, notice.dataset_id),
        mine=notice.user_id == user.id,
        statement=privacy.ATTESTATION,
        error=error,
        done=done,
    )


@router.get("/privacy/notices/{notice_id}")
def notice_page(request: Request, notice_id: Id, db: Db, user: CurrentUser, done: bool = False):
    return _page(request, db, user, notice_id, done=done)


@router.post("/privacy/notices/{notice_id}/attest")
def attest(request: Request, notice_id: Id, db: Db, user: CurrentUser, confirm: Annotated[bool, Form()] = False):
    try:
        privacy.attest(db, notice_id, user=user, confirmed=confirm)
    except AccordError as exc:
        return _page(request, db, user, notice_id, status_code=lookup(HTTP_STATUS, exc), error=exc.message)
    return RedirectResponse(f"/privacy/notices/{notice_id}?done=true", status_code=303)
