"""Draft versions made from a published one by another domain's job (anonymisation): opened empty inside the
caller's transaction, filled in one transaction when the job ends (so no one ever sees half a version), and
amended file by file while still a draft. None of these commit: the caller's unit of work does."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from accord.audit import service as audit
from accord.catalog import manifest
from accord.catalog.cuts import COLUMNS
from accord.catalog.models import DatasetVersion, Item
from accord.db import utcnow
from accord.errors import IllegalTransition, InvalidInput
from accord.identity.models import User
from accord.storage import BlobStore


class NewFile(NamedTuple):
    """What changes about one file in the derived version (its path, subject and attributes stay)."""

    sha256: str
    size: int
    media_type: str


def open_draft(
    db: Session, source: DatasetVersion, *, suffix: str, notes: str, actor: User | str | None
) -> DatasetVersion:
    """An empty draft labelled after the source ("1.0" → "1.0-anon", then "1.0-anon2", ...)."""
    if source.status != "published":
        raise IllegalTransition(
            f"version {source.label} is {source.status}; only a published version can be the source of a new one"
        )
    taken = set(db.scalars(select(DatasetVersion.label).where(DatasetVersion.dataset_id == source.dataset_id)))
    stem = f"{source.label[: 40 - len(suffix) - 4]}-{suffix}"
    label = next(candidate for n in range(1, 10_000) if (candidate := stem if n == 1 else f"{stem}{n}") not in taken)
    draft = DatasetVersion(dataset_id=source.dataset_id, label=label, notes=notes, status="draft")
    db.add(draft)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="dataset_version.created",
        object=("dataset_version", draft.id),
        dataset=draft.dataset_id,
        data={"label": label, "from": source.id},
    )
    return draft


def fill_draft(
    db: Session,
    store: BlobStore,
    draft_id: int,
    source_id: int,
    changed: Mapping[str, NewFile | None],
    *,
    actor: User | str | None,
    action: str,
) -> DatasetVersion:
    """Copy the source's files into the empty draft, with `changed[path]` in place of a file (None: left out),
    and write its manifest."""
    draft = _draft(db, draft_id)
    if draft.file_count:
        raise IllegalTransition(f"version {draft.label} already has its files")
    rows = db.execute(
        select(*(getattr(Item, c) for c in COLUMNS)).where(Item.version_id == source_id).order_by(Item.path)
    ).all()
    items = []
    for row in rows:
        values = dict(zip(COLUMNS, row, strict=True))
        if row.path in changed:
            new = changed[row.path]
            if new is None:
                continue
            values.update(sha256=new.sha256, size=new.size, media_type=new.media_type)
        items.append(Item(version_id=draft.id, **values))
    if not items:
        raise InvalidInput("the new version would have no files")
    db.add_all(items)
    db.flush()
    _write_manifest(db, store, draft)
    draft.ingested_at = utcnow()
    audit.record(
        db,
        actor=actor,
        action=action,
        object=("dataset_version", draft.id),
        dataset=draft.dataset_id,
        data={"from": source_id, "changed": len(changed), "file_count": draft.file_count, "root_hash": draft.root_hash},
    )
    return draft


def amend_draft(
    db: Session, store: BlobStore, draft_id: int, changed: Mapping[str, NewFile | None], *, actor: User | str | None
) -> DatasetVersion:
    """Replace (or with None, leave out) files of a filled draft by path, and rewrite its manifest."""
    draft = _draft(db, draft_id)
    for path, new in changed.items():
        where = (Item.version_id == draft.id, Item.path == path)
        if new is None:
            db.execute(delete(Item).where(*where))
        else:
            db.execute(update(Item).where(*where).values(sha256=new.sha256, size=new.size, media_type=new.media_type))
    _write_manifest(db, store, draft)
    if not draft.file_count:
        raise InvalidInput("leaving these files out would leave the new version empty")
    audit.record(
        db,
        actor=actor,
        action="dataset_version.amended",
        object=("dataset_version", draft.id),
        dataset=draft.dataset_id,
        data={"paths": sorted(changed)[:100], "changed": len(changed), "root_hash": draft.root_hash},
    )
    return draft


def _draft(db: Session, version_id: int) -> DatasetVersion:
    draft = db.get(DatasetVersion, version_id, populate_existing=True)
    if draft is None or draft.status != "draft":
        raise IllegalTransition("the new version is no longer a draft: it was published or deleted")
    return draft


def _write_manifest(db: Session, store: BlobStore, draft: DatasetVersion) -> None:
    rows: Iterable[manifest.Entry] = db.execute(
        select(Item.path, Item.size, Item.sha256, Item.media_type, Item.subject, Item.attributes)
        .where(Item.version_id == draft.id)
        .order_by(Item.path)
    )
    sha = manifest.store(store, rows)
    count, total = db.execute(select(func.count(), func.sum(Item.size)).where(Item.version_id == draft.id)).one()
    draft.file_count, draft.total_bytes = int(count), int(total or 0)
    draft.root_hash = draft.manifest_sha256 = sha
