"""FaceIndex: exact up to its limit, IVF-PQ beyond it with an exact re-rank that gives the exact index's best match.
(Synthetic unit vectors here only: what is measured is the nearest-neighbour search, not faces.)"""

from __future__ import annotations

import numpy as np

from accord.privacy import vectors


def _clustered(n: int, *, people: int, seed: int) -> np.ndarray:
    """n unit vectors around `people` centres, as several photos of each person sit near one another."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(people, vectors.DIM)).astype(np.float32)
    out = centres[rng.integers(0, people, n)] + rng.normal(scale=0.35, size=(n, vectors.DIM)).astype(np.float32)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def _chunks(data: np.ndarray, size: int = 2_000):
    for start in range(0, len(data), size):
        block = data[start : start + size]
        yield block, np.arange(start, start + len(block), dtype=np.int64)


def test_ivf_pq_with_rerank_gives_the_exact_best_match():
    data = _clustered(20_000, people=2_000, seed=1)
    rng = np.random.default_rng(2)
    picked = rng.choice(len(data), 300, replace=False)
    queries = data[picked] + rng.normal(scale=0.05, size=(300, vectors.DIM)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)

    exact = vectors.FaceIndex.build(_chunks(data), len(data))
    approx = vectors.FaceIndex.build(_chunks(data), len(data), exact_limit=1_000)
    assert exact.exact and not approx.exact and approx.count == exact.count == len(data)

    e_scores, e_ids = exact.search(queries, 5)
    a_scores, a_ids = approx.search(queries, 5, fetch=lambda ids: data[ids])
    assert (e_ids[:, 0] == picked).mean() > 0.99  # the photo itself is its own best match
    agree = (a_ids[:, 0] == e_ids[:, 0]).mean()
    assert agree >= 0.99, agree
    same = a_ids[:, 0] == e_ids[:, 0]
    assert np.allclose(a_scores[same, 0], e_scores[same, 0], atol=1e-5)  # re-ranked scores are exact
    assert approx.nbytes() < exact.nbytes() / 4


def test_fewer_vectors_than_the_index_wants_to_train_on_make_an_exact_index():
    data = _clustered(50, people=5, seed=3)
    index = vectors.FaceIndex.build(_chunks(data, 10), 5_000, exact_limit=10)  # a count that overstated
    assert index.exact and index.count == 50
    scores, ids = index.search(data[:3], 2)
    assert list(ids[:, 0]) == [0, 1, 2] and np.allclose(scores[:, 0], 1.0, atol=1e-5)


def test_an_empty_index_finds_nothing():
    index = vectors.FaceIndex.build(iter(()), 0)
    assert index.count == 0
