"""Finding the catalogue's rows (datasets by id or slug, versions by id or label, items), as a user may see them,
and who curates them. Actors given as a User are checked for the curator role; string actors ("cli", "demo") come
from someone with shell access to the server and are trusted."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.catalog.models import Dataset, DatasetVersion, Item
from accord.errors import NotFound
from accord.identity import service as identity
from accord.identity.models import User


def require_curator(actor: User | str | None, dataset_id: int | None) -> None:
    """Users need the curator role (global when dataset_id is None); string actors are the server's shell."""
    if actor is None or isinstance(actor, User):
        identity.require_role(actor, "curator", dataset_id=dataset_id)


def can_curate(user: User | None, dataset_id: int) -> bool:
    return identity.has_role(user, "curator", dataset_id=dataset_id)


def dataset_by_id(db: Session, dataset_id: int) -> Dataset:
    ds = db.get(Dataset, dataset_id)
    if ds is None:
        raise NotFound("no such dataset")
    return ds


def visible_dataset(db: Session, slug: str, user: User | None) -> Dataset:
    """A dataset as `user` may see it: one with nothing published yet exists only for its curators."""
    dataset = dataset_by_slug(db, slug)
    if not visible_versions(dataset, user) and not can_curate(user, dataset.id):
        raise NotFound(f"no dataset called {slug!r}")
    return dataset


def dataset_by_slug(db: Session, slug: str) -> Dataset:
    ds = db.scalar(select(Dataset).where(Dataset.slug == slug))
    if ds is None:
        raise NotFound(f"no dataset called {slug!r}")
    return ds


def version_by_id(db: Session, version_id: int) -> DatasetVersion:
    # populate_existing: an ingest commits through its own session, so a copy cached in this one may be stale.
    version = db.get(DatasetVersion, version_id, populate_existing=True)
    if version is None:
        raise NotFound("no such dataset version")
    return version


def version_by_label(db: Session, dataset_slug: str, label: str) -> DatasetVersion:
    ds = dataset_by_slug(db, dataset_slug)
    version = db.scalar(select(DatasetVersion).where(DatasetVersion.dataset_id == ds.id, DatasetVersion.label == label))
    if version is None:
        raise NotFound(f"{dataset_slug} has no version {label!r}")
    return version


def visible_versions(dataset: Dataset, user: User | None) -> list[DatasetVersion]:
    """Curators see drafts too; everyone else sees published and withdrawn versions."""
    if can_curate(user, dataset.id):
        return list(dataset.versions)
    return [v for v in dataset.versions if v.status != "draft"]


def latest_published(db: Session, dataset_id: int) -> DatasetVersion | None:
    return db.scalar(
        select(DatasetVersion)
        .where(DatasetVersion.dataset_id == dataset_id, DatasetVersion.status == "published")
        .order_by(DatasetVersion.published_at.desc(), DatasetVersion.id.desc())
        .limit(1)
    )


def item_by_id(db: Session, item_id: int) -> Item:
    item = db.get(Item, item_id)
    if item is None:
        raise NotFound("no such item")
    return item


def withdrawn_versions(db: Session) -> dict[int, tuple[str, str]]:
    """Every withdrawn version: id → (label, reason). Few rows: delivery's link check keeps them in memory."""
    rows = db.execute(
        select(DatasetVersion.id, DatasetVersion.label, DatasetVersion.withdrawn_reason).where(
            DatasetVersion.status == "withdrawn"
        )
    )
    return {vid: (label, reason or "withdrawn by its curators") for vid, label, reason in rows}


def subject_counts(db: Session, version_id: int) -> dict[str | None, int]:
    """How many items of a version each subject label holds; None counts the items with no label."""
    query = select(Item.subject, func.count(Item.id)).where(Item.version_id == version_id).group_by(Item.subject)
    return {subject: count for subject, count in db.execute(query)}  # noqa: C416 (rows, not pairs, to mypy)


def media_types(db: Session, version_id: int) -> list[str]:
    """The distinct media types of a version's files, sorted (a Croissant FileSet names them)."""
    return list(
        db.scalars(select(Item.media_type).where(Item.version_id == version_id).distinct().order_by(Item.media_type))
    )


def slugs(db: Session, ids: Iterable[int] | None = None) -> dict[int, str]:
    """id → slug of the given datasets (of every dataset without `ids`), in one query."""
    query = select(Dataset.id, Dataset.slug).order_by(Dataset.slug)
    if ids is not None:
        query = query.where(Dataset.id.in_(set(ids)))
    return {ds_id: slug for ds_id, slug in db.execute(query)}  # noqa: C416 (rows, not pairs, to mypy)


def version_labels(db: Session, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """version id → (its dataset's slug, its label), in one query."""
    query = (
        select(DatasetVersion.id, Dataset.slug, DatasetVersion.label)
        .join(Dataset, Dataset.id == DatasetVersion.dataset_id)
        .where(DatasetVersion.id.in_(set(ids)))
    )
    return {vid: (slug, label) for vid, slug, label in db.execute(query)}
