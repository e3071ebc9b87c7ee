"""The applicant's side of an application: start, fill in, sign, submit (the checks run, and click-through terms
approve at once), confirm their address, withdraw.

Every command follows one pattern in one unit of work: load the events, replay them, let `workflow` decide
the next event, append it with the next seq (a racing writer gets Conflict), audit, and queue the e-mail.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.access import checks, decisions, digest, form, requirements, signatory, workflow
from accord.access import history as past
from accord.access.agreement import Agreement, Signature, render_pdf
from accord.access.common import (
    ApplicationView,
    agreement_of,
    applicant_only,
    mail,
    seal_and_store,
    terms_of,
    view_of,
    visible,
)
from accord.access.events import Loaded, append, load
from accord.access.models import Application
from accord.audit import service as audit
from accord.catalog import service as catalog
from accord.db import unit_of_work, utcnow
from accord.entitlements import service as entitlements
from accord.errors import Conflict
from accord.identity import service as identity
from accord.identity.models import User
from accord.policy import service as policies
from accord.policy.schema import Signatory

if TYPE_CHECKING:
    from accord.runtime import Runtime

OPEN = [s.value for s in workflow.Status if s not in workflow.TERMINAL]


def start(
    db: Session,
    dataset_slug: str,
    *,
    actor: User,
    answers: dict[str, Any] | None = None,
    signatory: dict[str, Any] | None = None,
    renews: int | None = None,
    prefilled_from: int | None = None,
) -> ApplicationView:
    """Open a draft application under the dataset's current terms, optionally with its first answers.
    A renewal (access.renewal) names the grant it renews and the application its answers came from."""
    dataset = catalog.visible_dataset(db, dataset_slug, actor)
    entitlements.require_may_apply(db, actor, dataset.id)  # a permanent revocation (entitlements.standing)
    terms = policies.get(db, dataset.id)  # NotFound when the dataset has no terms
    given = form.clean_answers(terms.policy, answers or {}, account_email=actor.email)
    who = form.clean_signatory(terms.policy, signatory) if signatory is not None else None
    open_id = db.scalar(
        select(Application.id).where(
            Application.dataset_id == dataset.id, Application.applicant_id == actor.id, Application.status.in_(OPEN)
        )
    )
    if open_id is not None:
        raise Conflict(f"you already have an open application ({open_id}) for this dataset")
    now = utcnow()
    prefill = {
        k: v
        for k, v in (("name", actor.name), ("email", actor.email))
        if k in {f.value for f in terms.policy.applicant_fields}
    }
    with unit_of_work(db):
        row = Application(
            dataset_id=dataset.id,
            applicant_id=actor.id,
            policy_version=terms.version,
            status=workflow.Status.draft.value,
            created_at=now,
            updated_at=now,
        )
        db.add(row)
        db.flush()
        loaded = Loaded(row)
        append(
            db,
            loaded,
            workflow.decide_create(
                applicant=actor.id,
                dataset_id=dataset.id,
                policy_version=terms.version,
                needs_signatory=terms.policy.signatory is Signatory.legal_authority,
                approvals_needed=terms.policy.review.approvals_needed,
                at=now,
                answers={**prefill, **given},
            ),
        )
        if who is not None:
            append(db, loaded, workflow.decide_save(loaded.state, actor=actor.id, answers={}, at=now, signatory=who))
        if actor.email_verified_at is not None:
            append(db, loaded, workflow.decide_email_verified(loaded.state, at=now))
        renewal = {"renews": renews, "prefilled_from": prefilled_from} if renews is not None else {}
        audit.record(
            db,
            actor=actor,
            action="application.started",
            object=("application", row.id),
            data={"dataset": dataset.slug, "policy_version": terms.version, **renewal},
            dataset=dataset.id,
        )
    return view_of(db, loaded, actor)


def save(
    db: Session, app_id: int, *, actor: User, answers: dict[str, Any], signatory: dict[str, Any] | None = None
) -> ApplicationView:
    """Save (part of) the form; changing anything asks for a new signature."""
    with unit_of_work(db):
        loaded = load(db, app_id)
        applicant_only(loaded, actor, "change")
        policy = terms_of(db, loaded).policy
        clean = form.clean_answers(policy, answers, account_email=actor.email)
        who = form.clean_signatory(policy, signatory) if signatory is not None else None
        append(
            db, loaded, workflow.decide_save(loaded.state, actor=actor.id, answers=clean, at=utcnow(), signatory=who)
        )
        audit.record(
            db,
            actor=actor,
            action="application.saved",
            object=("application", app_id),
            data={"fields": sorted(clean), "signatory": who is not None},
            dataset=loaded.row.dataset_id,
        )
    return view_of(db, loaded, actor)


def agreement(db: Session, app_id: int) -> Agreement:
    """The agreement document for the application's terms version and its current answers."""
    return agreement_of(db, load(db, app_id))


def sign(rt: Runtime, db: Session, app_id: int, *, actor: User, full_name: str, consent: bool) -> ApplicationView:
    """Sign the agreement with a typed name; the PDF is sealed by the platform and stored by its hash."""
    with unit_of_work(db):
        loaded = load(db, app_id)
        applicant_only(loaded, actor, "sign")
        form.require_complete(terms_of(db, loaded).policy, loaded.state.answers, loaded.state.signatory)
        doc = agreement_of(db, loaded)
        now = utcnow()
        event = workflow.decide_sign(
            loaded.state, actor=actor.id, full_name=full_name, consent=consent, document_sha256=doc.sha256, at=now
        )
        pdf = render_pdf(doc, signatures=[Signature(event.data["full_name"], now)])
        pdf_sha = seal_and_store(rt, pdf)
        append(db, loaded, replace(event, data={**event.data, "pdf_sha256": pdf_sha}))
        audit.record(
            db,
            actor=actor,
            action="application.signed",
            object=("application", app_id),
            data={"document_sha256": doc.sha256, "pdf_sha256": pdf_sha},
            dataset=loaded.row.dataset_id,
        )
    return view_of(db, loaded, actor)


def agreement_pdf(rt: Runtime, db: Session, app_id: int, *, viewer: User) -> bytes:
    """The sealed signed PDF once signed; before that, an unsigned preview of the current answers."""
    loaded = load(db, app_id)
    visible(loaded, viewer)
    signature = loaded.state.signatory_signature or loaded.state.signature  # the countersigned copy wins
    if signature and signature.get("pdf_sha256"):
        with rt.store.open(signature["pdf_sha256"]) as fh:
            return fh.read()
    return render_pdf(agreement_of(db, loaded))


def submit(db: Session, app_id: int, *, actor: User, base_url: str = "") -> ApplicationView:
    """Submit (or resubmit) a signed application, run the checks, and approve it if the terms say so."""
    with unit_of_work(db):
        loaded = load(db, app_id)
        applicant_only(loaded, actor, "submit")
        now = utcnow()
        if (
            actor.email_verified_at is not None
            and not loaded.state.email_verified
            and loaded.state.status not in workflow.TERMINAL
        ):
            append(db, loaded, workflow.decide_email_verified(loaded.state, at=now))
        policy = terms_of(db, loaded).policy
        form.require_complete(policy, loaded.state.answers, loaded.state.signatory)
        entitlements.require_may_apply(db, actor, loaded.row.dataset_id)  # a draft from before a permanent one
        requirements.before_submit(db, app_id, policy)
        append(db, loaded, workflow.decide_submit(loaded.state, actor=actor.id, at=now))
        if loaded.state.status is workflow.Status.awaiting_signatory:
            signatory.invite(db, loaded, base_url=base_url, at=now, actor=actor)
        results = checks.run_all(
            policy,
            email=actor.email,
            email_verified=loaded.state.email_verified,
            organisation_domains=identity.organisation_domains(db),
            affiliations=identity.oidc_affiliation_evidence(db, actor),
            previous_rejections=_rejections(db, loaded),
            revoked_grants=entitlements.revoked_count(db, loaded.row.applicant_id),
            held=past.held(db, loaded.row),
        )
        append(db, loaded, workflow.decide_checks(loaded.state, results={r.name: r.as_dict() for r in results}, at=now))
        audit.record(
            db,
            actor=actor,
            action="application.submitted",
            object=("application", app_id),
            data={"failed_checks": loaded.state.failed_checks},
            dataset=loaded.row.dataset_id,
        )
        why = decisions.automatic(db, loaded, policy)
        if why and decisions.may_approve(loaded.state) and requirements.met(db, app_id, policy):
            decisions.approve_automatically(db, loaded, now, base_url=base_url, why=why)
        else:
            assert loaded.state.status is not None, "a submitted application has a status"
            mail(
                db,
                "application-submitted",
                loaded,
                status=loaded.state.status_value,
                failed=loaded.state.failed_checks,
                base_url=base_url.rstrip("/"),
                signatory=loaded.state.signatory or {},
            )
            if loaded.state.status is workflow.Status.submitted:  # reviewers are told (or get the digest)
                digest.tell_reviewers(db, loaded.row, base_url=base_url)
    return view_of(db, loaded, actor)


def verify_email(db: Session, secret: str, token: str, *, base_url: str = "") -> User:
    """Follow an e-mail confirmation link: the account is confirmed, then its open applications learn it."""
    user = identity.verify_email(db, secret, token)
    confirm_email(db, user, base_url=base_url)
    return user


def confirm_email(db: Session, user: User, *, base_url: str = "") -> list[int]:
    """After the user proved their address (identity calls this once the link is followed): record it on
    their open applications, re-run the e-mail check, and approve the click-through ones now passing."""
    if user.email_verified_at is None:
        return []
    ids = list(
        db.scalars(
            select(Application.id)
            .where(Application.applicant_id == user.id, Application.status.in_(OPEN))
            .order_by(Application.id)
        )
    )
    changed = []
    with unit_of_work(db):
        for app_id in ids:
            loaded = load(db, app_id)
            if loaded.state.email_verified:
                continue
            now = utcnow()
            append(db, loaded, workflow.decide_email_verified(loaded.state, at=now))
            if loaded.state.checks:
                check = checks.email_proven(True)
                append(db, loaded, workflow.decide_checks(loaded.state, results={check.name: check.as_dict()}, at=now))
            policy = terms_of(db, loaded).policy
            why = decisions.automatic(db, loaded, policy)
            if why and decisions.may_approve(loaded.state) and requirements.met(db, app_id, policy):
                decisions.approve_automatically(db, loaded, now, base_url=base_url, why=why)
            changed.append(app_id)
        if changed:
            audit.record(
                db,
                actor=user,
                action="application.email_confirmed",
                object=("user", user.id),
                data={"applications": changed},
            )
    return changed


def _rejections(db: Session, loaded: Loaded) -> int:
    return (
        db.scalar(
            select(func.count()).where(
                Application.applicant_id == loaded.row.applicant_id,
                Application.id != loaded.id,
                Application.status == workflow.Status.rejected.value,
            )
        )
        or 0
    )


def withdraw(db: Session, app_id: int, *, actor: User) -> ApplicationView:
    """The applicant takes the application back; nothing more happens to it."""
    with unit_of_work(db):
        loaded = load(db, app_id)
        applicant_only(loaded, actor, "withdraw")
        append(db, loaded, workflow.decide_withdraw(loaded.state, actor=actor.id, at=utcnow()))
        audit.record(
            db,
            actor=actor,
            action="application.withdrawn",
            object=("application", app_id),
            dataset=loaded.row.dataset_id,
        )
    return view_of(db, loaded, actor)
