"""Public catalogue pages: the listing with search and filters, a dataset's page, its preview images."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, StreamingResponse

from accord.access import service as access
from accord.catalog import service as catalog
from accord.entitlements import service as entitlements
from accord.errors import NotFound
from accord.exports import service as exports
from accord.http.deps import Db, OptionalUser, Rt, client_address
from accord.http.params import Id
from accord.obligations import service as obligations
from accord.policy import service as policies
from accord.privacy import service as privacy
from accord.web.templating import render

router = APIRouter(include_in_schema=False)

STRIP = 5  # preview thumbnails on a catalogue card
PER_PAGE = 24  # cards on a page of the catalogue
GALLERY = 100  # preview images on a dataset page (SHHQ publishes exactly 100)
SHOWN = 12  # of them, shown before "Show all": about two rows at 1280 px


def _listing(request: Request, db, template: str, q: str, modality: str, custodian: str, page: int):
    cards, total = catalog.search_page(
        db, q=q or None, modality=modality or None, custodian=custodian or None, limit=PER_PAGE,
        offset=(page - 1) * PER_PAGE,
    )  # fmt: skip
    strips = catalog.preview_strips(db, [c.slug for c in cards if c.has_preview], limit=STRIP)
    pages = max(1, -(-total // PER_PAGE))
    ctx: dict[str, Any] = {
        "cards": cards, "strips": strips, "q": q, "modality": modality, "custodian": custodian, "total": total,
        "page": page, "pages": pages, "page_link": _page_link(request),
    }  # fmt: skip
    if request.headers.get("hx-request") and request.headers.get("hx-target") == "results":
        return render(request, "catalog/_results.html", **ctx)
    custodians, modalities = catalog.facets(db)
    return render(request, template, custodians=custodians, modalities=modalities, **ctx)


def _page_link(request: Request):
    """The same search on another page."""

    def link(n: int) -> str:
        kept = [(k, v) for k, v in request.query_params.multi_items() if k != "page" and v]
        return f"{request.url.path}?{urlencode([*kept, ('page', str(n))])}"

    return link


Page = Annotated[int, Query(ge=1, le=1_000_000)]


@router.get("/")
def index(
    request: Request, db: Db, user: OptionalUser, q: str = "", modality: str = "", custodian: str = "", page: Page = 1
):
    return _listing(request, db, "index.html", q, modality, custodian, page)


@router.get("/datasets")
def datasets(
    request: Request, db: Db, user: OptionalUser, q: str = "", modality: str = "", custodian: str = "", page: Page = 1
):
    return _listing(request, db, "catalog/list.html", q, modality, custodian, page)


@router.get("/datasets/{slug}")
def dataset_page(request: Request, slug: str, db: Db, user: OptionalUser):
    ds = catalog.visible_dataset(db, slug, user)
    versions = catalog.visible_versions(ds, user)
    published = catalog.latest_published(db, ds.id)
    mine = access.current_application(db, user, ds.id)
    file_list_url = (
        f"/api/v1/datasets/{ds.slug}/versions/{published.label}/manifest"
        if published and entitlements.may_read_file_list(db, user, published)
        else None
    )
    return render(
        request,
        "catalog/dataset.html",
        ds=ds,
        versions=versions,
        published=published,
        file_list_public=entitlements.file_list_is_public(db, ds.id),
        file_list_url=file_list_url,
        preview=catalog.preview_items(db, ds.id, limit=GALLERY),
        preview_shown=SHOWN,
        can_curate=catalog.can_curate(user, ds.id),
        terms=policies.current(db, ds.id),
        my_application=mine,
        my_grant=entitlements.grant_state_of(db, mine[0]) if mine else None,
        can_download=entitlements.check(db, user, ds.id, address=client_address(request)).allowed,
        can_renew=access.renewable(db, user, ds.id) is not None,
        barred=_barred(db, user, ds.id),
        privacy_reports=privacy.privacy_reports(db, [v.id for v in versions if v.status != "draft"]),
        derivatives=obligations.listed_derivatives(db, ds.id),
        publications=obligations.publications_of_dataset(db, ds.id),
        holds_access=user is not None and entitlements.ever_held(db, user.id, ds.id),
        exports=exports.offered(db, user, published),
    )


def _barred(db, user, dataset_id: int) -> str | None:
    """Why this user may not apply (a permanent revocation), to say instead of offering to apply."""
    barring = entitlements.barred(db, user.id, dataset_id) if user is not None else None
    return entitlements.bar_refusal(db, dataset_id, barring) if barring is not None else None


@router.get("/datasets/{slug}/preview/{item_id}")
def preview_image(slug: str, item_id: Id, db: Db, rt: Rt):
    """Only items flagged preview in the dataset's newest published version are public."""
    ds = catalog.dataset_by_slug(db, slug)
    published = catalog.latest_published(db, ds.id)
    try:
        item = catalog.item_by_id(db, item_id)
    except NotFound:
        item = None
    if item is None or published is None or item.version_id != published.id or not item.preview:
        raise NotFound("no such preview image")
    headers = {"Cache-Control": "public, max-age=86400, immutable"}  # content-addressed: never changes
    path = rt.store.local_path(item.sha256)
    if path is not None and path.exists():
        return FileResponse(path, media_type=item.media_type, headers=headers)
    return StreamingResponse(rt.store.open(item.sha256), media_type=item.media_type, headers=headers)
