"""/api/v1 training certificates: upload, list mine, the file; reviewers list, accept and reject."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import WithJsonSchema
from starlette.concurrency import run_in_threadpool

from accord.access import service as access
from accord.api.problems import file_answer
from accord.errors import PermissionDenied
from accord.http import upload
from accord.http.deps import CurrentUser, Db, Rt
from accord.http.params import MAX_INT, Id
from accord.identity import service as identity
from accord.training import service as training
from accord.training.schemas import CertificateOut, CertificateRejectIn

router = APIRouter(tags=["training"])
# A form field is absent or has a value; it cannot be null, so the document does not offer null.
FORM_INT = WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_INT})
FORM_TEXT = WithJsonSchema({"type": "string"})


def _out(db, certs) -> list[CertificateOut]:
    """With each holder's e-mail address, so a reviewer's list says whose certificate it is (one query)."""
    holders = identity.users_by_id(db, {c.user_id for c in certs})
    return [
        CertificateOut.model_validate(c).model_copy(update={"holder_email": holders[c.user_id].email}) for c in certs
    ]


@router.post(
    "/training",
    response_model=CertificateOut,
    status_code=201,
    summary="Upload a training certificate (PDF, PNG or JPEG, at most 20 MB) with an application, or as a "
    "licensee's renewal for a dataset",
    openapi_extra=upload.openapi_body(
        "file",
        course="the course's name",
        completed_on="YYYY-MM-DD",
        expires_on="YYYY-MM-DD, if any",
        application_id="the application it is for",
        dataset="or the dataset's slug, for a renewal",
    ),
)
async def upload_certificate(request: Request, db: Db, rt: Rt, user: CurrentUser) -> CertificateOut:
    # Streamed and cut off at the limit (a declared length over it is refused unread).
    received = await upload.receive(
        request, directory=rt.settings.data_dir / "uploads", limit=training.MAX_BYTES, file_field="file", required=False
    )
    try:
        return await run_in_threadpool(_upload, rt, db, user, received)
    finally:
        received.discard()


def _upload(rt, db, user, received: upload.Upload) -> CertificateOut:
    form = received.fields
    return _out(
        db,
        [
            training.upload(
                rt,
                db,
                actor=user,
                data=received.data(),
                filename=received.filename,
                course=form.get("course", ""),
                completed_on=form.get("completed_on", ""),
                expires_on=form.get("expires_on", ""),
                application_id=received.number("application_id"),
                dataset_slug=form.get("dataset") or None,
                base_url=rt.settings.base_url,
            )
        ],
    )[0]


@router.get("/training", response_model=list[CertificateOut], summary="My training certificates, newest first")
def mine(db: Db, user: CurrentUser) -> list[CertificateOut]:
    return _out(db, training.mine(db, user))


@router.get(
    "/review-queue/training",
    response_model=list[CertificateOut],
    summary="Training certificates waiting in the datasets I review",
)
def to_review(db: Db, user: CurrentUser) -> list[CertificateOut]:
    if not access.reviews_any(user):
        raise PermissionDenied("only reviewers have training certificates to review")
    return _out(db, training.to_review(db, user))


@router.get(
    "/training/{cert_id}",
    response_model=CertificateOut,
    summary="One certificate (its holder and the dataset's reviewers)",
)
def show(cert_id: Id, db: Db, user: CurrentUser) -> CertificateOut:
    return _out(db, [training.get(db, cert_id, viewer=user)])[0]


@router.get(
    "/training/{cert_id}/file",
    response_class=Response,
    responses=file_answer("The file as uploaded", *access.SCAN_SUFFIXES),
    summary="The certificate's file (its holder and the dataset's reviewers)",
)
def certificate_file(cert_id: Id, db: Db, rt: Rt, user: CurrentUser) -> Response:
    data, cert = training.file(rt, db, cert_id, viewer=user)
    return Response(
        data,
        media_type=cert.media_type,
        headers={"Content-Security-Policy": "sandbox", "Cache-Control": "private, no-store"},
    )


@router.post("/training/{cert_id}/accept", response_model=CertificateOut, summary="Accept (reviewers)")
def accept(cert_id: Id, db: Db, user: CurrentUser) -> CertificateOut:
    return _out(db, [training.accept(db, cert_id, actor=user)])[0]


@router.post(
    "/training/{cert_id}/reject",
    response_model=CertificateOut,
    summary="Reject with a reason the holder is told (reviewers)",
)
def reject(cert_id: Id, body: CertificateRejectIn, db: Db, user: CurrentUser) -> CertificateOut:
    return _out(db, [training.reject(db, cert_id, actor=user, reason=body.reason)])[0]
