"""The consent registry's pages: the curators' page of a dataset (its records, which labels and items lack
consent, the CSV import with its report, the scanned forms, a withdrawal received on paper), and the subject's
own page, reached by their private link, to withdraw consent."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from accord.catalog import service as catalog
from accord.errors import HTTP_STATUS, AccordError, InvalidInput, lookup
from accord.http import upload
from accord.http.deps import CurrentUser, Db, Form, Rt, client_address
from accord.privacy import service as privacy
from accord.web.templating import render

router = APIRouter(include_in_schema=False)

NOTICES = {
    "form": "The scanned form was stored with the record.",
    "withdrawn": "The withdrawal is recorded and a removal request was opened for the label.",
}


def _page(request, db, me, slug: str, *, status_code=200, errors=None, report=None, lines=(), notice=None):
    ds = catalog.visible_dataset(db, slug, me)
    records = privacy.records(db, ds.id, actor=me)
    return render(
        request,
        "privacy/consent/curator.html",
        status_code=status_code,
        ds=ds,
        records=records,
        cover=privacy.coverage(db, ds.id, actor=me),
        errors=errors or {},
        report=report,
        lines=list(lines),
        notice=NOTICES.get(notice or ""),
        csv_mb=privacy.MAX_CSV_BYTES // 2**20,
        form_mb=privacy.MAX_FORM_BYTES // 2**20,
    )


def _curated(db, slug: str, me) -> int:
    """The dataset's id once the actor is known to curate it: strangers are refused before a body is read."""
    ds = catalog.visible_dataset(db, slug, me)
    catalog.require_curator(me, ds.id)
    return ds.id


@router.get("/datasets/{slug}/consent")
def curator_page(request: Request, slug: str, db: Db, me: CurrentUser, notice: str = ""):
    return _page(request, db, me, slug, notice=notice)


@router.post("/datasets/{slug}/consent/import")
async def import_csv(request: Request, slug: str, db: Db, rt: Rt, me: CurrentUser):
    dataset_id = await run_in_threadpool(_curated, db, slug, me)
    received = None
    try:
        received = await upload.receive(
            request, directory=rt.settings.data_dir / "uploads", limit=privacy.MAX_CSV_BYTES, file_field="file"
        )
        if received.path is None:
            raise InvalidInput("choose the CSV file of consent records", field="file")
        report = await run_in_threadpool(privacy.import_csv, rt, db, dataset_id, received.data(), actor=me)
    except AccordError as exc:
        return await run_in_threadpool(
            _page,
            request,
            db,
            me,
            slug,
            status_code=lookup(HTTP_STATUS, exc),
            errors={"file": exc.message},
            lines=exc.details.get("lines", ()),
        )
    finally:
        if received is not None:
            received.discard()
    # The links are shown this once: only their hashes are kept. Rendered, not redirected, and not cached.
    shown = await run_in_threadpool(_page, request, db, me, slug, report=report)
    shown.headers["Cache-Control"] = "no-store"
    return shown


@router.post("/datasets/{slug}/consent/form")
async def upload_form(request: Request, slug: str, db: Db, rt: Rt, me: CurrentUser):
    dataset_id = await run_in_threadpool(_curated, db, slug, me)
    received = None
    try:
        received = await upload.receive(
            request, directory=rt.settings.data_dir / "uploads", limit=privacy.MAX_FORM_BYTES, file_field="form"
        )
        if received.path is None:
            raise InvalidInput("choose the scan of the signed consent form", field="form")
        subject = received.fields.get("subject", "")
        await run_in_threadpool(
            privacy.attach_form, rt, db, dataset_id, subject, received.data(), received.filename, actor=me
        )
    except AccordError as exc:
        return await run_in_threadpool(
            _page, request, db, me, slug, status_code=lookup(HTTP_STATUS, exc), errors={"form": exc.message}
        )
    finally:
        if received is not None:
            received.discard()
    return RedirectResponse(f"/datasets/{slug}/consent?notice=form", status_code=303)


@router.get("/datasets/{slug}/consent/form")
def form_file(slug: str, db: Db, rt: Rt, me: CurrentUser, subject: str = ""):
    ds = catalog.visible_dataset(db, slug, me)
    data, kind, name = privacy.form_of(rt, db, ds.id, subject, actor=me)
    # Shown from our origin: sandboxed, so a PDF's scripts cannot act as the curator.
    return Response(
        data,
        media_type=kind,
        headers={"Content-Disposition": f'inline; filename="{name}"', "Content-Security-Policy": "sandbox"},
    )


@router.post("/datasets/{slug}/consent/withdraw")
def withdraw_for(request: Request, slug: str, db: Db, rt: Rt, me: CurrentUser, form: Form):
    ds = catalog.visible_dataset(db, slug, me)
    try:
        privacy.withdraw_for(
            rt,
            db,
            ds.id,
            str(form.get("subject", "")),
            actor=me,
            email=str(form.get("email", "")),
            why=str(form.get("why", "")),
        )
    except AccordError as exc:
        return _page(request, db, me, slug, status_code=lookup(HTTP_STATUS, exc), errors={"withdraw": exc.message})
    return RedirectResponse(f"/datasets/{slug}/consent?notice=withdrawn", status_code=303)


# --- the subject, by their private link -------------------------------------------------------------------------


def _subject_page(request, db, token: str, *, status_code=200, errors=None, values=None, done=None):
    record = privacy.consent_by_link(db, token)
    return render(
        request,
        "privacy/consent/withdraw.html",
        status_code=status_code,
        record=record,
        ds=catalog.dataset_by_id(db, record.dataset_id),
        token=token,
        errors=errors or {},
        values=values or {},
        done=done,
    )


@router.get("/privacy/consent/{token}")
def withdraw_page(request: Request, token: str, db: Db):
    return _subject_page(request, db, token)


@router.post("/privacy/consent/{token}")
def withdraw(request: Request, token: str, db: Db, rt: Rt, form: Form):
    email, why = str(form.get("email", "")), str(form.get("why", ""))
    try:
        done = privacy.withdraw(rt, db, token, email=email, why=why, address=client_address(request))
    except privacy.LinkInvalid:
        raise
    except AccordError as exc:
        return _subject_page(
            request,
            db,
            token,
            status_code=lookup(HTTP_STATUS, exc),
            errors={exc.field or "form": exc.message},
            values={"email": email, "why": why},
        )
    shown = _subject_page(request, db, token, done=done)
    shown.headers["Cache-Control"] = "no-store"  # the follow link, shown once
    return shown
