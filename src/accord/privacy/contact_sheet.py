"""The anonymisation's contact sheet: a PNG of flagged files and a sample of the blurred ones, each before and
after, with its path and what was found. It shows the unblurred faces, so it is the curator's alone."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw, ImageFont, ImageOps
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.identity.models import User
from accord.privacy import anonymise
from accord.privacy.models import AnonymisedFile

if TYPE_CHECKING:
    from accord.runtime import Runtime

THUMB = (240, 180)
COLUMNS = 3  # before/after pairs per row
CAPTION = 38
PAD = 12
MAX_PIXELS = 50_000_000
FLAGGED_RED, BACK, INK = (190, 30, 45), (250, 250, 248), (30, 30, 30)


def chosen(db: Session, run_id: int, *, limit: int = 24) -> list[AnonymisedFile]:
    """Flagged files first (those waiting for a look before the reviewed), then blurred ones spread evenly
    over the version, up to `limit`."""
    base = select(AnonymisedFile).where(AnonymisedFile.anonymisation_id == run_id)
    flagged = list(
        db.scalars(
            base.where(AnonymisedFile.look.is_(True))
            .order_by(AnonymisedFile.decision.is_not(None), AnonymisedFile.path)
            .limit(limit)
        )
    )
    room = limit - len(flagged)
    if room <= 0:
        return flagged
    blurred = base.where(AnonymisedFile.look.is_(False), AnonymisedFile.sha256 != AnonymisedFile.source_sha256)
    total = int(db.scalar(select(func.count()).select_from(blurred.subquery())) or 0)
    step = max(1, total // room)
    numbered = blurred.add_columns(func.row_number().over(order_by=AnonymisedFile.path).label("n")).subquery()
    sampled = (
        select(AnonymisedFile).join(numbered, numbered.c.id == AnonymisedFile.id).where((numbered.c.n - 1) % step == 0)
    )
    return flagged + list(db.scalars(sampled.order_by(AnonymisedFile.path).limit(room)))


def render(rt: Runtime, db: Session, run_id: int, *, user: User | str, limit: int = 24) -> bytes:
    anonymise.get(db, run_id, user=user)
    rows = chosen(db, run_id, limit=limit)
    cell_w, cell_h = 2 * THUMB[0] + PAD, THUMB[1] + CAPTION
    count = max(1, len(rows))
    cols = min(COLUMNS, count)
    lines = (count + cols - 1) // cols
    sheet = Image.new("RGB", (PAD + cols * (cell_w + PAD), PAD + lines * (cell_h + PAD)), BACK)
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=13)
    if not rows:
        draw.text((PAD, PAD), "Nothing to show: no file was flagged or blurred.", fill=INK, font=font)
    for n, row in enumerate(rows):
        x, y = PAD + (n % cols) * (cell_w + PAD), PAD + (n // cols) * (cell_h + PAD)
        for k, sha in enumerate((row.source_sha256, row.sha256)):
            sheet.paste(_thumb(rt, sha), (x + k * (THUMB[0] + PAD), y))
        if row.look and not row.decision:
            draw.rectangle((x - 3, y - 3, x + cell_w + 2, y + THUMB[1] + 2), outline=FLAGGED_RED, width=3)
        draw.text((x, y + THUMB[1] + 4), _fit(font, row.path, cell_w, keep_end=True), fill=INK, font=font)
        draw.text(
            (x, y + THUMB[1] + 20), _fit(font, _what(row), cell_w), fill=FLAGGED_RED if row.look else INK, font=font
        )
    out = io.BytesIO()
    sheet.save(out, "PNG", optimize=True)
    return out.getvalue()


def _thumb(rt: Runtime, sha: str) -> Image.Image:
    tile = Image.new("RGB", THUMB, (225, 225, 222))
    try:
        with rt.store.open(sha) as fh, Image.open(fh) as img:
            if img.width * img.height <= MAX_PIXELS:
                img.draft("RGB", THUMB)
                small = ImageOps.exif_transpose(img).convert("RGB")
                small.thumbnail(THUMB)
                tile.paste(small, ((THUMB[0] - small.width) // 2, (THUMB[1] - small.height) // 2))
                return tile
    except Exception:  # unreadable: the grey tile says so
        pass
    ImageDraw.Draw(tile).text(
        (10, THUMB[1] // 2 - 8), "cannot be shown", fill=INK, font=ImageFont.load_default(size=13)
    )
    return tile


def _what(row: AnonymisedFile) -> str:
    faces = len(row.faces)
    said = [f"{faces} face{'' if faces == 1 else 's'}" if faces else "no face"]
    if row.problem:
        said = [row.problem.split(":")[0]]
    if row.look and row.decision:
        said.append(f"reviewed: {row.decision}")
    elif row.look:  # an unreadable file's flag only repeats its problem
        said.append("flagged" if row.problem else "flagged: " + "; ".join(row.flags))
    return " · ".join(said)


def _fit(font: ImageFont.FreeTypeFont | ImageFont.ImageFont, text: str, width: int, *, keep_end: bool = False) -> str:
    """`text` cut to `width` pixels with an ellipsis (a path keeps its end), so that a caption never runs into
    the next cell."""
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(f"…{text}" if keep_end else f"{text}…") > width:
        text = text[1:] if keep_end else text[:-1]
    return f"…{text}" if keep_end else f"{text.rstrip()}…"
