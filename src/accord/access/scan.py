"""The old way, still accepted: download the agreement, sign it by hand, upload the scan (PDF, PNG or JPEG).

The file is checked for what it is (its bytes, not its name or declared type), limited in size, stored by hash,
and the signature event binds it to the agreement's hash, as a typed signature would be.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from accord.access import form, workflow
from accord.access.common import ApplicationView, agreement_of, applicant_only, terms_of, view_of, visible
from accord.access.events import append, load
from accord.audit import service as audit
from accord.db import unit_of_work, utcnow
from accord.errors import InvalidInput, NotFound, TooLarge
from accord.identity.models import User

if TYPE_CHECKING:
    from accord.runtime import Runtime

MAX_SCAN_BYTES = 20 * 1024 * 1024
KINDS = {b"%PDF-": "application/pdf", b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
SUFFIXES = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


def sniff(data: bytes) -> str:
    """The media type the bytes really have, or InvalidInput; a file that starts right but is broken is refused."""
    kind = next((k for magic, k in KINDS.items() if data.startswith(magic)), None)
    if kind is None:
        raise InvalidInput("the signed agreement must be a PDF, PNG or JPEG file", field="scan")
    if kind == "application/pdf":
        from pyhanko.pdf_utils.reader import PdfFileReader

        try:
            PdfFileReader(io.BytesIO(data), strict=False).root  # noqa: B018 - parsing is the check
        except Exception:
            raise InvalidInput("the PDF is damaged and cannot be read", field="scan") from None
        return kind
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InvalidInput("the image is damaged and cannot be read", field="scan") from None
    return kind


def may_upload(db: Session, app_id: int, *, actor: User) -> None:
    """Refuse a stranger or a reviewer before their upload is read (NotFound, PermissionDenied)."""
    applicant_only(load(db, app_id), actor, "sign")


def upload(
    rt: Runtime, db: Session, app_id: int, *, actor: User, data: bytes, full_name: str, consent: bool
) -> ApplicationView:
    """ApplicationView a hand-signed scan as the applicant's signature."""

    with unit_of_work(db):
        loaded = load(db, app_id)
        applicant_only(loaded, actor, "sign")  # who asks comes first: a stranger learns nothing about the file
        if len(data) > MAX_SCAN_BYTES:
            raise TooLarge(f"the scan is larger than {MAX_SCAN_BYTES // (1024 * 1024)} MB", field="scan")
        if not data:
            raise InvalidInput("the file is empty: choose the scan of the signed agreement", field="scan")
        kind = sniff(data)
        form.require_complete(terms_of(db, loaded).policy, loaded.state.answers, loaded.state.signatory)
        doc = agreement_of(db, loaded)
        event = workflow.decide_sign(
            loaded.state,
            actor=actor.id,
            full_name=full_name,
            consent=consent,
            document_sha256=doc.sha256,
            at=utcnow(),
            method="scan",
        )
        scan_sha = hashlib.sha256(data).hexdigest()
        rt.store.put_bytes(scan_sha, data)  # before the commit: a rollback leaves an unreferenced blob only
        append(db, loaded, replace(event, data={**event.data, "scan_sha256": scan_sha, "scan_type": kind}))
        audit.record(
            db,
            actor=actor,
            action="application.signed",
            object=("application", app_id),
            data={"document_sha256": doc.sha256, "scan_sha256": scan_sha, "method": "scan"},
            dataset=loaded.row.dataset_id,
        )
    return view_of(db, loaded, actor)


def stored(rt: Runtime, db: Session, app_id: int, *, viewer: User) -> tuple[bytes, str]:
    """The uploaded scan and its media type, for the applicant and the dataset's reviewers."""
    loaded = load(db, app_id)
    visible(loaded, viewer)
    signature = loaded.state.signature
    if signature is None:
        raise NotFound(f"application {app_id} has no uploaded scan: it is not signed yet")
    if signature.get("method") != "scan":
        raise NotFound(f"application {app_id} has no uploaded scan: it was signed by typing a name")
    with rt.store.open(signature["scan_sha256"]) as fh:
        return fh.read(), signature["scan_type"]


def file_name(app_id: int, kind: str) -> str:
    """What a downloaded scan is called, with the ending its (sniffed) type has."""
    return f"signed-agreement-{app_id}.{SUFFIXES[kind]}"
