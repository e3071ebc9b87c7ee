"""Training certificate pages: the applicant uploads one with the application, a licensee uploads a renewal from
the dataset's download page, reviewers open the file and accept or reject it (on the application's review page,
or on /review/training for renewals)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from accord.access import service as access
from accord.catalog import service as catalog
from accord.db import utcnow
from accord.entitlements import service as entitlements
from accord.errors import HTTP_STATUS, AccordError, InvalidInput, NotFound, PermissionDenied, lookup
from accord.http import upload
from accord.http.deps import CurrentUser, Db, Rt
from accord.http.params import Id
from accord.identity import service as identity
from accord.policy.schema import Training
from accord.training import service as training
from accord.training.models import TrainingCertificate
from accord.web.routes.applications import Form
from accord.web.templating import render

router = APIRouter(include_in_schema=False)

SUFFIX = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
UPLOAD_FIELDS = ("course", "completed_on", "expires_on")
STATE_WORDS = {
    "valid": "Accepted",
    "pending": "Waiting for a reviewer",
    "expired": "Ran out",
    "rejected": "Not accepted",
    "missing": "None yet",
}


@dataclass(frozen=True)
class View:
    """What a page shows about the certificate an application (or a licensee) relies on."""

    required: Training
    cert: TrainingCertificate | None
    until: date | None  # the day it stops counting under these terms
    counts: bool
    limit_mb: int = training.MAX_BYTES // (1024 * 1024)


def view(db, dataset_id: int, policy_version: int, *, app_id: int | None = None) -> View | None:
    required = training.terms_training(db, dataset_id, policy_version)
    if required is None:
        return None
    cert = training.for_application(db, app_id) if app_id is not None else None
    if cert is None:
        return View(required, None, None, False)
    return View(required, cert, training.valid_until(cert, required), training.counts(cert, required, utcnow().date()))


def context(db, record) -> dict:
    """For routes.applications.application_context: the application's certificate, when its terms ask for one."""
    return {"training": view(db, record.state.dataset_id, record.state.policy_version, app_id=record.id)}


async def _receive(request: Request, rt) -> upload.Upload:
    received = await upload.receive(
        request,
        directory=rt.settings.data_dir / "uploads",
        limit=training.MAX_BYTES,
        file_field="certificate",
        required=False,
    )
    return received


def _upload(rt, db, me, received: upload.Upload | None, **where):
    if received is None or received.path is None:
        raise InvalidInput("choose the certificate file to upload", field="certificate")
    return training.upload(
        rt,
        db,
        actor=me,
        data=received.path.read_bytes(),
        filename=received.filename,
        course=received.fields.get("course", ""),
        completed_on=received.fields.get("completed_on", ""),
        expires_on=received.fields.get("expires_on", ""),
        base_url=rt.settings.base_url,
        **where,
    )


def _values(received: upload.Upload | None) -> dict:
    return {f"training.{k}": received.fields.get(k, "") for k in UPLOAD_FIELDS} if received else {}


# --- the applicant -------------------------------------------------------------------------------------------


@router.post("/applications/{app_id}/training")
async def upload_with_application(request: Request, app_id: Id, db: Db, rt: Rt, me: CurrentUser):

    await run_in_threadpool(access.may_upload_scan, db, app_id, actor=me)  # strangers and reviewers: before the body
    received = None
    try:
        received = await _receive(request, rt)
        await run_in_threadpool(_upload, rt, db, me, received, application_id=app_id)
    except AccordError as exc:
        return await run_in_threadpool(_application_refused, request, db, me, app_id, exc, _values(received))
    finally:
        if received is not None:
            received.discard()
    return RedirectResponse(f"/applications/{app_id}?notice=training#training-h", status_code=303)


def _application_refused(request, db, me, app_id: int, exc: AccordError, values: dict):
    from accord.access import service as access
    from accord.web.routes.applications import render_application

    state = access.get(db, app_id, viewer=me).state
    values = {**state.answers, **{f"signatory.{k}": v for k, v in (state.signatory or {}).items()}, **values}
    return render_application(
        request,
        db,
        me,
        app_id,
        status_code=lookup(HTTP_STATUS, exc),
        errors={exc.field or "certificate": exc.message},
        values=values,
    )


# --- the licensee --------------------------------------------------------------------------------------------


def _licensee_page(request, db, me, slug: str, *, errors=None, values=None, notice=None, status_code=200):
    ds = catalog.visible_dataset(db, slug, me)
    required = training.terms_training(db, ds.id)
    held = training.standing(db, me.id, required, utcnow().date()) if required else None
    return render(
        request,
        "training/licensee.html",
        status_code=status_code,
        ds=ds,
        required=required,
        held=held,
        certs=training.mine(db, me),
        holds=entitlements.ever_held(db, me.id, ds.id),
        errors=errors or {},
        values=values or {},
        notice=notice,
        words=STATE_WORDS,
        limit_mb=training.MAX_BYTES // (1024 * 1024),
        until=lambda c: training.valid_until(c, required),
    )


@router.get("/datasets/{slug}/training")
def licensee_page(request: Request, slug: str, db: Db, me: CurrentUser, notice: str = ""):
    return _licensee_page(
        request,
        db,
        me,
        slug,
        notice="Your certificate was uploaded; a reviewer of this dataset will look at it."
        if notice == "uploaded"
        else None,
    )


@router.post("/datasets/{slug}/training")
async def upload_renewal(request: Request, slug: str, db: Db, rt: Rt, me: CurrentUser):
    received = None
    try:
        await run_in_threadpool(training.may_renew, db, slug, actor=me)  # before the body is read
        received = await _receive(request, rt)
        await run_in_threadpool(_upload, rt, db, me, received, dataset_slug=slug)
    except AccordError as exc:
        return await run_in_threadpool(
            _licensee_page,
            request,
            db,
            me,
            slug,
            values=_values(received),
            errors={exc.field or "certificate": exc.message},
            status_code=lookup(HTTP_STATUS, exc),
        )
    finally:
        if received is not None:
            received.discard()
    return RedirectResponse(f"/datasets/{slug}/training?notice=uploaded", status_code=303)


# --- the file, for its holder and the dataset's reviewers -----------------------------------------------------


@router.get("/training/{cert_id}/file")
def certificate_file(cert_id: Id, db: Db, rt: Rt, me: CurrentUser):
    data, cert = training.file(rt, db, cert_id, viewer=me)
    # An uploaded file is shown from our origin: sandboxed, so a PDF's scripts cannot act as the viewer.
    return Response(
        data,
        media_type=cert.media_type,
        headers={
            "Content-Disposition": f'inline; filename="training-certificate-{cert.id}.{SUFFIX[cert.media_type]}"',
            "Content-Security-Policy": "sandbox",
            "Cache-Control": "private, no-store",
        },
    )


# --- reviewers -----------------------------------------------------------------------------------------------


@router.get("/review/training")
def to_review(request: Request, db: Db, me: CurrentUser, notice: str = ""):
    return _to_review(
        request,
        db,
        me,
        notice={
            "accepted": "The certificate was accepted.",
            "rejected": "The certificate was rejected; its holder was told why.",
        }.get(notice),
    )


def _to_review(request, db, me, *, errors=None, values=None, notice=None, status_code=200):
    if not access.reviews_any(me):
        raise PermissionDenied("this page is for reviewers")
    certs = training.to_review(db, me)
    holders = identity.users_by_id(db, {c.user_id for c in certs})
    datasets = {c.dataset_id: catalog.dataset_by_id(db, c.dataset_id) for c in certs}
    return render(
        request,
        "training/review.html",
        status_code=status_code,
        certs=certs,
        holders=holders,
        datasets=datasets,
        errors=errors or {},
        values=values or {},
        notice=notice,
    )


@router.post("/training/{cert_id}/accept")
def accept(request: Request, cert_id: Id, db: Db, me: CurrentUser):
    return _decide(request, db, me, cert_id, "accept", "")


@router.post("/training/{cert_id}/reject")
def reject(request: Request, cert_id: Id, db: Db, me: CurrentUser, form: Form):
    return _decide(request, db, me, cert_id, "reject", str(form.get("reason", "")))


def _decide(request, db, me, cert_id: int, decision: str, reason: str):
    cert = training.get(db, cert_id, viewer=me)  # NotFound for strangers
    app_id = cert.application_id
    try:
        if decision == "accept":
            training.accept(db, cert_id, actor=me)
        else:
            training.reject(db, cert_id, actor=me, reason=reason)
    except AccordError as exc:
        code = lookup(HTTP_STATUS, exc)
        if code in (403, 404):
            raise
        if app_id is not None:
            from accord.web.routes.review import render_review

            try:  # a draft's review page is the applicant's alone: then the certificates page says it
                return render_review(
                    request,
                    db,
                    me,
                    app_id,
                    errors={f"training_{decision}": exc.message},
                    status_code=code,
                    values={"training_reject": reason},
                )
            except NotFound:
                pass
        return _to_review(request, db, me, errors={cert_id: exc.message}, values={cert_id: reason}, status_code=code)
    if app_id is not None:
        return RedirectResponse(f"/review/{app_id}?notice=training-{decision}ed#training-h", status_code=303)
    return RedirectResponse(f"/review/training?notice={decision}ed", status_code=303)


def licensee_note(db, user, dataset_id: int) -> dict | None:
    """For the download page: until when the licensee's certificate counts, when the terms ask for one."""
    required = training.terms_training(db, dataset_id)
    if required is None or user is None:
        return None
    return {"until": training.standing(db, user.id, required, utcnow().date()).until}
