"""Generators for the four demo datasets: small, deterministic, stylised stand-ins for the real images.

Each generator writes a folder of JPEGs plus the `accord-labels.jsonl` sidecar that catalog ingest reads for
subject labels, attributes and the preview flag. The same seed and scale always give the same bytes.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

from accord.demo import faces, streets
from accord.demo.figures import Figure, canvas, draw_person, finish, gradient, random_figure, redress, scaled, thermal

LABELS = "accord-labels.jsonl"
JPEG_QUALITY = 80
AT_USTC_SCENARIOS = ("DT-ST", "DT-LT", "NT-ST", "NT-LT", "AD-ST", "AD-LT")
LLVIP_SCENES = (1, 2, 3, 4, 5, 6, 7, 26)  # scene 26 stands for one of LLVIP's two daytime scenes
# The images with real faces, each (who, width of the pasted photo, where): the astronaut at three sizes, Grace
# Hopper at two, in LLVIP's 320x256 frames and SHHQ's 512x1024 portraits. One subject label per person.
FACES = {
    "llvip": (
        ("astronaut", 110, (196, 40)),
        ("grace", 150, (12, 30)),
        ("astronaut", 165, (130, 20)),
        ("astronaut", 230, (40, 8)),
        ("grace", 220, (90, 6)),
    ),
    "shhq": (
        ("astronaut", 300, (106, 60)),
        ("grace", 260, (126, 90)),
        ("astronaut", 420, (46, 40)),
        ("astronaut", 220, (146, 120)),
        ("grace", 400, (56, 50)),
    ),
}
FACE_LABELS = {
    "llvip": {"astronaut": "250901", "grace": "250902"},  # six digits, like LLVIP's frame names
    "shhq": {"astronaut": "SHHQ-P0001", "grace": "SHHQ-P0002"},
}
LLVIP_FACE_SCENE = 4  # a night-time street
SHHQ_SOURCES = (("web (CC-BY-2.0)", 0.45), ("purchased", 0.25), ("DeepFashion", 0.25), ("InFashAI", 0.05))


@dataclass(frozen=True)
class DemoScale:
    """How much to generate. FULL is what `accord demo` loads; tests also use SMALL."""

    llvip_pairs: int = 40
    llvip_preview_pairs: int = 5
    cion_identities: int = 30
    cion_crops: int = 5
    cion_preview_identities: int = 2
    at_ustc_volunteers: int = 8
    shhq_images: int = 120
    shhq_preview: int = 100  # SHHQ's real public preview is exactly 100 images
    faces: bool = True  # LLVIP and SHHQ gain the FACES images (real faces, for the privacy desk)


FULL = DemoScale()
SMALL = DemoScale(
    llvip_pairs=6,
    llvip_preview_pairs=2,
    cion_identities=4,
    cion_crops=3,
    cion_preview_identities=1,
    at_ustc_volunteers=2,
    shhq_images=8,
    shhq_preview=5,
)


@dataclass
class Generated:
    """A folder ready for ingest: its images and their labels."""

    slug: str
    root: Path
    labels: list[dict] = field(default_factory=list)

    @property
    def files(self) -> int:
        return len(self.labels)

    @property
    def preview(self) -> int:
        return sum(1 for row in self.labels if row.get("preview"))

    def save(
        self,
        img: Image.Image,
        rel: str,
        *,
        subject: str | None = None,
        attributes: dict | None = None,
        preview: bool = False,
    ) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        img.save(path, "JPEG", quality=JPEG_QUALITY)
        row: dict = {"path": rel, "attributes": attributes or {}, "preview": preview}
        if subject is not None:
            row["subject"] = subject
        self.labels.append(row)

    def write_labels(self) -> Generated:
        lines = [json.dumps(row, sort_keys=True) for row in sorted(self.labels, key=lambda r: r["path"])]
        (self.root / LABELS).write_text("\n".join(lines) + "\n")
        return self


def _start(slug: str, root: Path) -> Generated:
    root.mkdir(parents=True, exist_ok=True)
    if any(root.iterdir()):
        raise FileExistsError(f"{root} is not empty; the demo generates into a fresh folder")
    return Generated(slug=slug, root=root)


# --- LLVIP: visible/infrared pairs of one street scene (drawn by demo/streets.py) ------------------------


def llvip(root: Path, scale: DemoScale = FULL, *, seed: int = 2021) -> Generated:
    """Visible/infrared pairs with identical names, e.g. visible/010001.jpg and infrared/010001.jpg."""
    out = _start("llvip", root)
    rng = random.Random(seed)
    size = (320, 256)  # the real frames are 1280x1024; same aspect, a sixteenth of the pixels
    for i in range(scale.llvip_pairs):
        scene = LLVIP_SCENES[i % len(LLVIP_SCENES)]
        name = f"{scene:02d}{i // len(LLVIP_SCENES) + 1:04d}.jpg"
        street = streets.street(scene, random.Random(rng.random()), size)
        attrs = {"scene": f"scene-{scene:02d}", "light": "daylight" if street.daylight else "dark"}
        preview = i < scale.llvip_preview_pairs
        out.save(
            streets.render_visible(street, size, rng),
            f"visible/{name}",
            attributes={**attrs, "modality": "visible"},
            preview=preview,
        )
        out.save(
            streets.render_infrared(street, size, rng),
            f"infrared/{name}",
            attributes={**attrs, "modality": "infrared"},
            preview=preview,
        )
    if scale.faces:
        _llvip_faces(out, random.Random(f"{seed}-faces"), size)
    return out.write_labels()


def _llvip_faces(out: Generated, rng: random.Random, size: tuple[int, int]) -> None:
    """Frames of a night-time street with a real person's photo in it, visible and infrared as every pair."""
    for k, (who, width, at) in enumerate(FACES["llvip"]):
        name = f"{LLVIP_FACE_SCENE:02d}{9001 + k:04d}.jpg"
        street = streets.street(LLVIP_FACE_SCENE, random.Random(rng.random()), size)
        attrs = {"scene": f"scene-{LLVIP_FACE_SCENE:02d}", "light": "dark"}
        subject = FACE_LABELS["llvip"][who]
        visible = faces.paste(streets.render_visible(street, size, rng), who, width=width, at=at, light=0.85)
        out.save(visible, f"visible/{name}", subject=subject, attributes={**attrs, "modality": "visible"})
        infrared = faces.paste(streets.render_infrared(street, size, rng), who, width=width, at=at, light=1.15)
        out.save(
            infrared.convert("L"), f"infrared/{name}", subject=subject, attributes={**attrs, "modality": "infrared"}
        )


# --- person crops (CION-AL, AT-USTC) -------------------------------------------------------------------

CROP = (128, 256)


def _crop(fig: Figure, rng: random.Random, *, wall: tuple, floor: tuple, grey: bool = False) -> Image.Image:
    w, h = canvas(CROP)
    img = gradient((w, h), *wall)
    horizon = int(h * rng.uniform(0.55, 0.7))
    img.paste(gradient((w, h - horizon), *floor), (0, horizon))
    draw = ImageDraw.Draw(img)
    if rng.random() < 0.6:  # a door, window or pillar behind the person
        x0 = rng.uniform(0, w * 0.8)
        draw.rectangle(
            (x0, h * rng.uniform(0.1, 0.3), x0 + w * rng.uniform(0.1, 0.25), horizon),
            fill=scaled(wall[1], rng.uniform(0.6, 0.85)),
        )
    draw_person(
        draw,
        w / 2 + rng.uniform(-0.06, 0.06) * w,
        h * rng.uniform(0.95, 0.985),
        h * rng.uniform(0.84, 0.92),
        fig,
        rng.uniform(-0.8, 0.8),
        rng.choice((-1, 1)),
    )
    img = finish(img)
    if grey:
        return img.convert("L").filter(ImageFilter.GaussianBlur(0.7))
    factor = rng.uniform(0.75, 1.15)  # each video has its own exposure
    return img.point(lambda v: min(255, int(v * factor)))


def _street_colours(rng: random.Random) -> tuple[tuple, tuple]:
    wall = rng.choice(((150, 140, 125), (110, 120, 130), (170, 160, 150), (90, 95, 90), (180, 175, 165)))
    floor = rng.choice(((95, 95, 100), (120, 110, 100), (80, 85, 80)))
    return (scaled(wall, 1.1), wall), (floor, scaled(floor, 0.8))


def cion_al(root: Path, scale: DemoScale = FULL, *, seed: int = 2024) -> Generated:
    """Person crops in one folder per identity; each identity is seen in several videos."""
    out = _start("cion-al", root)
    rng = random.Random(seed)
    identities = sorted(rng.sample(range(246_904), scale.cion_identities))
    for n, ident in enumerate(identities):
        label = f"{ident:06d}"
        fig = random_figure(rng)
        videos = [rng.randrange(100_000) for _ in range(rng.randint(2, 3))]
        for k in range(scale.cion_crops):
            video = videos[k % len(videos)]
            wall, floor = _street_colours(rng)
            out.save(
                _crop(fig, rng, wall=wall, floor=floor),
                f"{label}/{label}_v{video:05d}_{k + 1:02d}.jpg",
                subject=label,
                attributes={"video": f"v{video:05d}", "camera": f"c{rng.randint(1, 4)}"},
                preview=n < scale.cion_preview_identities,
            )
    return out.write_labels()


def at_ustc(root: Path, scale: DemoScale = FULL, *, seed: int = 2025) -> Generated:
    """RGB and IR crops per volunteer for each of the six AT-ReID scenarios.

    Daytime scenarios are RGB, night-time ones IR, all-day ones one of each; long-term ones show the
    volunteer in other clothes, as the real collection spans many months.
    """
    out = _start("at-ustc", root)
    rng = random.Random(seed)
    for v in range(1, scale.at_ustc_volunteers + 1):
        person = f"{v:04d}"
        fig = random_figure(rng)
        for scenario in AT_USTC_SCENARIOS:
            when, term = scenario.split("-")
            worn = redress(fig, random.Random(f"{seed}-{person}-{scenario}")) if term == "LT" else fig
            for shot, modality in enumerate({"DT": ("rgb", "rgb"), "NT": ("ir", "ir"), "AD": ("rgb", "ir")}[when]):
                if modality == "rgb":
                    camera = rng.randint(1, 6)
                    img = _crop(
                        worn, rng, wall=((190, 205, 225), (165, 170, 175)), floor=((150, 145, 140), (120, 118, 115))
                    )
                else:
                    camera = rng.randint(7, 10)
                    img = _crop(
                        thermal(worn, rng),
                        rng,
                        wall=((25, 25, 25), (50, 50, 50)),
                        floor=((80, 80, 80), (65, 65, 65)),
                        grey=True,
                    )
                out.save(
                    img,
                    f"{modality}/{person}/{person}_{scenario}_c{camera:02d}_{shot + 1}.jpg",
                    subject=person,
                    preview=_at_ustc_preview(v, scenario, modality),
                    attributes={
                        "modality": modality,
                        "scenario": scenario,
                        "camera": f"c{camera:02d}",
                        "time": "day" if modality == "rgb" else "night",
                    },
                )
    return out.write_labels()


def _at_ustc_preview(volunteer: int, scenario: str, modality: str) -> bool:
    """Ten preview crops mixing RGB and IR (listed by path, ir/ would otherwise fill the first thumbnails)."""
    if volunteer == 1:
        return modality == "rgb" or scenario.startswith("AD")
    return volunteer == 2 and scenario == "DT-ST"


# --- SHHQ: 1024 tall x 512 wide full-body images --------------------------------------------------------

SHHQ_SIZE = (512, 1024)  # width x height: "1024x512" in the SHHQ readme is height x width


def _full_body(rng: random.Random) -> tuple[Image.Image, Figure]:
    w, h = canvas(SHHQ_SIZE)
    if rng.random() < 0.5:  # studio backdrop
        tone = rng.choice(((235, 235, 232), (210, 215, 225), (225, 215, 200), (190, 200, 195)))
        img = gradient((w, h), scaled(tone, 1.05), scaled(tone, 0.8))
        floor_top = int(h * 0.82)
    else:  # outdoors: sky, a wall or hedge, pavement
        img = gradient((w, h), (140, 185, 230), (215, 230, 240))
        floor_top = int(h * rng.uniform(0.72, 0.8))
        draw = ImageDraw.Draw(img)
        band = rng.choice(((70, 120, 60), (170, 150, 130), (120, 120, 125)))
        draw.rectangle((0, h * rng.uniform(0.35, 0.55), w, floor_top), fill=band)
    img.paste(gradient((w, h - floor_top), (165, 160, 155), (120, 115, 110)), (0, floor_top))
    draw = ImageDraw.Draw(img)
    feet = h * 0.955
    draw.ellipse((w * 0.22, feet - h * 0.015, w * 0.78, feet + h * 0.02), fill=(95, 92, 88))  # shadow
    fig = random_figure(rng)
    draw_person(
        draw,
        w / 2 + rng.uniform(-0.03, 0.03) * w,
        feet,
        h * rng.uniform(0.86, 0.91),
        fig,
        rng.uniform(-0.5, 0.5),
        rng.choice((-1, 1)),
    )
    return finish(img), fig


def shhq(root: Path, scale: DemoScale = FULL, *, seed: int = 2022) -> Generated:
    """Full-body portraits; `shhq_preview` of them, sampled at random, form the public preview."""
    out = _start("shhq", root)
    rng = random.Random(seed)
    preview = set(rng.sample(range(scale.shhq_images), min(scale.shhq_preview, scale.shhq_images)))
    names = [name for name, _ in SHHQ_SOURCES]
    weights = [weight for _, weight in SHHQ_SOURCES]
    for i in range(scale.shhq_images):
        img, fig = _full_body(rng)
        out.save(
            img,
            f"images/{i + 1:06d}.jpg",
            preview=i in preview,
            attributes={"source": rng.choices(names, weights)[0], "clothing": fig.lower},
        )
    if scale.faces:
        face_rng = random.Random(f"{seed}-faces")
        for k, (who, width, at) in enumerate(FACES["shhq"]):
            img, fig = _full_body(face_rng)
            out.save(
                faces.paste(img, who, width=width, at=at),
                f"images/{scale.shhq_images + k + 1:06d}.jpg",
                subject=FACE_LABELS["shhq"][who],
                attributes={"source": "web (public domain)", "clothing": fig.lower},
            )
    return out.write_labels()


GENERATORS = {"llvip": llvip, "cion-al": cion_al, "at-ustc": at_ustc, "shhq": shhq}
