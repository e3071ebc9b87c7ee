"""The reviewers' pages: the queue with filters, sorting, pages and bulk decisions; one application to decide."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from accord.access import service as access
from accord.errors import HTTP_STATUS, AccordError, NotFound, lookup
from accord.http.deps import CurrentUser, Db, Rt
from accord.http.params import MAX_INT, Id
from accord.web.routes.applications import REVIEWER_STATUS_WORDS, Form, application_context
from accord.web.templating import render

router = APIRouter(include_in_schema=False)

SORT_WORDS = {"oldest": "Oldest first", "newest": "Newest first", "dataset": "Dataset", "organisation": "Organisation"}
NOTICES = {
    "approve": "Approved.",
    "reject": "Rejected; the applicant was told why.",
    "return": "Returned to the applicant with your comment.",
    "training-accepted": "The training certificate was accepted.",
    "training-rejected": "The training certificate was rejected; the applicant was told why.",
}


def _int(value: str) -> int | None:
    """A whole number from a form field, or None; one past what the database holds is None too."""
    try:
        number = int(value.strip())
    except ValueError:
        return None
    return number if 0 <= number <= MAX_INT else None


@router.get("/review")
def review_queue(
    request: Request,
    db: Db,
    me: CurrentUser,
    dataset: str = "",
    status: str = "submitted",
    organisation: str = "",
    failed: str = "",
    older_than: str = "",
    sort: str = "oldest",
    page: str = "1",
    per_page: str = "50",
):
    return _queue(
        request,
        db,
        me,
        {
            "dataset": dataset,
            "status": status,
            "organisation": organisation,
            "failed": failed,
            "older_than": older_than,
            "sort": sort,
            "page": page,
            "per_page": per_page,
        },
    )


def _queue(request, db, me, filters: dict, *, bulk=None, errors=None, status_code=200):
    choices = access.reviewed_choices(db, me) if access.reviews_any(me) else []
    try:
        result = access.review_queue(
            db,
            me,
            dataset=filters["dataset"] or None,
            status=filters["status"],
            organisation=filters["organisation"] or None,
            failed_checks=filters["failed"] or None,
            older_than_days=_int(filters["older_than"]) if filters["older_than"] else None,
            sort=filters["sort"],
            page=_int(filters["page"]) or 0,
            per_page=_int(filters["per_page"]) or 0,
        )
    except NotFound:
        raise
    except AccordError as exc:
        if lookup(HTTP_STATUS, exc) == 403:
            raise
        result, errors, status_code = None, {exc.field or "form": exc.message}, lookup(HTTP_STATUS, exc)
    return render(
        request,
        "access/queue.html",
        status_code=status_code,
        result=result,
        filters=filters,
        choices=choices,
        statuses=access.STATUSES,
        words=REVIEWER_STATUS_WORDS,
        sorts=SORT_WORDS,
        bulk=bulk,
        errors=errors or {},
    )


def _reviewable(db, me, app_id: int):
    record = access.get(db, app_id, viewer=me)
    dataset_id = record.state.dataset_id
    if dataset_id is None or not access.is_reviewer(me, dataset_id):
        raise NotFound(f"no application {app_id}")  # an applicant follows it at /applications/{id}
    return record


def render_review(request, db, me, app_id: int, *, errors=None, status_code=200, notice=None, values=None):
    record = _reviewable(db, me, app_id)
    return render(
        request,
        "access/review_item.html",
        status_code=status_code,
        errors=errors or {},
        notice=notice,
        values=values or {},
        revocations=access.earlier_revocations(db, record.state, me),
        **{**application_context(db, record), "words": REVIEWER_STATUS_WORDS},
    )


@router.get("/review/{app_id}")
def review_item(request: Request, app_id: Id, db: Db, me: CurrentUser, notice: str = ""):
    return render_review(request, db, me, app_id, notice=NOTICES.get(notice))


@router.post("/review/{app_id}/approve")
def approve(request: Request, app_id: Id, db: Db, rt: Rt, me: CurrentUser, form: Form):
    return _decide(request, db, me, app_id, "approve", form, base_url=rt.settings.base_url)


@router.post("/review/{app_id}/reject")
def reject(request: Request, app_id: Id, db: Db, me: CurrentUser, form: Form):
    return _decide(request, db, me, app_id, "reject", form)


@router.post("/review/{app_id}/return")
def return_for_changes(request: Request, app_id: Id, db: Db, me: CurrentUser, form: Form):
    return _decide(request, db, me, app_id, "return", form)


def _decide(request, db, me, app_id: int, decision: str, form, *, base_url: str = ""):
    _reviewable(db, me, app_id)
    text = str(form.get("text", ""))
    try:
        if decision == "approve":
            access.approve(db, app_id, actor=me, note=text, base_url=base_url)
        elif decision == "reject":
            access.reject(db, app_id, actor=me, reason=text)
        else:
            access.return_for_changes(db, app_id, actor=me, comment=text)
    except AccordError as exc:
        return render_review(
            request,
            db,
            me,
            app_id,
            errors={decision: exc.message},
            status_code=lookup(HTTP_STATUS, exc),
            values={decision: text},
        )
    return RedirectResponse(f"/review/{app_id}?notice={decision}", status_code=303)


@router.post("/review")
def bulk(request: Request, db: Db, rt: Rt, me: CurrentUser, form: Form):
    """Decide on the ticked rows; the queue is shown again with one line per row saying what happened."""
    filters = {
        k: str(form.get(k, d))
        for k, d in (
            ("dataset", ""),
            ("status", "submitted"),
            ("organisation", ""),
            ("failed", ""),
            ("older_than", ""),
            ("sort", "oldest"),
            ("page", "1"),
            ("per_page", "50"),
        )
    }
    ids = [i for i in (_int(str(v)) for v in form.getlist("id")) if i is not None]
    try:
        results = access.bulk_decide(
            db,
            ids,
            actor=me,
            action=str(form.get("action", "")),
            reason=str(form.get("reason", "")),
            base_url=rt.settings.base_url,
        )
    except AccordError as exc:
        return _queue(
            request, db, me, filters, errors={exc.field or "form": exc.message}, status_code=lookup(HTTP_STATUS, exc)
        )
    return _queue(request, db, me, filters, bulk=results)
