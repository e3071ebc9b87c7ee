"""The catalogue: datasets, their versions (draft → published → withdrawn) and items.

Ingest lives in catalog/ingest.py and finding rows in catalog/lookup.py, both re-exported here; what curators type is
checked by catalog/fields.py. Actors given as a User are checked for the curator role (per dataset, or global to
create a dataset); string actors ("cli", "demo") come from someone with shell access to the server and are trusted.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import plugins
from accord.audit import service as audit
from accord.catalog.cuts import Cut as Cut
from accord.catalog.cuts import cut_without as cut_without
from accord.catalog.cuts import matching as matching
from accord.catalog.cuts import versions_holding as versions_holding
from accord.catalog.derived import NewFile as NewFile
from accord.catalog.derived import amend_draft as amend_draft
from accord.catalog.derived import fill_draft as fill_draft
from accord.catalog.derived import open_draft as open_draft
from accord.catalog.fields import LABEL, SLUG, clean_fields, clean_text
from accord.catalog.ingest import Progress
from accord.catalog.ingest import ingest as ingest
from accord.catalog.listing import facets as facets
from accord.catalog.listing import preview_strips as preview_strips
from accord.catalog.listing import search_datasets as search_datasets
from accord.catalog.listing import search_page as search_page
from accord.catalog.lookup import can_curate as can_curate
from accord.catalog.lookup import dataset_by_id as dataset_by_id
from accord.catalog.lookup import dataset_by_slug as dataset_by_slug
from accord.catalog.lookup import item_by_id as item_by_id
from accord.catalog.lookup import latest_published as latest_published
from accord.catalog.lookup import media_types as media_types
from accord.catalog.lookup import require_curator as require_curator
from accord.catalog.lookup import slugs as slugs
from accord.catalog.lookup import subject_counts as subject_counts
from accord.catalog.lookup import version_by_id as version_by_id
from accord.catalog.lookup import version_by_label as version_by_label
from accord.catalog.lookup import version_labels as version_labels
from accord.catalog.lookup import visible_dataset as visible_dataset
from accord.catalog.lookup import visible_versions as visible_versions
from accord.catalog.lookup import withdrawn_versions as withdrawn_versions
from accord.catalog.models import Dataset, DatasetVersion, Item
from accord.catalog.schemas import IngestResult
from accord.db import unit_of_work, utcnow
from accord.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from accord.identity.models import User
from accord.storage import BlobStore

if TYPE_CHECKING:
    from accord.runtime import Runtime

# --- datasets --------------------------------------------------------------------------------------------


def create_dataset(
    db: Session,
    *,
    slug: str,
    title: str,
    custodian: str,
    custodian_short: str = "",
    custodian_contact: str = "",
    summary: str = "",
    description: str = "",
    homepage: str | None = None,
    modalities: Iterable[str] | str = (),
    subject_count: int | str | None = None,  # (as typed in a form: clean_fields parses it)
    image_count: int | str | None = None,
    citation_bibtex: str = "",
    terms_summary: str = "",
    actor: User | str | None,
) -> Dataset:
    """Add a dataset to the catalogue (no versions yet). Global curators only: a curator of some datasets is
    told so before anything they typed is checked."""
    require_curator(actor, None)
    slug = (slug or "").strip()
    if not SLUG.match(slug):
        raise InvalidInput(
            "the slug needs 2 to 64 lowercase letters, digits or dashes, e.g. llvip or cion-al", field="slug"
        )
    fields = clean_fields(
        {
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
    )
    with unit_of_work(db):
        if db.scalar(select(Dataset.id).where(Dataset.slug == slug)):
            raise Conflict(f"a dataset with the slug {slug!r} already exists", field="slug")
        ds = Dataset(slug=slug, created_by_id=actor.id if isinstance(actor, User) else None, **fields)
        db.add(ds)
        db.flush()
        audit.record(db, actor=actor, action="dataset.created", object=("dataset", ds.id), data={"slug": slug})
    return ds


def update_dataset(db: Session, dataset_id: int, *, actor: User | str | None, **fields: Any) -> Dataset:
    """Change descriptive fields; versions and their items are untouched."""
    ds = dataset_by_id(db, dataset_id)
    require_curator(actor, ds.id)
    fields = clean_fields(fields)
    with unit_of_work(db):
        changed = {k: v for k, v in fields.items() if getattr(ds, k) != v}
        for key, value in changed.items():
            setattr(ds, key, value)
        if changed:
            audit.record(
                db, actor=actor, action="dataset.updated", object=("dataset", ds.id), data={"fields": sorted(changed)}
            )
    return ds


def role_labels(db: Session, user: User) -> list[str]:
    """'curator of llvip', 'admin': a user's roles as people read them (roles name datasets by id)."""
    ids = {g.dataset_id for g in user.roles if g.dataset_id is not None}
    slugs = dict(db.execute(select(Dataset.id, Dataset.slug).where(Dataset.id.in_(ids))).all())
    return sorted(
        g.role if g.dataset_id is None else f"{g.role} of {slugs.get(g.dataset_id, g.dataset_id)}" for g in user.roles
    )


# --- versions --------------------------------------------------------------------------------------------


def create_version(
    db: Session, dataset_id: int, *, label: str, notes: str = "", actor: User | str | None
) -> DatasetVersion:
    """Open a new draft version, ready to ingest files into."""
    ds = dataset_by_id(db, dataset_id)
    require_curator(actor, ds.id)
    label = (label or "").strip()
    if not LABEL.match(label):
        raise InvalidInput(
            "a version label is 1 to 40 letters, digits, dots, dashes or underscores, e.g. 1.0", field="label"
        )
    notes = clean_text(notes, "notes", limit=10_000)
    with unit_of_work(db):
        if db.scalar(
            select(DatasetVersion.id).where(DatasetVersion.dataset_id == ds.id, DatasetVersion.label == label)
        ):
            raise Conflict(f"{ds.slug} already has a version {label!r}", field="label")
        version = DatasetVersion(dataset_id=ds.id, label=label, notes=notes, status="draft")
        db.add(version)
        db.flush()
        audit.record(
            db,
            actor=actor,
            action="dataset_version.created",
            object=("dataset_version", version.id),
            data={"dataset": ds.slug, "label": label},
            dataset=ds.id,
        )
    return version


def _require_draft(version: DatasetVersion, doing: str) -> None:
    if version.status != "draft":
        raise IllegalTransition(
            f"version {version.label} is {version.status}; a published version never "
            f"changes, so it cannot {doing}. Create a new version instead."
        )


def update_version(db: Session, version_id: int, *, actor: User | str | None, notes: str) -> DatasetVersion:
    """Change a draft's release notes."""
    version = version_by_id(db, version_id)
    require_curator(actor, version.dataset_id)
    _require_draft(version, "be edited")
    notes = clean_text(notes, "notes", limit=10_000)
    with unit_of_work(db):
        version.notes = notes
        audit.record(
            db,
            actor=actor,
            action="dataset_version.updated",
            object=("dataset_version", version.id),
            dataset=version.dataset_id,
        )
    return version


def publish(db: Session, version_id: int, *, actor: User | str | None) -> DatasetVersion:
    """Freeze a draft with items: from now on its items and manifest never change."""
    version = version_by_id(db, version_id)
    require_curator(actor, version.dataset_id)
    _require_draft(version, "be published again")
    for blocker in plugins.provided("catalog.publishing"):  # e.g. an anonymisation still running or unreviewed
        if reason := blocker(db, version.id):
            raise IllegalTransition(reason)
    if not version.file_count or not version.manifest_sha256:
        raise InvalidInput(f"version {version.label} has no files yet; ingest a folder or archive first")
    with unit_of_work(db):
        version.status = "published"
        version.published_at = utcnow()
        audit.record(
            db,
            actor=actor,
            action="dataset_version.published",
            object=("dataset_version", version.id),
            data={"root_hash": version.root_hash, "file_count": version.file_count},
            dataset=version.dataset_id,
        )
        for published in plugins.provided("catalog.published"):  # e.g. privacy queues the search index
            published(db, version.id, actor=actor)
    return version


def withdraw(db: Session, version_id: int, *, actor: User | str | None, reason: str) -> DatasetVersion:
    """Stop offering a published version (e.g. after a removal request); its record stays."""
    version = version_by_id(db, version_id)
    require_curator(actor, version.dataset_id)
    reason = clean_text(reason, "reason", limit=2000, required=True)
    if version.status != "published":
        raise IllegalTransition(f"only a published version can be withdrawn; {version.label} is {version.status}")
    with unit_of_work(db):
        version.status = "withdrawn"
        version.withdrawn_at = utcnow()
        version.withdrawn_reason = reason
        audit.record(
            db,
            actor=actor,
            action="dataset_version.withdrawn",
            object=("dataset_version", version.id),
            data={"reason": reason},
            dataset=version.dataset_id,
        )
    return version


def delete_draft(db: Session, version_id: int, *, actor: User | str | None) -> None:
    """Drop a draft and its items (blobs stay in the store: other versions may share them)."""
    version = version_by_id(db, version_id)
    require_curator(actor, version.dataset_id)
    _require_draft(version, "be deleted")
    with unit_of_work(db):
        audit.record(
            db,
            actor=actor,
            action="dataset_version.deleted",
            object=("dataset_version", version.id),
            data={"label": version.label},
            dataset=version.dataset_id,
        )
        db.delete(version)


# --- items -----------------------------------------------------------------------------------------------


def preview_items(db: Session, dataset_id: int, *, limit: int = 200) -> list[Item]:
    """The public preview subset of the newest published version."""
    version = latest_published(db, dataset_id)
    if version is None:
        return []
    return list(
        db.scalars(
            select(Item).where(Item.version_id == version.id, Item.preview.is_(True)).order_by(Item.path).limit(limit)
        )
    )


def list_items(
    db: Session, version_id: int, *, offset: int = 0, limit: int = 100, subject: str | None = None
) -> list[Item]:
    query = select(Item).where(Item.version_id == version_id)
    if subject is not None:
        query = query.where(Item.subject == subject)
    return list(db.scalars(query.order_by(Item.path).offset(max(offset, 0)).limit(min(max(limit, 1), 10_000))))


def version_files(db: Session, version_id: int) -> tuple[DatasetVersion, list[tuple[str, int, str]]]:
    """A version and (path, size, sha256) of each of its files in path order, without loading whole items."""
    version = version_by_id(db, version_id)
    return version, [
        (path, size, sha256)
        for path, size, sha256 in db.execute(
            select(Item.path, Item.size, Item.sha256).where(Item.version_id == version_id).order_by(Item.path)
        )
    ]


def manifest_path_or_stream(rt: Runtime, version_id: int) -> Path | BinaryIO:
    """The version's manifest: a local file path when the store is a folder, else an open stream."""
    with rt.session() as db:
        version = version_by_id(db, version_id)
        sha = version.manifest_sha256
    if not sha:
        raise NotFound(f"version {version.label} has no manifest yet (nothing ingested)")
    store: BlobStore = rt.store
    path = store.local_path(sha)
    if path is not None and path.exists():
        return path
    return store.open(sha)


def ingest_version(
    rt: Runtime,
    slug: str,
    label: str,
    source: Path,
    *,
    actor: User | str | None,
    notes: str = "",
    progress: Progress | None = None,
) -> tuple[IngestResult, bool]:
    """Ingest into a dataset's draft `label`, opening it first if it does not exist; returns the result and
    whether the draft was opened here. A draft opened here is deleted again if the ingest fails, so a refused
    archive leaves no empty version behind."""
    with rt.session() as db:
        try:
            version_id, created = version_by_label(db, slug, label).id, False
        except NotFound:
            version_id = create_version(db, dataset_by_slug(db, slug).id, label=label, notes=notes, actor=actor).id
            created = True
    try:
        return ingest(rt, version_id, source, actor=actor, progress=progress), created
    except BaseException:
        if created:
            with rt.session() as db:
                delete_draft(db, version_id, actor=actor)
        raise
