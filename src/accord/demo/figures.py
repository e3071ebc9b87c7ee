"""Drawing primitives for the demo images: gradients, stylised people, deterministic noise.

Everything is drawn at twice the target size and reduced, which smooths the edges ImageDraw leaves hard.
Randomness always comes from a `random.Random` passed in, so the same seed gives the same bytes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from PIL import Image, ImageDraw, ImageOps

RGB = tuple[int, int, int]
SUPERSAMPLE = 2

SKIN_TONES: tuple[RGB, ...] = (
    (247, 214, 186),
    (234, 192, 150),
    (208, 158, 112),
    (170, 118, 78),
    (124, 82, 52),
    (92, 60, 40),
)
HAIR_COLOURS: tuple[RGB, ...] = (
    (28, 22, 20),
    (60, 40, 28),
    (110, 74, 40),
    (180, 140, 80),
    (150, 150, 150),
    (90, 30, 20),
)
CLOTH_COLOURS: tuple[RGB, ...] = (
    (200, 40, 48),
    (40, 80, 170),
    (30, 120, 70),
    (235, 190, 40),
    (240, 240, 235),
    (30, 30, 36),
    (120, 60, 140),
    (230, 120, 40),
    (90, 150, 200),
    (150, 110, 80),
    (200, 200, 210),
    (60, 60, 70),
    (210, 100, 150),
    (20, 60, 60),
)
LOWER_STYLES = ("trousers", "trousers", "skirt", "dress", "shorts")


@dataclass(frozen=True)
class Figure:
    """What one person looks like; the same Figure drawn twice is recognisably the same person."""

    skin: RGB
    hair: RGB
    top: RGB
    bottom: RGB
    shoes: RGB
    lower: str = "trousers"
    long_hair: bool = False
    bag: RGB | None = None


def random_figure(rng: random.Random) -> Figure:
    top, bottom = rng.sample(CLOTH_COLOURS, 2)
    return Figure(
        skin=rng.choice(SKIN_TONES),
        hair=rng.choice(HAIR_COLOURS),
        top=top,
        bottom=bottom,
        shoes=rng.choice(((20, 20, 20), (240, 240, 240), (90, 60, 40), (40, 40, 90))),
        lower=rng.choice(LOWER_STYLES),
        long_hair=rng.random() < 0.4,
        bag=rng.choice(CLOTH_COLOURS) if rng.random() < 0.3 else None,
    )


def redress(fig: Figure, rng: random.Random) -> Figure:
    """The same person in other clothes (long-term re-identification changes outfits)."""
    top, bottom = rng.sample(CLOTH_COLOURS, 2)
    return replace(
        fig,
        top=top,
        bottom=bottom,
        lower=rng.choice(LOWER_STYLES),
        bag=rng.choice(CLOTH_COLOURS) if rng.random() < 0.3 else None,
    )


def scaled(colour: RGB, factor: float) -> RGB:
    return tuple(max(0, min(255, int(c * factor))) for c in colour)  # type: ignore[return-value]


def dimmed(fig: Figure, factor: float) -> Figure:
    """The figure in poor light: every colour darker by `factor`."""
    if factor == 1.0:
        return fig
    return replace(
        fig,
        skin=scaled(fig.skin, factor),
        hair=scaled(fig.hair, factor),
        top=scaled(fig.top, factor),
        bottom=scaled(fig.bottom, factor),
        shoes=scaled(fig.shoes, factor),
        bag=scaled(fig.bag, factor) if fig.bag else None,
    )


def thermal(fig: Figure, rng: random.Random) -> Figure:
    """The figure as an infrared camera sees it: skin hottest, clothes warm, hair and shoes cooler."""

    def grey(level: int) -> RGB:
        v = max(0, min(255, level + rng.randint(-12, 12)))
        return (v, v, v)

    return Figure(
        skin=grey(248),
        hair=grey(150),
        top=grey(215),
        bottom=grey(200),
        shoes=grey(120),
        lower=fig.lower,
        long_hair=fig.long_hair,
        bag=grey(110) if fig.bag else None,
    )


def gradient(size: tuple[int, int], top: RGB, bottom: RGB) -> Image.Image:
    """A vertical colour gradient (sky, wall, floor)."""
    ramp = Image.linear_gradient("L").resize(size)
    return ImageOps.colorize(ramp, black=top, white=bottom)


def noise(img: Image.Image, rng: random.Random, amount: float) -> Image.Image:
    """Sensor grain from our own seeded bytes (Pillow's effect_noise cannot be seeded)."""
    grain = Image.frombytes("L", img.size, rng.randbytes(img.width * img.height))
    return Image.blend(img, Image.merge("RGB", (grain, grain, grain)) if img.mode == "RGB" else grain, amount)


def canvas(size: tuple[int, int]) -> tuple[int, int]:
    return size[0] * SUPERSAMPLE, size[1] * SUPERSAMPLE


def finish(img: Image.Image) -> Image.Image:
    return img.reduce(SUPERSAMPLE)


def draw_person(
    draw: ImageDraw.ImageDraw, cx: float, feet: float, height: float, fig: Figure, stride: float = 0.0, facing: int = 1
) -> None:
    """A simple standing or walking person: head, hair, torso, arms, legs, shoes, optional bag.

    `stride` in -1..1 swings legs and arms; `facing` mirrors the bag to one side.
    """
    h = height
    head_r = 0.065 * h
    head_cy = feet - h + head_r
    shoulder_y = head_cy + head_r + 0.03 * h
    hip_y = feet - 0.47 * h
    shoulder_w, hip_w = 0.25 * h, 0.19 * h
    leg_w, arm_w = 0.075 * h, 0.055 * h
    swing = stride * 0.09 * h

    if fig.long_hair:  # hair falling behind the shoulders
        draw.rounded_rectangle(
            (cx - head_r * 1.15, head_cy - head_r * 0.6, cx + head_r * 1.15, shoulder_y + 0.08 * h),
            radius=head_r * 0.6,
            fill=fig.hair,
        )
    # legs, from each hip to a foot pushed forward or back by the stride
    for side, sign in ((-1, 1), (1, -1)):
        hx = cx + side * hip_w * 0.25
        fx = hx + sign * swing
        leg = fig.skin if fig.lower in ("skirt", "dress", "shorts") else fig.bottom
        draw.polygon(
            [
                (hx - leg_w / 2, hip_y),
                (hx + leg_w / 2, hip_y),
                (fx + leg_w * 0.4, feet - 0.03 * h),
                (fx - leg_w * 0.4, feet - 0.03 * h),
            ],
            fill=leg,
        )
        if fig.lower == "shorts":
            draw.polygon(
                [
                    (hx - leg_w * 0.6, hip_y),
                    (hx + leg_w * 0.6, hip_y),
                    (hx + sign * swing * 0.3 + leg_w * 0.6, hip_y + 0.14 * h),
                    (hx + sign * swing * 0.3 - leg_w * 0.6, hip_y + 0.14 * h),
                ],
                fill=fig.bottom,
            )
        draw.ellipse(
            (
                fx - leg_w * 0.75 + 0.02 * h * facing,
                feet - 0.045 * h,
                fx + leg_w * 0.75 + 0.02 * h * facing,
                feet + 0.005 * h,
            ),
            fill=fig.shoes,
        )
    if fig.lower in ("skirt", "dress"):
        hem = hip_y + (0.2 if fig.lower == "skirt" else 0.26) * h
        colour = fig.bottom if fig.lower == "skirt" else fig.top
        draw.polygon(
            [
                (cx - hip_w * 0.55, hip_y - 0.02 * h),
                (cx + hip_w * 0.55, hip_y - 0.02 * h),
                (cx + hip_w * 0.9, hem),
                (cx - hip_w * 0.9, hem),
            ],
            fill=colour,
        )
    # torso: a trapezoid from shoulders to hips, rounded at the shoulders
    draw.polygon(
        [
            (cx - shoulder_w / 2, shoulder_y + 0.02 * h),
            (cx + shoulder_w / 2, shoulder_y + 0.02 * h),
            (cx + hip_w / 2, hip_y + 0.02 * h),
            (cx - hip_w / 2, hip_y + 0.02 * h),
        ],
        fill=fig.top,
    )
    draw.ellipse((cx - shoulder_w / 2, shoulder_y - 0.01 * h, cx + shoulder_w / 2, shoulder_y + 0.09 * h), fill=fig.top)
    if fig.lower == "trousers":  # a belt line makes the waist readable
        draw.rectangle(
            (cx - hip_w / 2, hip_y - 0.005 * h, cx + hip_w / 2, hip_y + 0.02 * h), fill=scaled(fig.bottom, 0.7)
        )
    # arms swing opposite to the legs; sleeves in the top's colour, hands in skin
    for side, sign in ((-1, -1), (1, 1)):
        sx = cx + side * (shoulder_w / 2 - arm_w * 0.4)
        hx = sx + side * 0.03 * h + sign * swing * 0.8
        hy = hip_y + 0.05 * h
        draw.line([(sx, shoulder_y + 0.03 * h), (hx, hy)], fill=fig.top, width=max(1, int(arm_w)))
        draw.ellipse((hx - arm_w * 0.55, hy - arm_w * 0.3, hx + arm_w * 0.55, hy + arm_w * 0.8), fill=fig.skin)
    if fig.bag:
        bx = cx + facing * shoulder_w * 0.55
        draw.rounded_rectangle(
            (bx - 0.05 * h, hip_y - 0.06 * h, bx + 0.05 * h, hip_y + 0.06 * h), radius=0.015 * h, fill=fig.bag
        )
        draw.line(
            [(cx - facing * shoulder_w * 0.3, shoulder_y + 0.02 * h), (bx, hip_y - 0.06 * h)],
            fill=scaled(fig.bag, 0.6),
            width=max(1, int(0.012 * h)),
        )
    # neck, head and hair on top
    draw.rectangle(
        (cx - head_r * 0.35, head_cy + head_r * 0.6, cx + head_r * 0.35, shoulder_y + 0.02 * h), fill=fig.skin
    )
    draw.ellipse((cx - head_r * 0.9, head_cy - head_r, cx + head_r * 0.9, head_cy + head_r), fill=fig.skin)
    draw.chord(
        (cx - head_r * 0.95, head_cy - head_r * 1.08, cx + head_r * 0.95, head_cy + head_r * 0.5),
        start=180,
        end=360,
        fill=fig.hair,
    )
