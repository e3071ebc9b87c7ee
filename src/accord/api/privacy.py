"""/api/v1 privacy desk: a data subject's removal request (no account: the e-mailed link is the credential), the
curators' queue, search, selection and decision, and a licensee's deletion notices with their attestation."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from accord.catalog import service as catalog
from accord.http import upload
from accord.http.deps import CurrentUser, Db, Rt, client_address
from accord.http.params import Id
from accord.privacy import service as privacy
from accord.privacy.schemas import (
    AcceptIn,
    AttestIn,
    DeclineIn,
    LinkTokenIn,
    MatchOut,
    NoticeOut,
    OverdueOut,
    PhotoSearchOut,
    QueueRowOut,
    RequesterViewOut,
    RequestOut,
    SearchIn,
    SelectedOut,
    SelectIn,
    StageOut,
    SubmittedOut,
)

router = APIRouter(tags=["privacy"])


@router.post(
    "/removal-requests",
    response_model=SubmittedOut,
    status_code=202,
    summary="Ask to be removed from a dataset (no account; the e-mailed link proves the address)",
    openapi_extra=upload.openapi_body(
        "photo",
        dataset="the dataset's slug",
        email="your e-mail address",
        what="what should be removed",
        why="why (optional)",
        labels="identity labels, one per line (optional)",
        paths="file names or patterns, one per line (optional)",
    ),
)
async def submit(request: Request, db: Db, rt: Rt) -> SubmittedOut:
    received = await upload.receive(
        request, directory=rt.settings.data_dir / "uploads", limit=privacy.MAX_PHOTO_BYTES, file_field="photo",
        required=False,
    )  # fmt: skip
    try:
        fields, photo, address = received.fields, received.data() or None, client_address(request)
        sent = await run_in_threadpool(
            lambda: privacy.submit(
                rt,
                db,
                dataset=fields.get("dataset", ""),
                email=fields.get("email", ""),
                what=fields.get("what", ""),
                why=fields.get("why", ""),
                labels=fields.get("labels", ""),
                paths=fields.get("paths", ""),
                photo=photo,
                address=address,
            )
        )
    finally:
        received.discard()
    return SubmittedOut(follow_link=sent.follow_link)


@router.post("/removal-requests/prove", response_model=RequesterViewOut, summary="Prove the address (one use)")
def prove(body: LinkTokenIn, db: Db, rt: Rt) -> RequesterViewOut:
    return _view(db, privacy.prove(rt, db, body.token))


@router.post("/removal-requests/follow", response_model=RequesterViewOut, summary="My request's progress")
def follow(body: LinkTokenIn, db: Db) -> RequesterViewOut:
    return _view(db, privacy.follow(db, body.token))


def _view(db, req) -> RequesterViewOut:
    return RequesterViewOut(
        dataset=catalog.dataset_by_id(db, req.dataset_id).slug,
        status=req.status,
        due_at=req.due_at,
        stages=[StageOut(name=name, at=at) for name, at in privacy.stages(req)],
        removed_count=req.removed_count,
        decision_reason=req.decision_reason,
    )


def request_out(req) -> RequestOut:
    out = RequestOut.model_validate(req)
    out.has_photo = bool(req.photo_key)
    return out


def _matches(db, req) -> list[MatchOut]:
    return _as_out(privacy.matches(db, req))


def _as_out(found) -> list[MatchOut]:
    return [
        MatchOut(
            item_id=m.match.item_id,
            path=m.path,
            subject=m.subject,
            sha256=m.sha256,
            method=m.match.method,
            score=m.match.score,
            selected=m.match.selected,
        )
        for m in found
    ]


def notice_out(db, notice) -> NoticeOut:
    return NoticeOut.of(notice, catalog.dataset_by_id(db, notice.dataset_id).slug)


@router.get("/privacy/requests", response_model=list[QueueRowOut], summary="Removal requests to answer (curators)")
def queue(db: Db, user: CurrentUser, closed: bool = False) -> list[QueueRowOut]:
    privacy.require_any_desk(user)
    return [
        QueueRowOut(request=request_out(r.request), dataset=r.dataset, days_left=r.days_left, overdue=r.overdue)
        for r in privacy.queue(db, actor=user, include_closed=closed)
    ]


@router.get("/privacy/requests/{request_id}", response_model=RequestOut, summary="One removal request (curators)")
def show(request_id: Id, db: Db, user: CurrentUser) -> RequestOut:
    return request_out(privacy.get(db, request_id, actor=user))


@router.get(
    "/privacy/requests/{request_id}/matches", response_model=list[MatchOut], summary="The files found (curators)"
)
def matches(request_id: Id, db: Db, user: CurrentUser) -> list[MatchOut]:
    return _matches(db, privacy.get(db, request_id, actor=user))


@router.post(
    "/privacy/requests/{request_id}/search",
    response_model=list[MatchOut],
    summary="Find the files by subject label and path pattern (curators)",
)
def search(request_id: Id, body: SearchIn, db: Db, user: CurrentUser) -> list[MatchOut]:
    privacy.search(db, request_id, actor=user, labels=body.labels, paths=body.paths)
    return _matches(db, privacy.get(db, request_id, actor=user))


@router.post(
    "/privacy/requests/{request_id}/photo-search",
    response_model=PhotoSearchOut,
    summary="Search by face and near-duplicate: with the photo sent (never kept), or the requester's (curators)",
    openapi_extra=upload.openapi_body("photo"),
)
async def photo_search(request: Request, request_id: Id, db: Db, rt: Rt, user: CurrentUser) -> PhotoSearchOut:
    await run_in_threadpool(privacy.get, db, request_id, actor=user)  # strangers: before the body is read
    received = await upload.receive(
        request, directory=rt.settings.data_dir / "uploads", limit=privacy.MAX_PHOTO_BYTES, file_field="photo",
        required=False,
    )  # fmt: skip
    try:
        photo = received.data() or None
        done = await run_in_threadpool(lambda: privacy.photo_search(rt, db, request_id, actor=user, photo=photo))
    finally:
        received.discard()
    return PhotoSearchOut(
        found=done.found,
        added=done.added,
        faces_in_photo=done.faces_in_photo,
        unindexed=done.unindexed,
        photo_deleted=done.photo_deleted,
        matches=_as_out(done.matches),
    )


@router.post(
    "/privacy/requests/{request_id}/select", response_model=SelectedOut, summary="Choose the true matches (curators)"
)
def select(request_id: Id, body: SelectIn, db: Db, user: CurrentUser) -> SelectedOut:
    n = privacy.select_matches(db, request_id, set(body.item_ids), actor=user, labels=body.labels)
    return SelectedOut(selected=n)


@router.post(
    "/privacy/requests/{request_id}/accept",
    response_model=RequestOut,
    summary="Remove the selected files: a new version without them, deletion notices to licensees (curators)",
)
def accept(request_id: Id, body: AcceptIn, db: Db, rt: Rt, user: CurrentUser) -> RequestOut:
    return request_out(privacy.accept(rt, db, request_id, actor=user, note=body.note))


@router.post(
    "/privacy/requests/{request_id}/decline",
    response_model=RequestOut,
    summary="Decline, with the reason the requester reads (curators)",
)
def decline(request_id: Id, body: DeclineIn, db: Db, rt: Rt, user: CurrentUser) -> RequestOut:
    return request_out(privacy.decline(rt, db, request_id, actor=user, reason=body.reason))


@router.get(
    "/privacy/overdue-notices",
    response_model=list[OverdueOut],
    summary="Deletion notices past their due date, for the datasets I curate",
)
def overdue(db: Db, user: CurrentUser) -> list[OverdueOut]:
    privacy.require_any_desk(user)
    return [
        OverdueOut(notice=notice_out(db, o.notice), dataset=o.dataset, email=o.email, days_over=o.days_over)
        for o in privacy.overdue_notices(db, actor=user)
    ]


@router.get("/privacy/notices", response_model=list[NoticeOut], summary="My deletion notices")
def notices(db: Db, user: CurrentUser) -> list[NoticeOut]:
    return [notice_out(db, n) for n in privacy.notices_for(db, user)]


@router.get("/privacy/notices/{notice_id}", response_model=NoticeOut, summary="One of my deletion notices")
def notice(notice_id: Id, db: Db, user: CurrentUser) -> NoticeOut:
    return notice_out(db, privacy.notice(db, notice_id, user=user))


@router.post(
    "/privacy/notices/{notice_id}/attest",
    response_model=NoticeOut,
    summary="Attest that I deleted the notice's files from every copy",
)
def attest(notice_id: Id, body: AttestIn, db: Db, user: CurrentUser) -> NoticeOut:
    return notice_out(db, privacy.attest(db, notice_id, user=user, confirmed=body.confirm))
