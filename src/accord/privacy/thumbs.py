"""Small previews of the files found for a removal request, for the curator deciding which are true matches."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from PIL import Image
from sqlalchemy.orm import Session

from accord.errors import NotFound
from accord.identity.models import User
from accord.privacy import desk

if TYPE_CHECKING:
    from accord.runtime import Runtime

SIZE = 192
MAX_PIXELS = 50_000_000  # a stored image over this is not decoded for a preview


def thumbnail(rt: Runtime, db: Session, request_id: int, item_id: int, *, actor: User | str | None) -> bytes:
    """A JPEG at most SIZE pixels on its longer side, of a file found for the request (curators only)."""
    item = desk.match_item(db, request_id, item_id, actor=actor)
    try:
        with rt.store.open(item.sha256) as f, Image.open(f) as img:
            if img.width * img.height > MAX_PIXELS:
                raise NotFound("this file is too large to preview")
            img.draft("RGB", (SIZE, SIZE))  # JPEG: decode at a reduced scale
            small = img.convert("RGB")
            small.thumbnail((SIZE, SIZE))
            out = io.BytesIO()
            small.save(out, "JPEG", quality=80)
            return out.getvalue()
    except NotFound:
        raise
    except Exception:
        raise NotFound("this file has no preview (it is not an image the server can read)") from None
