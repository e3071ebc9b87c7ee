"""Obligation pages: a licensee's page per dataset (declare a derivative, ask for approval, register a paper,
and what became of each), the reviewers' queue of them beside applications, and a listed derivative's public
page with the original's citation."""

from __future__ import annotations

from fastapi import APIRouter, Request

from accord.catalog import service as catalog
from accord.errors import NotFound
from accord.http.deps import CurrentUser, Db, OptionalUser, Rt
from accord.http.deps import Form as PostedForm
from accord.http.params import Id
from accord.obligations import service as obligations
from accord.web.templating import act_or_show, render

router = APIRouter(include_in_schema=False)

NOTICES = {
    "declared": "Your derivative is on record.",
    "declared-pending": "Your derivative is on record; the custodian will approve or refuse it.",
    "asked": "Your request was sent to the custodian.",
    "registered": "The paper is registered. Thank you.",
    "withdrawn": "Withdrawn.",
    "removed": "Removed.",
    "decided": "Answered; the licensee is told.",
    "listed": "The listing changed.",
    "asked-publications": "The licensees were asked for their papers.",
}


def _page(request: Request, db, user, slug: str, *, errors=None, values=None, notice: str = "", status_code=200):
    return render(
        request,
        "obligations/licensee.html",
        status_code=status_code,
        s=obligations.standing(db, slug, user=user),
        kinds=obligations.DERIVATIVE_KINDS,
        request_kinds=obligations.REQUEST_KINDS,
        errors=errors or {},
        values=values or {},
        notice=NOTICES.get(notice, ""),
    )


@router.get("/datasets/{slug}/obligations")
def licensee_page(request: Request, slug: str, db: Db, user: CurrentUser, notice: str = ""):
    return _page(request, db, user, slug, notice=notice)


def _licensee_act(request, db, user, slug: str, form, done, action, anchor: str):
    """The page's three forms share field names (a title, a description): a refusal is shown, with what was
    typed, in the form it came from (`anchor`), its fields named `anchor.field` on the page."""

    def again(status: int, errors: dict[str, str]):
        shown = {(k if k == "form" else f"{anchor}.{k}"): v for k, v in errors.items()}
        typed = {f"{anchor}.{k}": v for k, v in dict(form).items()}
        return _page(request, db, user, slug, errors=shown, values=typed, status_code=status)

    return act_or_show(db, action, done=f"/datasets/{slug}/obligations?notice={done()}#{anchor}", page=again)


@router.post("/datasets/{slug}/derivatives")
def declare(request: Request, slug: str, db: Db, rt: Rt, user: CurrentUser, form: PostedForm):
    made = []

    def run():
        fields = ("kind", "title", "description", "relation", "location", "licence", "authors")
        made.append(
            obligations.declare_derivative(
                db, slug, actor=user, wants_listing=form.get("wants_listing") == "on",
                version=str(form.get("version") or "") or None, base_url=rt.settings.base_url,
                **{f: str(form.get(f) or "") for f in fields},
            )
        )  # fmt: skip

    return _licensee_act(
        request, db, user, slug, form,
        lambda: "declared-pending" if made and made[0].status == "pending" else "declared", run, "derivatives",
    )  # fmt: skip


@router.post("/datasets/{slug}/approval-requests")
def ask(request: Request, slug: str, db: Db, rt: Rt, user: CurrentUser, form: PostedForm):
    def run():
        obligations.ask_approval(
            db, slug, actor=user, kind=str(form.get("kind") or ""), description=str(form.get("description") or ""),
            party_name=str(form.get("party_name") or ""), party_email=str(form.get("party_email") or ""),
            unit=str(form.get("unit") or ""), networks=_lines(form.get("networks")), base_url=rt.settings.base_url,
        )  # fmt: skip

    return _licensee_act(request, db, user, slug, form, lambda: "asked", run, "requests")


@router.post("/datasets/{slug}/publications")
def register(request: Request, slug: str, db: Db, user: CurrentUser, form: PostedForm):
    def run():
        obligations.register_publication(
            db, slug, actor=user, title=str(form.get("title") or ""), doi_=str(form.get("doi") or ""),
            arxiv_=str(form.get("arxiv") or ""), year=form.get("year"), venue=str(form.get("venue") or ""),
            version=str(form.get("version") or "") or None,
        )  # fmt: skip

    return _licensee_act(request, db, user, slug, form, lambda: "registered", run, "publications")


@router.post("/derivatives/{derivative_id}/withdraw")
def withdraw_derivative(request: Request, derivative_id: Id, db: Db, user: CurrentUser):
    row = obligations.derivative(db, derivative_id, user=user)
    slug = catalog.dataset_by_id(db, row.dataset_id).slug
    action = lambda: obligations.withdraw_derivative(db, derivative_id, actor=user)  # noqa: E731
    return _licensee_act(request, db, user, slug, {}, lambda: "withdrawn", action, "derivatives")


@router.post("/approval-requests/{approval_id}/withdraw")
def withdraw_request(request: Request, approval_id: Id, db: Db, user: CurrentUser):
    row = obligations.approval_request(db, approval_id, user=user)
    slug = catalog.dataset_by_id(db, row.dataset_id).slug
    action = lambda: obligations.withdraw_approval(db, approval_id, actor=user)  # noqa: E731
    return _licensee_act(request, db, user, slug, {}, lambda: "withdrawn", action, "requests")


@router.post("/publications/{paper_id}/remove")
def remove_publication(request: Request, paper_id: Id, db: Db, user: CurrentUser, form: PostedForm):
    slug = str(form.get("dataset") or "")
    action = lambda: obligations.remove_publication(db, paper_id, actor=user)  # noqa: E731
    return _licensee_act(request, db, user, slug, {}, lambda: "removed", action, "publications")


def _lines(value) -> list[str]:
    return [v.strip() for v in str(value or "").replace(",", "\n").splitlines() if v.strip()]


# --- the public page of a listed derivative --------------------------------------------------------------------


@router.get("/datasets/{slug}/derivatives/{derivative_id}")
def derivative_page(request: Request, slug: str, derivative_id: Id, db: Db, user: OptionalUser):
    ds = catalog.visible_dataset(db, slug, user)
    row = obligations.derivative(db, derivative_id, user=user)
    if row.dataset_id != ds.id:
        raise NotFound(f"there is no derivative {derivative_id} of {ds.title}")
    version = catalog.version_by_id(db, row.version_id)
    return render(
        request, "obligations/derivative.html", ds=ds, d=row, version=version, kinds=obligations.DERIVATIVE_KINDS
    )


# --- the reviewers' queue ----------------------------------------------------------------------------------------


def _queue(request: Request, db, user, *, errors=None, notice: str = "", status_code=200):
    return render(
        request,
        "obligations/review.html",
        status_code=status_code,
        q=obligations.queue(db, user=user),
        reviewed=obligations.reviewed_datasets(db, user=user),
        kinds=obligations.DERIVATIVE_KINDS,
        request_kinds=obligations.REQUEST_KINDS,
        errors=errors or {},
        notice=NOTICES.get(notice, ""),
    )


@router.get("/review/obligations")
def review_page(request: Request, db: Db, user: CurrentUser, notice: str = ""):
    obligations.require_reviews_any(user)
    return _queue(request, db, user, notice=notice)


@router.post("/review/derivatives/{derivative_id}")
def decide_derivative(request: Request, derivative_id: Id, db: Db, rt: Rt, user: CurrentUser, form: PostedForm):
    def run():
        obligations.decide_derivative(
            db, derivative_id, decision=str(form.get("decision") or ""), actor=user,
            note=str(form.get("note") or ""), listed=form.get("listed") == "on", base_url=rt.settings.base_url,
        )  # fmt: skip

    return act_or_show(
        db, run, done="/review/obligations?notice=decided", page=_errors_at(request, db, user, f"d{derivative_id}")
    )


@router.post("/review/derivatives/{derivative_id}/listing")
def listing(request: Request, derivative_id: Id, db: Db, user: CurrentUser, form: PostedForm):
    listed = form.get("listed") == "yes"
    action = lambda: obligations.list_derivative(db, derivative_id, listed=listed, actor=user)  # noqa: E731
    return act_or_show(
        db, action, done="/review/obligations?notice=listed", page=_errors_at(request, db, user, f"d{derivative_id}")
    )


@router.post("/review/approval-requests/{approval_id}")
def decide_request(request: Request, approval_id: Id, db: Db, rt: Rt, user: CurrentUser, form: PostedForm):
    networks = _lines(form.get("networks")) if "networks" in form else None

    def run():
        obligations.decide_approval(
            db, approval_id, decision=str(form.get("decision") or ""), actor=user,
            conditions=str(form.get("conditions") or ""), note=str(form.get("note") or ""),
            networks=networks, base_url=rt.settings.base_url,
        )  # fmt: skip

    return act_or_show(
        db, run, done="/review/obligations?notice=decided", page=_errors_at(request, db, user, f"r{approval_id}")
    )


@router.post("/review/datasets/{slug}/ask-publications")
def ask_publications(request: Request, slug: str, db: Db, rt: Rt, user: CurrentUser):
    ds = catalog.visible_dataset(db, slug, user)
    action = lambda: obligations.ask_for_publications(db, ds.id, actor=user, base_url=rt.settings.base_url)  # noqa: E731
    return act_or_show(
        db,
        action,
        done="/review/obligations?notice=asked-publications",
        page=_errors_at(request, db, user, f"p{ds.id}"),
    )


def _errors_at(request, db, user, key: str):
    """The queue again with the refusal shown beside the item it was about."""

    def again(status: int, errors: dict[str, str]):
        return _queue(request, db, user, errors={key: next(iter(errors.values()))}, status_code=status)

    return again
