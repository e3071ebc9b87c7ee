"""/api/v1 training certificates: upload, list mine, the file; reviewers list, accept and reject."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, UploadFile
from fastapi.responses import Response

from accord.access import queue
from accord.errors import PermissionDenied
from accord.training import service as training
from accord.training.schemas import CertificateOut, CertificateRejectIn
from accord.web.deps import CurrentUser, Db, Rt

router = APIRouter(tags=["training"])


@router.post("/training", response_model=CertificateOut, status_code=201,
             summary="Upload a training certificate (PDF, PNG or JPEG) with an application, or as a licensee's "
                     "renewal for a dataset")
def upload(db: Db, rt: Rt, user: CurrentUser, file: UploadFile, course: Annotated[str, Form()] = "",
           completed_on: Annotated[str, Form()] = "", expires_on: Annotated[str, Form()] = "",
           application_id: Annotated[int | None, Form()] = None,
           dataset: Annotated[str | None, Form()] = None) -> CertificateOut:
    data = file.file.read(training.MAX_BYTES + 1)  # one byte over is enough to know it is too large
    return CertificateOut.model_validate(training.upload(
        rt, db, actor=user, data=data, filename=file.filename or "", course=course, completed_on=completed_on,
        expires_on=expires_on, application_id=application_id, dataset_slug=dataset, base_url=rt.settings.base_url))


@router.get("/training", response_model=list[CertificateOut], summary="My training certificates, newest first")
def mine(db: Db, user: CurrentUser) -> list[CertificateOut]:
    return [CertificateOut.model_validate(c) for c in training.mine(db, user)]


@router.get("/review-queue/training", response_model=list[CertificateOut],
            summary="Training certificates waiting in the datasets I review")
def to_review(db: Db, user: CurrentUser) -> list[CertificateOut]:
    if not queue.reviews_any(user):
        raise PermissionDenied("only reviewers have training certificates to review")
    return [CertificateOut.model_validate(c) for c in training.to_review(db, user)]


@router.get("/training/{cert_id}", response_model=CertificateOut,
            summary="One certificate (its holder and the dataset's reviewers)")
def show(cert_id: int, db: Db, user: CurrentUser) -> CertificateOut:
    return CertificateOut.model_validate(training.get(db, cert_id, viewer=user))


@router.get("/training/{cert_id}/file", response_class=Response,
            summary="The certificate's file (its holder and the dataset's reviewers)")
def certificate_file(cert_id: int, db: Db, rt: Rt, user: CurrentUser) -> Response:
    data, cert = training.file(rt, db, cert_id, viewer=user)
    return Response(data, media_type=cert.media_type, headers={"Content-Security-Policy": "sandbox",
                                                                "Cache-Control": "private, no-store"})


@router.post("/training/{cert_id}/accept", response_model=CertificateOut, summary="Accept (reviewers)")
def accept(cert_id: int, db: Db, user: CurrentUser) -> CertificateOut:
    return CertificateOut.model_validate(training.accept(db, cert_id, actor=user))


@router.post("/training/{cert_id}/reject", response_model=CertificateOut,
             summary="Reject with a reason the holder is told (reviewers)")
def reject(cert_id: int, body: CertificateRejectIn, db: Db, user: CurrentUser) -> CertificateOut:
    return CertificateOut.model_validate(training.reject(db, cert_id, actor=user, reason=body.reason))
