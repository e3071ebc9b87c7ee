"""The one-image anonymiser (`accord.privacy.blur.anonymise`) against the `deface` CLI, on the same images.

    .venv/bin/python bench/anonymise.py           # 20 scenes (1024x768, two faces, 20-300 px) and 40 person crops
    .venv/bin/python bench/anonymise.py --quick   # 5 scenes and 8 crops (a minute or two)

Then the whole job over a version, in its process, a local pool of 2 and Dask with 2 workers
(bench/anonymise_job.py, run from here with the same arguments; `--no-job` leaves it out).

Images are made at run time (tests/privacy/scenes.py: a generated background, real faces, the astronaut and
Grace Hopper, pasted at known sizes) and saved as JPEG in a temporary folder. Both tools run on every file of a
set; deface runs once over all the files of a set (it takes several inputs), with its defaults (blur, threshold
0.2, ellipse masks 1.3 times the box), and once on one image for its start-up cost.

A pixel counts as blurred (the same rule for both tools, output against input, both decoded, grey) when the mean
absolute change over its 7x7 neighbourhood is above CHANGED, or its 7x7 standard deviation, above TEXTURE, fell
below FLATTENED times what it was. A face is blurred when at
least 90% of its true box (forehead to chin, cheek to cheek) is. "Still matches": dlib's embedding of the blurred
face against the original's, similarity >= 0.91 (dlib distance 0.6), as the photo search would count it.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from accord.privacy import blur, faces  # noqa: E402

DEFACE = Path(sys.executable).with_name("deface")
SIZES = (20, 40, 80, 160, 300)
CHANGED = 20.0  # mean absolute change (0-255) over 7x7
TEXTURE, FLATTENED = 4.0, 0.4  # local deviation (7x7) above 4 that falls below 0.4 of itself
COVERED = 0.9
MATCH = 0.91


def put(img: Image.Image, name: str, face: int, at: tuple[int, int]) -> tuple[float, ...]:
    """face_at pastes the whole photo, which at 300 px would cover the other face: paste only the head."""
    from tests.privacy.scenes import face_at

    tmp = img.copy()
    box = face_at(tmp, name, face=face, at=at)
    pad = 0.3 * face
    region = (max(0, int(box[0] - pad)), max(0, int(box[1] - pad)),
              min(img.width, int(box[2] + pad)), min(img.height, int(box[3] + pad)))  # fmt: skip
    img.paste(tmp.crop(region), region[:2])
    return box


def make_sets(folder: Path, per_size: int, crops: int) -> dict[str, list[tuple[Path, list]]]:
    """{set: [(path, [(face px, true box), ...]), ...]}"""
    from tests.privacy.scenes import TRUE_FACE, background, face_at

    def height(name: str, face: int) -> int:
        x0, y0, x1, y1 = TRUE_FACE[name]
        return round(face * (y1 - y0) / (x1 - x0))

    rng = np.random.default_rng(7)
    sets: dict[str, list] = {"scenes": [], "crops": []}
    (folder / "scenes").mkdir()
    (folder / "crops").mkdir()
    for size in SIZES:
        for n in range(per_size):
            img = background(100 * size + n, (1024, 768))
            names = ("astronaut", "grace") if n % 2 == 0 else ("grace", "astronaut")
            truth = []
            for half, name in enumerate(names):
                pad = round(0.3 * size) + 1  # the head's margin stays inside its half of the picture
                x = int(rng.integers(512 * half + pad, 512 * half + 512 - size - pad + 1))
                y = int(rng.integers(pad, 768 - height(name, size) - pad + 1))
                truth.append((size, put(img, name, size, (x, y))))
            path = folder / "scenes" / f"s{size:03d}-{n}.jpg"
            img.save(path, "JPEG", quality=90)
            sets["scenes"].append((path, truth))
    for n in range(crops):
        name = ("astronaut", "grace")[n % 2]
        size = int(rng.integers(30, 51))
        img = background(5000 + n, (128, 256))
        box = face_at(img, name, face=size, at=(int(rng.integers(8, 128 - size - 8)), int(rng.integers(16, 90))))
        path = folder / "crops" / f"c{n:03d}.jpg"
        img.save(path, "JPEG", quality=90)
        sets["crops"].append((path, [(30 if size < 40 else 40, box)]))  # sizes 30-39 and 40-50
    return sets


def ours_one(job: tuple[str, str]) -> int:
    src, dst = job
    out = blur.anonymise(Path(src).read_bytes(), None)
    Path(dst).write_bytes(out.data)
    return len(out.faces)


def warm(_: object = None) -> None:
    from tests.privacy.scenes import background, face_at

    img = background(1, (320, 240))
    face_at(img, "grace", face=60, at=(100, 60))
    path = Path(tempfile.mkdtemp()) / "warm.jpg"
    img.save(path, "JPEG")
    ours_one((str(path), str(path)))
    faces.embed(np.asarray(img), [(100.0, 60.0, 160.0, 134.0)])


def out_path(path: Path, tool: str) -> Path:
    return (
        path.with_name(f"{path.stem}_{tool}.jpg") if tool == "ours" else path.with_name(f"{path.stem}_anonymized.jpg")
    )


def run_ours(items: list[tuple[Path, list]], pool: ProcessPoolExecutor | None) -> tuple[float, float, int]:
    jobs = [(str(p), str(out_path(p, "ours"))) for p, _ in items]
    cpu, t = time.process_time(), time.perf_counter()
    found = sum(pool.map(ours_one, jobs) if pool else map(ours_one, jobs))
    spent = "-" if pool else f"{time.process_time() - cpu:.2f}"  # the workers' CPU is not ours to read
    return time.perf_counter() - t, spent, found


def children_cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def run_deface(paths: list[Path]) -> tuple[float, float]:
    cpu, t = children_cpu(), time.perf_counter()
    subprocess.run([str(DEFACE), *map(str, paths)], check=True, capture_output=True)
    return time.perf_counter() - t, children_cpu() - cpu


def decoded(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"), dtype=np.float32)


def blurred_mask(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Changed a lot, or lost most of its texture. deface re-saves at JPEG quality 75, which moves this noisy
    background by ~8 and keeps over half its local deviation; neither counts as a blur."""
    from scipy.ndimage import uniform_filter

    def spread(grey: np.ndarray) -> np.ndarray:
        return np.sqrt(np.maximum(uniform_filter(grey**2, 7) - uniform_filter(grey, 7) ** 2, 0))

    moved = uniform_filter(np.abs(after - before).mean(axis=2), 7) > CHANGED
    was, now = spread(before.mean(axis=2)), spread(after.mean(axis=2))
    return moved | ((was > TEXTURE) & (now < FLATTENED * was))


def score(items: list[tuple[Path, list]], tool: str) -> dict:
    """Per face size: [faces, blurred, blurred that still match]; and the share of non-face pixels changed."""
    by_size: dict[int, list[int]] = {}
    changed = outside = 0
    for path, truth in items:
        before, after = decoded(path), decoded(out_path(path, tool))
        mask = blurred_mask(before, after)
        rest = np.ones(mask.shape, dtype=bool)
        hit = []
        for _, box in truth:
            x0, y0, x1, y1 = (round(v) for v in box)
            rest[y0:y1, x0:x1] = False
            hit.append(mask[y0:y1, x0:x1].mean() >= COVERED)
        changed += int(mask[rest].sum())
        outside += int(rest.sum())
        boxes = [box for (_, box), h in zip(truth, hit, strict=True) if h]
        if boxes:
            a = faces.embed(before.astype(np.uint8), boxes)
            b = faces.embed(after.astype(np.uint8), boxes)
            sims = iter((a * b).sum(axis=1))
        for (size, _), h in zip(truth, hit, strict=True):
            row = by_size.setdefault(size, [0, 0, 0])
            row[0] += 1
            if h:
                row[1] += 1
                row[2] += int(next(sims) >= MATCH)
    return {"by_size": by_size, "changed": changed / max(outside, 1)}


def share(a: int, b: int) -> str:
    return f"{a / b:.2f} ({a}/{b})" if b else "-"


def report(name: str, items: list, timing: dict, scores: dict) -> None:
    n = len(items)
    print(f"\n{name}: {n} images" + (" (face px 30 is 30-39, 40 is 40-50)" if name == "crops" else ""))
    print(f"  {'':26} {'wall s':>7} {'images/s':>9} {'CPU s':>7} {'faces found':>11}")
    for label, (wall, cpu, found) in timing.items():
        count = n - 1 if "excluded" in label else n
        print(f"  {label:26} {wall:7.2f} {count / wall:9.2f} {cpu!s:>7} {found!s:>11}")
    base = timing["deface (one run, all files)"][0]
    for label in ("ours, 1 process", "ours, pool of 2"):
        print(f"  ratio {label} / deface: {base / timing[label][0]:.2f}x images/s")
    if "deface, start-up excluded" in timing:
        wall, theirs = timing["ours, 1 process"][0], timing["deface, start-up excluded"][0]
        print(f"  ratio ours, 1 process / deface without start-up: {(n / wall) / ((n - 1) / theirs):.2f}x")
    print(f"  {'face px':>8} {'recall ours':>16} {'recall deface':>16} {'match ours':>14} {'match deface':>14}")
    sizes = sorted(scores["ours"]["by_size"])
    total = {t: [0, 0, 0] for t in scores}
    for size in sizes:
        o, d = scores["ours"]["by_size"][size], scores["deface"]["by_size"][size]
        for t, row in (("ours", o), ("deface", d)):
            total[t] = [x + y for x, y in zip(total[t], row, strict=True)]
        print(f"  {size:>8} {share(o[1], o[0]):>16} {share(d[1], d[0]):>16} "
              f"{share(o[2], o[1]):>14} {share(d[2], d[1]):>14}")  # fmt: skip
    o, d = total["ours"], total["deface"]
    print(
        f"  {'all':>8} {share(o[1], o[0]):>16} {share(d[1], d[0]):>16} {share(o[2], o[1]):>14} {share(d[2], d[1]):>14}"
    )
    print(f"  non-face area changed: ours {scores['ours']['changed']:.4f}, deface {scores['deface']['changed']:.4f}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one scene per face size and 8 crops")
    parser.add_argument("--keep", action="store_true", help="keep the images and outputs (the folder is printed)")
    parser.add_argument("--no-job", action="store_true", help="the one-image part only (not anonymise_job.py)")
    args = parser.parse_args(argv)
    per_size, crops = (1, 8) if args.quick else (4, 40)
    folder = Path(tempfile.mkdtemp(prefix="accord-anon-"))
    sets = make_sets(folder, per_size, crops)
    print(f"images in {folder}; load average {os.getloadavg()[0]:.1f}; {os.cpu_count()} cores")
    print("ours: onnxruntime on 1 thread a process; deface: onnxruntime's default threads (all cores)")
    warm()
    t = time.perf_counter()
    pool = ProcessPoolExecutor(2, initializer=warm)
    list(pool.map(time.sleep, [0.01, 0.01]))  # both workers up and warm before any clock starts
    print(f"pool of 2 started and warmed in {time.perf_counter() - t:.1f} s (not counted below)")
    single = sets["crops"][0][0]
    solo = folder / "solo.jpg"
    solo.write_bytes(single.read_bytes())
    start_wall, start_cpu = run_deface([solo])
    print(f"deface start-up: one run on one 128x256 image takes {start_wall:.2f} s wall, {start_cpu:.2f} s CPU")
    try:
        for name, items in sets.items():
            timing = {}
            timing["ours, 1 process"] = run_ours(items, None)
            timing["ours, pool of 2"] = run_ours(items, pool)
            wall, cpu = run_deface([p for p, _ in items])
            timing["deface (one run, all files)"] = (wall, f"{cpu:.2f}", "-")
            # minus the one-image run: what the other n - 1 images took
            timing["deface, start-up excluded"] = (max(wall - start_wall, 1e-3), f"{cpu - start_cpu:.2f}", "-")
            scores = {tool: score(items, tool) for tool in ("ours", "deface")}
            report(name, items, timing, scores)
    finally:
        pool.shutdown()
    if not args.keep:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    if args.no_job:
        return 0
    from anonymise_job import main as job  # this folder is the script's first sys.path entry

    return job(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
