"""The route authorization matrix: every route, asked by every kind of user, answers as this table says.

A new route fails `test_every_route_is_in_the_authorization_table` until it is added to EXPECT below:
decide who may use it, add one line, and the matrix test checks it against the running app.
"""

from __future__ import annotations

import time

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Route

from accord.access import service as access
from accord.catalog import service as catalog
from accord.db import unit_of_work, utcnow
from accord.delivery import links
from accord.entitlements import service as entitlements
from accord.http.deps import session_csrf
from accord.identity import service as identity
from accord.jobs import service as jobs
from accord.policy import service as policies
from accord.policy.io import seed
from tests.access.helpers import answers
from tests.conftest import make_settings
from tests.identity.helpers import PASSWORD, make_user
from tests.jobs.archives import image_zip
from tests.jobs.catalogue import published_dataset

ROLES = ("anonymous", "applicant", "curator", "dataset_curator", "admin", "newcomer", "other_licensee")
# "applicant" also holds a grant of the matrix's version 1.0: it is that version's licensee. Two roles are asked
# only where a line names them: "newcomer" applied for demo-ds (a draft of its own) and holds no grant;
# "other_licensee" holds a grant of demo-ds's version 2.0 only, not of the matrix's 1.0.
NAMED_ONLY = ("newcomer", "other_licensee")
OK, LOGIN, FORBIDDEN, HIDDEN = "ok", "login", "forbidden", "hidden"

PUBLIC = dict.fromkeys(ROLES, OK)
USERS = {"anonymous": LOGIN, "applicant": OK, "curator": OK, "admin": OK}
CURATORS = {"anonymous": LOGIN, "applicant": FORBIDDEN, "curator": OK, "admin": OK}
ADMINS = {"anonymous": LOGIN, "applicant": FORBIDDEN, "curator": FORBIDDEN, "admin": OK}
# The matrix's application belongs to "applicant"; the global curator and the admin review every dataset.
# A stranger to an application gets 404 (tests/access/test_api.py).
APPLICANT_ONLY = {"anonymous": LOGIN, "applicant": OK, "curator": FORBIDDEN, "admin": FORBIDDEN}
REVIEWERS_OF_IT = {"anonymous": LOGIN, "applicant": HIDDEN, "curator": OK, "admin": OK}
CREATOR_OR_ADMIN = {"anonymous": LOGIN, "applicant": HIDDEN, "curator": HIDDEN, "admin": OK}  # admin's job

# A version's file list (manifest, items: paths, sha256, subject labels) is for its licensees and the dataset's
# curators; the version is listed publicly, so others are told to log in or apply (entitlements.require_file_list).
FILE_LIST = {
    "anonymous": LOGIN,
    "applicant": OK,
    "curator": OK,
    "admin": OK,
    "newcomer": FORBIDDEN,
    "other_licensee": FORBIDDEN,
}
# The matrix's application is submitted; a stranger to it hears "no such application", whether reading or deciding.
STRANGER_HIDDEN = {"newcomer": HIDDEN, "other_licensee": HIDDEN}

# "dataset_curator" curates demo-ds only (no grant, no global role): a route's line needs no entry for it when it
# answers as for the global "curator"; where it differs, DATASET_CURATOR below says how.
DATASET_CURATOR: dict[tuple[str, str], str] = {
    ("POST", "/admin/datasets"): FORBIDDEN,  # creating datasets is for global curators
    ("POST", "/api/v1/datasets"): FORBIDDEN,
    # it holds no grant (the global curator holds the spare one)
    ("POST", "/api/v1/entitlements/{entitlement_id}/reaccept"): FORBIDDEN,
    ("GET", "/datasets/{slug}/terms/accept"): HIDDEN,
    ("POST", "/datasets/{slug}/terms/accept"): HIDDEN,
    ("GET", "/api/v1/datasets/{slug}/versions/{label}/files"): FORBIDDEN,
    ("GET", "/datasets/{slug}/download"): FORBIDDEN,
    ("POST", "/api/v1/datasets/{slug}/renewal"): HIDDEN,
    ("GET", "/api/v1/datasets/{slug}/entitlement"): HIDDEN,
    ("POST", "/datasets/{slug}/renew"): HIDDEN,
    ("POST", "/datasets/{slug}/training"): FORBIDDEN,
    ("POST", "/api/v1/training"): FORBIDDEN,
    # the matrix's certificate is the applicant's (who applied for demo-ds too, so it may read it), for train-ds,
    # which it does not review: deciding it is refused
    ("POST", "/training/{cert_id}/accept"): FORBIDDEN,
    ("POST", "/training/{cert_id}/reject"): FORBIDDEN,
    ("POST", "/api/v1/training/{cert_id}/accept"): FORBIDDEN,
    ("POST", "/api/v1/training/{cert_id}/reject"): FORBIDDEN,
    ("POST", "/datasets/{slug}/publications"): FORBIDDEN,  # it never held access
    ("POST", "/api/v1/datasets/{slug}/publications"): FORBIDDEN,
}

# The e-mailed link is the credential; the matrix holds no valid link, so everyone is refused.
LINK_ONLY = dict.fromkeys(ROLES, FORBIDDEN)
# The matrix's removal request is about demo-ds: its curators and the admins see it; to anyone else it does not
# exist. Its deletion notice is the applicant's: curators of the dataset may read it, only the applicant attests.
DESK = {"anonymous": LOGIN, "applicant": HIDDEN, "curator": OK, "admin": OK}
NOTICE_READ = {"anonymous": LOGIN, "applicant": OK, "curator": OK, "admin": OK, "newcomer": HIDDEN}
NOTICE_ATTEST = {"anonymous": LOGIN, "applicant": OK, "curator": HIDDEN, "admin": HIDDEN, "dataset_curator": HIDDEN}

# What a licensee declares, asks or registers: under a grant in force of theirs (other_licensee holds one of 2.0).
UNDER_A_GRANT = {
    "anonymous": LOGIN,
    "applicant": OK,
    "curator": FORBIDDEN,
    "admin": FORBIDDEN,
    "newcomer": FORBIDDEN,
    "other_licensee": OK,
}
# The dataset's reviewers and curators see a licensee's declaration but only its author withdraws it; to other
# licensees it does not exist. Deciding is the other way round.
THEIRS_TO_WITHDRAW = {"anonymous": LOGIN, "applicant": OK, "curator": FORBIDDEN, "admin": FORBIDDEN, "newcomer": HIDDEN}
SEEN_BY_IT = {"anonymous": LOGIN, "applicant": OK, "curator": OK, "admin": OK, "newcomer": HIDDEN}
ANSWERS = {"anonymous": LOGIN, "applicant": FORBIDDEN, "curator": OK, "admin": OK, "newcomer": HIDDEN}


@pytest.fixture
def settings(tmp_path, oidc_provider):
    """The site signs in through a real OIDC provider too, so its routes answer as in use."""
    return make_settings(tmp_path, oidc_providers=[oidc_provider.settings("uni")])


SKIP = ("/static", "/docs/oauth2-redirect", "/api/v1/openapi.json")

# "ok": allowed (any answer but 401/403/404, a login redirect or a crash; 422 for an empty body is fine).
# "login": 401, or 303 to /login. "forbidden": 403. "hidden": 404 (exists, but not for this user).
EXPECT: dict[tuple[str, str], dict[str, str]] = {
    # accounts (web)
    ("GET", "/register"): PUBLIC,
    ("POST", "/register"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    # signing in through an OIDC provider (its issuer does not answer here: the start page says so)
    ("GET", "/login/oidc/{provider_name}"): PUBLIC,
    ("GET", "/login/oidc/{provider_name}/callback"): PUBLIC,  # 400 without a sign-in of this browser's
    ("POST", "/account/oidc/{provider_name}/link"): USERS,
    ("GET", "/verify-email"): PUBLIC,
    ("POST", "/verify-email/resend"): USERS,
    ("GET", "/account"): USERS,
    ("POST", "/account/tokens"): USERS,
    ("POST", "/account/review-mail"): USERS,
    ("POST", "/account/tokens/{token_id}/revoke"): USERS,
    ("POST", "/account/password"): USERS,
    ("GET", "/admin/outbox"): ADMINS,
    # accounts (API)
    ("GET", "/api/v1/users/me"): USERS,
    ("PUT", "/api/v1/users/me/review-mail"): USERS,
    ("GET", "/api/v1/review-queue"): CURATORS,  # reviewers and curators (the matrix's curator is global)
    ("GET", "/api/v1/tokens"): USERS,
    ("POST", "/api/v1/tokens"): USERS,
    ("GET", "/api/v1/tokens/{token_id}"): USERS,
    ("DELETE", "/api/v1/tokens/{token_id}"): USERS,
    ("POST", "/api/v1/auth/token"): PUBLIC,
    # catalogue (web)
    ("GET", "/"): PUBLIC,
    ("GET", "/datasets"): PUBLIC,
    ("GET", "/api/docs"): PUBLIC,  # the API explorer (Swagger UI); the API itself checks each call
    ("GET", "/datasets/{slug}"): PUBLIC,
    ("GET", "/datasets/{slug}/preview/{item_id}"): PUBLIC,
    # catalogue administration (web)
    ("GET", "/admin"): CURATORS,
    ("POST", "/admin/datasets"): CURATORS,
    ("GET", "/admin/datasets/{slug}"): CURATORS,
    ("POST", "/admin/datasets/{slug}/versions"): CURATORS,
    ("POST", "/admin/datasets/{slug}/versions/{label}/upload"): CURATORS,
    ("POST", "/admin/datasets/{slug}/versions/{label}/ingest-path"): ADMINS,  # reads the server's disk
    ("POST", "/admin/datasets/{slug}/versions/{label}/publish"): CURATORS,
    ("POST", "/admin/datasets/{slug}/versions/{label}/withdraw"): CURATORS,
    # catalogue (API)
    ("GET", "/api/v1/datasets"): PUBLIC,
    ("GET", "/api/v1/datasets/{slug}"): PUBLIC,
    ("GET", "/api/v1/datasets/{slug}/versions"): PUBLIC,
    ("GET", "/api/v1/datasets/{slug}/versions/{label}"): PUBLIC,
    ("GET", "/api/v1/datasets/{slug}/versions/{label}/items"): FILE_LIST,
    ("GET", "/api/v1/datasets/{slug}/versions/{label}/manifest"): FILE_LIST,
    ("GET", "/api/v1/signing-key"): PUBLIC,  # the certificate that signs manifests: anyone checks with it
    # exports of a published version: citations and the Croissant for all (its file manifest only for those who
    # may read the file list: tests/exports); the signed licence record is its licensee's (or, with ?licensee=,
    # any licensee's for curators): the applicant and the curator hold grants of 1.0, the rest none (404)
    ("GET", "/api/v1/datasets/{slug}/versions/{label}/export/bibtex"): PUBLIC,
    ("GET", "/api/v1/datasets/{slug}/versions/{label}/export/ris"): PUBLIC,
    ("GET", "/api/v1/datasets/{slug}/versions/{label}/export/cff"): PUBLIC,
    ("GET", "/api/v1/datasets/{slug}/versions/{label}/export/croissant"): PUBLIC,
    ("GET", "/api/v1/datasets/{slug}/versions/{label}/licence-record"): {
        "anonymous": LOGIN,
        "applicant": OK,
        "curator": OK,
        "admin": HIDDEN,
        "dataset_curator": HIDDEN,
        "newcomer": HIDDEN,
        "other_licensee": HIDDEN,
    },
    ("POST", "/api/v1/datasets"): CURATORS,
    ("POST", "/api/v1/datasets/{slug}/versions"): CURATORS,
    ("POST", "/api/v1/datasets/{slug}/versions/{label}/publish"): CURATORS,
    ("POST", "/api/v1/datasets/{slug}/versions/{label}/withdraw"): CURATORS,
    # access grants (API)
    ("GET", "/api/v1/entitlements"): USERS,
    ("GET", "/api/v1/datasets/{slug}/entitlements"): CURATORS,
    # my newest grant of it: the applicant and the curator hold one, the admin none
    ("GET", "/api/v1/datasets/{slug}/entitlement"): {
        "anonymous": LOGIN,
        "applicant": OK,
        "curator": OK,
        "admin": HIDDEN,
    },
    ("POST", "/api/v1/entitlements/{entitlement_id}/revoke"): CURATORS,
    # a revocation made permanent or lifted: the dataset's curators (a revoked grant of a user outside the matrix)
    ("POST", "/api/v1/entitlements/{entitlement_id}/permanent"): CURATORS,
    ("POST", "/api/v1/entitlements/{entitlement_id}/lift"): CURATORS,
    # the matrix's spare grant is the curator's: only its licensee may accept terms for it
    ("POST", "/api/v1/entitlements/{entitlement_id}/reaccept"): {
        "anonymous": LOGIN,
        "applicant": FORBIDDEN,
        "curator": OK,
        "admin": FORBIDDEN,
    },
    # licence terms (web): the curators' editor; re-acceptance for whoever holds a grant (the admin holds none)
    ("GET", "/admin/datasets/{slug}/terms"): CURATORS,
    ("POST", "/admin/datasets/{slug}/terms"): CURATORS,
    ("POST", "/admin/datasets/{slug}/terms/preview"): CURATORS,
    ("POST", "/admin/datasets/{slug}/terms/yaml"): CURATORS,
    ("GET", "/datasets/{slug}/terms/accept"): {"anonymous": LOGIN, "applicant": OK, "curator": OK, "admin": HIDDEN},
    ("POST", "/datasets/{slug}/terms/accept"): {"anonymous": LOGIN, "applicant": OK, "curator": OK, "admin": HIDDEN},
    # the signatory with legal authority (web)
    ("GET", "/signatory/{token}"): LINK_ONLY,
    ("POST", "/signatory/{token}"): LINK_ONLY,
    # licence terms (API)
    ("GET", "/api/v1/datasets/{slug}/policy"): PUBLIC,
    ("PUT", "/api/v1/datasets/{slug}/policy"): CURATORS,
    ("GET", "/api/v1/datasets/{slug}/policy/diff"): PUBLIC,
    ("GET", "/api/v1/datasets/{slug}/policy/duo"): PUBLIC,
    ("GET", "/api/v1/datasets/{slug}/policy/odrl"): PUBLIC,
    # applications (API)
    ("POST", "/api/v1/datasets/{slug}/applications"): USERS,
    ("GET", "/api/v1/applications"): USERS,
    ("GET", "/api/v1/applications/{app_id}"): USERS | STRANGER_HIDDEN,  # the applicant and reviewers; others 404
    ("GET", "/api/v1/applications/{app_id}/agreement.pdf"): USERS,
    # the matrix's application has no scan, so 404; who gets one: tests/access/test_scan.py
    ("GET", "/api/v1/applications/{app_id}/scan"): {"anonymous": LOGIN, **dict.fromkeys(ROLES[1:], HIDDEN)},
    ("PUT", "/api/v1/applications/{app_id}/answers"): APPLICANT_ONLY,
    ("POST", "/api/v1/applications/{app_id}/sign"): APPLICANT_ONLY,
    ("POST", "/api/v1/applications/{app_id}/scan"): APPLICANT_ONLY,
    ("POST", "/api/v1/applications/{app_id}/submit"): APPLICANT_ONLY,
    ("POST", "/api/v1/applications/{app_id}/withdraw"): APPLICANT_ONLY,
    ("POST", "/api/v1/applications/{app_id}/approve"): CURATORS | STRANGER_HIDDEN,
    ("POST", "/api/v1/applications/{app_id}/reject"): CURATORS | STRANGER_HIDDEN,
    ("POST", "/api/v1/applications/{app_id}/return"): CURATORS | STRANGER_HIDDEN,
    # downloads: the listing needs a grant (the applicant and the curator hold one, the admin none); a link is
    # its own credential, and refused when a different account is logged in
    ("GET", "/api/v1/datasets/{slug}/versions/{label}/files"): {
        "anonymous": LOGIN,
        "applicant": OK,
        "curator": OK,
        "admin": FORBIDDEN,
    },
    ("GET", "/dl/{link}"): {"anonymous": OK, "applicant": OK, "curator": FORBIDDEN, "admin": FORBIDDEN},
    ("GET", "/dl/{link}/{name}"): {"anonymous": OK, "applicant": OK, "curator": FORBIDDEN, "admin": FORBIDDEN},
    # the download page (web): a refusal is a 403 page saying why; revoking is for the dataset's curators
    ("GET", "/datasets/{slug}/download"): {"anonymous": LOGIN, "applicant": OK, "curator": OK, "admin": FORBIDDEN},
    ("POST", "/admin/datasets/{slug}/access/{entitlement_id}/revoke"): CURATORS,
    ("POST", "/admin/datasets/{slug}/access/{entitlement_id}/permanent"): CURATORS,
    ("POST", "/admin/datasets/{slug}/access/{entitlement_id}/lift"): CURATORS,
    # renewal starts an application for whoever holds a grant (the matrix's never end: 409); the admin holds none
    ("POST", "/api/v1/datasets/{slug}/renewal"): {"anonymous": LOGIN, "applicant": OK, "curator": OK, "admin": HIDDEN},
    ("POST", "/datasets/{slug}/renew"): {"anonymous": LOGIN, "applicant": OK, "curator": OK, "admin": HIDDEN},
    # applications (web): the applicant's pages; reviewers may read an application but not change it
    ("GET", "/datasets/{slug}/apply"): USERS,
    ("POST", "/datasets/{slug}/apply"): USERS,
    ("GET", "/applications"): USERS,
    ("GET", "/applications/{app_id}"): USERS | STRANGER_HIDDEN,  # the applicant and reviewers; others 404
    ("GET", "/applications/{app_id}/agreement.pdf"): USERS,
    ("POST", "/applications/{app_id}/answers"): APPLICANT_ONLY,
    ("POST", "/applications/{app_id}/sign"): APPLICANT_ONLY,
    ("POST", "/applications/{app_id}/scan"): APPLICANT_ONLY,  # refused before the upload is read
    # The matrix's application has no scan, so 404; who sees one: tests/web/test_scan_upload_pages.py
    ("GET", "/applications/{app_id}/scan"): {"anonymous": LOGIN, **dict.fromkeys(ROLES[1:], HIDDEN)},
    ("POST", "/applications/{app_id}/submit"): APPLICANT_ONLY,
    ("POST", "/applications/{app_id}/withdraw"): APPLICANT_ONLY,
    # the review queue (web): reviewers and curators of a dataset; the applicant's own one is not theirs to review
    ("GET", "/review"): CURATORS,
    ("POST", "/review"): CURATORS,
    ("GET", "/review/{app_id}"): REVIEWERS_OF_IT | STRANGER_HIDDEN,
    ("POST", "/review/{app_id}/approve"): REVIEWERS_OF_IT | STRANGER_HIDDEN,
    ("POST", "/review/{app_id}/reject"): REVIEWERS_OF_IT | STRANGER_HIDDEN,
    ("POST", "/review/{app_id}/return"): REVIEWERS_OF_IT | STRANGER_HIDDEN,
    # training certificates: the matrix's certificate is the applicant's, on a second dataset whose terms ask for
    # training (the global curator and the admin review it); strangers get 404 (tests/training/test_web.py)
    ("POST", "/applications/{app_id}/training"): APPLICANT_ONLY,  # refused before the upload is read
    ("GET", "/datasets/{slug}/training"): USERS,
    ("POST", "/datasets/{slug}/training"): {"anonymous": LOGIN, "applicant": OK, "curator": OK, "admin": FORBIDDEN},
    ("GET", "/training/{cert_id}/file"): USERS,
    ("POST", "/training/{cert_id}/accept"): CURATORS,
    ("POST", "/training/{cert_id}/reject"): CURATORS,
    ("GET", "/review/training"): CURATORS,
    ("POST", "/api/v1/training"): {
        "anonymous": LOGIN,
        "applicant": OK,
        "curator": OK,
        "admin": FORBIDDEN,
    },  # renewal: holders
    ("GET", "/api/v1/training"): USERS,
    ("GET", "/api/v1/review-queue/training"): CURATORS,
    ("GET", "/api/v1/training/{cert_id}"): USERS,
    ("GET", "/api/v1/training/{cert_id}/file"): USERS,
    ("POST", "/api/v1/training/{cert_id}/accept"): CURATORS,
    ("POST", "/api/v1/training/{cert_id}/reject"): CURATORS,
    # privacy desk: the data subject (no account), the curators, the licensee's deletion notices
    ("GET", "/datasets/{slug}/privacy"): PUBLIC,
    ("POST", "/datasets/{slug}/privacy"): PUBLIC,
    ("GET", "/privacy/prove/{token}"): PUBLIC,  # a page with a button: opening the link does nothing
    ("POST", "/privacy/prove/{token}"): LINK_ONLY,
    ("GET", "/privacy/follow/{token}"): LINK_ONLY,
    ("POST", "/api/v1/removal-requests"): PUBLIC,
    ("POST", "/api/v1/removal-requests/prove"): LINK_ONLY,
    ("POST", "/api/v1/removal-requests/follow"): LINK_ONLY,
    ("GET", "/privacy"): CURATORS,
    ("GET", "/api/v1/privacy/requests"): CURATORS,
    ("GET", "/api/v1/privacy/overdue-notices"): CURATORS,
    ("GET", "/privacy/requests/{request_id}"): DESK,
    ("GET", "/privacy/requests/{request_id}/items/{item_id}/thumbnail"): DESK,
    ("POST", "/privacy/requests/{request_id}/search"): DESK,
    ("POST", "/privacy/requests/{request_id}/select"): DESK,
    ("POST", "/privacy/requests/{request_id}/photo-search"): DESK,  # no photo sent, none kept: 422
    ("POST", "/privacy/requests/{request_id}/accept"): DESK,
    ("POST", "/privacy/requests/{request_id}/decline"): DESK,
    ("GET", "/api/v1/privacy/requests/{request_id}"): DESK,
    ("GET", "/api/v1/privacy/requests/{request_id}/matches"): DESK,
    ("POST", "/api/v1/privacy/requests/{request_id}/search"): DESK,
    ("POST", "/api/v1/privacy/requests/{request_id}/select"): DESK,
    ("POST", "/api/v1/privacy/requests/{request_id}/photo-search"): DESK,
    ("POST", "/api/v1/privacy/requests/{request_id}/accept"): DESK,
    ("POST", "/api/v1/privacy/requests/{request_id}/decline"): DESK,
    ("GET", "/privacy/notices"): USERS,
    ("GET", "/api/v1/privacy/notices"): USERS,
    ("GET", "/privacy/notices/{notice_id}"): NOTICE_READ,
    ("GET", "/api/v1/privacy/notices/{notice_id}"): NOTICE_READ,
    ("POST", "/privacy/notices/{notice_id}/attest"): NOTICE_ATTEST,
    ("POST", "/api/v1/privacy/notices/{notice_id}/attest"): NOTICE_ATTEST,
    # the consent registry: the dataset's curators; the subject's page and the API's withdrawal take the private
    # link as the credential (the matrix's is forged: refused). The matrix holds no consent record, so a form
    # to open and a paper withdrawal are 404 to curators (who gets them: tests/privacy/test_consent_web.py)
    ("GET", "/datasets/{slug}/consent"): CURATORS,
    ("POST", "/datasets/{slug}/consent/import"): CURATORS,  # refused before the upload is read
    ("POST", "/datasets/{slug}/consent/form"): CURATORS,  # refused before the upload is read
    ("GET", "/datasets/{slug}/consent/form"): CURATORS | {"curator": HIDDEN, "admin": HIDDEN},
    ("POST", "/datasets/{slug}/consent/withdraw"): CURATORS | {"curator": HIDDEN, "admin": HIDDEN},
    ("GET", "/privacy/consent/{token}"): LINK_ONLY,
    ("POST", "/privacy/consent/{token}"): LINK_ONLY,
    ("GET", "/api/v1/datasets/{slug}/consent"): CURATORS,
    ("POST", "/api/v1/datasets/{slug}/consent"): CURATORS,
    ("GET", "/api/v1/datasets/{slug}/consent/coverage"): CURATORS,
    ("POST", "/api/v1/datasets/{slug}/consent/withdrawals"): CURATORS | {"curator": HIDDEN, "admin": HIDDEN},
    ("POST", "/api/v1/consent/withdraw"): LINK_ONLY,
    # anonymisation: the dataset's curators start runs; a run and its files (unblurred faces) are theirs alone.
    # The matrix's run is not published, so its public report is 404 to all (who reads a published one:
    # tests/privacy/test_anonymise_pages.py)
    ("POST", "/admin/datasets/{slug}/versions/{label}/anonymise"): CURATORS,
    ("GET", "/admin/anonymisations/{run_id}"): DESK,
    ("GET", "/admin/anonymisations/{run_id}/contact-sheet.png"): DESK,
    ("GET", "/admin/anonymisations/{run_id}/files/{file_id}/{which}"): DESK,
    ("POST", "/admin/anonymisations/{run_id}/files/{file_id}/review"): DESK,
    ("POST", "/admin/anonymisations/{run_id}/cancel"): DESK,
    ("POST", "/admin/anonymisations/{run_id}/resume"): DESK,
    ("POST", "/api/v1/datasets/{slug}/versions/{label}/anonymise"): CURATORS,
    ("GET", "/api/v1/anonymisations/{run_id}"): DESK,
    ("GET", "/api/v1/anonymisations/{run_id}/files"): DESK,
    ("GET", "/api/v1/anonymisations/{run_id}/contact-sheet.png"): DESK,
    ("POST", "/api/v1/anonymisations/{run_id}/files/{file_id}/review"): DESK,
    ("POST", "/api/v1/anonymisations/{run_id}/cancel"): DESK,
    ("POST", "/api/v1/anonymisations/{run_id}/resume"): DESK,
    ("GET", "/api/v1/datasets/{slug}/versions/{label}/privacy-report"): dict.fromkeys(ROLES, HIDDEN),
    # the audit log: admins read every event, curators those about their datasets (tests/audit/test_pages.py)
    ("GET", "/admin/audit"): CURATORS,
    ("GET", "/api/v1/audit/events"): CURATORS,
    ("GET", "/api/v1/audit/export"): CURATORS,
    # the custodian's dashboard: admins see every dataset, curators theirs (tests/insights/test_pages.py)
    ("GET", "/admin/dashboard"): CURATORS,
    ("GET", "/admin/dashboard/{chart}.csv"): CURATORS,
    ("GET", "/admin/datasets/{slug}/dashboard"): CURATORS,
    ("GET", "/admin/datasets/{slug}/dashboard/{chart}.csv"): CURATORS,
    ("GET", "/api/v1/dashboard"): CURATORS,
    ("GET", "/api/v1/datasets/{slug}/dashboard"): CURATORS,
    # a person's own record: anyone signed in, of themselves only (tests/record/)
    ("GET", "/account/record"): USERS,
    ("GET", "/account/record.json"): USERS,
    ("GET", "/api/v1/me/record"): USERS,
    # obligations: the matrix's derivative, request and paper are the applicant's (a licensee of 1.0); the global
    # curator's spare grant was revoked by an earlier line, so it declares and asks nothing, but registers papers
    ("GET", "/datasets/{slug}/obligations"): USERS,
    ("POST", "/datasets/{slug}/derivatives"): UNDER_A_GRANT,
    ("POST", "/datasets/{slug}/approval-requests"): UNDER_A_GRANT,
    ("POST", "/datasets/{slug}/publications"): UNDER_A_GRANT | {"curator": OK},
    ("POST", "/derivatives/{derivative_id}/withdraw"): THEIRS_TO_WITHDRAW,
    ("POST", "/approval-requests/{approval_id}/withdraw"): THEIRS_TO_WITHDRAW,
    # the applicant removes the paper first; to the roles asked after it, it no longer exists
    ("POST", "/publications/{paper_id}/remove"): {
        "anonymous": LOGIN,
        "applicant": OK,
        "curator": HIDDEN,
        "admin": HIDDEN,
    },
    ("GET", "/datasets/{slug}/derivatives/{derivative_id}"): {
        "anonymous": HIDDEN,
        "applicant": OK,
        "curator": OK,
        "admin": OK,
        "newcomer": HIDDEN,
    },
    ("GET", "/api/v1/datasets/{slug}/obligations"): USERS,
    ("POST", "/api/v1/datasets/{slug}/derivatives"): UNDER_A_GRANT,
    ("GET", "/api/v1/datasets/{slug}/derivatives"): PUBLIC,
    ("GET", "/api/v1/derivatives/{derivative_id}"): SEEN_BY_IT,
    ("POST", "/api/v1/derivatives/{derivative_id}/decision"): ANSWERS,
    ("PUT", "/api/v1/derivatives/{derivative_id}/listing"): ANSWERS,
    ("POST", "/api/v1/derivatives/{derivative_id}/withdraw"): THEIRS_TO_WITHDRAW,
    ("POST", "/api/v1/datasets/{slug}/approval-requests"): UNDER_A_GRANT,
    ("GET", "/api/v1/approval-requests/{approval_id}"): SEEN_BY_IT,
    ("POST", "/api/v1/approval-requests/{approval_id}/decision"): ANSWERS,
    ("POST", "/api/v1/approval-requests/{approval_id}/withdraw"): THEIRS_TO_WITHDRAW,
    ("GET", "/api/v1/review-queue/obligations"): CURATORS,
    ("POST", "/api/v1/datasets/{slug}/publications"): UNDER_A_GRANT | {"curator": OK},
    ("GET", "/api/v1/datasets/{slug}/publications"): PUBLIC,
    ("DELETE", "/api/v1/publications/{publication_id}"): {
        "anonymous": LOGIN,
        "applicant": OK,
        "curator": HIDDEN,
        "admin": HIDDEN,
    },
    ("POST", "/api/v1/datasets/{slug}/publications/ask"): CURATORS,
    ("GET", "/review/obligations"): CURATORS,
    ("POST", "/review/derivatives/{derivative_id}"): ANSWERS,
    ("POST", "/review/derivatives/{derivative_id}/listing"): ANSWERS,
    ("POST", "/review/approval-requests/{approval_id}"): ANSWERS,
    ("POST", "/review/datasets/{slug}/ask-publications"): CURATORS,
    # operations: health and readiness for anyone (no detail beyond which part is down); metrics are off here
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): dict.fromkeys(ROLES, HIDDEN),
    # background jobs
    ("GET", "/jobs/{job_id}"): CREATOR_OR_ADMIN,
    ("GET", "/jobs/{job_id}/status"): CREATOR_OR_ADMIN,
    ("GET", "/api/v1/jobs/{job_id}"): CREATOR_OR_ADMIN,
}

# Bodies for routes that must get past input validation to reach the authorization decision: a route that
# checks roles in the service (after FastAPI validated the body) answers 422 to an empty body, whoever asks.
BODIES = {
    ("POST", "/api/v1/entitlements/{entitlement_id}/revoke"): lambda role: {"json": {"reason": "matrix"}},
    ("POST", "/api/v1/entitlements/{entitlement_id}/reaccept"): lambda role: {"json": {"version": 1}},
    ("POST", "/admin/datasets/{slug}/access/{entitlement_id}/revoke"): lambda role: {"data": {"reason": "matrix"}},
    ("POST", "/api/v1/entitlements/{entitlement_id}/permanent"): lambda role: {"json": {"reason": "matrix"}},
    ("POST", "/api/v1/entitlements/{entitlement_id}/lift"): lambda role: {"json": {"reason": "matrix"}},
    ("POST", "/admin/datasets/{slug}/access/{entitlement_id}/permanent"): lambda role: {"data": {"reason": "matrix"}},
    ("POST", "/admin/datasets/{slug}/access/{entitlement_id}/lift"): lambda role: {"data": {"reason": "matrix"}},
    ("POST", "/api/v1/applications/{app_id}/scan"): lambda role: {
        "files": {"file": ("scan.pdf", b"%PDF-1.7 not really", "application/pdf")},
        "data": {"full_name": "Matrix", "consent": "true"},
    },
    ("POST", "/api/v1/training"): lambda role: {
        "files": {"file": ("c.png", b"\x89PNG\r\n\x1a\n", "image/png")},
        "data": {"dataset": "demo-ds", "course": "Matrix"},
    },
    ("POST", "/applications/{app_id}/training"): lambda role: {
        "files": {"certificate": ("c.pdf", b"%PDF-", "application/pdf")}
    },
    ("POST", "/datasets/{slug}/training"): lambda role: {
        "files": {"certificate": ("c.pdf", b"%PDF-", "application/pdf")}
    },
    ("POST", "/api/v1/training/{cert_id}/reject"): lambda role: {"json": {"reason": "matrix"}},
    ("POST", "/training/{cert_id}/reject"): lambda role: {"data": {"reason": "matrix"}},
    ("PUT", "/api/v1/datasets/{slug}/policy"): lambda role: {
        "content": "purposes: [research]\n",
        "headers": {"content-type": "application/yaml"},
    },
    ("GET", "/api/v1/datasets/{slug}/policy/diff"): lambda role: {"params": {"from": 1, "to": 1}},
    ("POST", "/admin/datasets/{slug}/versions/{label}/ingest-path"): lambda role: {"data": {"path": "/nonexistent"}},
    ("POST", "/login"): lambda role: {"data": {"email": "applicant@example.org", "password": PASSWORD}},
    ("POST", "/account/oidc/{provider_name}/link"): lambda role: {"data": {"password": PASSWORD}},
    ("POST", "/api/v1/auth/token"): lambda role: {"json": {"email": "applicant@example.org", "password": PASSWORD}},
    ("POST", "/api/v1/datasets"): lambda role: {
        "json": {"slug": f"matrix-{role}", "title": "Matrix", "custodian": "Example Lab"}
    },
    ("POST", "/api/v1/datasets/{slug}/versions"): lambda role: {"json": {"label": f"2.0-{role}"}},
    ("PUT", "/api/v1/applications/{app_id}/answers"): lambda role: {"json": {"answers": {}}},
    ("PUT", "/api/v1/users/me/review-mail"): lambda role: {"json": {"review_mail": "digest"}},
    ("POST", "/api/v1/applications/{app_id}/sign"): lambda role: {"json": {"full_name": "M X", "consent": True}},
    ("POST", "/api/v1/applications/{app_id}/reject"): lambda role: {"json": {"reason": "matrix"}},
    ("POST", "/api/v1/applications/{app_id}/return"): lambda role: {"json": {"comment": "matrix"}},
    ("POST", "/api/v1/datasets/{slug}/versions/{label}/withdraw"): lambda role: {"json": {"reason": "matrix"}},
    ("POST", "/api/v1/removal-requests/prove"): lambda role: {"json": {"token": "1.not-a-valid-link"}},
    ("POST", "/api/v1/removal-requests/follow"): lambda role: {"json": {"token": "1.not-a-valid-link"}},
    ("POST", "/api/v1/privacy/requests/{request_id}/search"): lambda role: {"json": {}},
    ("POST", "/api/v1/privacy/requests/{request_id}/select"): lambda role: {"json": {}},
    ("POST", "/api/v1/privacy/requests/{request_id}/photo-search"): lambda role: {"files": {"photo": ("", b"")}},
    ("POST", "/privacy/requests/{request_id}/photo-search"): lambda role: {"files": {"photo": ("", b"")}},
    ("POST", "/api/v1/privacy/requests/{request_id}/accept"): lambda role: {"json": {}},  # nothing selected: 422
    ("POST", "/api/v1/privacy/requests/{request_id}/decline"): lambda role: {"json": {"reason": "matrix"}},
    ("POST", "/privacy/requests/{request_id}/decline"): lambda role: {"data": {"reason": "matrix"}},
    ("POST", "/privacy/notices/{notice_id}/attest"): lambda role: {"data": {"confirm": "true"}},
    ("POST", "/api/v1/privacy/notices/{notice_id}/attest"): lambda role: {"json": {"confirm": True}},
    ("POST", "/api/v1/consent/withdraw"): lambda role: {
        "json": {"token": "1.not-a-valid-link", "email": "subject@example.net"}
    },
    ("POST", "/privacy/consent/{token}"): lambda role: {"data": {"email": "subject@example.net"}},
    ("POST", "/api/v1/datasets/{slug}/consent/withdrawals"): lambda role: {
        "json": {"subject": "nobody", "email": "subject@example.net"}
    },
    ("POST", "/api/v1/anonymisations/{run_id}/files/{file_id}/review"): lambda role: {"json": {"decision": "fine"}},
    ("POST", "/admin/anonymisations/{run_id}/files/{file_id}/review"): lambda role: {"data": {"decision": "fine"}},
    ("POST", "/api/v1/datasets/{slug}/versions/{label}/anonymise"): lambda role: {"json": {}},
    ("POST", "/api/v1/datasets/{slug}/derivatives"): lambda role: {"json": {"kind": "model", "title": "Matrix"}},
    ("POST", "/api/v1/derivatives/{derivative_id}/decision"): lambda role: {"json": {"decision": "maybe"}},
    ("PUT", "/api/v1/derivatives/{derivative_id}/listing"): lambda role: {"json": {"listed": False}},
    ("POST", "/api/v1/datasets/{slug}/approval-requests"): lambda role: {
        "json": {"kind": "commercial", "description": "A matrix request of some length"}
    },
    ("POST", "/api/v1/approval-requests/{approval_id}/decision"): lambda role: {"json": {"decision": "maybe"}},
    ("POST", "/api/v1/datasets/{slug}/publications"): lambda role: {"json": {"title": f"Matrix paper ({role})"}},
}


def app_routes(app) -> set[tuple[str, str]]:
    """(method, path) of every route, including those of included routers, minus docs and static files."""
    try:
        from fastapi.routing import iter_route_contexts  # FastAPI ≥ 0.16x includes routers lazily

        routes = list(iter_route_contexts(app.routes))
    except ImportError:
        routes = app.routes
    found = set()
    for route in routes:
        path, methods = getattr(route, "path", None), getattr(route, "methods", None)
        if not path or not methods or path.startswith(SKIP):
            continue
        if isinstance(getattr(route, "original_route", route), (APIRoute, Route)):
            found.update((m, path) for m in methods if m != "HEAD")
    return found


def test_every_route_is_in_the_authorization_table(app):
    routes = app_routes(app)
    missing = sorted(routes - EXPECT.keys())
    stale = sorted(EXPECT.keys() - routes)
    assert not missing, (
        "routes missing from the authorization matrix; add a line to EXPECT in tests/test_authorization.py "
        "saying who may use each:\n"
        + "\n".join(f'    ("{m}", "{p}"): PUBLIC|USERS|CURATORS|ADMINS,' for m, p in missing)
    )
    assert not stale, f"EXPECT names routes that no longer exist; remove them: {stale}"


def build_world(rt, tmp_path) -> dict:
    """A user per role, each with a token; dataset 'demo-ds' with published version 1.0; an admin's job."""
    users = {
        "applicant": make_user(rt, "applicant@example.org"),
        "curator": make_user(rt, "curator@example.org", "curator"),
        "dataset_curator": make_user(rt, "ds-curator@example.org"),
        "admin": make_user(rt, "admin@example.org", "admin"),
        "newcomer": make_user(rt, "newcomer@example.org"),
        "other_licensee": make_user(rt, "other@example.org"),
    }
    dataset, version = published_dataset(rt, tmp_path, "demo-ds", title="Demo dataset", count=4, previews=2)
    ended_user = make_user(rt, "ended@example.org")  # outside the matrix: holds the revoked grant
    with rt.session() as db:
        identity.grant_role(db, identity.user_by_email(db, "ds-curator@example.org"), "curator", dataset_id=dataset.id)
        policies.set_policy(db, dataset.id, seed("shhq"), actor="cli")
        # submitted, so that its reviewers see it (a draft is the applicant's alone)
        application = access.start(
            db, dataset.slug, actor=users["applicant"], answers=answers("shhq", "applicant@example.org")
        )
        access.sign(rt, db, application.id, actor=users["applicant"], full_name="Matrix", consent=True)
        access.submit(db, application.id, actor=users["applicant"])
        access.start(db, dataset.slug, actor=users["newcomer"])
        with unit_of_work(db):  # both cover version 1.0 only (the terms do not cover future versions)
            grant = entitlements.grant(
                db, dataset_id=dataset.id, user_id=users["applicant"].id, policy_version=1, actor="cli"
            )
            spare = entitlements.grant(
                db,
                dataset_id=dataset.id,
                user_id=users["curator"].id,  # to revoke
                policy_version=1,
                actor="cli",
            )
            ended = entitlements.grant(db, dataset_id=dataset.id, user_id=ended_user.id, policy_version=1, actor="cli")
        entitlements.revoke(db, ended.id, actor="cli", reason="matrix")  # to make permanent and to lift
        newer = catalog.create_version(db, dataset.id, label="2.0", actor="cli")
    catalog.ingest(rt, newer.id, image_zip(tmp_path / "demo-ds-2.zip", count=2, previews=1), actor="cli")
    with rt.session() as db:
        catalog.publish(db, newer.id, actor="cli")
        with unit_of_work(db):
            entitlements.grant(
                db, dataset_id=dataset.id, user_id=users["other_licensee"].id, policy_version=1, actor="cli"
            )  # covers 2.0 only
        item = catalog.preview_items(db, dataset.id)[0]
        tokens = {role: identity.create_api_token(db, user, name="matrix").token.id for role, user in users.items()}
        link = links.sign(
            rt.secret, links.Link(users["applicant"].id, grant.id, f"manifest:{version.id}", int(time.time()) + 3600)
        )
        job = jobs.create(db, "ingest", {"version_id": version.id, "source": "/nonexistent"}, actor=users["admin"])
    return {
        "users": users,
        "tokens": tokens,
        "slug": dataset.slug,
        "label": version.label,
        "item_id": item.id,
        "job_id": job.id,
        "app_id": application.id,
        "dl_token": link,
        "entitlement_id": spare.id,
        "revoked_id": ended.id,
        "cert_id": training_certificate(rt, tmp_path, users["applicant"]),
        **removal_request(rt, dataset.id, item, users["applicant"]),
        **anonymisation(rt, version.id, users["admin"]),
        **owed(rt, dataset.id, users["applicant"], grant.id),
    }


def owed(rt, dataset_id: int, licensee, grant_id: int) -> dict:
    """The applicant's derivative (recorded), request (pending; written directly: SHHQ's terms leave nothing to
    ask) and paper."""
    from accord.obligations import service as obligations
    from accord.obligations.models import ApprovalRequest

    with rt.session() as db:
        made = obligations.declare_derivative(db, "demo-ds", actor=licensee, kind="annotations", title="Matrix boxes")
        paper = obligations.register_publication(db, "demo-ds", actor=licensee, doi_="10.1000/matrix")
        other = obligations.register_publication(db, "demo-ds", actor=licensee, doi_="10.1000/matrix.2")
        with unit_of_work(db):
            asked = ApprovalRequest(
                dataset_id=dataset_id, entitlement_id=grant_id, requested_by_id=licensee.id, kind="commercial",
                description="A matrix request",
            )  # fmt: skip
            db.add(asked)
        return {"derivative_id": made.id, "approval_id": asked.id, "publication_id": paper.id, "paper_id": other.id}


def anonymisation(rt, version_id: int, admin) -> dict:
    """A finished anonymisation of the matrix's version 1.0 (its draft unpublished), and one of its files."""
    from accord.privacy import service as privacy

    with rt.session() as db:
        run_ = privacy.start_anonymisation(rt, db, version_id, options=privacy.BlurOptions(), actor=admin)
        return {"run_id": run_.id, "file_id": privacy.anonymised_files(db, run_.id, limit=1)[0].id}


def removal_request(rt, dataset_id: int, item, licensee) -> dict:
    """A proven removal request about demo-ds with one file found (the preview item), and a deletion notice of
    the licensee's (written directly: deciding the request would withdraw the matrix's version)."""
    import datetime as dt

    from accord.privacy import service as privacy
    from accord.privacy.models import DeletionNotice

    with rt.session() as db:
        sub = privacy.submit(rt, db, dataset="demo-ds", email="subject@example.net", what="me", address="192.0.2.9")
        rid = sub.request.id  # proven here directly: the proof link went by e-mail
        with unit_of_work(db):
            sub.request.status, sub.request.proven_at = "received", utcnow()
            sub.request.due_at = utcnow() + dt.timedelta(days=30)
        privacy.search(db, rid, actor="cli", labels=[], paths=[item.path])
        with unit_of_work(db):
            notice = DeletionNotice(
                request_id=rid,
                dataset_id=dataset_id,
                user_id=licensee.id,
                kind="delete",
                files=[{"version": "1.0", "path": item.path, "sha256": item.sha256, "size": item.size}],
                due_at=utcnow() + dt.timedelta(days=30),
            )
            db.add(notice)
        return {"request_id": rid, "notice_id": notice.id}


def training_certificate(rt, tmp_path, holder) -> int:
    """A pending certificate of `holder`, with their application for a dataset whose terms ask for training."""
    import io

    from PIL import Image

    from accord.policy.schema import Training
    from accord.training import service as training

    dataset, _ = published_dataset(rt, tmp_path, "train-ds", title="Training dataset", count=1, previews=0)
    png = io.BytesIO()
    Image.new("RGB", (8, 8)).save(png, format="PNG")
    with rt.session() as db:
        policies.set_policy(db, dataset.id, seed("shhq").model_copy(update={"training": Training()}), actor="cli")
        app = access.start(db, dataset.slug, actor=holder)
        today = utcnow().date()
        return training.upload(
            rt,
            db,
            actor=holder,
            data=png.getvalue(),
            course="Matrix course",
            completed_on=today,
            expires_on=today.replace(year=today.year + 1),
            application_id=app.id,
        ).id


def fill_path(path: str, role: str, world: dict) -> str:
    values = {
        "slug": world["slug"],
        "label": world["label"],
        "item_id": world["item_id"],
        "job_id": world["job_id"],
        "app_id": world["app_id"],
        "link": world["dl_token"],
        # deciding on a revocation needs a revoked grant (of a user outside the matrix: permanent bars them)
        "entitlement_id": world["revoked_id"] if path.endswith(("/permanent", "/lift")) else world["entitlement_id"],
        "cert_id": world["cert_id"],
        "request_id": world["request_id"],
        "notice_id": world["notice_id"],
        "run_id": world["run_id"],
        "file_id": world["file_id"],
        "derivative_id": world["derivative_id"],
        "approval_id": world["approval_id"],
        "publication_id": world["publication_id"],
        "paper_id": world["paper_id"],
        "which": "before",
        "chart": "grants",
        "name": "manifest.jsonl",
        "token_id": world["tokens"].get(role, world["tokens"]["admin"]),
        "token": "1.not-a-valid-link",
        "provider_name": "uni",
    }
    try:
        return path.format(**values)
    except KeyError as exc:
        raise AssertionError(f"no test value for path parameter {exc} of {path}: add one to fill_path()") from None


def expected_for(method: str, path: str, role: str) -> str:
    line = EXPECT[(method, path)]
    if role == "dataset_curator" and role not in line:
        return DATASET_CURATOR.get((method, path), line["curator"])
    return line[role]


def _outcome(response) -> str:
    code = response.status_code
    if code >= 500:
        return f"crash {code}"
    if code == 401 or (code in (302, 303, 307) and response.headers["location"].startswith("/login")):
        return LOGIN
    return {403: FORBIDDEN, 404: HIDDEN}.get(code, OK)


def test_every_route_answers_each_role_as_the_table_says(app, rt, tmp_path):
    world = build_world(rt, tmp_path)
    # Reads first, so that writes by the admin (publish, withdraw ...) cannot change what a read sees.
    routes = sorted(app_routes(app) & EXPECT.keys(), key=lambda mp: (mp[0] != "GET", mp[1], mp[0]))
    wrong = []
    with TestClient(app, base_url="http://testserver", follow_redirects=False, raise_server_exceptions=False) as client:
        for method, path in routes:
            for role in ROLES:
                if role in NAMED_ONLY and role not in EXPECT[(method, path)]:
                    continue
                client.cookies.clear()
                client.cookies.set("accord_csrf", "matrix-csrf")  # authorization, not CSRF, is under test
                token = "matrix-csrf"
                if role != "anonymous":
                    with rt.session() as db:  # a fresh session each time: /logout ends only its own
                        session = identity.start_session(db, world["users"][role], ttl=rt.settings.session_ttl)
                    client.cookies.set("accord_session", session)
                    token = session_csrf(rt.secret, session)
                extra = BODIES.get((method, path), lambda r: {})(role)
                headers = {"X-CSRF-Token": token, **extra.pop("headers", {})}
                response = client.request(method, fill_path(path, role, world), headers=headers, **extra)
                got, expected = _outcome(response), expected_for(method, path, role)
                if got != expected:
                    wrong.append(
                        f"{method} {path} as {role}: expected {expected}, got {got} "
                        f"({response.status_code} {response.text[:120]!r})"
                    )
    assert not wrong, "authorization matrix mismatches:\n" + "\n".join(wrong)
