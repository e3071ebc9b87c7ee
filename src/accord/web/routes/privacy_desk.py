"""The privacy desk for a dataset's curators and the admins: the queue of removal requests with their legal clock
and the overdue deletion notices, and one request's page (search, select the true matches, accept or decline)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from accord.catalog import service as catalog
from accord.errors import HTTP_STATUS, AccordError, InvalidInput, lookup
from accord.http import upload
from accord.http.deps import CurrentUser, Db, Rt
from accord.http.deps import Form as PostedForm
from accord.http.params import Id
from accord.privacy import service as privacy
from accord.web.templating import act_or_show, render

router = APIRouter(include_in_schema=False)
NOTICES = {
    "searched": "Search done.",
    "selected": "Selection saved.",
    "accepted": "Done: the files are removed.",
    "declined": "Declined: the requester is told why.",
}


@router.get("/privacy")
def queue(request: Request, db: Db, user: CurrentUser, closed: bool = False):
    privacy.require_any_desk(user)
    return render(
        request,
        "privacy/queue.html",
        rows=privacy.queue(db, actor=user, include_closed=closed),
        overdue=privacy.overdue_notices(db, actor=user),
        closed=closed,
    )


def _photo_notice(request: Request) -> str:
    """What the last photo search found, from the redirect's query (numbers only)."""
    q = request.query_params
    if q.get("notice") != "photo" or not all(q.get(k, "").isdigit() for k in ("faces", "found", "unindexed")):
        return ""
    faces, found, unindexed = int(q["faces"]), int(q["found"]), int(q["unindexed"])
    said = (
        "No face found in this photo, so only near-duplicate copies of it were looked for."
        if not faces
        else f"{faces} face{'' if faces == 1 else 's'} found in the photo."
    )
    said += f" {found} file{'' if found == 1 else 's'} found."
    if unindexed:
        said += f" {unindexed:,} image(s) of the version are not indexed yet and were not searched."
    return said


def _page(request: Request, db, user, request_id: int, *, status_code: int = 200, errors=None, notice: str = ""):
    req = privacy.get(db, request_id, actor=user)
    found = privacy.matches(db, req)
    labels = sorted({m.subject for m in found if m.subject})
    cut = None
    if req.status == "done" and req.old_version_id and req.new_version_id:  # the manifest diff: what left
        cut = (catalog.version_by_id(db, req.old_version_id), catalog.version_by_id(db, req.new_version_id))
    return render(
        request,
        "privacy/request.html",
        status_code=status_code,
        req=req,
        found=found,
        labels=labels,
        cut=cut,
        removed=sorted({(m.path, m.sha256) for m in found if m.match.selected}),
        errors=errors or {},
        notice=NOTICES.get(notice, "") or _photo_notice(request),
    )


@router.get("/privacy/requests/{request_id}")
def request_page(request: Request, request_id: Id, db: Db, user: CurrentUser, notice: str = ""):
    return _page(request, db, user, request_id, notice=notice)


def _act(request: Request, db, user, request_id: int, done: str, action):
    def again(status: int, errors: dict[str, str]):
        return _page(request, db, user, request_id, status_code=status, errors=errors)

    return act_or_show(db, action, done=f"/privacy/requests/{request_id}?notice={done}", page=again)


@router.post("/privacy/requests/{request_id}/search")
def search(
    request: Request,
    request_id: Id,
    db: Db,
    user: CurrentUser,
    labels: Annotated[str, Form()] = "",
    paths: Annotated[str, Form()] = "",
):
    def run():
        given = labels.strip() or paths.strip()
        privacy.search(
            db,
            request_id,
            actor=user,
            labels=labels.splitlines() if given else None,
            paths=paths.splitlines() if given else None,
        )

    return _act(request, db, user, request_id, "searched", run)


@router.post("/privacy/requests/{request_id}/photo-search")
async def photo_search(request: Request, request_id: Id, db: Db, rt: Rt, user: CurrentUser):
    """With a photo uploaded: the curator's own (never kept); without: the requester's, if still stored."""
    await run_in_threadpool(privacy.get, db, request_id, actor=user)  # strangers: before the body is read
    received = None
    try:
        received = await upload.receive(
            request,
            directory=rt.settings.data_dir / "uploads",
            limit=privacy.MAX_PHOTO_BYTES,
            file_field="photo",
            required=False,
        )
        photo = received.data() or None
        done = await run_in_threadpool(lambda: privacy.photo_search(rt, db, request_id, actor=user, photo=photo))
    except AccordError as exc:
        status, errors = lookup(HTTP_STATUS, exc), {"photo": exc.message}
        return await run_in_threadpool(_page, request, db, user, request_id, status_code=status, errors=errors)
    finally:
        if received is not None:
            received.discard()
    query = f"notice=photo&faces={done.faces_in_photo}&found={done.found}&unindexed={done.unindexed}"
    return RedirectResponse(f"/privacy/requests/{request_id}?{query}", status_code=303)


@router.post("/privacy/requests/{request_id}/select")
def select(request: Request, request_id: Id, db: Db, user: CurrentUser, form: PostedForm):
    items = [v for v in form.getlist("item") if isinstance(v, str)]
    labels = [v for v in form.getlist("label") if isinstance(v, str)]

    def run():
        if not all(i.isascii() and i.isdigit() and len(i) < 19 for i in items):
            raise InvalidInput("choose among the files found for this request")
        privacy.select_matches(db, request_id, {int(i) for i in items}, actor=user, labels=labels)

    return _act(request, db, user, request_id, "selected", run)


@router.post("/privacy/requests/{request_id}/accept")
def accept(request: Request, request_id: Id, db: Db, rt: Rt, user: CurrentUser, note: Annotated[str, Form()] = ""):
    return _act(
        request, db, user, request_id, "accepted", lambda: privacy.accept(rt, db, request_id, actor=user, note=note)
    )


@router.post("/privacy/requests/{request_id}/decline")
def decline(request: Request, request_id: Id, db: Db, rt: Rt, user: CurrentUser, reason: Annotated[str, Form()] = ""):
    return _act(
        request,
        db,
        user,
        request_id,
        "declined",
        lambda: privacy.decline(rt, db, request_id, actor=user, reason=reason),
    )


@router.get("/privacy/requests/{request_id}/items/{item_id}/thumbnail")
def thumbnail(request_id: Id, item_id: Id, db: Db, rt: Rt, user: CurrentUser):
    data = privacy.thumbnail(rt, db, request_id, item_id, actor=user)
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, no-store"})
