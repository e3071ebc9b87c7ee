"""The licensee's download page (files, shards, manifest, ready-to-paste commands) and the curators' forms to
revoke a grant and then make the revocation permanent or lift it.

Whether a user may download is `entitlements.check`'s answer alone; a refusal is shown with its reason.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse

from accord.access import service as access
from accord.catalog import service as catalog
from accord.db import utcnow
from accord.delivery import service as delivery
from accord.entitlements import service as entitlements
from accord.errors import NotFound
from accord.http.deps import CurrentUser, Db, Rt, client_address
from accord.http.params import MAX_INT, Id
from accord.policy import service as policies
from accord.web import error_pages
from accord.web.routes import training as training_pages
from accord.web.templating import render

router = APIRouter(include_in_schema=False)
PER_PAGE = 100  # files per page of the list, unless the page asks for another size
MAX_PER_PAGE = 500  # a version can hold millions of files: one page never lists more than this


@router.get("/datasets/{slug}/download")
def download_page(
    request: Request,
    slug: str,
    db: Db,
    rt: Rt,
    user: CurrentUser,
    version: str = "",
    page: Annotated[int, Query(ge=1, le=MAX_INT)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = PER_PAGE,
):
    ds = catalog.visible_dataset(db, slug, user)
    address = client_address(request)
    decision = entitlements.check(db, user, ds.id, address=address)
    if not decision.allowed:
        diff_url = None
        current = policies.current(db, ds.id)
        if decision.needs_reacceptance and current is not None:
            diff_url = f"/datasets/{ds.slug}/terms/accept"  # the changed clauses, and the way to accept them
        ended = error_pages.access_ended(db, user, ds, decision.entitlement) if decision.code == "revoked" else ""
        steps = (
            []
            if decision.needs_reacceptance or decision.needs_training
            else error_pages.download_steps(db, user, ds, decision.code)
        )
        return render(
            request,
            "downloads/refused.html",
            status_code=403,
            ds=ds,
            reason=decision.reason,
            ended=ended,
            steps=steps,
            diff_url=diff_url,
            renew=_renewal(db, user, ds.id),
            training_url=f"/datasets/{ds.slug}/training" if decision.needs_training else None,
        )
    # Newest first: the published versions this grant covers.
    versions = [
        v
        for v in reversed(ds.versions)
        if v.status == "published" and entitlements.check(db, user, ds.id, v.id, address=address).allowed
    ]
    if not versions:
        return render(
            request,
            "downloads/refused.html",
            status_code=403,
            ds=ds,
            diff_url=None,
            reason="no published version of this dataset is covered by your access yet",
        )
    chosen = next((v for v in versions if v.label == version), None) if version else versions[0]
    if chosen is None:
        raise NotFound(f"your access covers no published version {version!r} of {ds.slug}")
    pages = max(1, -(-chosen.file_count // per_page))
    page = min(page, pages)  # past the end: the last page
    listing = delivery.listing(
        rt, db, user, ds.slug, chosen.label, address=address, offset=(page - 1) * per_page, limit=per_page
    )
    return render(
        request,
        "downloads/page.html",
        ds=ds,
        versions=versions,
        chosen=chosen,
        listing=listing,
        grant=decision.entitlement,
        base_url=rt.settings.base_url.rstrip("/"),
        pager={"page": page, "pages": pages, "per_page": per_page, "sizes": (PER_PAGE, 250, MAX_PER_PAGE)},
        renew=_renewal(db, user, ds.id),
        signing=delivery.signing_key(rt),
        training=training_pages.licensee_note(db, user, ds.id),
    )


def _renewal(db, user, dataset_id: int) -> dict | None:
    """The Renew offer, when the newest grant expires within two weeks, has expired, or the system ended it (not
    when a curator revoked it)."""
    ent = access.renewable(db, user, dataset_id)
    if ent is None:
        return None
    end = ent.revoked_at or ent.expires_at  # revoked here only by the system, when something it needs ran out
    if end is None:  # (a renewable grant has ended or has an end)
        return None
    return {"ends": f"{end:%Y-%m-%d}", "ended": end <= utcnow(), "open": access.open_application(db, user, dataset_id)}


@router.post("/datasets/{slug}/renew")
def renew(slug: str, db: Db, user: CurrentUser):
    """Start the renewal application (or go on with the open one) and show it."""
    ds = catalog.visible_dataset(db, slug, user)
    access.require_renewable(db, user, ds.id)
    open_id = access.open_application(db, user, ds.id)
    if open_id is None:
        open_id = access.renew(db, ds.slug, actor=user).id
    return RedirectResponse(f"/applications/{open_id}?notice=renewal", status_code=303)


@router.post("/admin/datasets/{slug}/access/{entitlement_id}/revoke")
def revoke(slug: str, entitlement_id: Id, db: Db, user: CurrentUser, reason: Annotated[str, Form()] = ""):
    ds = catalog.dataset_by_slug(db, slug)
    entitlements.get(db, entitlement_id, dataset_id=ds.id)  # NotFound: another dataset's grant
    entitlements.revoke(db, entitlement_id, actor=user, reason=reason)  # curators of the dataset only
    return RedirectResponse(f"/admin/datasets/{ds.slug}?note=revoked#access-h", status_code=303)


@router.post("/admin/datasets/{slug}/access/{entitlement_id}/permanent")
def make_permanent(slug: str, entitlement_id: Id, db: Db, user: CurrentUser, reason: Annotated[str, Form()] = ""):
    _grant_of(db, slug, entitlement_id)
    entitlements.make_permanent(db, entitlement_id, actor=user, reason=reason)  # curators of the dataset only
    return RedirectResponse(f"/admin/datasets/{slug}?note=permanent#access-h", status_code=303)


@router.post("/admin/datasets/{slug}/access/{entitlement_id}/lift")
def lift(slug: str, entitlement_id: Id, db: Db, user: CurrentUser, reason: Annotated[str, Form()] = ""):
    _grant_of(db, slug, entitlement_id)
    entitlements.lift(db, entitlement_id, actor=user, reason=reason)
    return RedirectResponse(f"/admin/datasets/{slug}?note=lifted#access-h", status_code=303)


def _grant_of(db, slug: str, entitlement_id: int):
    ds = catalog.dataset_by_slug(db, slug)
    return entitlements.get(db, entitlement_id, dataset_id=ds.id)


def who_has_access(db, dataset_id: int, me) -> list:
    """Rows for the admin dataset page's "Who has access" table (curators of the dataset)."""
    return entitlements.holders(db, dataset_id, actor=me)
