"""LLVIP's stand-in scene: one street seen by a camera mounted above head height, drawn twice per frame, as visible
light and as the infrared camera sees it (people warm, buildings cold), so that the pair matches pixel for pixel."""

from __future__ import annotations

import random
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFilter

from accord.demo.figures import canvas, dimmed, draw_person, finish, gradient, noise, random_figure, scaled, thermal

LLVIP_DAYLIGHT = {25, 26}


@dataclass
class Street:
    daylight: bool
    horizon: float
    buildings: list  # (x0, x1, top, shade, windows: [(x0, y0, x1, y1, lit)])
    lamps: list  # (x, top)
    people: list  # (cx, feet, height, Figure, stride, facing)


def _layout(scene: int, w: int, h: int) -> tuple[float, list, list]:
    """The fixed part of a scene (one camera): skyline and lamps depend on the scene number only."""
    rng = random.Random(f"llvip-scene-{scene}")
    horizon = h * rng.uniform(0.42, 0.55)
    buildings, x = [], -rng.uniform(0, 40)
    while x < w:
        bw = rng.uniform(0.12, 0.28) * w
        top = horizon - rng.uniform(0.15, 0.4) * h
        windows = []
        for wy in range(int(top + 8), int(horizon - 12), 18):
            for wx in range(int(x + 6), int(x + bw - 12), 16):
                windows.append((wx, wy, wx + 8, wy + 10, rng.random() < 0.35))
        buildings.append((x, x + bw, top, rng.uniform(0.7, 1.3), windows))
        x += bw + rng.uniform(0, 12)
    lamps = [(rng.uniform(0.05, 0.95) * w, horizon - rng.uniform(0.05, 0.15) * h) for _ in range(rng.randint(1, 3))]
    return horizon, buildings, lamps


def street(scene: int, frame_rng: random.Random, size: tuple[int, int]) -> Street:
    w, h = size
    horizon, buildings, lamps = _layout(scene, w, h)
    people = []
    for _ in range(frame_rng.randint(2, 5)):
        feet = frame_rng.uniform(horizon + 0.1 * h, h * 0.98)
        height = (feet - horizon) * frame_rng.uniform(0.75, 0.9)  # a camera mounted above head height
        people.append(
            (
                frame_rng.uniform(0.08, 0.92) * w,
                feet,
                height,
                random_figure(frame_rng),
                frame_rng.uniform(-1, 1),
                frame_rng.choice((-1, 1)),
            )
        )
    people.sort(key=lambda p: p[1])  # far ones first, so near ones overlap them
    return Street(scene in LLVIP_DAYLIGHT, horizon, buildings, lamps, people)


def render_visible(st: Street, size: tuple[int, int], rng: random.Random) -> Image.Image:
    w, h = canvas(size)
    k = w / size[0]
    sky = ((120, 165, 215), (205, 220, 235)) if st.daylight else ((6, 8, 20), (24, 26, 44))
    img = gradient((w, h), *sky)
    road = ((105, 105, 110), (70, 70, 76)) if st.daylight else ((26, 26, 30), (40, 40, 46))
    img.paste(gradient((w, h - int(st.horizon * k)), *road), (0, int(st.horizon * k)))
    draw = ImageDraw.Draw(img)
    light = 1.0 if st.daylight else 0.25
    for x0, x1, top, shade, windows in st.buildings:
        base = (150, 140, 130) if st.daylight else (24, 24, 32)
        draw.rectangle((x0 * k, top * k, x1 * k, st.horizon * k), fill=scaled(base, shade))
        for wx0, wy0, wx1, wy1, lit in windows:
            colour = (250, 205, 120) if lit and not st.daylight else scaled(base, shade * 0.6)
            draw.rectangle((wx0 * k, wy0 * k, wx1 * k, wy1 * k), fill=colour)
    for i in range(0, w, int(60 * k)):  # lane markings
        draw.rectangle(
            (
                i,
                (st.horizon + (h / k - st.horizon) * 0.55) * k,
                i + 28 * k,
                (st.horizon + (h / k - st.horizon) * 0.55 + 2) * k,
            ),
            fill=scaled((200, 200, 190), light),
        )
    for x, top in st.lamps:
        draw.line([(x * k, top * k), (x * k, (st.horizon + 25) * k)], fill=(50, 50, 55), width=int(2 * k))
    if not st.daylight:  # lamp glow: a blurred bright disc added on top
        glow = Image.new("L", (w, h), 0)
        gd = ImageDraw.Draw(glow)
        for x, top in st.lamps:
            gd.ellipse(((x - 14) * k, (top - 8) * k, (x + 14) * k, (top + 10) * k), fill=200)
        glow = glow.filter(ImageFilter.GaussianBlur(8 * k))
        img = Image.composite(Image.new("RGB", (w, h), (255, 225, 160)), img, glow)
        draw = ImageDraw.Draw(img)
    for cx, feet, height, fig, stride, facing in st.people:
        draw_person(draw, cx * k, feet * k, height * k, dimmed(fig, light), stride, facing)
    out = finish(img)
    return out if st.daylight else noise(out, rng, 0.06)


def render_infrared(st: Street, size: tuple[int, int], rng: random.Random) -> Image.Image:
    w, h = canvas(size)
    k = w / size[0]
    img = gradient((w, h), (18, 18, 18), (40, 40, 40))
    img.paste(gradient((w, h - int(st.horizon * k)), (70, 70, 70), (105, 105, 105)), (0, int(st.horizon * k)))
    draw = ImageDraw.Draw(img)
    for x0, x1, top, shade, windows in st.buildings:
        draw.rectangle((x0 * k, top * k, x1 * k, st.horizon * k), fill=scaled((62, 62, 62), shade))
        for wx0, wy0, wx1, wy1, lit in windows:
            v = 95 if lit else 55
            draw.rectangle((wx0 * k, wy0 * k, wx1 * k, wy1 * k), fill=(v, v, v))
    for x, top in st.lamps:
        draw.line([(x * k, top * k), (x * k, (st.horizon + 25) * k)], fill=(60, 60, 60), width=int(2 * k))
        draw.ellipse(((x - 5) * k, (top - 3) * k, (x + 5) * k, (top + 4) * k), fill=(170, 170, 170))
    for cx, feet, height, fig, stride, facing in st.people:
        draw_person(draw, cx * k, feet * k, height * k, thermal(fig, rng), stride, facing)
    grey = finish(img).convert("L").filter(ImageFilter.GaussianBlur(0.8))  # thermal optics are soft
    return noise(grey, rng, 0.05)
