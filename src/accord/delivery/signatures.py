"""The platform's signature of each version's manifest, and the certificate anyone checks it with."""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass
from typing import TYPE_CHECKING

from accord import signing
from accord.delivery.state import VersionFiles
from accord.errors import NotFound

if TYPE_CHECKING:
    from accord.runtime import Runtime


def manifest_signature(rt: Runtime, files: VersionFiles) -> bytes:
    """The platform's signature of the version's manifest bytes (made once per process and version)."""
    if not files.manifest_sha:
        raise NotFound("this version has no manifest yet")
    if files.signature is None:
        with closing(rt.store.open(files.manifest_sha)) as f:
            data = f.read()
        if signing.root_hash(data) != files.manifest_sha:
            raise OSError(f"manifest blob {files.manifest_sha} does not match its hash")
        files.signature = signing.sign(data, signing.platform_keys(rt.settings.data_dir))
    return files.signature


@dataclass(frozen=True)
class SigningKey:
    cert_pem: bytes
    public_pem: bytes
    fingerprint: str  # SHA-256 of the certificate, colon-separated hex (as openssl prints it)


def signing_key(rt: Runtime) -> SigningKey:
    keys = signing.platform_keys(rt.settings.data_dir)
    pem = keys.cert.read_bytes()
    cert = signing.load_cert(pem)
    return SigningKey(pem, signing.public_pem(cert), signing.fingerprint(cert))
