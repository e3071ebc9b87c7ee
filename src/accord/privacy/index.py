"""The search index: what each stored image holds (perceptual hash, faces, embeddings), kept per blob by sha256,
and the search of a version's blobs for the faces and near-duplicates of a photo.

Indexing is per blob: a blob already indexed (under any version) is not read again, so a new version costs only
its new blobs. Work is committed a batch at a time, so a killed job re-run picks up where it stopped and ends
with the same rows. An image that cannot be read gets its `error` set instead of stopping the job.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import Select, Subquery, exists, func, select
from sqlalchemy.orm import Session

from accord.catalog.models import Item
from accord.db import unit_of_work, utcnow
from accord.errors import AccordError
from accord.privacy import faces, vectors
from accord.privacy.desk import Candidate
from accord.privacy.models import BlobIndex

if TYPE_CHECKING:
    from accord.runtime import Runtime

Progress = Callable[[int, "int | None", str], object]

BATCH = 32  # blobs per commit
PAGE = 1000  # hashes per query when listing what is left to index
MAX_FACES = 64  # faces kept per image (a vector's id is blob number * MAX_FACES + face number)
PHASH_MATCH = 0.8  # 1 - Hamming distance / 64: at most 12 of the 64 bits differ
# dlib's "same person" is a distance under 0.6 between raw descriptors, whose length is ~1.43; between the
# unit vectors kept here that is a similarity of about 1 - 0.6² / (2 * 1.43²) = 0.91. (Two different people,
# the astronaut and Grace Hopper of the tests, are at 0.89; two photos of one of them above 0.98.)
FACE_MATCH = 0.91


def _image_blobs(version_id: int) -> Subquery:
    """The distinct image blobs of a version, as a subquery of sha256s."""
    return (
        select(Item.sha256).where(Item.version_id == version_id, Item.media_type.like("image/%")).distinct()
    ).subquery()


def _unindexed_query(version_id: int) -> Select[str]:
    blobs = _image_blobs(version_id)
    return select(blobs.c.sha256).where(~exists().where(BlobIndex.sha256 == blobs.c.sha256))


def unindexed(db: Session, version_id: int) -> int:
    """Image blobs of the version the index does not know yet."""
    return int(db.scalar(select(func.count()).select_from(_unindexed_query(version_id).subquery())) or 0)


@dataclass
class Indexed:
    version_id: int
    indexed: int  # blobs read by this run
    errors: int  # of which could not be read as images
    faces: int  # found in them
    seconds: float


def index_version(rt: Runtime, version_id: int, *, progress: Progress | None = None) -> Indexed:
    """Index every image blob of the version not indexed yet, BATCH blobs per commit."""
    started = time.monotonic()
    with rt.session() as db:
        total = unindexed(db, version_id)
    done = errors = found = 0
    if progress:
        progress(0, total, f"indexing {total:,} images")
    after = ""
    while True:
        with rt.session() as db:
            page = _page(db, version_id, after)
        if not page:
            break
        after = page[-1]
        for start in range(0, len(page), BATCH):
            rows = [_row(rt, sha) for sha in page[start : start + BATCH]]
            with rt.session() as db, unit_of_work(db):
                known = set(db.scalars(select(BlobIndex.sha256).where(BlobIndex.sha256.in_([r.sha256 for r in rows]))))
                db.add_all(r for r in rows if r.sha256 not in known)  # another run may have got there first
            for r in rows:
                done += 1
                errors += r.error is not None
                found += len(r.faces)
                if progress:  # after each blob; jobs.service.report keeps the writes few
                    progress(done, total, f"indexed {done:,} of {total:,} images ({found:,} faces)")
    if progress:
        progress(done, max(total, done), f"indexed {done:,} images ({found:,} faces, {errors:,} unreadable)")
    return Indexed(version_id, done, errors, found, time.monotonic() - started)


def _page(db: Session, version_id: int, after: str) -> list[str]:
    blobs = _image_blobs(version_id)
    query = (
        select(blobs.c.sha256)
        .where(blobs.c.sha256 > after, ~exists().where(BlobIndex.sha256 == blobs.c.sha256))
        .order_by(blobs.c.sha256)
        .limit(PAGE)
    )
    return list(db.scalars(query))


def _row(rt: Runtime, sha256: str) -> BlobIndex:
    try:
        with rt.store.open(sha256) as fh:
            data = fh.read(faces.MAX_BYTES + 1)
        seen = faces.look(faces.open_image(data, field="image"))
    except AccordError as exc:
        return BlobIndex(sha256=sha256, error=exc.message, detector=faces.DETECTOR, indexed_at=utcnow())
    except Exception as exc:  # a file the decoder chokes on in some other way: recorded, not fatal
        return BlobIndex(
            sha256=sha256, error=f"{type(exc).__name__}: {exc}"[:500], detector=faces.DETECTOR, indexed_at=utcnow()
        )
    kept = seen.faces[:MAX_FACES]
    return BlobIndex(
        sha256=sha256,
        phash=seen.phash,
        faces=[{"box": [round(v, 1) for v in f.box], "score": round(f.score, 4)} for f in kept],
        embeddings=seen.embeddings[: len(kept)].astype(np.float32).tobytes(),
        detector=faces.DETECTOR,
        indexed_at=utcnow(),
    )


# --- search ------------------------------------------------------------------------------------------------


@dataclass
class SearchResult:
    candidates: list[Candidate]  # best first
    faces_in_photo: int
    unindexed: int  # image blobs of the version not indexed yet (the search could not look at them)


def search(rt: Runtime, db: Session, photo: bytes, version_id: int, *, top: int = 50) -> SearchResult:
    """Items of the version whose image is a near-duplicate of `photo` (perceptual hash) or shows a face like one
    in it (each face of each indexed image compared), each with its best score per method."""
    img = faces.open_image(photo)
    pixels = faces.rgb(img)
    found = faces.detect(pixels)[:MAX_FACES]
    query = faces.embed(pixels, [f.box for f in found])
    best: dict[tuple[str, str], float] = {}
    for sha, score in _phash_hits(db, version_id, faces.phash(img)):
        best[(sha, "phash")] = max(score, best.get((sha, "phash"), 0.0))
    if len(query):
        for sha, score in _face_hits(rt, db, version_id, query, top):
            best[(sha, "face")] = max(score, best.get((sha, "face"), 0.0))
    ranked = sorted(best.items(), key=lambda kv: -kv[1])
    items: dict[str, list[int]] = {}
    shas = list({sha for (sha, _), _ in ranked})
    for start in range(0, len(shas), PAGE):
        for item_id, sha in db.execute(
            select(Item.id, Item.sha256).where(
                Item.version_id == version_id, Item.sha256.in_(shas[start : start + PAGE])
            )
        ):
            items.setdefault(sha, []).append(item_id)
    candidates = [
        Candidate(item_id, method, round(score, 4))
        for (sha, method), score in ranked
        for item_id in sorted(items.get(sha, ()))
    ]
    return SearchResult(candidates, len(found), unindexed(db, version_id))


def _phash_hits(db: Session, version_id: int, wanted: str) -> Iterator[tuple[str, float]]:
    blobs = _image_blobs(version_id)
    rows = db.execute(
        select(BlobIndex.sha256, BlobIndex.phash)
        .where(BlobIndex.sha256.in_(select(blobs.c.sha256)), BlobIndex.phash.is_not(None))
        .execution_options(yield_per=10_000)
    )
    target = np.uint64(int(wanted, 16))
    for part in rows.partitions():
        hashes = np.array([int(p or "0", 16) for _, p in part], dtype=np.uint64)
        distance = np.unpackbits((hashes ^ target).view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1)
        score = 1.0 - distance / 64.0
        for n in np.nonzero(score >= PHASH_MATCH)[0]:
            yield part[int(n)][0], float(score[n])


def _face_hits(
    rt: Runtime, db: Session, version_id: int, query: vectors.Array, top: int
) -> Iterator[tuple[str, float]]:
    index, shas = _face_index(rt, db, version_id)
    if index.count == 0:
        return

    def fetch(ids: vectors.Array) -> vectors.Array:
        wanted = sorted({shas[i // MAX_FACES].decode() for i in ids})
        stored = dict(db.execute(select(BlobIndex.sha256, BlobIndex.embeddings).where(BlobIndex.sha256.in_(wanted))))
        out = np.zeros((len(ids), vectors.DIM), dtype=np.float32)
        for n, i in enumerate(ids):
            emb = np.frombuffer(stored[shas[i // MAX_FACES].decode()], dtype=np.float32).reshape(-1, vectors.DIM)
            out[n] = emb[i % MAX_FACES]
        return out

    scores, ids = index.search(query, min(top, index.count), fetch=fetch)
    for row_scores, row_ids in zip(scores, ids, strict=True):
        for score, i in zip(row_scores, row_ids, strict=True):
            if i >= 0 and score >= FACE_MATCH:
                yield shas[int(i) // MAX_FACES].decode(), float(score)


def _face_index(rt: Runtime, db: Session, version_id: int) -> tuple[vectors.FaceIndex, vectors.Array]:
    """The version's face index and the sha256 of each blob number (bytes, in a numpy array: 64 bytes a blob,
    not a Python string each), built from its rows in sha256 order and kept in this process until the version's
    indexed blobs change."""
    blobs = _image_blobs(version_id)
    count, newest = db.execute(
        select(func.count(), func.max(BlobIndex.indexed_at)).where(BlobIndex.sha256.in_(select(blobs.c.sha256)))
    ).one()
    cache: dict[int, tuple[tuple[int, datetime | None], vectors.FaceIndex, vectors.Array]] = rt.kept(
        "privacy_face_index", dict
    )
    key: tuple[int, datetime | None] = (count, newest)
    kept = cache.get(version_id)
    if kept is not None and kept[0] == key:
        return kept[1], kept[2]
    total = int(
        db.scalar(
            select(func.sum(func.length(BlobIndex.embeddings))).where(BlobIndex.sha256.in_(select(blobs.c.sha256)))
        )
        or 0
    ) // (4 * vectors.DIM)
    parts: list[vectors.Array] = []
    blob_count = 0

    def chunks() -> Iterator[tuple[vectors.Array, vectors.Array]]:
        rows = db.execute(
            select(BlobIndex.sha256, BlobIndex.embeddings)
            .where(BlobIndex.sha256.in_(select(blobs.c.sha256)), func.length(BlobIndex.embeddings) > 0)
            .order_by(BlobIndex.sha256)
            .execution_options(yield_per=5_000)
        )
        nonlocal blob_count
        for part in rows.partitions():
            vecs, ids = [], []
            for n, (_sha, emb) in enumerate(part):
                block = np.frombuffer(emb, dtype=np.float32).reshape(-1, vectors.DIM)
                vecs.append(block)
                ids.append((blob_count + n) * MAX_FACES + np.arange(len(block), dtype=np.int64))
            parts.append(np.array([sha for sha, _ in part], dtype="S64"))
            blob_count += len(part)
            if vecs:
                yield np.concatenate(vecs), np.concatenate(ids)

    index = vectors.FaceIndex.build(chunks(), total)
    shas = np.concatenate(parts) if parts else np.zeros(0, dtype="S64")
    cache[version_id] = (key, index, shas)
    return index, shas
