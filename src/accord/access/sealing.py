"""The platform seals signed agreements (PAdES) with its own certificate, so any later edit is detectable.

The certificate is self-signed and created on first run under data_dir/keys; a deployment may replace it with
one issued by its institution (same file names)."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.utils import CryptographyDeprecationWarning

from accord.errors import InvalidInput
from accord.signing import SealKeys, ensure_keys  # noqa: F401 (the key pair is shared with manifest signing)

FIELD = "AccordSeal"

# pyHanko still imports cryptography's DSA key class (for DSA signers we never use), which cryptography marks
# deprecated on import: hide exactly that warning, from that module, so sealing and verifying print nothing.
warnings.filterwarnings(
    "ignore",
    message="DSA is deprecated",
    category=CryptographyDeprecationWarning,
    module=r"pyhanko\.sign\.signers\.pdf_cms",
)


def seal(pdf: bytes, keys: SealKeys, *, reason: str = "Signed in Accord") -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = signers.SimpleSigner.load(  # type: ignore[no-untyped-call]  # pyhanko: load has no annotations
        str(keys.key), str(keys.cert), key_passphrase=None
    )
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256", reason=reason
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    out: io.BytesIO = signers.sign_pdf(writer, meta, signer=signer)  # unannotated; a BytesIO unless in place
    return out.getvalue()


@dataclass(frozen=True)
class SealCheck:
    ok: bool
    reason: str
    signed_at: datetime | None = None


def verify(pdf: bytes, cert_path: Path) -> SealCheck:
    """Valid only if the seal is ours, intact, covers the whole file, and nothing was appended after it."""
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        sigs = reader.embedded_signatures
    except (PdfReadError, ValueError, KeyError) as exc:
        return SealCheck(False, f"not a readable PDF: {exc}")
    ours = [s for s in sigs if s.field_name == FIELD]
    if not ours:
        return SealCheck(False, "the document carries no Accord seal")
    root = load_cert_from_pemder(str(cert_path))  # type: ignore[no-untyped-call]  # pyhanko: no annotations
    context = ValidationContext(trust_roots=[root])
    try:
        status = validate_pdf_signature(ours[-1], context)
    except Exception as exc:
        return SealCheck(False, f"the seal cannot be validated: {exc}")
    if not status.intact:
        return SealCheck(False, "the document was changed after it was sealed")
    if not (status.valid and status.trusted):
        return SealCheck(False, "the seal was not made with this platform's certificate")
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return SealCheck(False, "content was added to the document after it was sealed")
    return SealCheck(True, "sealed by this platform and unchanged since", status.signer_reported_dt)


def require_pdf(data: bytes) -> None:
    if not data.startswith(b"%PDF-"):
        raise InvalidInput("this file is not a PDF")
