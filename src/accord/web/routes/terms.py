"""Licence terms in the browser: curators edit a dataset's policy (form or YAML, with a live preview), and a
licensee whose grant paused because the terms changed reads the clause diff and accepts the new version."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import FormData

from accord.catalog import service as catalog
from accord.entitlements import service as entitlements
from accord.errors import HTTP_STATUS, AccordError, InvalidInput, NotFound, lookup
from accord.http.deps import CurrentUser, Db, Form, Rt
from accord.policy import service as policies
from accord.policy.schema import (
    FIELD_LABELS,
    ApplicantField,
    Commercial,
    Modification,
    Policy,
    Purpose,
    Redistribution,
    ReviewMode,
    Signatory,
)
from accord.policy.service import clauses, diff, dump_yaml, parse, review_words
from accord.web.templating import render

router = APIRouter(include_in_schema=False)


FLAGS = (
    "no_promotion",
    "link_allowed_instead_of_citation",
    "institutional_email",
    "covers_future_versions",
    "custodian_may_terminate",
    "rights_reserved",
)
GROUP_FLAGS = {
    "derivatives": ("must_declare", "custodian_may_list", "users_must_cite_original", "state_relationship"),
    "privacy": (
        "no_identification",
        "protect_subjects",
        "removal_requests",
        "licensee_liable_for_misuse",
        "publish_manifest",
    ),
}
CHOICES = {
    "commercial_use": Commercial,
    "redistribution": Redistribution,
    "modification": Modification,
    "signatory": Signatory,
}
# A rule spanning several fields fails with no location; its message names the field to show it next to.
RULE_FIELDS = (
    ("applicant_fields", "applicant_fields"),
    ("approved_unit_only", "redistribution"),
    ("single_site_internal", "redistribution"),
    ("automatic review", "review.mode"),
    ("approvals_needed", "review.approvals_needed"),
    ("derivatives.must_declare", "derivatives.custodian_may_list"),
)
NOTICES = {
    "saved": "The terms were saved as a new version; licensees of the old one are asked to re-accept.",
    "unchanged": "Nothing changed: the terms are identical to the current version, so no version was made.",
    "accepted": "You accepted the current terms; your access has resumed.",
}


# --- form <-> policy ---------------------------------------------------------------------------------------


def _document(form: FormData, keep) -> dict:
    """The editor's fields as a policy document (left to the Policy model to validate)."""

    def text(name):
        return str(form.get(name, "")).strip()

    doc: dict = {"purposes": form.getlist("purposes"), "applicant_fields": form.getlist("applicant_fields")}
    doc.update({name: text(name) for name in CHOICES})
    doc.update({flag: flag in form for flag in FLAGS})
    for group, flags in GROUP_FLAGS.items():
        doc[group] = {flag: f"{group}.{flag}" in form for flag in flags}
    doc["access_days"] = text("access_days") or None
    doc["review"] = {
        "mode": text("review.mode"),
        "approvals_needed": text("review.approvals_needed") or 1,
        "response_days": text("review.response_days") or 14,
    }
    citations, i = [], 0
    while f"citations.{i}.text" in form:  # the editor always sends one blank row more: blank rows are dropped
        row = {
            "text": text(f"citations.{i}.text"),
            "bibtex": text(f"citations.{i}.bibtex"),
            "include_upgraded_versions": f"citations.{i}.include_upgraded_versions" in form,
        }
        if row["text"] or row["bibtex"]:
            citations.append(row)
        i += 1
    doc["citations"] = citations
    if "training.required" in form:
        doc["training"] = {
            "name": text("training.name"),
            "valid_days": text("training.valid_days") or 730,
            "on_expiry": text("training.on_expiry") or "pause",
        }
    else:
        doc["training"] = None
    doc["custom_clauses"] = [c.model_dump() for c in keep.custom_clauses] if keep else []  # edited as YAML
    return doc


def _values(policy: Policy) -> dict:
    """A policy as the editor's field values."""
    v: dict = {
        "purposes": [p.value for p in policy.purposes],
        "applicant_fields": [f.value for f in policy.applicant_fields],
        "access_days": policy.access_days or "",
        "review.mode": policy.review.mode.value,
        "review.approvals_needed": policy.review.approvals_needed,
        "review.response_days": policy.review.response_days,
        "citations": [c.model_dump() for c in policy.citations],
    }
    v.update({name: getattr(policy, name).value for name in CHOICES})
    v.update({flag: getattr(policy, flag) for flag in FLAGS})
    for group, flags in GROUP_FLAGS.items():
        v.update({f"{group}.{flag}": getattr(getattr(policy, group), flag) for flag in flags})
    if policy.training:
        v.update(
            {
                "training.required": True,
                "training.name": policy.training.name,
                "training.valid_days": policy.training.valid_days,
                "training.on_expiry": policy.training.on_expiry,
            }
        )
    return v


def _form_values(form: FormData) -> dict[str, Any]:
    v: dict[str, Any] = {k: form.get(k) for k in form}
    v["purposes"], v["applicant_fields"] = form.getlist("purposes"), form.getlist("applicant_fields")
    v.update({flag: flag in form for flag in FLAGS})
    citations: list[dict[str, Any]] = []
    i = 0
    while f"citations.{i}.text" in form:
        citations.append(
            {
                "text": form.get(f"citations.{i}.text", ""),
                "bibtex": form.get(f"citations.{i}.bibtex", ""),
                "include_upgraded_versions": f"citations.{i}.include_upgraded_versions" in form,
            }
        )
        i += 1
    v["citations"] = [c for c in citations if c["text"] or c["bibtex"]]
    return v


def _errors(exc: ValidationError) -> dict[str, str]:
    """Pydantic's error locations as editor field names: ('citations', 0, 'text') -> 'citations.0.text'."""
    out: dict[str, str] = {}
    for e in exc.errors():
        message = e["msg"].removeprefix("Value error, ")
        field = ".".join(str(part) for part in e["loc"])
        if not field:
            field = next((name for word, name in RULE_FIELDS if word in message), "form")
        out.setdefault(
            field.split(".")[0] if field.split(".")[0] in ("purposes", "applicant_fields") else field, message
        )
    return out


def _build(form: FormData, keep) -> tuple[Policy | None, dict]:
    try:
        return Policy.model_validate(_document(form, keep)), {}
    except ValidationError as exc:
        return None, _errors(exc)


# --- the curator's editor ------------------------------------------------------------------------------------


def _curated(db, slug: str, me):
    ds = catalog.dataset_by_slug(db, slug)
    catalog.require_curator(me, ds.id)
    return ds


def _preview(db, ds, policy: Policy | None, current) -> dict:
    if policy is None:
        return {"clauses": [], "fields": [], "changes": None, "review": ""}
    names = policies.clause_names(ds)
    return {
        "clauses": clauses(policy, **names),
        "fields": [FIELD_LABELS[f] for f in policy.applicant_fields],
        "changes": diff(current.policy, policy, **names) if current else None,
        "review": review_words(policy),
    }


def _editor(
    request,
    db,
    ds,
    *,
    values,
    errors=None,
    policy=None,
    yaml_text=None,
    yaml_error=None,
    note="",
    notice=None,
    status_code=200,
):
    current = policies.current(db, ds.id)
    if policy is None and not errors and current:
        policy = current.policy
    return render(
        request,
        "terms/editor.html",
        status_code=status_code,
        ds=ds,
        current=current,
        values=values,
        errors=errors or {},
        note=note,
        notice=notice,
        preview=_preview(db, ds, policy, current),
        yaml_text=yaml_text if yaml_text is not None else (dump_yaml(current.policy) if current else ""),
        yaml_error=yaml_error,
        options=_options(),
    )


def _options() -> dict:
    return {
        "purposes": list(Purpose),
        "applicant_fields": [(f.value, FIELD_LABELS[f]) for f in ApplicantField],
        "commercial_use": list(Commercial),
        "redistribution": list(Redistribution),
        "modification": list(Modification),
        "signatory": list(Signatory),
        "review.mode": list(ReviewMode),
    }


@router.get("/admin/datasets/{slug}/terms")
def editor(request: Request, slug: str, db: Db, me: CurrentUser, notice: str = ""):
    ds = _curated(db, slug, me)
    current = policies.current(db, ds.id)
    values = _values(current.policy) if current else _values(Policy(purposes=[Purpose.research]))
    return _editor(request, db, ds, values=values, notice=NOTICES.get(notice))


@router.post("/admin/datasets/{slug}/terms/preview")
def preview(request: Request, slug: str, db: Db, me: CurrentUser, form: Form):
    """The htmx panel (or, without JS, the whole editor) for the terms as typed, saving nothing."""
    ds = _curated(db, slug, me)
    current = policies.current(db, ds.id)
    policy, errors = _build(form, current.policy if current else None)
    if request.headers.get("HX-Request"):
        return render(
            request,
            "terms/_preview.html",
            ds=ds,
            current=current,
            errors=errors,
            preview=_preview(db, ds, policy, current),
        )
    return _editor(
        request,
        db,
        ds,
        values=_form_values(form),
        errors=errors,
        policy=policy,
        note=str(form.get("note", "")),
        status_code=422 if errors else 200,
    )


def _saved(db, rt, ds, policy: Policy, me, note: str) -> RedirectResponse:
    before = policies.current(db, ds.id)
    after = policies.set_policy(db, ds.id, policy, actor=me, note=note, base_url=rt.settings.base_url)
    unchanged = before is not None and before.version == after.version
    return RedirectResponse(
        f"/admin/datasets/{ds.slug}/terms?notice={'unchanged' if unchanged else 'saved'}", status_code=303
    )


@router.post("/admin/datasets/{slug}/terms")
def save(request: Request, slug: str, db: Db, rt: Rt, me: CurrentUser, form: Form):
    ds = _curated(db, slug, me)
    current = policies.current(db, ds.id)
    policy, errors = _build(form, current.policy if current else None)
    note = str(form.get("note", ""))
    if errors or policy is None:  # (no policy comes with its errors)
        return _editor(request, db, ds, values=_form_values(form), errors=errors, note=note, status_code=422)
    return _saved(db, rt, ds, policy, me, note)


@router.post("/admin/datasets/{slug}/terms/yaml")
def save_yaml(request: Request, slug: str, db: Db, rt: Rt, me: CurrentUser, form: Form):
    ds = _curated(db, slug, me)
    text, note = str(form.get("policy", "")), str(form.get("note", ""))
    try:
        policy = parse(text)
    except InvalidInput as exc:
        current = policies.current(db, ds.id)
        values = _values(current.policy) if current else _values(Policy(purposes=[Purpose.research]))
        return _editor(
            request, db, ds, values=values, yaml_text=text, yaml_error=exc.message, note=note, status_code=422
        )
    return _saved(db, rt, ds, policy, me, note)


# --- the licensee's re-acceptance ----------------------------------------------------------------------------


def _grant(db, ds, me):
    """The user's newest grant of this dataset (a revoked one is shown as ended: accepting cannot revive it)."""
    held = [e for e in entitlements.held_by(db, me) if e.dataset_id == ds.id]
    if not held:
        raise NotFound("you hold no access to this dataset; apply for it on the dataset page")
    return held[-1]


def _accept_page(request, db, ds, me, *, errors=None, values=None, notice=None, status_code=200):
    ent = _grant(db, ds, me)
    current = policies.get(db, ds.id)
    changes = (
        policies.compare(db, ds.id, ent.policy_version, current.version)
        if ent.policy_version < current.version and ent.revoked_at is None
        else []
    )
    return render(
        request,
        "terms/accept.html",
        status_code=status_code,
        ds=ds,
        ent=ent,
        current=current,
        changes=changes,
        errors=errors or {},
        values=values or {},
        notice=notice,
    )


@router.get("/datasets/{slug}/terms/accept")
def accept_page(request: Request, slug: str, db: Db, me: CurrentUser, notice: str = ""):
    ds = catalog.visible_dataset(db, slug, me)
    return _accept_page(request, db, ds, me, notice=NOTICES.get(notice))


@router.post("/datasets/{slug}/terms/accept")
def accept(request: Request, slug: str, db: Db, me: CurrentUser, form: Form):
    ds = catalog.visible_dataset(db, slug, me)
    ent = _grant(db, ds, me)
    ticked = {a for a in form.getlist("ack") if isinstance(a, str)}  # (a file sent as "ack" ticks nothing)
    full_name = str(form.get("full_name", "")).strip()
    values = {"ack": sorted(ticked), "full_name": full_name}
    try:
        version = int(str(form.get("version", "")))
    except ValueError:
        version = 0
    try:
        if version < 1:
            raise InvalidInput("the page did not say which terms version you read; reload it", field="form")
        if ent.policy_version < version:
            changed = policies.compare(db, ds.id, ent.policy_version, version)
            unticked = [c.title for c in changed if c.key not in ticked]
            if unticked:
                raise InvalidInput(
                    f"tick every changed clause to accept it; not ticked: {', '.join(unticked)}", field="ack"
                )
        if len(full_name) < 2:
            raise InvalidInput("type your full name to sign", field="full_name")
        entitlements.reaccept(db, ent.id, actor=me, version=version, signed_as=full_name)
    except AccordError as exc:
        return _accept_page(
            request,
            db,
            ds,
            me,
            errors={exc.field or "form": exc.message},
            values=values,
            status_code=lookup(HTTP_STATUS, exc),
        )
    return RedirectResponse(f"/datasets/{slug}/terms/accept?notice=accepted", status_code=303)
