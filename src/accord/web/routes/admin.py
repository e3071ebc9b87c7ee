"""Curation pages: create datasets and versions, ingest (upload or server path), publish, withdraw.

Global curators and administrators see every dataset; a curator of some datasets sees and manages only those
(another dataset's pages answer 403, as the services do); creating datasets stays with global curators."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from accord.catalog import service as catalog
from accord.catalog.jobs import check_ingest, start_ingest
from accord.errors import AccordError, Conflict, InvalidInput, PermissionDenied
from accord.http import upload
from accord.http.deps import CurrentUser, Db, Rt
from accord.identity import service as identity
from accord.identity.models import User
from accord.privacy import service as privacy
from accord.web.routes import downloads
from accord.web.templating import render

router = APIRouter(include_in_schema=False)

DATASET_FIELDS = (
    "slug",
    "title",
    "custodian",
    "custodian_short",
    "custodian_contact",
    "summary",
    "description",
    "homepage",
    "modalities",
    "subject_count",
    "image_count",
    "citation_bibtex",
    "terms_summary",
)


def curator_user(user: CurrentUser) -> User:
    """Administrators and curators, global or of some datasets (each dataset's pages then check that one)."""
    if not user.may_curate:
        raise PermissionDenied("this page is for curators and administrators")
    return user


def _curated(db, slug: str, me: User):
    """The dataset, if `me` curates it; a curator of other datasets only is refused."""
    ds = catalog.dataset_by_slug(db, slug)
    catalog.require_curator(me, ds.id)
    return ds


Curator = Annotated[User, Depends(curator_user)]


def _back(slug: str, note: str = "") -> RedirectResponse:
    return RedirectResponse(f"/admin/datasets/{slug}" + (f"?note={note}" if note else ""), status_code=303)


def _admin_home(
    request: Request, db, me: User, *, form: dict | None = None, errors: dict | None = None, status_code: int = 200
):
    cards = catalog.search_datasets(db, include_drafts=True)
    creates = identity.has_role(me, "curator")  # global curators and administrators
    if not creates:  # a curator of some datasets: only those
        cards = [c for c in cards if catalog.can_curate(me, catalog.dataset_by_slug(db, c.slug).id)]
    return render(
        request,
        "admin/index.html",
        status_code=status_code,
        cards=cards,
        form=form or {},
        errors=errors or {},
        creates=creates,
    )


@router.get("/admin")
def admin_home(request: Request, db: Db, me: Curator):
    return _admin_home(request, db, me)


@router.post("/admin/datasets")
def create_dataset(
    request: Request,
    db: Db,
    me: Curator,
    slug: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    custodian: Annotated[str, Form()] = "",
    custodian_short: Annotated[str, Form()] = "",
    custodian_contact: Annotated[str, Form()] = "",
    summary: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    homepage: Annotated[str, Form()] = "",
    modalities: Annotated[str, Form()] = "",
    subject_count: Annotated[str, Form()] = "",
    image_count: Annotated[str, Form()] = "",
    citation_bibtex: Annotated[str, Form()] = "",
    terms_summary: Annotated[str, Form()] = "",
):
    form: dict[str, Any] = {  # the text as typed: create_dataset cleans it (counts are parsed there)
        "slug": slug,
        "title": title,
        "custodian": custodian,
        "custodian_short": custodian_short,
        "custodian_contact": custodian_contact,
        "summary": summary,
        "description": description,
        "homepage": homepage,
        "modalities": modalities,
        "subject_count": subject_count,
        "image_count": image_count,
        "citation_bibtex": citation_bibtex,
        "terms_summary": terms_summary,
    }
    try:
        ds = catalog.create_dataset(db, **{**form, "homepage": homepage or None}, actor=me)
    except (InvalidInput, Conflict) as exc:
        # Show the message next to its field and keep what was typed.
        errors = {exc.field if exc.field in DATASET_FIELDS else "_form": exc.message}
        return _admin_home(
            request, db, me, form=form, errors=errors, status_code=409 if isinstance(exc, Conflict) else 422
        )
    return _back(ds.slug, "created")


@router.get("/admin/datasets/{slug}")
def dataset_admin(request: Request, slug: str, db: Db, me: Curator, note: str = ""):
    ds = _curated(db, slug, me)
    return render(
        request,
        "admin/dataset.html",
        ds=ds,
        versions=list(reversed(ds.versions)),
        note=note,
        is_admin=me.is_admin,
        errors={},
        access=downloads.who_has_access(db, ds.id, me),
        runs=privacy.anonymisations_of(db, ds.id),
    )


@router.post("/admin/datasets/{slug}/versions")
def create_version(
    request: Request,
    slug: str,
    db: Db,
    me: Curator,
    label: Annotated[str, Form()] = "",
    notes: Annotated[str, Form()] = "",
):
    ds = _curated(db, slug, me)
    try:
        catalog.create_version(db, ds.id, label=label, notes=notes, actor=me)
    except (InvalidInput, Conflict) as exc:
        return render(
            request,
            "admin/dataset.html",
            status_code=409 if isinstance(exc, Conflict) else 422,
            ds=ds,
            versions=list(reversed(ds.versions)),
            note="",
            is_admin=me.is_admin,
            errors={"label": exc.message},
            version_form={"label": label, "notes": notes},
        )
    return _back(slug, "version-created")


@router.post("/admin/datasets/{slug}/versions/{label}/upload")
async def upload_archive(request: Request, slug: str, label: str, rt: Rt, db: Db, me: Curator):
    """Stream the archive to data_dir/uploads, then queue an ingest job that deletes it when done."""
    _curated(db, slug, me)
    db.close()  # hand the connection back: an upload can take minutes and needs no database meanwhile
    await run_in_threadpool(check_ingest, rt, slug, label, actor=me, uploaded=True)  # before reading gigabytes
    received = await upload.receive(
        request, directory=rt.settings.data_dir / "uploads", limit=rt.settings.max_upload_bytes
    )
    try:
        path = received.path
        assert path is not None  # required (the default): a form without the file is refused
        job = await run_in_threadpool(start_ingest, rt, slug, label, path, actor=me, uploaded=True)
    except AccordError:
        received.discard()
        raise
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.post("/admin/datasets/{slug}/versions/{label}/ingest-path")
def ingest_path(slug: str, label: str, rt: Rt, me: Curator, path: Annotated[str, Form()] = ""):
    if not path.strip():
        raise InvalidInput("give the folder or archive path on the server", field="path")
    job = start_ingest(rt, slug, label, Path(path.strip()), actor=me, uploaded=False)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.post("/admin/datasets/{slug}/versions/{label}/publish")
def publish(slug: str, label: str, db: Db, me: Curator):
    _curated(db, slug, me)
    version = catalog.version_by_label(db, slug, label)
    catalog.publish(db, version.id, actor=me)
    return _back(slug, "published")


@router.post("/admin/datasets/{slug}/versions/{label}/withdraw")
def withdraw(slug: str, label: str, db: Db, me: Curator, reason: Annotated[str, Form()] = ""):
    _curated(db, slug, me)
    version = catalog.version_by_label(db, slug, label)
    catalog.withdraw(db, version.id, actor=me, reason=reason)
    return _back(slug, "withdrawn")
