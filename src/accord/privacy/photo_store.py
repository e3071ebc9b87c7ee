"""Where a requester's photo waits for the search: a private folder under the data dir, one file per request,
deleted once the search has run or the request is decided (each deletion an audit event)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from accord.audit import service as audit
from accord.db import utcnow
from accord.identity.models import User
from accord.privacy.models import RemovalRequest

if TYPE_CHECKING:
    from accord.runtime import Runtime


def photo_dir(rt: Runtime) -> Path:
    path = Path(rt.settings.data_dir) / "privacy-photos"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def delete_photo(rt: Runtime, db: Session, req: RemovalRequest, actor: User | str | None, *, why: str) -> bool:
    """Inside the caller's unit of work: the file goes before the commit, so a failed commit leaves no photo
    behind a row that says it is kept (the next search then asks for one). False when there was none."""
    if not req.photo_key:
        return False
    (photo_dir(rt) / req.photo_key).unlink(missing_ok=True)
    req.photo_key, req.photo_deleted_at = None, utcnow()
    audit.record(
        db,
        actor=actor,
        action="removal.photo_deleted",
        object=("removal_request", req.id),
        data={"why": why},
        dataset=req.dataset_id,
    )
    return True
