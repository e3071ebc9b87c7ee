"""/api/v1/datasets: the catalogue, versions and manifests. Writes need the curator role (checked by the service)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import FileResponse, StreamingResponse

from accord.catalog import service as catalog
from accord.catalog.models import Dataset, DatasetVersion
from accord.catalog.schemas import DatasetCard, DatasetIn, DatasetOut, ItemOut, VersionIn, VersionOut, WithdrawIn
from accord.entitlements import service as entitlements
from accord.errors import NotFound
from accord.http.deps import CurrentUser, Db, OptionalUser, Rt
from accord.http.params import Offset
from accord.identity.models import User

router = APIRouter(tags=["catalog"])
MANIFEST_TYPE = "application/jsonl"


def _dataset_out(dataset: Dataset, user: User | None) -> DatasetOut:
    out = DatasetOut.model_validate(dataset, from_attributes=True)
    out.versions = [VersionOut.model_validate(v) for v in catalog.visible_versions(dataset, user)]
    return out


_visible_dataset = catalog.visible_dataset


def _visible_version(db, slug: str, label: str, user: User | None) -> DatasetVersion:
    version = catalog.version_by_label(db, slug, label)
    if version.status == "draft" and not catalog.can_curate(user, version.dataset_id):
        raise NotFound(f"{slug} has no version {label!r}")
    return version


@router.get(
    "/datasets",
    response_model=list[DatasetCard],
    summary="Search the catalogue (a page by title; X-Total-Count says how many match in all)",
)
def list_datasets(
    db: Db,
    response: Response,
    q: Annotated[str | None, Query(max_length=200)] = None,
    modality: Annotated[str | None, Query(max_length=100)] = None,
    custodian: Annotated[str | None, Query(max_length=300)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> list[DatasetCard]:
    cards, total = catalog.search_page(db, q=q, modality=modality, custodian=custodian, limit=limit, offset=offset)
    response.headers["X-Total-Count"] = str(total)
    return cards


@router.get("/datasets/{slug}", response_model=DatasetOut)
def show_dataset(slug: str, db: Db, user: OptionalUser) -> DatasetOut:
    return _dataset_out(_visible_dataset(db, slug, user), user)


@router.get("/datasets/{slug}/versions", response_model=list[VersionOut])
def list_versions(slug: str, db: Db, user: OptionalUser) -> list[VersionOut]:
    dataset = _visible_dataset(db, slug, user)
    return [VersionOut.model_validate(v) for v in catalog.visible_versions(dataset, user)]


@router.get("/datasets/{slug}/versions/{label}", response_model=VersionOut)
def show_version(slug: str, label: str, db: Db, user: OptionalUser) -> VersionOut:
    return VersionOut.model_validate(_visible_version(db, slug, label, user))


def _file_list(db, slug: str, label: str, user: User | None) -> DatasetVersion:
    """The version, if `user` may read its file list (entitlements.require_file_list says who may)."""
    version = catalog.version_by_label(db, slug, label)
    entitlements.require_file_list(db, user, version)
    return version


@router.get(
    "/datasets/{slug}/versions/{label}/items",
    response_model=list[ItemOut],
    summary="A version's items (its licensees and curators, or anyone if its terms publish the file list)",
)
def list_items(
    slug: str,
    label: str,
    db: Db,
    user: OptionalUser,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    subject: str | None = None,
) -> list[ItemOut]:
    version = _file_list(db, slug, label, user)
    return [
        ItemOut.model_validate(i)
        for i in catalog.list_items(db, version.id, offset=offset, limit=limit, subject=subject)
    ]


@router.get(
    "/datasets/{slug}/versions/{label}/manifest",
    response_class=StreamingResponse,
    responses={200: {"content": {MANIFEST_TYPE: {}}, "description": "JSON Lines, sorted by path"}},
)
def manifest(slug: str, label: str, db: Db, rt: Rt, user: OptionalUser):
    """The manifest (one JSON object per file); its SHA-256 is the version's root hash. For the version's
    licensees and the dataset's curators, or anyone if the dataset's terms publish the file list."""
    version = _file_list(db, slug, label, user)
    source = catalog.manifest_path_or_stream(rt, version.id)
    filename = f"{slug}-{label}.manifest.jsonl"
    headers = {"X-Root-Hash": version.root_hash or ""}
    if isinstance(source, Path):
        return FileResponse(source, media_type=MANIFEST_TYPE, filename=filename, headers=headers)
    return StreamingResponse(
        iter(lambda: source.read(1024 * 1024), b""),
        media_type=MANIFEST_TYPE,
        headers={**headers, "Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post("/datasets", response_model=DatasetOut, status_code=201)
def create_dataset(body: DatasetIn, db: Db, user: CurrentUser) -> DatasetOut:
    dataset = catalog.create_dataset(db, **body.model_dump(), actor=user)
    return _dataset_out(dataset, user)


@router.post("/datasets/{slug}/versions", response_model=VersionOut, status_code=201)
def create_version(slug: str, body: VersionIn, db: Db, user: CurrentUser) -> VersionOut:
    dataset = catalog.dataset_by_slug(db, slug)
    return VersionOut.model_validate(
        catalog.create_version(db, dataset.id, label=body.label, notes=body.notes, actor=user)
    )


@router.post("/datasets/{slug}/versions/{label}/publish", response_model=VersionOut)
def publish(slug: str, label: str, db: Db, user: CurrentUser) -> VersionOut:
    version = catalog.version_by_label(db, slug, label)
    return VersionOut.model_validate(catalog.publish(db, version.id, actor=user))


@router.post("/datasets/{slug}/versions/{label}/withdraw", response_model=VersionOut)
def withdraw(slug: str, label: str, body: WithdrawIn, db: Db, user: CurrentUser) -> VersionOut:
    version = catalog.version_by_label(db, slug, label)
    return VersionOut.model_validate(catalog.withdraw(db, version.id, actor=user, reason=body.reason))
