"""The platform's key pair: seals agreement PDFs (access.sealing) and signs each version's manifest (delivery).

EC P-256 and a self-signed certificate, created on first run under data_dir/keys; a deployment may replace them
with ones issued by its institution (same file names). A manifest signature is detached ECDSA with SHA-256 over
the manifest's exact bytes, DER-encoded, which stock OpenSSL checks:

    openssl dgst -sha256 -verify accord-signing.pub.pem -signature manifest.sig manifest.jsonl
"""

from __future__ import annotations

import fcntl
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from accord.errors import InvalidInput, NotFound


@dataclass(frozen=True)
class SealKeys:
    key: Path
    cert: Path


def _paths(key_dir: Path) -> SealKeys:
    return SealKeys(key_dir / "seal.key", key_dir / "seal.pem")


def platform_keys(data_dir: Path) -> SealKeys:
    """This deployment's key pair (made on first use)."""
    return ensure_keys(data_dir / "keys")


def installed_cert(data_dir: Path, *, hint: str) -> Path:
    """This deployment's certificate, never made here: a verifier that minted a new key would trust nothing."""
    path = _paths(data_dir / "keys").cert
    if not path.exists():
        raise NotFound(f"this machine has no platform certificate ({path}); {hint}")
    return path


def ensure_keys(key_dir: Path, *, organisation: str = "Accord") -> SealKeys:
    key_dir.mkdir(parents=True, exist_ok=True)
    keys = _paths(key_dir)
    if keys.key.exists() and keys.cert.exists():
        return keys
    # Server workers may all ask at first use (a manifest signature, the published key): one makes the pair, so
    # no worker can end up with a certificate that is not its key's.
    with open(key_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if keys.key.exists() and keys.cert.exists():
            return keys
        _make(keys, organisation)
    return keys


def _make(keys: SealKeys, organisation: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation} agreement seal"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        ]
    )
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_cert_sign=True,
                crl_sign=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .sign(key, hashes.SHA256())
    )
    tmp_key = keys.key.with_suffix(".tmp")
    tmp_key.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    tmp_key.chmod(0o600)
    keys.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    tmp_key.replace(keys.key)


def sign(data: bytes, keys: SealKeys) -> bytes:
    """Detached ECDSA-SHA256 signature (DER) of `data` with the platform's key."""
    key = serialization.load_pem_private_key(keys.key.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise InvalidInput("the platform key is not an EC key")
    return key.sign(data, ec.ECDSA(hashes.SHA256()))


def load_cert(pem: bytes) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise InvalidInput("this is not a PEM certificate") from None


def public_pem(cert: x509.Certificate) -> bytes:
    return cert.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the certificate (DER), as `openssl x509 -fingerprint -sha256` prints it."""
    return ":".join(f"{b:02X}" for b in cert.fingerprint(hashes.SHA256()))


def verifies(data: bytes, signature: bytes, cert: x509.Certificate) -> bool:
    key = cert.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        return False
    try:
        key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True


def root_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
