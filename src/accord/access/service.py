"""Applications for datasets: the door. Start, fill in, sign, submit, withdraw (access/applicant.py); approve,
reject, return, and approval once a requirement is met (access/decisions.py); follow (here). What the adapters and
other domains use of access's own modules is re-exported from this module.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.access import scan, sealing, signatory, tallies, workflow
from accord.access.agreement import Agreement as Agreement
from accord.access.applicant import agreement as agreement
from accord.access.applicant import agreement_pdf as agreement_pdf
from accord.access.applicant import confirm_email as confirm_email
from accord.access.applicant import save as save
from accord.access.applicant import sign as sign
from accord.access.applicant import start as start
from accord.access.applicant import submit as submit
from accord.access.applicant import verify_email as verify_email
from accord.access.applicant import withdraw as withdraw
from accord.access.common import ApplicationView as ApplicationView
from accord.access.common import applicant_only as applicant_only
from accord.access.common import is_reviewer as is_reviewer
from accord.access.common import view_of, visible
from accord.access.decisions import approve as approve
from accord.access.decisions import reject as reject
from accord.access.decisions import requirement_met as requirement_met
from accord.access.decisions import return_for_changes as return_for_changes
from accord.access.digest import set_review_mail as set_review_mail
from accord.access.events import load as load
from accord.access.facts import MAX_SCAN_BYTES as MAX_SCAN_BYTES
from accord.access.facts import TERMINAL as TERMINAL
from accord.access.facts import Facts as Facts
from accord.access.facts import Status as Status
from accord.access.facts import datasets_applied_for as datasets_applied_for
from accord.access.facts import facts as facts
from accord.access.facts import reviewers_of as reviewers_of
from accord.access.facts import sniff as sniff
from accord.access.form import SIGNATORY_FIELDS as SIGNATORY_FIELDS
from accord.access.history import seen_by_reviewer
from accord.access.models import Application
from accord.access.queue import MAX_DAYS as MAX_DAYS
from accord.access.queue import MAX_PAGE as MAX_PAGE
from accord.access.queue import MAX_PER_PAGE as MAX_PER_PAGE
from accord.access.queue import STATUSES as STATUSES
from accord.access.queue import QueuePage as QueuePage
from accord.access.queue import QueueRow as QueueRow
from accord.access.queue import bulk_decide as bulk_decide
from accord.access.queue import current_application as current_application
from accord.access.queue import open_application as open_application
from accord.access.queue import people as people
from accord.access.queue import review_queue as review_queue
from accord.access.queue import reviewed_choices as reviewed_choices
from accord.access.queue import reviewed_datasets as reviewed_datasets
from accord.access.queue import reviews_any as reviews_any
from accord.access.queue import typical_decision_time as typical_decision_time
from accord.access.renewal import renew as renew
from accord.access.renewal import renewable as renewable
from accord.access.renewal import require_renewable as require_renewable
from accord.access.schemas import ApplicationRow
from accord.access.sealing import require_pdf as require_pdf
from accord.entitlements import service as entitlements
from accord.identity.models import User

# Re-exported under the door's names. Assigned, since the type checker counts a renamed import as private.
earlier_revocations = seen_by_reviewer
SCAN_SUFFIXES = scan.SUFFIXES
scan_file_name = scan.file_name
may_upload_scan = scan.may_upload
stored_scan = scan.stored
upload_scan = scan.upload
verify_seal = sealing.verify
signatory_decide = signatory.decide
signatory_invitation = signatory.view
# Counted for the custodian's dashboard (access/tallies.py)
OUTCOMES = tallies.OUTCOMES
DecisionSpread = tallies.Spread
outcomes_by_week = tallies.outcomes_by_week
decision_times = tallies.decision_times
licensee_origins = tallies.licensee_origins

# --- reading ---------------------------------------------------------------------------------------------


def get(db: Session, app_id: int, *, viewer: User) -> ApplicationView:
    """One application with its timeline, for its applicant or a reviewer of its dataset."""
    loaded = load(db, app_id)
    visible(loaded, viewer)
    return view_of(db, loaded, viewer)


def history(db: Session, app_id: int) -> list[workflow.Event]:
    """The events of an application, oldest first (its timeline)."""
    return load(db, app_id).events


def mine(db: Session, user: User) -> list[ApplicationRow]:
    """The user's own applications, newest first, each with what became of the access it granted."""
    from accord.catalog.models import Dataset

    rows = db.execute(
        select(Application, Dataset.slug)
        .join(Dataset, Dataset.id == Application.dataset_id)
        .where(Application.applicant_id == user.id)
        .order_by(Application.id.desc())
    ).all()
    grants = entitlements.grant_states_of(db, [app.id for app, _ in rows])  # one query for all of them
    return [ApplicationRow.of(app, slug, grants.get(app.id)) for app, slug in rows]
