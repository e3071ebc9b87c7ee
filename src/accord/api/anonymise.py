"""/api/v1 anonymisation: a dataset's curators start a run on a published version, follow it, list and review its
flagged files, cancel or resume it; anyone reads the privacy report's numbers of a published version."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from accord.catalog import service as catalog
from accord.errors import NotFound
from accord.http.deps import CurrentUser, Db, OptionalUser, Rt
from accord.http.params import Id
from accord.privacy import service as privacy
from accord.privacy.models import Anonymisation
from accord.privacy.schemas import AnonymisationOut, AnonymisedFileOut, AnonymiseIn, PrivacyReportOut, ReviewFileIn

router = APIRouter(tags=["anonymisation"])


def _out(db, run_: Anonymisation) -> AnonymisationOut:
    source = catalog.version_by_id(db, run_.source_version_id)
    draft = catalog.version_by_id(db, run_.draft_version_id) if run_.draft_version_id else None
    return AnonymisationOut(
        id=run_.id,
        dataset=source.dataset.slug,
        source_version=source.label,
        draft_version=draft.label if draft else None,
        status=run_.status,  # type: ignore[arg-type]
        job_id=run_.job_id,
        error=run_.error,
        report=PrivacyReportOut(**privacy.anonymisation_summary(run_)),
        created_at=run_.created_at,
        finished_at=run_.finished_at,
    )


@router.post(
    "/datasets/{slug}/versions/{label}/anonymise",
    response_model=AnonymisationOut,
    status_code=202,
    summary="Anonymise a published version into a new draft (curators of the dataset); follow job_id",
)
def start(slug: str, label: str, body: AnonymiseIn, db: Db, rt: Rt, user: CurrentUser) -> AnonymisationOut:
    version = catalog.version_by_label(db, slug, label)
    options = privacy.anonymisation_options(
        blur_kind=body.blur, margin=body.margin, threshold=body.threshold, second_pass=body.second_pass
    )
    run_ = privacy.start_anonymisation(rt, db, version.id, options=options, actor=user)
    return _out(db, privacy.anonymisation(db, run_.id, user=user))


@router.get("/anonymisations/{run_id}", response_model=AnonymisationOut, summary="A run, its status and report")
def show(run_id: Id, db: Db, user: CurrentUser) -> AnonymisationOut:
    return _out(db, privacy.anonymisation(db, run_id, user=user))


@router.get(
    "/anonymisations/{run_id}/files",
    response_model=list[AnonymisedFileOut],
    summary="What the run did to each file, in path order (after: the last path of the previous page)",
)
def list_files(
    run_id: Id,
    db: Db,
    user: CurrentUser,
    flagged: bool = False,
    after: Annotated[str, Query(max_length=1000)] = "",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AnonymisedFileOut]:
    privacy.anonymisation(db, run_id, user=user)
    rows = privacy.anonymised_files(db, run_id, flagged=flagged, after=after, limit=limit)
    return [AnonymisedFileOut.model_validate(r) for r in rows]


@router.post(
    "/anonymisations/{run_id}/files/{file_id}/review",
    response_model=AnonymisedFileOut,
    summary="Mark a file fine, blur boxes drawn on it, or leave it out of the new version",
)
def review(run_id: Id, file_id: Id, body: ReviewFileIn, db: Db, rt: Rt, user: CurrentUser) -> AnonymisedFileOut:
    row = privacy.review_anonymised_file(rt, db, run_id, file_id, decision=body.decision, boxes=body.boxes, actor=user)
    return AnonymisedFileOut.model_validate(row)


@router.post("/anonymisations/{run_id}/cancel", response_model=AnonymisationOut, summary="Cancel; the draft is deleted")
def cancel(run_id: Id, db: Db, user: CurrentUser) -> AnonymisationOut:
    return _out(db, privacy.cancel_anonymisation(db, run_id, actor=user))


@router.post(
    "/anonymisations/{run_id}/resume",
    response_model=AnonymisationOut,
    status_code=202,
    summary="Resume a failed or stopped run from its last saved batch",
)
def resume(run_id: Id, db: Db, rt: Rt, user: CurrentUser) -> AnonymisationOut:
    return _out(db, privacy.resume_anonymisation(rt, db, run_id, actor=user))


@router.get(
    "/anonymisations/{run_id}/contact-sheet.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
    summary="Flagged and sampled files before and after, as one PNG (curators only: it shows the faces)",
)
def contact_sheet(run_id: Id, db: Db, rt: Rt, user: CurrentUser) -> Response:
    data = privacy.contact_sheet(rt, db, run_id, user=user)
    return Response(data, media_type="image/png", headers={"Cache-Control": "private, no-store"})


@router.get(
    "/datasets/{slug}/versions/{label}/privacy-report",
    response_model=PrivacyReportOut,
    summary="The privacy report's numbers of a published, anonymised version (public)",
)
def privacy_report(slug: str, label: str, db: Db, user: OptionalUser) -> PrivacyReportOut:
    catalog.visible_dataset(db, slug, user)
    version = catalog.version_by_label(db, slug, label)
    found = privacy.privacy_reports(db, [version.id]) if version.status != "draft" else {}
    if version.id not in found:
        raise NotFound(f"version {label} of {slug} has no published privacy report")
    return PrivacyReportOut(**found[version.id])
