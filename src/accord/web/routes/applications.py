"""The applicant's pages: apply for a dataset, fill in and save the form, sign clause by clause, submit, follow."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from accord.access import service as access
from accord.access.service import SIGNATORY_FIELDS
from accord.catalog import service as catalog
from accord.entitlements import service as entitlements
from accord.errors import HTTP_STATUS, AccordError, InvalidInput, lookup
from accord.http import upload
from accord.http.deps import CurrentUser, Db, Form, Rt
from accord.http.params import Id
from accord.policy import service as policies
from accord.policy.schema import FIELD_LABELS, Signatory
from accord.web.templating import render

router = APIRouter(include_in_schema=False)

STATUS_WORDS = {
    "draft": "Draft: not sent yet",
    "awaiting_signatory": "Waiting for your institution's signatory",
    "submitted": "Submitted: waiting for a reviewer",
    "returned": "Returned to you for changes",
    "approved": "Approved",
    "rejected": "Rejected",
    "withdrawn": "Withdrawn",
}
# The same states as the reviewer's queue names them: "your" there would be the reviewer's, not the applicant's.
REVIEWER_STATUS_WORDS = {
    **STATUS_WORDS,
    "awaiting_signatory": "Waiting for the institution's signatory",
    "submitted": "Waiting for a review",
    "returned": "Returned to the applicant for changes",
}
EVENT_WORDS = {
    "created": "Application started",
    "saved": "Answers saved",
    "signed": "Agreement signed",
    "submitted": "Submitted",
    "email_verified": "E-mail address confirmed",
    "checks_run": "Automatic checks run",
    "signatory_invited": "Signatory invited",
    "signatory_signed": "Signatory signed",
    "signatory_declined": "Signatory declined",
    "returned": "Returned for changes",
    "resubmitted": "Resubmitted",
    "approved": "Approved",
    "rejected": "Rejected",
    "withdrawn": "Withdrawn",
}
NOTICES = {
    "saved": "Your answers were saved.",
    "signed": "The agreement is signed.",
    "scanned": "Your signed agreement was uploaded; it counts as your signature.",
    "training": "Your training certificate was uploaded; a reviewer will look at it.",
    "submitted": "Your application was submitted.",
    "withdrawn": "Your application was withdrawn.",
    "started": "Your draft was saved. Sign the agreement below when the form is complete.",
    "renewal": "This application renews your access: your earlier answers are filled in. Check them, answer "
    "any new questions, then sign and submit.",
}


def answers_from(form: FormData, fields: list[str]) -> tuple[dict, dict | None]:
    """The form's answers (blank ones left out: a draft may be incomplete) and the signatory, if any is named."""
    answers = {f: str(form.get(f, "")).strip() for f in fields}
    who = {k: str(form.get(f"signatory.{k}", "")).strip() for k in SIGNATORY_FIELDS}
    return {k: v for k, v in answers.items() if v}, (who if any(who.values()) else None)


def form_fields(policy) -> list[tuple[str, str]]:
    return [(f.value, FIELD_LABELS[f]) for f in policy.applicant_fields]


def needs_signatory(policy) -> bool:
    return policy.signatory is Signatory.legal_authority


def _errors(exc: AccordError) -> dict[str, str]:
    return {exc.field or "form": exc.message}


# --- starting ----------------------------------------------------------------------------------------------


@router.get("/datasets/{slug}/apply")
def apply_form(request: Request, slug: str, db: Db, me: CurrentUser):
    ds = catalog.visible_dataset(db, slug, me)
    existing = access.open_application(db, me, ds.id)
    if existing is not None:
        return RedirectResponse(f"/applications/{existing}", status_code=303)
    entitlements.require_may_apply(db, me, ds.id)  # after a permanent revocation: why not, and whom to ask
    terms = policies.get(db, ds.id)
    values = {"name": me.name, "email": me.email}
    return _apply_page(request, ds, terms, values, {})


def _apply_page(request, ds, terms, values, errors, status_code=200):
    return render(
        request,
        "access/apply.html",
        status_code=status_code,
        ds=ds,
        terms=terms,
        fields=form_fields(terms.policy),
        signatory=needs_signatory(terms.policy),
        values=values,
        errors=errors,
    )


@router.post("/datasets/{slug}/apply")
def apply(request: Request, slug: str, db: Db, me: CurrentUser, form: Form):
    ds = catalog.visible_dataset(db, slug, me)
    terms = policies.get(db, ds.id)
    answers, who = answers_from(form, [f for f, _ in form_fields(terms.policy)])
    try:
        record = access.start(db, slug, actor=me, answers=answers, signatory=who)
    except AccordError as exc:
        return _apply_page(request, ds, terms, dict(form), _errors(exc), status_code=lookup(HTTP_STATUS, exc))
    return RedirectResponse(f"/applications/{record.id}?notice=started", status_code=303)


# --- following -----------------------------------------------------------------------------------------------


@router.get("/applications")
def my_applications(request: Request, db: Db, me: CurrentUser):
    return render(
        request, "access/mine.html", rows=access.mine(db, me), words=STATUS_WORDS, reviews=access.reviews_any(me)
    )


def application_context(db, record) -> dict:
    """What the applicant's and the reviewer's page both show about one application."""
    from accord.web.routes import training as training_pages

    terms = policies.get(db, record.state.dataset_id, record.state.policy_version)
    return {
        "record": record,
        "state": record.state,
        "terms": terms,
        "clauses": terms.clauses(),
        "fields": form_fields(terms.policy),
        "signatory": needs_signatory(terms.policy),
        "words": STATUS_WORDS,
        "event_words": EVENT_WORDS,
        "actors": access.people(db, [e.actor for e in record.events]),
        "typical": access.typical_decision_time(db, record.state.dataset_id),
        "dataset": catalog.dataset_by_id(db, record.state.dataset_id),
        "scan_limit_mb": access.MAX_SCAN_BYTES // (1024 * 1024),
        **training_pages.context(db, record),
    }


def render_application(request, db, me, app_id: int, *, status_code=200, errors=None, values=None, notice=None):
    record = access.get(db, app_id, viewer=me)
    ctx = application_context(db, record)
    if values is None:
        values = {**record.state.answers, **{f"signatory.{k}": v for k, v in (record.state.signatory or {}).items()}}
    return render(
        request,
        "access/application.html",
        status_code=status_code,
        errors=errors or {},
        values=values,
        notice=notice,
        **ctx,
    )


@router.get("/applications/{app_id}")
def application_page(request: Request, app_id: Id, db: Db, me: CurrentUser, notice: str = ""):
    return render_application(request, db, me, app_id, notice=NOTICES.get(notice))


@router.get("/applications/{app_id}/agreement.pdf")
def agreement_pdf(app_id: Id, db: Db, rt: Rt, me: CurrentUser):
    pdf = access.agreement_pdf(rt, db, app_id, viewer=me)
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="agreement-{app_id}.pdf"'}
    )


@router.get("/applications/{app_id}/scan")
def scan_file(app_id: Id, db: Db, rt: Rt, me: CurrentUser):
    data, kind = access.stored_scan(rt, db, app_id, viewer=me)
    # An uploaded file is shown from our origin: sandboxed, so a PDF's scripts cannot act as the viewer.
    return Response(
        data,
        media_type=kind,
        headers={
            "Content-Disposition": f'inline; filename="{access.scan_file_name(app_id, kind)}"',
            "Content-Security-Policy": "sandbox",
        },
    )


# --- changing -------------------------------------------------------------------------------------------------


@router.post("/applications/{app_id}/answers")
def save_answers(request: Request, app_id: Id, db: Db, me: CurrentUser, form: Form):
    record = access.get(db, app_id, viewer=me)
    fields = [f for f, _ in application_context(db, record)["fields"]]
    answers, who = answers_from(form, fields)
    try:
        access.save(db, app_id, actor=me, answers=answers, signatory=who)
    except AccordError as exc:
        return render_application(
            request, db, me, app_id, status_code=lookup(HTTP_STATUS, exc), errors=_errors(exc), values=dict(form)
        )
    return RedirectResponse(f"/applications/{app_id}?notice=saved", status_code=303)


@router.post("/applications/{app_id}/sign")
def sign(request: Request, app_id: Id, db: Db, rt: Rt, me: CurrentUser, form: Form):
    record = access.get(db, app_id, viewer=me)
    ctx = application_context(db, record)
    # Where an institution's signatory countersigns, the "who signs" clause is theirs to agree to, not the applicant's.
    clauses = [c for c in ctx["clauses"] if not (ctx["signatory"] and c.key == "signatory")]
    ticked = set(form.getlist("ack"))
    full_name = str(form.get("full_name", ""))
    typed = {**dict(form), "full_name": full_name, "ack": sorted(str(t) for t in ticked)}
    if form.get("with_answers") and "save" in record.actions:
        # The answers form's fields came along: keep what was typed before signing, so nothing typed is lost.
        answers, who = answers_from(form, [f for f, _ in ctx["fields"]])
        if answers != record.state.answers or (who is not None and who != record.state.signatory):
            try:
                record = access.save(db, app_id, actor=me, answers=answers, signatory=who)
            except AccordError as exc:
                return render_application(
                    request, db, me, app_id, status_code=lookup(HTTP_STATUS, exc), errors=_errors(exc), values=typed
                )
    try:
        unticked = [c.title for c in clauses if c.key not in ticked]
        if unticked and "sign" in record.actions:  # otherwise the service says why this viewer cannot sign
            raise InvalidInput(f"tick every clause to agree to it; not ticked: {', '.join(unticked)}", field="ack")
        access.sign(rt, db, app_id, actor=me, full_name=full_name, consent=not unticked)
    except AccordError as exc:
        return render_application(
            request,
            db,
            me,
            app_id,
            status_code=lookup(HTTP_STATUS, exc),
            errors=_errors(exc),
            values={**record.state.answers, **typed},
        )
    return RedirectResponse(f"/applications/{app_id}?notice=signed", status_code=303)


SCAN_FIELDS = {"scan": "scan", "full_name": "scan_name", "consent": "scan_consent"}  # not the typed form's


@router.post("/applications/{app_id}/scan")
async def upload_scan(request: Request, app_id: Id, db: Db, rt: Rt, me: CurrentUser):
    """Sign by uploading the hand-signed agreement: streamed to disk, refused once it passes the size limit."""
    await run_in_threadpool(access.may_upload_scan, db, app_id, actor=me)  # strangers and reviewers: before the body
    received = None
    try:
        received = await upload.receive(
            request,
            directory=rt.settings.data_dir / "uploads",
            limit=access.MAX_SCAN_BYTES,
            file_field="scan",
            required=False,
        )
        if received.path is None:
            raise InvalidInput("choose the file with your signed agreement", field="scan")
        await run_in_threadpool(
            access.upload_scan,
            rt,
            db,
            app_id,
            actor=me,
            data=received.path.read_bytes(),
            full_name=received.fields.get("full_name", ""),
            consent=received.fields.get("consent") == "yes",
        )
    except AccordError as exc:
        full_name = received.fields.get("full_name", "") if received else ""
        return await run_in_threadpool(_scan_refused, request, db, me, app_id, exc, full_name)
    finally:
        if received is not None:
            received.discard()
    return RedirectResponse(f"/applications/{app_id}?notice=scanned", status_code=303)


def _scan_refused(request, db, me, app_id: int, exc: AccordError, full_name: str):
    """The page again with the reason next to the scan form's field; the answers are as stored."""
    state = access.get(db, app_id, viewer=me).state
    field = exc.field or "form"
    values = {
        **state.answers,
        **{f"signatory.{k}": v for k, v in (state.signatory or {}).items()},
        "scan_name": full_name,
    }
    return render_application(
        request,
        db,
        me,
        app_id,
        status_code=lookup(HTTP_STATUS, exc),
        errors={SCAN_FIELDS.get(field, field): exc.message},
        values=values,
    )


@router.post("/applications/{app_id}/submit")
def submit(request: Request, app_id: Id, db: Db, rt: Rt, me: CurrentUser):
    try:
        access.submit(db, app_id, actor=me, base_url=rt.settings.base_url)
    except AccordError as exc:
        return render_application(request, db, me, app_id, status_code=lookup(HTTP_STATUS, exc), errors=_errors(exc))
    return RedirectResponse(f"/applications/{app_id}?notice=submitted", status_code=303)


@router.post("/applications/{app_id}/withdraw")
def withdraw(request: Request, app_id: Id, db: Db, me: CurrentUser):
    try:
        access.withdraw(db, app_id, actor=me)
    except AccordError as exc:
        return render_application(request, db, me, app_id, status_code=lookup(HTTP_STATUS, exc), errors=_errors(exc))
    return RedirectResponse(f"/applications/{app_id}?notice=withdrawn", status_code=303)
