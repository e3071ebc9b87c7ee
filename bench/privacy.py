"""The photo search: nearest faces among many stored embeddings, and the index job's images per second.

    .venv/bin/python bench/privacy.py            # 1,000,000 vectors; 40 images at two sizes
    .venv/bin/python bench/privacy.py --quick    # 50,000 vectors; 6 images (a minute)
    .venv/bin/python bench/privacy.py --full     # also builds the IVF-PQ index over 3,900,000 vectors (~3 GB RAM)

(a) Vectors: N synthetic unit vectors clustered as photos of N/10 people (real faces are not needed to time a
nearest-neighbour search), queries that are noisy copies of stored ones. The exact IndexFlatIP and our
IVF-PQ FaceIndex (with its exact re-rank from the float32 vectors in memory; at the desk they come from the
database) answer one query at a time on one thread (queries: stored vectors with noise, at similarity ~0.95 to
their source, i.e. matches; and a hard set at ~0.87): p50/p99 latency, recall@1 against the exact answer, and the
size of each index. Goal at 3.9M: p99 < 5 ms, recall@1 >= 0.99, <= 0.5 GB.

(b) Images: scenes made from the astronaut (scikit-image) and Grace Hopper (matplotlib) at 800x600 and 1280x960,
encoded as JPEG. Ours (decode, phash, CenterFace, dlib embedding of each face found) against
`face_recognition.face_encodings` (its HOG detector, then the same dlib models) on the same images, pinned to one
core: images/s and the ratio. Goal >= 2x. Install the baseline with `pip install --no-deps face_recognition`.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy, faiss and onnxruntime load: one core each

import contextlib
import io
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from accord.privacy import faces, vectors  # noqa: E402

GOAL_P99_MS, GOAL_RECALL, GOAL_BYTES, GOAL_SPEEDUP = 5.0, 0.99, 0.5 * 2**30, 2.0


def clustered(n: int, seed: int = 1, chunk: int = 200_000) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(max(n // 10, 1), vectors.DIM)).astype(np.float32)
    out = np.empty((n, vectors.DIM), dtype=np.float32)
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        block = centres[rng.integers(0, len(centres), m)] + rng.normal(scale=0.35, size=(m, vectors.DIM)).astype(
            np.float32
        )
        out[start : start + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def chunks(data: np.ndarray, size: int = 50_000):
    for start in range(0, len(data), size):
        block = data[start : start + size]
        yield block, np.arange(start, start + len(block), dtype=np.int64)


def latencies(index: vectors.FaceIndex, queries: np.ndarray, fetch, repeats: int = 3) -> tuple[list, list, np.ndarray]:
    """Each query's time in ms on the first pass, its best of `repeats` passes (what is left once another
    process on these shared cores has not preempted it), and the top id."""
    first, best, top = [], [], []
    for q in queries:
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            _, ids = index.search(q[None, :], 1, fetch=fetch)
            times.append((time.perf_counter() - t) * 1000)
        first.append(times[0])
        best.append(min(times))
        top.append(ids[0, 0])
    return first, best, np.array(top)


def pct(values: list[float], p: float) -> float:
    return float(np.percentile(values, p))


def noisy(data: np.ndarray, picked: np.ndarray, scale: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = data[picked] + rng.normal(scale=scale, size=(len(picked), vectors.DIM)).astype(np.float32)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def bench_vectors(n: int, n_queries: int, *, exact_queries: int) -> dict:
    print(f"\n(a) {n:,} stored 128-d unit vectors, {n_queries} queries, one query at a time, one thread")
    t = time.perf_counter()
    data = clustered(n)
    picked = np.random.default_rng(2).choice(n, n_queries, replace=False)
    # Queries are matches (similarity to their source above index.FACE_MATCH, as another photo of a person
    # is); the hard set is at 0.87, below the threshold, where a person's other photos are as near.
    queries, hard = noisy(data, picked, 0.03, 3), noisy(data, picked, 0.05, 4)
    near = float(np.mean(np.sum(queries * data[picked], axis=1)))
    far = float(np.mean(np.sum(hard * data[picked], axis=1)))
    print(f"  made the vectors in {time.perf_counter() - t:.1f} s; query similarity to its source {near:.2f}")

    t = time.perf_counter()
    exact = vectors.FaceIndex.build(chunks(data), n, exact_limit=n)
    truth = exact.index.search(queries, 1)[1][:, 0]  # batched: the ground truth
    hard_truth = exact.index.search(hard, 1)[1][:, 0]
    exact_times, _, exact_top = latencies(exact, queries[:exact_queries], None, repeats=1)
    print(f"  exact IndexFlatIP: built in {time.perf_counter() - t:.1f} s (with ground truth)")

    t = time.perf_counter()
    approx = vectors.FaceIndex.build(chunks(data), n, exact_limit=0)
    built = time.perf_counter() - t
    approx_times, approx_best, approx_top = latencies(approx, queries, lambda ids: data[ids])
    _, _, hard_top = latencies(approx, hard, lambda ids: data[ids], repeats=1)
    row = {
        "n": n,
        "exact_p50": pct(exact_times, 50),
        "exact_p99": pct(exact_times, 99),
        "exact_bytes": exact.nbytes(),
        "ivf_p50": pct(approx_times, 50),
        "ivf_p99": pct(approx_times, 99),
        "ivf_best_p99": pct(approx_best, 99),
        "ivf_bytes": approx.nbytes(),
        "recall": float((approx_top == truth).mean()),
        "hard_recall": float((hard_top == hard_truth).mean()),
        "exact_recall": float((exact_top == truth[:exact_queries]).mean()),
        "nlist": vectors.nlist_for(n),
        "built": built,
    }
    print(
        f"  IVF-PQ (nlist {row['nlist']}, nprobe {approx.index.nprobe}, {vectors.PQ_BYTES} B codes, "
        f"re-rank {vectors.RERANK}): built in {built:.1f} s"
    )
    print(f"  {'':14} {'p50 ms':>8} {'p99 ms':>8} {'recall@1':>9} {'size MiB':>9}")
    print(
        f"  {'exact':14} {row['exact_p50']:8.2f} {row['exact_p99']:8.2f} {row['exact_recall']:9.3f} "
        f"{row['exact_bytes'] / 2**20:9.1f}"
    )
    print(
        f"  {'IVF-PQ':14} {row['ivf_p50']:8.2f} {row['ivf_p99']:8.2f} {row['recall']:9.3f} "
        f"{row['ivf_bytes'] / 2**20:9.1f}"
    )
    print(
        f"  IVF-PQ p99 of each query's best of 3 passes (caches warm: a floor, not the figure): "
        f"{row['ivf_best_p99']:.2f} ms (load average {os.getloadavg()[0]:.1f})"
    )
    print(f"  IVF-PQ recall@1 of the hard queries (similarity {far:.2f} to their source): {row['hard_recall']:.3f}")
    print(
        f"  ratio: p99 {row['exact_p99'] / row['ivf_p99']:.1f}x faster, "
        f"{row['exact_bytes'] / row['ivf_bytes']:.1f}x smaller than exact"
    )
    return row


def project(row: dict, target: int = 3_900_000) -> None:
    k = target / row["n"]
    # Exact search scans every vector: time and memory grow with n. IVF-PQ scans nprobe of nlist lists and nlist
    # grows with sqrt(n), so a query scans ~sqrt(k) times as many codes; its size grows with n.
    print(f"\n  projected to {target:,} vectors (x{k:.1f}):")
    print(f"    exact : p99 ~{row['exact_p99'] * k:.0f} ms, {row['exact_bytes'] * k / 2**30:.2f} GiB")
    ivf_bytes = row["ivf_bytes"] * k
    print(f"    IVF-PQ: p99 ~{row['ivf_p99'] * k**0.5:.2f} ms, {ivf_bytes / 2**30:.3f} GiB")


def scenes(count: int) -> list[tuple[str, bytes]]:
    from tests.privacy.scenes import jpeg, scene

    out = []
    for n in range(count):
        size = (800, 600) if n % 2 == 0 else (1280, 960)
        who = "astronaut" if n % 4 < 2 else "grace"
        width = [220, 300, 380, 460][n % 4] * size[0] // 800
        at = ((37 * n) % (size[0] - width), (23 * n) % max(1, size[1] - width * 6 // 5))
        out.append((f"{size[0]}x{size[1]}", jpeg(scene(who, width=width, at=at, seed=n, size=size))))
    return out


def bench_images(count: int) -> dict:
    import face_recognition

    with contextlib.suppress(AttributeError, OSError):  # one core, as a job worker has
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    images = scenes(count)
    print(f"\n(b) {count} JPEG scenes (800x600 and 1280x960, one real face each), one core")
    faces.look(faces.open_image(images[0][1]))  # models loaded before the clock starts
    face_recognition.face_encodings(face_recognition.load_image_file(io.BytesIO(images[0][1])))
    results = {}
    for size in sorted({s for s, _ in images}):
        batch = [data for s, data in images if s == size]
        t = time.perf_counter()
        ours = sum(len(faces.look(faces.open_image(data)).faces) for data in batch)
        ours_s = time.perf_counter() - t
        t = time.perf_counter()
        theirs = sum(
            len(face_recognition.face_encodings(face_recognition.load_image_file(io.BytesIO(data)))) for data in batch
        )
        theirs_s = time.perf_counter() - t
        results[size] = (len(batch) / ours_s, len(batch) / theirs_s)
        print(
            f"  {size:>9}: ours {len(batch) / ours_s:5.2f} images/s ({ours} faces), face_recognition "
            f"{len(batch) / theirs_s:5.2f} images/s ({theirs} faces): {theirs_s / ours_s:.2f}x"
        )
    total_ours = len(images) / sum(len([1 for s, _ in images if s == k]) / v[0] for k, v in results.items())
    total_theirs = len(images) / sum(len([1 for s, _ in images if s == k]) / v[1] for k, v in results.items())
    print(
        f"  all: ours {total_ours:.2f} images/s, face_recognition {total_theirs:.2f}: {total_ours / total_theirs:.2f}x"
    )
    return {"ours": total_ours, "theirs": total_theirs}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="50,000 vectors and 6 images")
    parser.add_argument("--full", action="store_true", help="also measure IVF-PQ over 3,900,000 vectors")
    parser.add_argument("--n", type=int, help="stored vectors (default 1,000,000)")
    parser.add_argument("--images", type=int, help="images for (b) (default 40)")
    args = parser.parse_args(argv)
    n = args.n or (50_000 if args.quick else 1_000_000)
    row = bench_vectors(n, 200 if args.quick else 1000, exact_queries=100 if args.quick else 200)
    project(row)
    ok = True
    if args.full:
        big = bench_vectors(3_900_000, 1000, exact_queries=50)
        ok &= big["ivf_p99"] < GOAL_P99_MS and big["recall"] >= GOAL_RECALL and big["ivf_bytes"] <= GOAL_BYTES
    images = bench_images(args.images or (6 if args.quick else 40))
    print(
        f"\ngoals: recall@1 {row['recall']:.3f} (>= {GOAL_RECALL}), IVF-PQ p99 {row['ivf_p99']:.2f} ms at {n:,} "
        f"(< {GOAL_P99_MS} at 3.9M), images {images['ours'] / images['theirs']:.2f}x face_recognition "
        f"(>= {GOAL_SPEEDUP})"
    )
    ok &= row["recall"] >= GOAL_RECALL and images["ours"] / images["theirs"] >= GOAL_SPEEDUP
    print("met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
