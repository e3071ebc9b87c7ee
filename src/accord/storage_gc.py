"""Garbage in the blob store: what a failed or killed ingest (or upload) leaves and nothing refers to.

Candidates, each older than a grace period so that an ingest running right now is not harmed:
- packs holding no indexed blob (a killed ingest's worker processes wrote them; their index rows never came);
- temp files (`.tmp/*.part`) of writes that never finished;
- blobs, loose, packed or in a bucket, whose hash appears nowhere in the database. The database is searched
  whole (every text and JSON column), not only the catalogue, so a blob another domain refers to (a sealed
  agreement, a scan, a certificate) is kept without this module knowing that domain.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import JSON, String, Text, select

from accord.storage import LocalBlobStore, S3BlobStore

_HASH = re.compile(r"[0-9a-f]{64}")
DEFAULT_GRACE = timedelta(hours=24)


@dataclass
class Garbage:
    kind: str  # "pack", "temp", "blob"
    name: str  # file name or sha256
    size: int
    age: float  # seconds since last written


@dataclass
class Sweep:
    found: list[Garbage] = field(default_factory=list)
    removed: bool = False

    @property
    def total(self) -> int:
        return sum(g.size for g in self.found)


def referenced(engine) -> set[str]:
    """Every sha256-looking string in any text or JSON column of any table."""
    import accord.models  # noqa: F401  (every domain's tables in the metadata)
    from accord.db import Base

    found: set[str] = set()
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [
                c
                for c in table.columns
                if isinstance(c.type, (String, Text, JSON))
                and (not isinstance(c.type, String) or (c.type.length or 64) >= 64)
            ]
            if not columns:
                continue
            for row in conn.execute(select(*columns)).yield_per(10_000):
                for value in row:
                    if value is None:
                        continue
                    text = value if isinstance(value, str) else repr(value)
                    if len(text) == 64:
                        if _HASH.fullmatch(text):
                            found.add(text)
                    elif len(text) > 64:
                        found.update(_HASH.findall(text))
    return found


def find(rt, *, grace: timedelta = DEFAULT_GRACE) -> Sweep:
    keep = referenced(rt.engine)
    cutoff = grace.total_seconds()
    store = rt.store
    if isinstance(store, LocalBlobStore):
        found = _local(store, keep)
    elif isinstance(store, S3BlobStore):
        found = _s3(store, keep)
    else:
        found = []
    return Sweep(found=[g for g in found if g.age >= cutoff])


def remove(rt, sweep: Sweep) -> Sweep:
    store = rt.store
    for g in sweep.found:
        if g.kind == "blob":
            store.delete(g.name)  # packed blobs are zeroed in place, as for a subject's removal
        elif g.kind == "pack":
            (store.root / "packs" / g.name).unlink(missing_ok=True)
        elif g.kind == "temp":
            (store.tmp / g.name).unlink(missing_ok=True)
    sweep.removed = True
    return sweep


def _age(stat_result, now: float) -> float:
    return max(0.0, now - stat_result.st_mtime)


def _local(store: LocalBlobStore, keep: set[str]) -> list[Garbage]:
    now = time.time()
    found: list[Garbage] = []
    for entry in os.scandir(store.tmp):
        if entry.is_file(follow_symlinks=False):
            st = entry.stat()
            found.append(Garbage("temp", entry.name, st.st_size, _age(st, now)))
    for folder in store.root.iterdir():
        if len(folder.name) == 2 and folder.is_dir():
            for f in folder.iterdir():
                if _HASH.fullmatch(f.name) and f.name not in keep:
                    st = f.stat()
                    found.append(Garbage("blob", f.name, st.st_size, _age(st, now)))
    packs = store.root / "packs"
    if not packs.is_dir():
        return found
    indexed: dict[str, int] = {}
    if store.packs.exists():
        conn = store.packs.conn()
        indexed = dict(conn.execute("SELECT pack, count(*) FROM blob GROUP BY pack").fetchall())
        pack_age = {p.name: _age(p.stat(), now) for p in packs.glob("*.pack")}
        for sha, pack, size in conn.execute("SELECT sha256, pack, size FROM blob"):
            if sha not in keep:
                found.append(Garbage("blob", sha, size, pack_age.get(pack, 0.0)))
    for p in packs.glob("*.pack"):
        if p.name not in indexed:
            st = p.stat()
            found.append(Garbage("pack", p.name, st.st_size, _age(st, now)))
    return found


def _s3(store: S3BlobStore, keep: set[str]) -> list[Garbage]:
    """Objects under the store's prefix; a killed upload leaves no half object (S3 writes are atomic)."""
    now = time.time()
    prefix = f"{store.prefix}/" if store.prefix else ""
    found: list[Garbage] = []
    for page in store.client.get_paginator("list_objects_v2").paginate(Bucket=store.bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            name = obj["Key"][len(prefix) :]
            if _HASH.fullmatch(name) and name not in keep:
                found.append(Garbage("blob", name, obj["Size"], max(0.0, now - obj["LastModified"].timestamp())))
    return found
