"""Build a small real catalogue through the services (used by the page and browser tests)."""

from __future__ import annotations

from pathlib import Path

from accord.catalog import service as catalog
from tests.jobs.archives import image_zip

BIBTEX = "@inproceedings{{{key},\n  title = {{{title}}},\n  year = {{2021}}\n}}"


def published_dataset(
    rt,
    tmp_path: Path,
    slug: str,
    *,
    title: str,
    custodian: str = "Example Lab",
    modalities=("visible",),
    summary: str = "",
    count: int = 4,
    previews: int = 2,
    publish: bool = True,
    **fields,
):
    """A dataset with version 1.0 ingested from a generated zip, published unless told otherwise."""
    with rt.session() as db:
        ds = catalog.create_dataset(
            db,
            slug=slug,
            title=title,
            custodian=custodian,
            modalities=list(modalities),
            summary=summary or f"{title} in brief.",
            subject_count=2,
            image_count=count,
            citation_bibtex=BIBTEX.format(key=slug, title=title),
            actor="cli",
            **fields,
        )
        version = catalog.create_version(db, ds.id, label="1.0", actor="cli")
    catalog.ingest(rt, version.id, image_zip(tmp_path / f"{slug}.zip", count=count, previews=previews), actor="cli")
    if publish:
        with rt.session() as db:
            catalog.publish(db, version.id, actor="cli")
    return ds, version
