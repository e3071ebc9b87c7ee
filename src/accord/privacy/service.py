"""The privacy desk: a data subject's removal request, from proof to the deletion notices it sends. This module
is the package's door; the work is done in

- requests.py: the public side (submit, prove by a one-use link, follow by a private link), rate-limited;
- desk.py: the curators' queue with its legal clock, finding the files, the decision and the cut version;
- thumbs.py: previews of the files found, for the curator;
- faces.py, vectors.py, index.py: the photo search's index of every image blob (perceptual hash, faces found
  by CenterFace, dlib embeddings) and its search; photos.py: the search at the desk (the requester's photo is
  deleted once it ran); jobs.py: the index job, queued when a version is published;
- notices.py: what each licensee must delete (exactly what their download log shows they received), their
  attestation, reminders, and the pause of access while a notice is overdue where the terms say so;
- consent.py and consent_withdrawal.py: the consent registry (records per subject label, imported from CSV, the
  scanned forms, which labels lack consent) and withdrawal by the subject's private link, which opens a request;
- anonymise.py (the service), anonymise_run.py (the job's loop and the report), pool.py (in process, a local
  pool or Dask), blur.py (one image) and contact_sheet.py: a published version anonymised into a new draft.
"""

from __future__ import annotations

from accord.privacy import anonymise as _anonymise
from accord.privacy import anonymise_run as _anonymise_run
from accord.privacy import blur as _blur
from accord.privacy import contact_sheet as _contact_sheet
from accord.privacy.consent import MAX_CSV_BYTES as MAX_CSV_BYTES
from accord.privacy.consent import MAX_FORM_BYTES as MAX_FORM_BYTES
from accord.privacy.consent import Coverage as Coverage
from accord.privacy.consent import ImportReport as ImportReport
from accord.privacy.consent import attach_form as attach_form
from accord.privacy.consent import coverage as coverage
from accord.privacy.consent import form_of as form_of
from accord.privacy.consent import import_csv as import_csv
from accord.privacy.consent import record_of as record_of
from accord.privacy.consent import records as records
from accord.privacy.consent_withdrawal import Withdrawn as Withdrawn
from accord.privacy.consent_withdrawal import consent_by_link as consent_by_link
from accord.privacy.consent_withdrawal import withdraw as withdraw
from accord.privacy.consent_withdrawal import withdraw_for as withdraw_for
from accord.privacy.desk import REMOVED as REMOVED
from accord.privacy.desk import Match as Match
from accord.privacy.desk import QueueRow as QueueRow
from accord.privacy.desk import accept as accept
from accord.privacy.desk import add_candidates as add_candidates
from accord.privacy.desk import decline as decline
from accord.privacy.desk import escalate as escalate
from accord.privacy.desk import get as get
from accord.privacy.desk import match_item as match_item
from accord.privacy.desk import matches as matches
from accord.privacy.desk import queue as queue
from accord.privacy.desk import require_any_desk as require_any_desk
from accord.privacy.desk import require_desk as require_desk
from accord.privacy.desk import search as search
from accord.privacy.desk import select_matches as select_matches
from accord.privacy.faces import open_image as open_image
from accord.privacy.index import SearchResult as SearchResult
from accord.privacy.index import index_version as index_version
from accord.privacy.index import unindexed as unindexed
from accord.privacy.notices import ATTESTATION as ATTESTATION
from accord.privacy.notices import Overdue as Overdue
from accord.privacy.notices import attest as attest
from accord.privacy.notices import notice as notice
from accord.privacy.notices import notices_for as notices_for
from accord.privacy.notices import open_notices as open_notices
from accord.privacy.notices import overdue_notices as overdue_notices
from accord.privacy.notices import remind as remind
from accord.privacy.photos import PhotoSearched as PhotoSearched
from accord.privacy.photos import photo_search as photo_search
from accord.privacy.requests import MAX_PHOTO_BYTES as MAX_PHOTO_BYTES
from accord.privacy.requests import LinkInvalid as LinkInvalid
from accord.privacy.requests import Submitted as Submitted
from accord.privacy.requests import follow as follow
from accord.privacy.requests import prove as prove
from accord.privacy.requests import requests_from as requests_from
from accord.privacy.requests import stages as stages
from accord.privacy.requests import submit as submit
from accord.privacy.thumbs import thumbnail as thumbnail

# anonymisation, under names that say so beside the desk's
cancel_anonymisation = _anonymise.cancel
anonymised_file = _anonymise.file_of
anonymised_files = _anonymise.files
anonymisation = _anonymise.get
anonymised_image = _anonymise.image
anonymisation_options = _anonymise.options_from
privacy_reports = _anonymise.public_reports
resume_anonymisation = _anonymise.resume
review_anonymised_file = _anonymise.review
anonymisations_of = _anonymise.runs_of
start_anonymisation = _anonymise.start
anonymisation_stalled = _anonymise.stalled
anonymisation_summary = _anonymise_run.summary
BlurOptions = _blur.Options
contact_sheet = _contact_sheet.render
