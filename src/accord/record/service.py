"""A person's own record: everything Accord holds about the signed-in user, on one page and as JSON (GDPR
Art. 15, the right of access): applications, grants, downloads, deletion notices, removal requests, mail,
training certificates, requests for approval, derivatives, publications and the account's history. Each piece
comes through its domain's door.

Only the user's own: there is no argument naming anyone else, so no route can ask for another's record. What
is keyed by an e-mail address rather than the account (mail sent to it, removal requests made from it) is
included once the address is confirmed: anyone may register with an address that is not theirs. Mail about
others' business (a review to do, an overdue request) is listed by kind and time, without its text, and the
account's history says "staff" rather than naming who acted.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from accord import plugins
from accord.access import service as access
from accord.audit import service as audit
from accord.catalog import service as catalog
from accord.db import utcnow
from accord.delivery import service as delivery
from accord.entitlements import service as entitlements
from accord.identity.models import User
from accord.notify import service as notify
from accord.obligations import service as obligations
from accord.privacy import service as privacy
from accord.record import schemas as s
from accord.training import service as training

MACHINE_ACTORS = frozenset({"cli", "jobs", "system", "demo"})  # the shell, the job worker, the schedules
# Mail a person gets for work on others' applications, requests or the log: the record says it came, not what
# it says (it names the others).
ABOUT_OTHERS = frozenset(
    {
        "application-to-review",
        "application-overdue",
        "review-digest",
        "training-to-review",
        "removal-to-review",
        "removal-overdue",
        "signatory-invited",
        "obligation-to-review",
        "audit-checkpoint",
        "audit-altered",
    }
)


def of(db: Session, user: User) -> s.Record:
    """The signed-in user's record, whole."""
    grants = entitlements.held_by(db, user)
    notices = privacy.notices_for(db, user)
    certificates = training.mine(db, user)
    confirmed = user.email_verified_at is not None
    requests = privacy.requests_from(db, user.email) if confirmed else []
    totals, downloads = delivery.downloaded_by(db, user.id), delivery.downloads_of(db, user.id)
    asked, made = obligations.approvals_of(db, user), obligations.derivatives_of(db, user)
    papers = obligations.publications_of(db, user)
    slugs = catalog.slugs(
        db,
        {g.dataset_id for g in grants}
        | {n.dataset_id for n in notices}
        | {r.dataset_id for r in requests}
        | {c.dataset_id for c in certificates if c.dataset_id is not None}
        | {a.dataset_id for a in asked}
        | {d.dataset_id for d in made}
        | {p.dataset_id for p in papers},
    )
    versions = catalog.version_labels(
        db,
        {g.version_id for g in grants if g.version_id}
        | {d.version_id for d in totals if d.version_id}
        | {d.version_id for d in made}
        | {p.version_id for p in papers if p.version_id},
    )
    return s.Record(
        generated_at=utcnow(),
        account=s.Account(
            email=user.email,
            name=user.name,
            created_at=user.created_at,
            email_confirmed_at=user.email_verified_at,
            roles=catalog.role_labels(db, user),
        ),
        address_confirmed=confirmed,
        applications=access.mine(db, user),
        grants=_grants(db, grants, slugs, versions),
        downloads_by_version=[
            s.DownloadTotal(
                dataset=versions.get(d.version_id, (None, None))[0] if d.version_id else None,
                version=versions.get(d.version_id, (None, None))[1] if d.version_id else None,
                responses=d.responses,
                bytes=d.bytes,
                first_at=d.first_at,
                last_at=d.last_at,
            )
            for d in totals
        ],
        downloads=[
            s.Download(
                at=d.at,
                dataset=versions.get(d.version_id, (None, None))[0] if d.version_id else None,
                version=versions.get(d.version_id, (None, None))[1] if d.version_id else None,
                object=d.object,
                offset=d.offset,
                bytes=d.bytes,
                stopped=d.stopped,
            )
            for d in downloads
        ],
        deletion_notices=[
            s.Notice(
                id=n.id,
                dataset=slugs.get(n.dataset_id),
                kind=n.kind,
                files=len(n.files),
                created_at=n.created_at,
                due_at=n.due_at,
                reminded_at=n.reminded_at,
                attested_at=n.attested_at,
            )
            for n in notices
        ],
        removal_requests=[
            s.RemovalRequest(
                id=r.id,
                dataset=slugs.get(r.dataset_id),
                status=r.status,
                what=r.what,
                why=r.why,
                created_at=r.created_at,
                proven_at=r.proven_at,
                decided_at=r.decided_at,
                decision_reason=r.decision_reason,
                removed_count=r.removed_count,
            )
            for r in requests
        ],
        mail=_mail(db, user) if confirmed else [],
        training_certificates=[
            s.Certificate(
                id=c.id,
                dataset=slugs.get(c.dataset_id) if c.dataset_id is not None else None,
                application_id=c.application_id,
                course=c.course,
                completed_on=c.completed_on,
                expires_on=c.expires_on,
                status=c.status,
                filename=c.filename,
                uploaded_at=c.uploaded_at,
                reviewed_at=c.reviewed_at,
                reject_reason=c.reject_reason,
            )
            for c in certificates
        ],
        approval_requests=[
            s.ApprovalRequest(
                id=a.id,
                dataset=slugs.get(a.dataset_id),
                kind=a.kind,
                description=a.description,  # the named party's own address is theirs, not in this record
                unit=a.unit,
                networks=list(a.networks),
                status=a.status,
                conditions=a.conditions,
                granted_networks=list(a.granted_networks),
                decision_note=a.decision_note,
                created_at=a.created_at,
                decided_at=a.decided_at,
            )
            for a in asked
        ],
        derivatives=[
            s.Derivative(
                id=d.id,
                dataset=slugs.get(d.dataset_id),
                version=versions[d.version_id][1] if d.version_id in versions else None,
                kind=d.kind,
                title=d.title,
                location=d.location,
                licence=d.licence,
                status=d.status,
                listed=d.listed,
                decision_note=d.decision_note,
                created_at=d.created_at,
                decided_at=d.decided_at,
            )
            for d in made
        ],
        publications=[
            s.Publication(
                id=p.id,
                dataset=slugs.get(p.dataset_id),
                version=versions[p.version_id][1] if p.version_id in versions else None,
                title=p.title,
                doi=p.doi,
                arxiv=p.arxiv,
                year=p.year,
                venue=p.venue,
                created_at=p.created_at,
            )
            for p in papers
        ],
        account_history=[
            s.AccountEvent(at=e.at, action=e.action, by=_by(e.actor_id, e.actor, user))
            for e in audit.about_user(db, user.id)
        ],
        more=[section for add in plugins.provided("record.sections") if (section := add(db, user)) is not None],
    )


def _grants(db: Session, grants, slugs: dict[int, str], versions: dict[int, tuple[str, str]]) -> list[s.Grant]:
    states = entitlements.states_of_grants(db, grants)
    return [
        s.Grant(
            id=g.id,
            dataset=slugs.get(g.dataset_id, str(g.dataset_id)),
            version=versions[g.version_id][1] if g.version_id in versions else None,
            application_id=g.application_id,
            policy_version=g.policy_version,
            unit=g.unit,
            networks=list(g.networks),
            starts_at=g.starts_at,
            expires_at=g.expires_at,
            revoked_at=g.revoked_at,
            revoke_reason=g.revoke_reason,
            standing=g.standing,
            standing_reason=g.standing_reason,
            state=states[g.id],
        )
        for g in reversed(grants)  # newest first, as every other list here
    ]


def _mail(db: Session, user: User) -> list[s.Mail]:
    out = []
    for m in notify.messages_to(db, user.email):
        private = m.template in ABOUT_OTHERS
        out.append(
            s.Mail(
                created_at=m.created_at,
                sent_at=m.sent_at,
                template=m.template,
                subject=None if private else m.subject,
                text=None if private else m.text_body,
            )
        )
    return out


def _by(actor_id: int | None, actor: str, user: User) -> str:
    if actor_id == user.id:
        return "you"
    if actor_id is not None:
        return "staff"
    if actor in MACHINE_ACTORS:
        return "the platform"
    return "someone not signed in"  # a failed sign-in names the address typed, whoever typed it
