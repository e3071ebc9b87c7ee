"""Nearest faces among a version's embeddings (unit vectors, similarity = dot product), over faiss.

Up to EXACT_LIMIT vectors the index is exact (IndexFlatIP: every vector compared). Beyond it, an IVF-PQ index
(vectors filed under their nearest of `nlist` centroids, each kept as a 16-byte code: 32 sub-vectors of 4 bits,
which faiss's "fast scan" compares with SIMD, twice as fast as 16 of 8 bits at the same recall) is searched in
`nprobe` lists, and its best RERANK candidates are scored again exactly from the stored float32 embeddings, so the
order and scores returned are exact for what the coarse search found. Measured in bench/privacy.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

DIM = 128
EXACT_LIMIT = 100_000  # exact search of 100k vectors takes ~3 ms on one core; IVF-PQ below 1 ms beyond it
PQ_PARTS, PQ_BITS = 32, 4  # 16 bytes per vector
PQ_BYTES = PQ_PARTS * PQ_BITS // 8
RERANK = 200  # coarse candidates scored again exactly
TRAIN_PER_LIST = 40  # faiss wants at least 39 training vectors per centroid

Array = npt.NDArray[Any]
Chunks = Iterable[tuple[Array, Array]]  # (vectors (n, 128) float32, ids (n,) int64)
Fetch = Callable[[Array], Array]  # ids (n,) -> their stored vectors (n, 128) float32


@cache
def _faiss() -> Any:
    import faiss

    faiss.omp_set_num_threads(1)  # one query at a time: threads cost more than they give (and cores are shared)
    return faiss


def nlist_for(total: int) -> int:
    return int(min(16384, max(64, 2 ** round(math.log2(max(total, 1) ** 0.5 * 2)))))


class FaceIndex:
    def __init__(self, index: Any, *, exact: bool):
        self.index, self.exact = index, exact

    @property
    def count(self) -> int:
        return int(self.index.ntotal)

    @classmethod
    def build(
        cls, chunks: Chunks, total: int, *, exact_limit: int = EXACT_LIMIT, nprobe: int | None = None
    ) -> FaceIndex:
        """Index vectors given chunk by chunk (`total` of them, known beforehand from a count). For IVF-PQ the
        first chunks are held back to train it on: give them in an order unrelated to the vectors (by sha256,
        say) so they are a fair sample."""
        faiss = _faiss()
        if total <= exact_limit:
            flat = faiss.IndexIDMap(faiss.IndexFlatIP(DIM))
            for vectors, ids in chunks:
                if len(ids):
                    flat.add_with_ids(_f32(vectors), _i64(ids))
            return cls(flat, exact=True)
        nlist = nlist_for(total)
        quantizer = faiss.IndexFlatIP(DIM)
        ivf = faiss.IndexIVFPQFastScan(quantizer, DIM, nlist, PQ_PARTS, PQ_BITS, faiss.METRIC_INNER_PRODUCT)
        want = min(total, nlist * TRAIN_PER_LIST)
        held: list[tuple[Array, Array]] = []
        seen = 0
        iterator = iter(chunks)
        for vectors, ids in iterator:
            held.append((_f32(vectors), _i64(ids)))
            seen += len(ids)
            if seen >= want:
                break
        sample = np.concatenate([v for v, _ in held])[:want] if held else np.zeros((0, DIM), np.float32)
        if len(sample) < nlist:  # fewer vectors than promised: an exact index over what came
            flat = faiss.IndexIDMap(faiss.IndexFlatIP(DIM))
            for vectors, ids in held:
                flat.add_with_ids(vectors, ids)
            return cls(flat, exact=True)
        ivf.train(sample)
        for vectors, ids in held:
            ivf.add_with_ids(vectors, ids)
        del held, sample
        for vectors, ids in iterator:
            if len(ids):
                ivf.add_with_ids(_f32(vectors), _i64(ids))
        ivf.nprobe = nprobe or max(8, nlist // 16)  # bench/privacy.py: recall@1 0.997 at 0.87 similarity
        return cls(ivf, exact=False)

    def search(self, queries: Array, k: int, *, fetch: Fetch | None = None) -> tuple[Array, Array]:
        """(scores, ids), each (len(queries), k), best first; id -1 where fewer than k were found. With IVF-PQ
        and `fetch`, the top RERANK coarse candidates are scored exactly."""
        queries = _f32(queries)
        if self.exact or fetch is None:
            scores, ids = self.index.search(queries, k)
            return scores, ids
        _, coarse = self.index.search(queries, max(k, RERANK))
        out_scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        out_ids = np.full((len(queries), k), -1, dtype=np.int64)
        for q, row in enumerate(coarse):
            row = row[row >= 0]
            if not len(row):
                continue
            exact = _f32(fetch(row)) @ queries[q]
            order = np.argsort(-exact)[:k]
            out_scores[q, : len(order)], out_ids[q, : len(order)] = exact[order], row[order]
        return out_scores, out_ids

    def nbytes(self) -> int:
        """The index's size as faiss serialises it (what it holds in memory, near enough)."""
        return int(_faiss().serialize_index(self.index).nbytes)


def _f32(a: Array) -> Array:
    return np.ascontiguousarray(a, dtype=np.float32).reshape(-1, DIM)


def _i64(a: Array) -> Array:
    return np.ascontiguousarray(a, dtype=np.int64)
