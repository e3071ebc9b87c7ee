"""Scenes with real faces, made at test time: the astronaut (scikit-image) and Grace Hopper (matplotlib's sample
photo; both loaded by accord.demo.faces, which the demo uses too) pasted at several sizes into generated
backgrounds, and datasets built from them through the services."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
from PIL import Image

from accord.catalog import service as catalog
from accord.demo.faces import FACE as FACE
from accord.demo.faces import astronaut as astronaut
from accord.demo.faces import grace_hopper as grace_hopper
from accord.demo.faces import person as person
from accord.demo.faces import resized


def background(seed: int, size=(800, 600)) -> Image.Image:
    rng = np.random.default_rng(seed)
    w, h = size
    ramp = np.linspace(30, 200, w)[None, :, None] * np.array([1.0, 0.8, 0.6])[None, None, :]
    noise = rng.normal(0, 18, (h, w, 3))
    return Image.fromarray(np.clip(ramp + noise + rng.uniform(-30, 30), 0, 255).astype(np.uint8))


def scene(name: str, *, width: int, at: tuple[int, int], seed: int, size=(800, 600)) -> Image.Image:
    """`name`'s photo scaled to `width` pixels wide, pasted at `at` into a generated background."""
    photo = resized(name, width)
    out = background(seed, size)
    out.paste(photo, at)
    return out


def selfie(name: str, *, quality: int = 70, side: int = 160) -> bytes:
    """A different picture of the same face: cropped round the face, shrunk, recompressed."""
    x0, y0, x1, y1 = FACE[name]
    crop = person(name).crop((x0 - 10, y0 + 5, x1 + 5, y1 - 5))
    return jpeg(crop.resize((side, round(side * crop.height / crop.width))), quality=quality)


def jpeg(img: Image.Image, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


SCENES = {
    "astronaut/a1.jpg": ("astronaut", {"width": 300, "at": (60, 50), "seed": 1}),
    "astronaut/a2.jpg": ("astronaut", {"width": 420, "at": (300, 100), "seed": 2}),
    "grace/g1.jpg": ("grace", {"width": 250, "at": (400, 20), "seed": 3}),
    "grace/g2.jpg": ("grace", {"width": 380, "at": (50, 150), "seed": 4}),
}


def files(extra: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """The four scenes, an image with no face, and a JPEG cut short (an image no decoder finishes)."""
    out = {path: jpeg(scene(who, **kw)) for path, (who, kw) in SCENES.items()}
    out["empty/field.png"] = png(background(9, (640, 480)))
    out["broken/cut.jpg"] = jpeg(scene("grace", width=300, at=(10, 10), seed=5))[:900]
    return {**out, **(extra or {})}


def subject_of(path: str) -> str | None:
    return path.split("/")[0] if "/" in path else None


def dataset(rt, tmp_path: Path, slug: str = "people", *, contents: dict[str, bytes] | None = None, label="1.0"):
    """A published dataset of `contents` (files() by default) with subject labels from the folder names."""
    with rt.session() as db:
        try:
            ds = catalog.dataset_by_slug(db, slug)
        except Exception:
            ds = catalog.create_dataset(db, slug=slug, title=slug.title(), custodian="Example Lab", actor="cli")
        version = catalog.create_version(db, ds.id, label=label, actor="cli")
    root = tmp_path / f"{slug}-{label}"
    contents = files() if contents is None else contents
    labels = []
    for path, data in contents.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
        labels.append({"path": path, "subject": subject_of(path)})
    (root / "accord-labels.jsonl").write_text("\n".join(json.dumps(x) for x in labels) + "\n")
    catalog.ingest(rt, version.id, root, actor="cli")
    with rt.session() as db:
        catalog.publish(db, version.id, actor="cli")
        items = {i.path: i.id for i in catalog.list_items(db, version.id, limit=1000)}
    return ds.id, version.id, items


# The face itself in each photo, forehead to chin and cheek to cheek (FACE takes in the hair): the ground truth
# a blur is measured against.
TRUE_FACE = {"astronaut": (178, 55, 275, 180), "grace": (178, 128, 352, 342)}


def face_at(into: Image.Image, name: str, *, face: int, at: tuple[int, int]) -> tuple[float, float, float, float]:
    """Paste `name`'s photo into `into`, scaled so the face is `face` pixels wide with its top-left at `at`;
    the face's true box in `into`, for measuring what the detector and the blur found."""
    x0, y0, x1, y1 = TRUE_FACE[name]
    scale = face / (x1 - x0)
    photo = resized(name, round(person(name).width * scale))
    ox, oy = round(at[0] - x0 * scale), round(at[1] - y0 * scale)
    into.paste(photo, (ox, oy))
    return (ox + x0 * scale, oy + y0 * scale, ox + x1 * scale, oy + y1 * scale)


def animated_gif(frames: int = 3) -> bytes:
    """A GIF of `frames` frames (120 ms each, looping), the astronaut's face at another place in each."""
    made = []
    for n in range(frames):
        frame = background(10 + n, (320, 240))
        face_at(frame, "astronaut", face=100, at=(60 + 40 * n, 50))
        made.append(frame.convert("P", palette=Image.Palette.ADAPTIVE))
    buf = io.BytesIO()
    made[0].save(buf, "GIF", save_all=True, append_images=made[1:], duration=120, loop=0)
    return buf.getvalue()
