"""accord.Client's calls for applications, terms, training certificates and consent records: what an applicant,
a licensee, a reviewer or a curator does on the web pages, over /api/v1 with their own token.

    c = Client("https://data.lab.example", token="acc_...")
    app = c.apply("llvip", {"name": "Ana Lima", ...})
    c.sign(app["id"], "Ana Lima", consent=True)
    c.submit(app["id"])["status"]                   # "approved" for a click-through licence

Each returns the server's JSON (an application: state, what is missing, checks and timeline). Refusals raise
accord.client.ClientError with the server's reason and HTTP status.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx


class AccessCalls:
    """Mixed into accord.client.Client, which provides `_request`."""

    if TYPE_CHECKING:  # what the mixin needs of Client, told to the type checker only

        def _request(self, method: str, url: str, *, repeatable: bool = True, **kwargs: Any) -> httpx.Response: ...

    def _json(self, method: str, url: str, **kwargs) -> Any:
        return self._request(method, url, repeatable=method == "GET", **kwargs).json()

    def me(self) -> dict:
        return self._json("GET", "/api/v1/users/me")

    # --- applying ---------------------------------------------------------------------------------------

    def apply(self, dataset: str, answers: dict | None = None, signatory: dict | None = None) -> dict:
        """Start an application under the dataset's current terms with its first answers (and the signatory
        with legal authority, where the terms ask for one); bad answers start nothing."""
        return self._json(
            "POST", f"/api/v1/datasets/{dataset}/applications", json={"answers": answers or {}, "signatory": signatory}
        )

    def save_answers(self, app_id: int, answers: dict, signatory: dict | None = None) -> dict:
        return self._json(
            "PUT", f"/api/v1/applications/{app_id}/answers", json={"answers": answers, "signatory": signatory}
        )

    def sign(self, app_id: int, full_name: str, *, consent: bool) -> dict:
        """Sign the agreement with a typed full name; `consent` says you read and agree to every clause."""
        return self._json(
            "POST", f"/api/v1/applications/{app_id}/sign", json={"full_name": full_name, "consent": consent}
        )

    def upload_scan(
        self, app_id: int, data: bytes, *, filename: str = "agreement.pdf", full_name: str = "", consent: bool = False
    ) -> dict:
        """Sign by uploading the hand-signed agreement (PDF, PNG or JPEG)."""
        return self._json(
            "POST",
            f"/api/v1/applications/{app_id}/scan",
            files={"file": (filename, data)},
            data={"full_name": full_name, "consent": "true" if consent else "false"},
        )

    def submit(self, app_id: int) -> dict:
        return self._json("POST", f"/api/v1/applications/{app_id}/submit")

    def withdraw(self, app_id: int) -> dict:
        return self._json("POST", f"/api/v1/applications/{app_id}/withdraw")

    def renew(self, dataset: str) -> dict:
        """A new application under the current terms with the answers of your last approved one filled in."""
        return self._json("POST", f"/api/v1/datasets/{dataset}/renewal")

    # --- following ----------------------------------------------------------------------------------------

    def applications(self) -> list[dict]:
        """Your applications, newest first."""
        return self._json("GET", "/api/v1/applications")

    def application(self, app_id: int) -> dict:
        """One application: its state, what is still missing, the checks and the timeline."""
        return self._json("GET", f"/api/v1/applications/{app_id}")

    def agreement(self, app_id: int) -> bytes:
        """The agreement as a PDF: an unsigned preview to print and sign by hand, or the sealed signed copy."""
        return self._request("GET", f"/api/v1/applications/{app_id}/agreement.pdf").content

    def scan(self, app_id: int) -> tuple[bytes, str]:
        """The uploaded hand-signed agreement and its type."""
        response = self._request("GET", f"/api/v1/applications/{app_id}/scan")
        return response.content, response.headers.get("content-type", "").split(";")[0]

    # --- reviewing ----------------------------------------------------------------------------------------

    def review_queue(self, **filters) -> dict:
        """One page of the applications on the datasets you review (dataset, status, sort, page, ...)."""
        return self._json("GET", "/api/v1/review-queue", params={k: v for k, v in filters.items() if v is not None})

    def approve(self, app_id: int, note: str = "") -> dict:
        return self._json("POST", f"/api/v1/applications/{app_id}/approve", json={"note": note})

    def reject(self, app_id: int, reason: str) -> dict:
        return self._json("POST", f"/api/v1/applications/{app_id}/reject", json={"reason": reason})

    def return_for_changes(self, app_id: int, comment: str) -> dict:
        return self._json("POST", f"/api/v1/applications/{app_id}/return", json={"comment": comment})

    # --- changed terms ------------------------------------------------------------------------------------

    def entitlement(self, dataset: str) -> dict:
        """Your newest grant of the dataset: the terms version you accepted, and whether it ended."""
        return self._json("GET", f"/api/v1/datasets/{dataset}/entitlement")

    def terms(self, dataset: str, version: int | None = None) -> dict:
        return self._json("GET", f"/api/v1/datasets/{dataset}/policy", params={"version": version} if version else {})

    def terms_diff(self, dataset: str, old: int, new: int) -> list[dict]:
        """What changed between two terms versions, clause by clause."""
        return self._json("GET", f"/api/v1/datasets/{dataset}/policy/diff", params={"from": old, "to": new})

    def accept_terms(self, entitlement_id: int, version: int, signed_as: str = "") -> dict:
        """Accept the current terms (the `version` you read) so a paused grant resumes."""
        return self._json(
            "POST", f"/api/v1/entitlements/{entitlement_id}/reaccept", json={"version": version, "signed_as": signed_as}
        )

    # --- training certificates ----------------------------------------------------------------------------

    def upload_training(
        self,
        data: bytes,
        *,
        filename: str,
        course: str,
        completed_on: str,
        expires_on: str,
        application_id: int | None = None,
        dataset: str | None = None,
    ) -> dict:
        """Upload a certificate with an application, or for a dataset you hold (a renewal)."""
        form = {"course": course, "completed_on": completed_on, "expires_on": expires_on}
        if application_id is not None:
            form["application_id"] = str(application_id)
        if dataset is not None:
            form["dataset"] = dataset
        return self._json("POST", "/api/v1/training", data=form, files={"file": (filename, data)})

    def training(self) -> list[dict]:
        """Your certificates, newest first."""
        return self._json("GET", "/api/v1/training")

    def training_to_review(self) -> list[dict]:
        return self._json("GET", "/api/v1/review-queue/training")

    def accept_training(self, cert_id: int) -> dict:
        return self._json("POST", f"/api/v1/training/{cert_id}/accept")

    def reject_training(self, cert_id: int, reason: str) -> dict:
        return self._json("POST", f"/api/v1/training/{cert_id}/reject", json={"reason": reason})

    # --- deletion notices ---------------------------------------------------------------------------------

    def notices(self) -> list[dict]:
        """My deletion notices, newest first: what to delete after a removal at a data subject's request."""
        return self._json("GET", "/api/v1/privacy/notices")

    def notice(self, notice_id: int) -> dict:
        return self._json("GET", f"/api/v1/privacy/notices/{notice_id}")

    def attest(self, notice_id: int) -> dict:
        """State that the notice's files are deleted from every copy (accord.client_privacy.apply_notice first)."""
        return self._json("POST", f"/api/v1/privacy/notices/{notice_id}/attest", json={"confirm": True})

    # --- consent records (a dataset's curators) -------------------------------------------------------------

    def consent_records(self, dataset: str) -> list[dict]:
        return self._json("GET", f"/api/v1/datasets/{dataset}/consent")

    def import_consent(self, dataset: str, data: bytes, *, filename: str = "consent.csv") -> dict:
        """Import a CSV of consent records, all or nothing; the answer holds each new record's withdrawal link."""
        return self._json("POST", f"/api/v1/datasets/{dataset}/consent", files={"file": (filename, data)})

    def consent_coverage(self, dataset: str) -> dict:
        return self._json("GET", f"/api/v1/datasets/{dataset}/consent/coverage")

    def withdraw_consent_for(self, dataset: str, subject: str, *, email: str, why: str = "") -> dict:
        """Record a withdrawal the subject sent on paper: a removal request is opened for their label."""
        return self._json(
            "POST",
            f"/api/v1/datasets/{dataset}/consent/withdrawals",
            json={"subject": subject, "email": email, "why": why},
        )
