"""The data subject's pages, no account needed: "Are you in this dataset?" (the removal request, with an optional
photo), the one-use link that proves the e-mail address, and the private link that follows the request.

The proof link is confirmed by a button (POST): mail scanners open links, and opening one must not act."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from accord.catalog import service as catalog
from accord.errors import HTTP_STATUS, AccordError, lookup
from accord.http import upload
from accord.http.deps import Db, OptionalUser, Rt, client_address
from accord.privacy import service as privacy
from accord.web.templating import render

router = APIRouter(include_in_schema=False)
FIELDS = ("email", "what", "why", "labels", "paths")


@router.get("/datasets/{slug}/privacy")
def ask(request: Request, slug: str, db: Db, user: OptionalUser):
    ds = catalog.visible_dataset(db, slug, user)
    return render(request, "privacy/ask.html", ds=ds, values={}, errors={}, max_mb=privacy.MAX_PHOTO_BYTES // 2**20)


@router.post("/datasets/{slug}/privacy")
async def send(request: Request, slug: str, db: Db, rt: Rt, user: OptionalUser):
    ds = await run_in_threadpool(catalog.visible_dataset, db, slug, user)
    received = None
    try:
        received = await upload.receive(
            request,
            directory=rt.settings.data_dir / "uploads",
            limit=privacy.MAX_PHOTO_BYTES,
            file_field="photo",
            required=False,
        )
        sent = await run_in_threadpool(_submit, rt, db, slug, received, client_address(request))
    except AccordError as exc:
        values = {k: received.fields.get(k, "") for k in FIELDS} if received else {}
        return render(
            request,
            "privacy/ask.html",
            status_code=lookup(HTTP_STATUS, exc),
            ds=ds,
            values=values,
            errors={exc.field if exc.field in (*FIELDS, "photo") else "form": exc.message},
            max_mb=privacy.MAX_PHOTO_BYTES // 2**20,
        )
    finally:
        if received is not None:
            received.discard()
    return render(request, "privacy/sent.html", ds=ds, email=sent.request.email, follow=sent.follow_link)


def _submit(rt, db, slug: str, received: upload.Upload, address: str) -> privacy.Submitted:
    return privacy.submit(
        rt,
        db,
        dataset=slug,
        email=received.fields.get("email", ""),
        what=received.fields.get("what", ""),
        why=received.fields.get("why", ""),
        labels=received.fields.get("labels", ""),
        paths=received.fields.get("paths", ""),
        photo=received.data() or None,
        address=address,
    )


@router.get("/privacy/prove/{token}")
def prove_page(request: Request, token: str):
    return render(request, "privacy/prove.html", token=token)


@router.post("/privacy/prove/{token}")
def prove(request: Request, token: str, db: Db, rt: Rt):
    try:
        req = privacy.prove(rt, db, token)
    except AccordError as exc:
        return render(request, "privacy/prove.html", status_code=lookup(HTTP_STATUS, exc), error=exc.message)
    return render(request, "privacy/prove.html", proven=req, dataset=catalog.dataset_by_id(db, req.dataset_id))


@router.get("/privacy/follow/{token}")
def follow(request: Request, token: str, db: Db):
    try:
        req = privacy.follow(db, token)
    except AccordError as exc:
        return render(request, "privacy/follow.html", status_code=lookup(HTTP_STATUS, exc), error=exc.message)
    return render(
        request,
        "privacy/follow.html",
        req=req,
        dataset=catalog.dataset_by_id(db, req.dataset_id),
        stages=privacy.stages(req),
    )
