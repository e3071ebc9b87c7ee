"""A new published version cut from an old one without some of its items, from the old blobs (no re-ingest):
what a removal at a data subject's request makes. The caller commits: the cut, the old version's withdrawal and
whatever the caller records about them are one unit of work."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.audit import service as audit
from accord.catalog import manifest
from accord.catalog.models import DatasetVersion, Item
from accord.db import utcnow
from accord.errors import IllegalTransition, InvalidInput
from accord.identity.models import User
from accord.storage import BlobStore

COLUMNS = ("path", "size", "sha256", "media_type", "subject", "attributes", "preview")


@dataclass
class Cut:
    old: DatasetVersion
    new: DatasetVersion
    removed: list[Item]  # the items left out, in path order


def next_label(db: Session, dataset_id: int, label: str) -> str:
    """ "1.0" → "1.0-r1", "1.0-r1" → "1.0-r2", skipping labels the dataset already has."""
    base, _, n = label.rpartition("-r")
    stem, count = (base, int(n)) if base and n.isdigit() else (label, 0)
    taken = set(db.scalars(select(DatasetVersion.label).where(DatasetVersion.dataset_id == dataset_id)))
    while True:
        count += 1
        candidate = f"{stem[: 40 - len(str(count)) - 2]}-r{count}"
        if candidate not in taken:
            return candidate


def cut_without(
    db: Session,
    store: BlobStore,
    version_id: int,
    item_ids: set[int],
    *,
    actor: User | str | None,
    reason: str,
    notes: str = "",
) -> Cut:
    """Publish a copy of a published version without `item_ids` and withdraw the old one with `reason`. Does
    not commit."""
    old = db.get(DatasetVersion, version_id, populate_existing=True)
    if old is None or old.status != "published":
        raise IllegalTransition("only a published version can be cut; this one is not (or no longer) published")
    rows = db.execute(
        select(Item.id, *(getattr(Item, c) for c in COLUMNS)).where(Item.version_id == old.id).order_by(Item.path)
    ).all()
    removed_ids = {r.id for r in rows if r.id in item_ids}
    if removed_ids != set(item_ids):
        raise InvalidInput("some of the files to remove are not in this version")
    if not removed_ids:
        raise InvalidInput("nothing to remove: select at least one file")
    kept = [r for r in rows if r.id not in removed_ids]
    if not kept:
        raise InvalidInput(
            f"removing these {len(removed_ids)} file(s) would leave version {old.label} empty; "
            "withdraw the version instead"
        )
    sha = manifest.store(store, ((r.path, r.size, r.sha256, r.media_type, r.subject, r.attributes) for r in kept))
    now = utcnow()
    new = DatasetVersion(
        dataset_id=old.dataset_id,
        label=next_label(db, old.dataset_id, old.label),
        status="published",
        notes=notes or f"{old.label} without {len(removed_ids)} file(s): {reason}",
        file_count=len(kept),
        total_bytes=sum(r.size for r in kept),
        root_hash=sha,
        manifest_sha256=sha,
        ingested_at=now,
        published_at=now,
    )
    db.add(new)
    db.flush()
    db.add_all(Item(version_id=new.id, **{c: getattr(r, c) for c in COLUMNS}) for r in kept)
    old.status, old.withdrawn_at, old.withdrawn_reason = "withdrawn", now, reason
    audit.record(
        db,
        actor=actor,
        action="dataset_version.cut",
        object=("dataset_version", new.id),
        dataset=new.dataset_id,
        data={"from": old.id, "label": new.label, "removed": len(removed_ids), "root_hash": sha},
    )
    audit.record(
        db,
        actor=actor,
        action="dataset_version.withdrawn",
        object=("dataset_version", old.id),
        data={"reason": reason},
        dataset=old.dataset_id,
    )
    removed = list(db.scalars(select(Item).where(Item.id.in_(removed_ids)).order_by(Item.path)))
    return Cut(old=old, new=new, removed=removed)


def matching(
    db: Session, version_id: int, *, labels: Iterable[str] = (), patterns: Iterable[str] = (), limit: int = 5000
) -> list[tuple[Item, str]]:
    """Items of a version by subject label (exact) or by path pattern (shell-style, `*` within and across
    folders; a bare name matches that file name in any folder), each with the method that found it."""
    found: dict[int, tuple[Item, str]] = {}
    labels = [label.strip() for label in labels if label and label.strip()]
    if labels:
        for item in db.scalars(
            select(Item).where(Item.version_id == version_id, Item.subject.in_(labels)).order_by(Item.path).limit(limit)
        ):
            found[item.id] = (item, "label")
    for pattern in (p.strip() for p in patterns if p and p.strip()):
        regex = _glob(pattern)
        literal = re.split(r"[*?\[]", pattern.rsplit("/", 1)[-1])[0]  # narrows the rows in SQL, escaped
        query = (
            select(Item)
            .where(Item.version_id == version_id, Item.path.contains(literal, autoescape=True))
            .order_by(Item.path)
        )
        for item in db.scalars(query.limit(limit * 10)):
            if item.id not in found and regex.fullmatch(item.path):
                found[item.id] = (item, "path")
    return sorted(found.values(), key=lambda pair: pair[0].path)[:limit]


def _glob(pattern: str) -> re.Pattern[str]:
    body = re.escape(pattern).replace(r"\*\*", ".*").replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
    return re.compile(body if "/" in pattern else f"(?:.*/)?{body}")


def versions_holding(db: Session, dataset_id: int, shas: set[str]) -> dict[int, list[tuple[str, str, str, int]]]:
    """For each non-draft version of the dataset: (label, path, sha256, size) of its files among `shas`."""
    out: dict[int, list[tuple[str, str, str, int]]] = {}
    wanted = sorted(shas)
    for i in range(0, len(wanted), 500):
        rows = db.execute(
            select(DatasetVersion.id, DatasetVersion.label, Item.path, Item.sha256, Item.size)
            .join(Item, Item.version_id == DatasetVersion.id)
            .where(
                DatasetVersion.dataset_id == dataset_id,
                DatasetVersion.status != "draft",
                Item.sha256.in_(wanted[i : i + 500]),
            )
            .order_by(DatasetVersion.id, Item.path)
        )
        for vid, label, path, sha, size in rows:
            out.setdefault(vid, []).append((label, path, sha, size))
    return out
