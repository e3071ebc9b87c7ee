"""The platform seals signed agreements (PAdES) with its own certificate, so any later edit is detectable.

The certificate is self-signed and created on first run under data_dir/keys; a deployment may replace it with
one issued by its institution (same file names)."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from accord.errors import InvalidInput

FIELD = "AccordSeal"


@dataclass(frozen=True)
class SealKeys:
    key: Path
    cert: Path


def ensure_keys(key_dir: Path, *, organisation: str = "Accord") -> SealKeys:
    key_dir.mkdir(parents=True, exist_ok=True)
    keys = SealKeys(key_dir / "seal.key", key_dir / "seal.pem")
    if keys.key.exists() and keys.cert.exists():
        return keys
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation} agreement seal"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation)])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_cert_sign=True,
                                         crl_sign=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False),
                           critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .sign(key, hashes.SHA256()))
    tmp_key = keys.key.with_suffix(".tmp")
    tmp_key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    tmp_key.chmod(0o600)
    keys.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    tmp_key.replace(keys.key)
    return keys


def seal(pdf: bytes, keys: SealKeys, *, reason: str = "Signed in Accord") -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = signers.SimpleSigner.load(str(keys.key), str(keys.cert), key_passphrase=None)
    meta = signers.PdfSignatureMetadata(field_name=FIELD, subfilter=fields.SigSeedSubFilter.PADES,
                                        md_algorithm="sha256", reason=reason)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    out = signers.sign_pdf(writer, meta, signer=signer)
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
    context = ValidationContext(trust_roots=[load_cert_from_pemder(str(cert_path))])
    try:
        status = validate_pdf_signature(ours[-1], context)
    except Exception as exc:  # noqa: BLE001 - a mangled signature structure is just "invalid"
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
