"""Real faces for the demo's privacy desk, made at run time from photos that ship in installed packages: the
astronaut (scikit-image's `data.astronaut()`) and Grace Hopper (matplotlib's sample `grace_hopper.jpg`), both in
the public domain. No face is drawn or stored in the repository; the tests paste the same photos."""

from __future__ import annotations

import io
from functools import cache

from PIL import Image, ImageEnhance

FACE = {"astronaut": (150, 20, 300, 220), "grace": (140, 60, 400, 380)}  # where the face is in each photo
PEOPLE = tuple(FACE)


@cache
def astronaut() -> Image.Image:
    from skimage import data

    return Image.fromarray(data.astronaut())


@cache
def grace_hopper() -> Image.Image:
    from matplotlib import cbook

    path = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    with Image.open(str(path)) as img:
        return img.convert("RGB")


def person(name: str) -> Image.Image:
    if name not in FACE:
        raise KeyError(f"no photo of {name!r}; there are {', '.join(PEOPLE)}")
    return astronaut() if name == "astronaut" else grace_hopper()


def resized(name: str, width: int) -> Image.Image:
    """`name`'s whole photo scaled to `width` pixels wide."""
    photo = person(name)
    return photo.resize((width, round(width * photo.height / photo.width)), Image.Resampling.LANCZOS)


def paste(into: Image.Image, name: str, *, width: int, at: tuple[int, int], light: float = 1.0) -> Image.Image:
    """A copy of `into` with `name`'s photo, `width` pixels wide and its brightness times `light`, at `at`."""
    photo = resized(name, width)
    if light != 1.0:
        photo = ImageEnhance.Brightness(photo).enhance(light)
    out = into.convert("RGB").copy()
    out.paste(photo, at)
    return out


def selfie(name: str = "astronaut", *, side: int = 360, angle: float = 4.0, warmth: float = 1.08) -> bytes:
    """Another picture of the same face, as a person would send it: cropped round the head, resized, turned a
    little and warmer in colour, so that no byte (nor the perceptual hash) matches an image of a dataset."""
    x0, y0, x1, y1 = FACE[name]
    crop = person(name).crop((x0 - 40, max(0, y0 - 15), x1 + 40, y1 + 60))
    crop = crop.resize((side, round(side * crop.height / crop.width)), Image.Resampling.LANCZOS)
    crop = crop.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=(235, 235, 230))
    r, g, b = crop.split()
    crop = Image.merge("RGB", (r.point(lambda v: min(255, int(v * warmth))), g, b.point(lambda v: int(v / warmth))))
    buf = io.BytesIO()
    crop.save(buf, "JPEG", quality=85)
    return buf.getvalue()
