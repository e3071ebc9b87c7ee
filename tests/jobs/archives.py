"""Small real image archives for ingest tests: Pillow-made JPEGs and a labels sidecar marking previews."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from PIL import Image, ImageDraw


def jpeg(i: int, size=(64, 48)) -> bytes:
    img = Image.new("RGB", size, ((37 * i) % 256, (91 * i) % 256, (151 * i) % 256))
    draw = ImageDraw.Draw(img)
    draw.ellipse([size[0] // 4, size[1] // 6, 3 * size[0] // 4, 5 * size[1] // 6], fill=(240, 220, 200))
    draw.text((3, 3), str(i), fill=(0, 0, 0))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return buf.getvalue()


def image_zip(path: Path, *, count: int = 6, previews: int = 3, size=(64, 48)) -> Path:
    """A zip of `count` images in two subject folders; the first `previews` are marked public."""
    labels = []
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(count):
            name = f"subject-{i % 2:02d}/img-{i:03d}.jpg"
            zf.writestr(name, jpeg(i, size))
            labels.append(
                {
                    "path": name,
                    "subject": f"{i % 2:02d}",
                    "attributes": {"modality": "visible"},
                    "preview": i < previews,
                }
            )
        zf.writestr("accord-labels.jsonl", "\n".join(json.dumps(x) for x in labels) + "\n")
    return path
