"""/api/v1/datasets/{slug}/versions/{label}/export/...: citations and Croissant of a published version, and
.../licence-record: the signed record of a licensee's access (theirs, or any licensee's for curators)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from accord.exports import service as exports
from accord.exports.schemas import BIBTEX, CFF, JSONLD, RIS, Document, LicenceRecordOut
from accord.http.deps import CurrentUser, Db, OptionalUser, Rt

router = APIRouter(tags=["exports"])
VERSION = "/datasets/{slug}/versions/{label}"


def _answer(doc: Document) -> Response:
    return Response(
        doc.body,
        media_type=doc.media_type,
        headers={"Content-Disposition": f'attachment; filename="{doc.filename}"', "Cache-Control": "no-store"},
    )


def _route(what: str, media_type: str, summary: str, make: Callable[..., Document]) -> None:
    schema: dict[str, Any] = {"type": "object"} if media_type == JSONLD else {"type": "string"}

    @router.get(
        f"{VERSION}/export/{what}",
        response_class=Response,
        responses={200: {"description": summary, "content": {media_type: {"schema": schema}}}},
        summary=summary,
        name=f"export_{what}",
    )
    def export(slug: str, label: str, db: Db, rt: Rt, user: OptionalUser) -> Response:
        return _answer(make(db, slug, label, actor=user, base_url=rt.settings.base_url))


_route("bibtex", BIBTEX, "BibTeX of a published version (the dataset's own citation first)", exports.bibtex)
_route("ris", RIS, "RIS of a published version (the dataset's own citation first)", exports.ris)
_route("cff", CFF, "CITATION.cff (CFF 1.2.0) of a published version", exports.cff)
_route(
    "croissant",
    JSONLD,
    "Croissant JSON-LD of a published version: with the file manifest for its licensees and curators, "
    "without any file list or hash for everyone else",
    exports.croissant_document,
)


@router.get(
    f"{VERSION}/licence-record",
    response_model=LicenceRecordOut,
    summary="The signed licence record of your access to a published version (curators: any licensee's)",
)
def licence_record(
    slug: str,
    label: str,
    db: Db,
    rt: Rt,
    user: CurrentUser,
    licensee: Annotated[
        str | None, Query(max_length=320, description="curators: the licensee's e-mail address")
    ] = None,
) -> LicenceRecordOut:
    return exports.licence_record(rt, db, slug, label, actor=user, licensee=licensee)
