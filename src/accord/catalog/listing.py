"""The catalogue listing in a fixed number of queries, however many datasets there are: the datasets (filtered in
the database), the newest published version of each (one windowed query), the preview strips (another), and the
filters' choices (one). A page of cards costs the same for 4 datasets as for 10,000."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, String, cast, exists, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Exists

from accord.catalog.models import Dataset, DatasetVersion, Item
from accord.catalog.schemas import DatasetCard


def search_datasets(
    db: Session,
    *,
    q: str | None = None,
    modality: str | None = None,
    custodian: str | None = None,
    include_drafts: bool = False,
) -> list[DatasetCard]:
    """The catalogue listing, whole; without include_drafts only datasets with a published version."""
    return search_page(db, q=q, modality=modality, custodian=custodian, include_drafts=include_drafts)[0]


def search_page(
    db: Session,
    *,
    q: str | None = None,
    modality: str | None = None,
    custodian: str | None = None,
    include_drafts: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[DatasetCard], int]:
    """One page of the listing (by title) and how many datasets match in all, from the same query."""
    query = select(Dataset, func.count().over().label("total")).order_by(Dataset.title, Dataset.id)
    if q and q.strip():
        like = f"%{q.strip().lower()}%"
        columns = (Dataset.title, Dataset.summary, Dataset.description, Dataset.custodian, Dataset.slug)
        query = query.where(or_(*(func.lower(col).like(like) for col in columns)))
    if custodian:
        query = query.where(Dataset.custodian == custodian)
    if modality:  # a JSON list of words: matched as a quoted word in its text, the same on both databases
        word = modality.strip().lower().replace('"', "")
        word = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(func.lower(cast(Dataset.modalities, String)).like(f'%"{word}"%', escape="\\"))
    if not include_drafts:
        query = query.where(_published_exists())
    rows = db.execute(query.limit(limit).offset(offset)).all()
    found = [row[0] for row in rows]
    total = int(rows[0].total) if rows else _total_past_the_end(db, query, offset)
    ids = [ds.id for ds in found]
    newest = _newest(db, ids, published=True)
    if include_drafts:
        newest = {**_newest(db, [i for i in ids if i not in newest], published=False), **newest}
    with_preview = _with_preview(db, [v.id for v in newest.values() if v.status == "published"])
    cards = []
    for ds in found:
        version = newest.get(ds.id)
        cards.append(
            DatasetCard(
                slug=ds.slug,
                title=ds.title,
                custodian=ds.custodian,
                summary=ds.summary,
                modalities=list(ds.modalities),
                subject_count=ds.subject_count,
                image_count=ds.image_count,
                latest_version=version.label if version else None,
                file_count=version.file_count if version else 0,
                total_bytes=version.total_bytes if version else 0,
                has_preview=bool(version and version.id in with_preview),
            )
        )
    return cards, total


def _total_past_the_end(db: Session, query: Select[Dataset, int], offset: int) -> int:
    """A page past the last one has no row to carry the total: count apart (only then)."""
    if not offset:
        return 0
    return int(db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0)


def _published_exists() -> Exists:
    return exists().where(DatasetVersion.dataset_id == Dataset.id, DatasetVersion.status == "published")


def _newest(db: Session, dataset_ids: Sequence[int], *, published: bool) -> dict[int, DatasetVersion]:
    """Each dataset's newest published version (or newest version of any state), in one query."""
    if not dataset_ids:
        return {}
    order = (DatasetVersion.published_at.desc(), DatasetVersion.id.desc()) if published else (DatasetVersion.id.desc(),)
    rank = func.row_number().over(partition_by=DatasetVersion.dataset_id, order_by=order).label("rank")
    inner: Select[tuple[int, int]] = select(DatasetVersion.id, rank).where(DatasetVersion.dataset_id.in_(dataset_ids))
    if published:
        inner = inner.where(DatasetVersion.status == "published")
    ranked = inner.subquery()
    rows = db.scalars(select(DatasetVersion).join(ranked, ranked.c.id == DatasetVersion.id).where(ranked.c.rank == 1))
    return {v.dataset_id: v for v in rows}


def _with_preview(db: Session, version_ids: Sequence[int]) -> set[int]:
    if not version_ids:
        return set()
    query = select(Item.version_id).where(Item.version_id.in_(version_ids), Item.preview.is_(True)).distinct()
    return set(db.scalars(query))


def preview_strips(db: Session, slugs: Sequence[str], *, limit: int) -> dict[str, list[int]]:
    """The first `limit` preview items (by path) of each dataset's newest published version, by slug, in one
    query: the thumbnails of the catalogue's cards."""
    if not slugs:
        return {}
    newest = (
        select(
            DatasetVersion.id,
            Dataset.slug,
            func.row_number()
            .over(
                partition_by=DatasetVersion.dataset_id,
                order_by=(DatasetVersion.published_at.desc(), DatasetVersion.id.desc()),
            )
            .label("rank"),
        )
        .join(Dataset, Dataset.id == DatasetVersion.dataset_id)
        .where(Dataset.slug.in_(slugs), DatasetVersion.status == "published")
        .subquery()
    )
    items = (
        select(
            Item.id, newest.c.slug, func.row_number().over(partition_by=Item.version_id, order_by=Item.path).label("n")
        )
        .join(newest, (newest.c.id == Item.version_id) & (newest.c.rank == 1))
        .where(Item.preview.is_(True))
        .subquery()
    )
    out: dict[str, list[int]] = {}
    for item_id, slug in db.execute(select(items.c.id, items.c.slug).where(items.c.n <= limit).order_by(items.c.n)):
        out.setdefault(slug, []).append(item_id)
    return out


def facets(db: Session) -> tuple[list[str], list[str]]:
    """The custodians and the modalities of the datasets with a published version (the listing's filters)."""
    rows = db.execute(select(Dataset.custodian, Dataset.modalities).where(_published_exists())).all()
    return sorted({c for c, _m in rows}), sorted({m for _c, ms in rows for m in ms})
