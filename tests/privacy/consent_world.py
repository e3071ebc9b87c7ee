"""A published dataset of real face crops over three subject labels plus one file with no label, its curator,
and CSV files of consent records."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from skimage import data as skdata

from accord.catalog import service as catalog
from tests.identity.helpers import make_curator

SUBJECTS = ("AT-001", "AT-002", "AT-003")


def face_jpeg(i: int) -> bytes:
    """A crop of the astronaut photograph, shifted a little per file so each has its own hash."""
    img = Image.fromarray(skdata.astronaut()).crop((150 + 3 * i, 40, 300 + 3 * i, 220))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def face_pdf() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(skdata.astronaut()).convert("RGB").save(buf, "PDF")
    return buf.getvalue()


def face_png() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(skdata.astronaut()).resize((64, 64)).save(buf, "PNG")
    return buf.getvalue()


@dataclass
class ConsentWorld:
    slug: str
    dataset_id: int
    version_id: int
    curator: object


def consent_world(rt, tmp_path: Path, slug: str = "at-ustc") -> ConsentWorld:
    """Two files for each of AT-001..AT-003, and one (unlabelled.jpg) with no subject label."""
    archive = tmp_path / f"{slug}.zip"
    labels = []
    with zipfile.ZipFile(archive, "w") as zf:
        for n, subject in enumerate(SUBJECTS):
            for k in range(2):
                name = f"{subject}/img-{k}.jpg"
                zf.writestr(name, face_jpeg(2 * n + k))
                labels.append({"path": name, "subject": subject, "preview": False})
        zf.writestr("unlabelled.jpg", face_jpeg(9))
        zf.writestr("accord-labels.jsonl", "\n".join(json.dumps(x) for x in labels) + "\n")
    with rt.session() as db:
        ds = catalog.create_dataset(
            db,
            slug=slug,
            title=f"{slug.upper()} faces",
            custodian="Example Lab",
            modalities=["visible"],
            summary="Faces of volunteers.",
            subject_count=len(SUBJECTS),
            image_count=7,
            citation_bibtex="@misc{x, title={X}, year={2021}}",
            actor="cli",
        )
        version = catalog.create_version(db, ds.id, label="1.0", actor="cli")
    catalog.ingest(rt, version.id, archive, actor="cli")
    with rt.session() as db:
        catalog.publish(db, version.id, actor="cli")
    curator = make_curator(rt, f"curator@{slug}.example.org", ds.id)
    return ConsentWorld(slug, ds.id, version.id, curator)


def consent_csv(*rows, header="subject,consented_at,scope,email") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()
