"""/api/v1 applications: apply, fill in, sign, submit, follow; reviewers approve, reject or return."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from accord.access import service as access
from accord.access.schemas import AnswersIn, ApplicationOut, ApplicationRow, ApproveIn, RejectIn, ReturnIn, SignIn
from accord.api.problems import file_answer
from accord.entitlements.schemas import RevocationOut
from accord.http import upload
from accord.http.deps import CurrentUser, Db, Rt
from accord.http.params import Id

router = APIRouter(tags=["applications"])
SCAN_TYPES = tuple(access.SCAN_SUFFIXES)  # what an upload may be, by its content


class QueuePageOut(BaseModel):
    rows: list[access.QueueRow]  # the service's dataclass: one definition of a queue row
    total: int
    page: int
    pages: int


@router.get(
    "/review-queue",
    response_model=QueuePageOut,
    summary="Applications on the datasets I review: filtered, sorted, one page",
)
def review_queue(
    db: Db,
    user: CurrentUser,
    dataset: str | None = None,
    status: str = "submitted",
    organisation: str | None = None,
    failed_checks: str | None = None,
    older_than_days: int | None = Query(None, ge=0, le=access.MAX_DAYS),
    sort: str = "oldest",
    page: int = Query(1, ge=1, le=access.MAX_PAGE),
    per_page: int = Query(50, ge=1, le=access.MAX_PER_PAGE),
) -> QueuePageOut:
    found = access.review_queue(
        db,
        user,
        dataset=dataset,
        status=status,
        organisation=organisation,
        failed_checks=failed_checks,
        older_than_days=older_than_days,
        sort=sort,
        page=page,
        per_page=per_page,
    )
    return QueuePageOut.model_validate(found, from_attributes=True)


@router.post(
    "/datasets/{slug}/applications",
    response_model=ApplicationOut,
    status_code=201,
    summary="Start an application under the dataset's current terms, optionally with its first answers "
    "(checked first: bad answers start nothing)",
)
def start(slug: str, db: Db, user: CurrentUser, body: AnswersIn | None = None) -> ApplicationOut:
    given = body or AnswersIn()
    return ApplicationOut.of(access.start(db, slug, actor=user, answers=given.answers, signatory=given.signatory))


@router.post(
    "/datasets/{slug}/renewal",
    response_model=ApplicationOut,
    status_code=201,
    summary="Renew expiring or expired access: a new application under the current terms, with the "
    "answers of your last approved one filled in (new questions left for you)",
)
def renew(slug: str, db: Db, user: CurrentUser) -> ApplicationOut:
    return ApplicationOut.of(access.renew(db, slug, actor=user))


@router.get("/applications", response_model=list[ApplicationRow], summary="My applications")
def mine(db: Db, user: CurrentUser) -> list[ApplicationRow]:
    return access.mine(db, user)


@router.get(
    "/applications/{app_id}",
    response_model=ApplicationOut,
    summary="State, what is missing, check results and timeline",
)
def show(app_id: Id, db: Db, user: CurrentUser) -> ApplicationOut:
    record = access.get(db, app_id, viewer=user)
    out = ApplicationOut.of(record)
    out.earlier_revocations = [
        RevocationOut.model_validate(r) for r in access.earlier_revocations(db, record.state, user)
    ]
    return out


@router.put("/applications/{app_id}/answers", response_model=ApplicationOut, summary="Save (part of) the form")
def save(app_id: Id, body: AnswersIn, db: Db, user: CurrentUser) -> ApplicationOut:
    return ApplicationOut.of(access.save(db, app_id, actor=user, answers=body.answers, signatory=body.signatory))


@router.get(
    "/applications/{app_id}/agreement.pdf",
    response_class=Response,
    responses=file_answer("The agreement as a PDF", "application/pdf"),
    summary="The agreement: an unsigned preview, or the sealed signed PDF once signed",
)
def agreement_pdf(app_id: Id, db: Db, rt: Rt, user: CurrentUser) -> Response:
    pdf = access.agreement_pdf(rt, db, app_id, viewer=user)
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="agreement-{app_id}.pdf"'}
    )


@router.get(
    "/applications/{app_id}/scan",
    response_class=Response,
    responses=file_answer("The file as uploaded", *SCAN_TYPES),
    summary="The uploaded hand-signed agreement (applicant and the dataset's reviewers)",
)
def scan_file(app_id: Id, db: Db, rt: Rt, user: CurrentUser) -> Response:
    data, kind = access.stored_scan(rt, db, app_id, viewer=user)
    # An uploaded file: saved, never shown by the browser from our origin, and taken for the type we sniffed.
    return Response(
        data,
        media_type=kind,
        headers={
            "Content-Disposition": f'attachment; filename="{access.scan_file_name(app_id, kind)}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post(
    "/applications/{app_id}/sign",
    response_model=ApplicationOut,
    summary="Sign with a typed full name and explicit consent",
)
def sign(app_id: Id, body: SignIn, db: Db, rt: Rt, user: CurrentUser) -> ApplicationOut:
    return ApplicationOut.of(access.sign(rt, db, app_id, actor=user, full_name=body.full_name, consent=body.consent))


@router.post(
    "/applications/{app_id}/scan",
    response_model=ApplicationOut,
    summary="Sign by uploading the hand-signed agreement (PDF, PNG or JPEG, at most 20 MB)",
    openapi_extra=upload.openapi_body(
        "file", full_name="your full name as signed", consent="true: you agree to be bound by the signed agreement"
    ),
)
async def upload_scan(request: Request, app_id: Id, db: Db, rt: Rt, user: CurrentUser) -> ApplicationOut:
    # Streamed and cut off at the limit (a declared length over it is refused unread); strangers first.
    await run_in_threadpool(access.may_upload_scan, db, app_id, actor=user)
    received = await upload.receive(
        request,
        directory=rt.settings.data_dir / "uploads",
        limit=access.MAX_SCAN_BYTES,
        file_field="file",
        required=False,
    )
    try:
        return await run_in_threadpool(_scan, rt, db, app_id, user, received)
    finally:
        received.discard()


def _scan(rt, db, app_id: Id, user, received: upload.Upload) -> ApplicationOut:
    return ApplicationOut.of(
        access.upload_scan(
            rt,
            db,
            app_id,
            actor=user,
            data=received.data(),
            full_name=received.fields.get("full_name", ""),
            consent=received.flag("consent"),
        )
    )


@router.post("/applications/{app_id}/submit", response_model=ApplicationOut, summary="Submit for review")
def submit(app_id: Id, db: Db, rt: Rt, user: CurrentUser) -> ApplicationOut:
    return ApplicationOut.of(access.submit(db, app_id, actor=user, base_url=rt.settings.base_url))


@router.post("/applications/{app_id}/withdraw", response_model=ApplicationOut, summary="Withdraw")
def withdraw(app_id: Id, db: Db, user: CurrentUser) -> ApplicationOut:
    return ApplicationOut.of(access.withdraw(db, app_id, actor=user))


@router.post("/applications/{app_id}/approve", response_model=ApplicationOut, summary="Approve (reviewers)")
def approve(app_id: Id, db: Db, rt: Rt, user: CurrentUser, body: ApproveIn | None = None) -> ApplicationOut:
    return ApplicationOut.of(
        access.approve(db, app_id, actor=user, note=body.note if body else "", base_url=rt.settings.base_url)
    )


@router.post("/applications/{app_id}/reject", response_model=ApplicationOut, summary="Reject with a reason (reviewers)")
def reject(app_id: Id, body: RejectIn, db: Db, user: CurrentUser) -> ApplicationOut:
    return ApplicationOut.of(access.reject(db, app_id, actor=user, reason=body.reason))


@router.post(
    "/applications/{app_id}/return",
    response_model=ApplicationOut,
    summary="Return for changes with a comment (reviewers)",
)
def return_(app_id: Id, body: ReturnIn, db: Db, user: CurrentUser) -> ApplicationOut:
    return ApplicationOut.of(access.return_for_changes(db, app_id, actor=user, comment=body.comment))
