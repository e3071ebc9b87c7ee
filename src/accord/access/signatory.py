"""The signatory with legal authority (CION-AL's rule): invited by e-mail, reads the agreement, signs or declines.

The link is `<app id>.<random>`; only the random part's hash is kept, in the `signatory_invited` event with its
expiry. A link stops working when it expires, when a newer invitation replaces it, and once it was used (the
application has left `awaiting_signatory`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from accord.access import digest, workflow
from accord.access.agreement import Agreement, Signature, render_pdf
from accord.access.common import agreement_of, mail, seal_and_store
from accord.access.events import Loaded, append, load
from accord.audit import service as audit
from accord.catalog import service as catalog
from accord.db import unit_of_work, utcnow
from accord.errors import IllegalTransition, InvalidInput, PermissionDenied
from accord.identity.models import User
from accord.notify import service as notify

if TYPE_CHECKING:
    from accord.runtime import Runtime

LINK_TTL = timedelta(days=14)


class SignatoryLinkInvalid(PermissionDenied): ...


def _sha(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def invite(db: Session, loaded: Loaded, *, base_url: str, at: datetime, actor: User | None = None) -> None:
    """Inside the caller's transaction: record the invitation and e-mail the signatory their link."""
    secret = secrets.token_urlsafe(24)
    event = workflow.decide_invite_signatory(loaded.state, actor=getattr(actor, "id", None), at=at)
    append(
        db,
        loaded,
        replace(event, data={**event.data, "token_sha256": _sha(secret), "expires_at": (at + LINK_TTL).isoformat()}),
    )
    person = loaded.state.signatory or {}
    ds = catalog.dataset_by_id(db, loaded.row.dataset_id)
    notify.enqueue(
        db,
        "signatory-invited",
        to=person.get("email", ""),
        name=person.get("name", ""),
        dataset=ds.title,
        applicant=loaded.state.answers.get("name", ""),
        organisation=loaded.state.answers.get("organisation", ""),
        link=f"{base_url.rstrip('/')}/signatory/{loaded.id}.{secret}",
        days=LINK_TTL.days,
    )
    audit.record(
        db,
        actor=actor,
        action="application.signatory_invited",
        object=("application", loaded.id),
        data={"email": person.get("email")},
        dataset=loaded.row.dataset_id,
    )


def _open(db: Session, token: str, *, now: datetime) -> Loaded:
    app_part, _, secret = (token or "").partition(".")
    if not app_part.isdigit() or not secret:
        raise SignatoryLinkInvalid("this signing link is not valid")
    try:
        loaded = load(db, int(app_part))
    except Exception:
        raise SignatoryLinkInvalid("this signing link is not valid") from None
    invites = [e for e in loaded.events if e.kind is workflow.Kind.signatory_invited]
    if not invites or not hmac.compare_digest(invites[-1].data.get("token_sha256", ""), _sha(secret)):
        raise SignatoryLinkInvalid("this signing link is not valid (it may have been replaced by a newer one)")
    if loaded.state.status is not workflow.Status.awaiting_signatory:
        raise SignatoryLinkInvalid("this signing link was already used; the application has moved on")
    if datetime.fromisoformat(invites[-1].data["expires_at"]) <= now:
        raise SignatoryLinkInvalid("this signing link has expired; ask the applicant to send a new one")
    return loaded


@dataclass(frozen=True)
class Invitation:
    application_id: int
    dataset_title: str
    applicant: str
    signatory: dict[str, Any]
    agreement: Agreement


def view(db: Session, token: str, *, now: datetime | None = None) -> Invitation:
    """What the signatory reads before deciding."""
    loaded = _open(db, token, now=now or utcnow())
    doc = agreement_of(db, loaded)
    return Invitation(
        loaded.id, doc.dataset_title, loaded.state.answers.get("name", ""), loaded.state.signatory or {}, doc
    )


def decide(
    rt: Runtime,
    db: Session,
    token: str,
    *,
    sign: bool,
    full_name: str = "",
    consent: bool = False,
    reason: str = "",
    now: datetime | None = None,
) -> workflow.Application:
    """Countersign (the agreement is sealed again with both signatures) or decline (back to the applicant)."""
    now = now or utcnow()
    with unit_of_work(db):
        loaded = _open(db, token, now=now)
        if sign and not consent:
            raise InvalidInput(
                "tick the box to confirm you have authority to sign and agree to every clause", field="consent"
            )
        doc = agreement_of(db, loaded)
        event = workflow.decide_signatory(
            loaded.state, sign=sign, full_name=full_name, at=now, reason=reason, document_sha256=doc.sha256
        )
        if sign:
            applicant_sig = loaded.state.signature or {}
            if applicant_sig.get("document_sha256") != doc.sha256:
                raise IllegalTransition(
                    "the application changed after the applicant signed; it cannot be countersigned"
                )
            signed_at = next(e.at for e in reversed(loaded.events) if e.kind is workflow.Kind.signed)
            title = (loaded.state.signatory or {}).get("title") or "Signatory"
            pdf = render_pdf(
                doc,
                signatures=[
                    Signature(applicant_sig["full_name"], signed_at),
                    Signature(event.data["full_name"], now, role=f"Signatory ({title})"),
                ],
            )
            pdf_sha = seal_and_store(rt, pdf)
            event = replace(event, data={**event.data, "pdf_sha256": pdf_sha})
        append(db, loaded, event)
        audit.record(
            db,
            actor=(loaded.state.signatory or {}).get("email") or "signatory",
            action="application.countersigned" if sign else "application.signatory_declined",
            object=("application", loaded.id),
            data={"reason": reason.strip()} if not sign else {},
            dataset=loaded.row.dataset_id,
        )
        if sign:
            mail(db, "application-countersigned", loaded, signatory=event.data["full_name"])
            if loaded.state.status is workflow.Status.submitted:  # now it waits for them
                digest.tell_reviewers(db, loaded.row, base_url=rt.settings.base_url)
        else:
            mail(db, "application-returned", loaded, comment=loaded.state.reason)
    return loaded.state
