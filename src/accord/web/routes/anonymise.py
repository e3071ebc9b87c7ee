"""Anonymisation pages for a dataset's curators: start a run on a published version, watch it, read its report and
contact sheet, look at each flagged file (mark it fine, draw boxes to blur, or leave it out), cancel or resume.
Before/after images show unblurred faces: never cached, curators only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from accord.catalog import service as catalog
from accord.errors import InvalidInput
from accord.http.deps import CurrentUser, Db, Rt
from accord.http.deps import Form as PostedForm
from accord.http.params import Id
from accord.jobs import service as jobs
from accord.privacy import service as privacy
from accord.web.templating import act_or_show, render

router = APIRouter(include_in_schema=False)
PRIVATE = {"Cache-Control": "private, no-store"}
NOTICES = {"reviewed": "Saved.", "cancelled": "Cancelled: the draft is deleted.", "resumed": "Resumed."}
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp", "image/tiff")


@router.post("/admin/datasets/{slug}/versions/{label}/anonymise")
def start(
    request: Request,
    slug: str,
    label: str,
    db: Db,
    rt: Rt,
    user: CurrentUser,
    blur: Annotated[str, Form()] = "gaussian",
    margin: Annotated[str, Form()] = "0.3",
    threshold: Annotated[str, Form()] = "0.5",
    second_pass: Annotated[str, Form()] = "",
):
    version = catalog.version_by_label(db, slug, label)
    catalog.require_curator(user, version.dataset_id)
    chosen = privacy.anonymisation_options(
        blur_kind=blur, margin=margin, threshold=threshold, second_pass=bool(second_pass)
    )
    run_ = privacy.start_anonymisation(rt, db, version.id, options=chosen, actor=user)
    return RedirectResponse(f"/admin/anonymisations/{run_.id}", status_code=303)


def _page(request: Request, db, user, run_id: int, *, status_code: int = 200, errors=None, notice: str = ""):
    run_ = privacy.anonymisation(db, run_id, user=user)
    source = catalog.version_by_id(db, run_.source_version_id)
    draft = catalog.version_by_id(db, run_.draft_version_id) if run_.draft_version_id else None
    job = jobs.get(db, run_.job_id) if run_.job_id else None
    return render(
        request,
        "privacy/anonymisation.html",
        status_code=status_code,
        run=run_,
        ds=source.dataset,
        source=source,
        draft=draft,
        job=job,
        finished=job is None or job.status in jobs.FINISHED,
        stalled=privacy.anonymisation_stalled(run_, job),
        report=privacy.anonymisation_summary(run_),
        flagged=privacy.anonymised_files(db, run_id, flagged=True, limit=200),
        errors=errors or {},
        notice=NOTICES.get(notice, ""),
    )


@router.get("/admin/anonymisations/{run_id}")
def page(request: Request, run_id: Id, db: Db, user: CurrentUser, notice: str = ""):
    return _page(request, db, user, run_id, notice=notice)


def _act(request: Request, db, user, run_id: int, done: str, action):
    def again(status: int, errors: dict[str, str]):
        return _page(request, db, user, run_id, status_code=status, errors=errors)

    return act_or_show(db, action, done=f"/admin/anonymisations/{run_id}?notice={done}", page=again)


@router.post("/admin/anonymisations/{run_id}/files/{file_id}/review")
def review(request: Request, run_id: Id, file_id: Id, db: Db, rt: Rt, user: CurrentUser, form: PostedForm):
    decision = str(form.get("decision") or "")

    def run():
        boxes = _boxes(form) if decision == "boxes" else []
        privacy.review_anonymised_file(rt, db, run_id, file_id, decision=decision, boxes=boxes, actor=user)

    return _act(request, db, user, run_id, "reviewed", run)


def _boxes(form) -> list[list[float]]:
    """Boxes as the canvas fills them (x0, y0, x1, y1 lists) or as typed without script, one box per line."""
    lines = [str(v) for v in form.getlist("box") if str(v).strip()]
    typed = str(form.get("boxes") or "")
    lines += [line for line in typed.splitlines() if line.strip()]
    boxes = []
    for line in lines:
        parts = line.replace(",", " ").split()
        if len(parts) != 4:
            raise InvalidInput(
                "give each box as four numbers: left, top, right, bottom (e.g. 10, 20, 110, 140)", field="boxes"
            )
        try:
            boxes.append([float(p) for p in parts])
        except ValueError:
            raise InvalidInput(f"not a box of four numbers: {line[:40]!r}", field="boxes") from None
    if not boxes:
        raise InvalidInput("draw a box on the image, or type one: left, top, right, bottom", field="boxes")
    return boxes


@router.post("/admin/anonymisations/{run_id}/cancel")
def cancel(request: Request, run_id: Id, db: Db, user: CurrentUser):
    return _act(request, db, user, run_id, "cancelled", lambda: privacy.cancel_anonymisation(db, run_id, actor=user))


@router.post("/admin/anonymisations/{run_id}/resume")
def resume(request: Request, run_id: Id, db: Db, rt: Rt, user: CurrentUser):
    return _act(request, db, user, run_id, "resumed", lambda: privacy.resume_anonymisation(rt, db, run_id, actor=user))


@router.get("/admin/anonymisations/{run_id}/contact-sheet.png")
def contact_sheet(run_id: Id, db: Db, rt: Rt, user: CurrentUser):
    return Response(privacy.contact_sheet(rt, db, run_id, user=user), media_type="image/png", headers=PRIVATE)


@router.get("/admin/anonymisations/{run_id}/files/{file_id}/{which}")
def image(run_id: Id, file_id: Id, which: str, db: Db, rt: Rt, user: CurrentUser):
    data, media = privacy.anonymised_image(rt, db, run_id, file_id, which=which, user=user)
    media = media if media in IMAGE_TYPES else "application/octet-stream"
    return Response(data, media_type=media, headers={**PRIVATE, "X-Content-Type-Options": "nosniff"})
