"""The photo search at the desk: the requester's photo (or one the curator uploads) against the dataset's current
version, its finds stored as matches by method ("phash", "face"). The requester's photo is deleted once a search
over the whole version has run with it; a curator's photo is never stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from accord.audit import service as audit
from accord.catalog import service as catalog
from accord.db import unit_of_work
from accord.errors import IllegalTransition, InvalidInput
from accord.identity.models import User
from accord.privacy import desk, index, photo_store
from accord.privacy.models import RemovalRequest

if TYPE_CHECKING:
    from accord.runtime import Runtime


@dataclass
class PhotoSearched:
    matches: list[desk.Match]  # every match of the request so far, best first
    found: int  # items this search found
    added: int  # of which were new to the request
    faces_in_photo: int  # 0: no face found in the photo (only near-duplicates were looked for)
    unindexed: int  # images of the version not indexed yet, so not searched
    photo_deleted: bool  # the requester's photo was deleted after this search


def photo_search(
    rt: Runtime, db: Session, request_id: int, *, actor: User | str | None, photo: bytes | None = None
) -> PhotoSearched:
    """Search the dataset's latest published version with the request's photo, or with `photo` (the curator's
    "search again with another photo"; not kept)."""
    req = desk.get(db, request_id, actor=actor)
    if req.status not in desk.OPEN:
        raise IllegalTransition(f"this request is {req.status}; nothing more to search for")
    version = catalog.latest_published(db, req.dataset_id)
    if version is None:
        raise IllegalTransition("the dataset has no published version left")
    own = photo is None
    data = _stored_photo(rt, req) if own else photo
    assert data is not None
    result = index.search(rt, db, data, version.id)
    delete = own and result.unindexed == 0  # kept while part of the version is not searchable yet
    with unit_of_work(db):
        added = desk.add_candidates(db, req, result.candidates, actor=actor)
        audit.record(
            db,
            actor=actor,
            action="removal.photo_searched",
            object=("removal_request", req.id),
            dataset=req.dataset_id,
            data={
                "version_id": version.id,
                "photo": "requester" if own else "curator",
                "faces_in_photo": result.faces_in_photo,
                "found": len(result.candidates),
                "added": added,
                "unindexed": result.unindexed,
            },
        )
        if delete:
            photo_store.delete_photo(rt, db, req, actor, why="searched")
    return PhotoSearched(
        desk.matches(db, req), len(result.candidates), added, result.faces_in_photo, result.unindexed, delete
    )


def _stored_photo(rt: Runtime, req: RemovalRequest) -> bytes:
    if not req.photo_key:
        raise InvalidInput(
            "this request has no photo (none was sent, or it was deleted after the search); upload one to search"
        )
    path = photo_store.photo_dir(rt) / req.photo_key
    if not path.exists():
        raise InvalidInput("the requester's photo is no longer stored; upload one to search")
    return path.read_bytes()
