"""What every application command shares: who may see or act, how a record looks, its terms, its mail, its
agreement, and sealing a signed PDF into the blob store."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from accord.access import form, requirements, workflow
from accord.access.agreement import Agreement
from accord.access.events import Loaded
from accord.catalog import service as catalog
from accord.db import utcnow
from accord.entitlements import service as entitlements
from accord.errors import AccordError, NotFound, PermissionDenied
from accord.identity import service as identity
from accord.identity.models import User
from accord.notify import service as notify
from accord.policy import service as policies

if TYPE_CHECKING:
    from accord.runtime import Runtime


@dataclass(frozen=True)
class ApplicationView:
    """An application as its viewer sees it: the replayed state, its events, and what its form still lacks."""

    id: int
    dataset_slug: str
    dataset_title: str
    state: workflow.Application
    events: list[workflow.Event]
    missing_fields: list[str]
    applicant_email: str
    actions: list[str]  # what the viewer may do next: the web shows these buttons, nothing else decides
    # What the requirements other domains provide still need (a training certificate, ...), in words.
    needed: list[requirements.Need] = field(default_factory=list)
    grant: entitlements.GrantState | None = None  # what became of the access an approval granted (revoked, expired ...)


def is_reviewer(user: User | None, dataset_id: int) -> bool:
    return identity.has_role(user, "reviewer", dataset_id=dataset_id) or identity.has_role(
        user, "curator", dataset_id=dataset_id
    )


def visible(loaded: Loaded, user: User) -> None:
    """Only the applicant and the dataset's reviewers know the application exists, and reviewers only once it
    was submitted: a draft (and its scan) is the applicant's alone. Everyone else is told it does not exist."""
    if loaded.row.applicant_id == user.id:
        return
    if loaded.state.submitted_at is None or not is_reviewer(user, loaded.row.dataset_id):
        raise NotFound(f"no application {loaded.id}")


def applicant_only(loaded: Loaded, user: User, doing: str) -> None:
    visible(loaded, user)
    if loaded.row.applicant_id != user.id:
        raise PermissionDenied(f"only the applicant can {doing} this application")


def reviewer_only(loaded: Loaded, user: User) -> None:
    """Whoever may not read the application hears that it does not exist, as when reading it: a 403 here
    would tell a reviewer of another dataset which application numbers are taken."""
    visible(loaded, user)
    if not is_reviewer(user, loaded.row.dataset_id) or loaded.row.applicant_id == user.id:
        raise PermissionDenied("applicants cannot decide on their own application")


def view_of(db: Session, loaded: Loaded, viewer: User) -> ApplicationView:
    ds = catalog.dataset_by_id(db, loaded.row.dataset_id)
    terms = policies.get(db, ds.id, loaded.row.policy_version)
    applicant = identity.user_by_id(db, loaded.row.applicant_id)
    return ApplicationView(
        loaded.id,
        ds.slug,
        ds.title,
        loaded.state,
        list(loaded.events),
        form.missing_fields(terms.policy, loaded.state.answers),
        applicant.email,
        actions(loaded, viewer),
        requirements.still_needed(db, loaded.id, terms.policy),
        entitlements.grant_state_of(db, loaded.id),
    )


def actions(loaded: Loaded, viewer: User) -> list[str]:
    """The commands `workflow` would accept from this viewer now (each decide_* is tried, nothing stored)."""
    s, me, now = loaded.state, viewer.id, utcnow()
    probes: dict[str, Callable[[], workflow.Event]] = {}
    if loaded.row.applicant_id == me:
        probes |= {
            "save": lambda: workflow.decide_save(s, actor=me, answers={}, at=now),
            "sign": lambda: workflow.decide_sign(
                s, actor=me, full_name="probe", consent=True, document_sha256="", at=now
            ),
            "submit": lambda: workflow.decide_submit(s, actor=me, at=now),
            "withdraw": lambda: workflow.decide_withdraw(s, actor=me, at=now),
        }
    if is_reviewer(viewer, loaded.row.dataset_id) and loaded.row.applicant_id != me:
        probes |= {
            "approve": lambda: workflow.decide_approve(s, actor=me, at=now),
            "reject": lambda: workflow.decide_reject(s, actor=me, reason="probe", at=now),
            "return": lambda: workflow.decide_return(s, actor=me, comment="probe", at=now),
        }
    allowed: list[str] = []
    for name, probe in probes.items():
        try:
            probe()
        except AccordError:
            continue
        allowed.append(name)
    return allowed


def terms_of(db: Session, loaded: Loaded) -> policies.Terms:
    return policies.get(db, loaded.row.dataset_id, loaded.row.policy_version)


def mail(db: Session, template: str, loaded: Loaded, **context: Any) -> None:
    applicant = identity.user_by_id(db, loaded.row.applicant_id)
    ds = catalog.dataset_by_id(db, loaded.row.dataset_id)
    notify.enqueue(
        db,
        template,
        to=applicant.email,
        name=applicant.name,
        dataset=ds.title,
        slug=ds.slug,
        application_id=loaded.id,
        custodian=ds.custodian_short or ds.custodian,
        custodian_contact=ds.custodian_contact,
        **context,
    )


def agreement_of(db: Session, loaded: Loaded) -> Agreement:
    ds = catalog.dataset_by_id(db, loaded.row.dataset_id)
    applicant = identity.user_by_id(db, loaded.row.applicant_id)
    return form.build_agreement(
        terms_of(db, loaded),
        slug=ds.slug,
        title=ds.title,
        answers=loaded.state.answers,
        applicant_email=applicant.email,
        signatory=loaded.state.signatory,
    )


def seal_and_store(rt: Runtime, pdf: bytes) -> str:
    """Seal with the platform certificate and store by hash, before the caller commits: a rolled-back signing
    leaves an unreferenced blob, never a missing one."""
    from accord import signing
    from accord.access import sealing

    sealed = sealing.seal(pdf, signing.platform_keys(rt.settings.data_dir))
    sha = hashlib.sha256(sealed).hexdigest()
    rt.store.put_bytes(sha, sealed)
    return sha
