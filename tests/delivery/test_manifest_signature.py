"""The platform signs each version's manifest (ECDSA P-256, SHA-256, DER): served by a signed link, checked with
`cryptography` and with the real openssl binary, and published with its certificate for anyone to check."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from accord import signing
from accord.delivery import links
from accord.delivery import service as delivery
from accord.delivery.links import Link
from accord.entitlements import service as entitlements
from tests.delivery.world import make_world, sha
from tests.identity.helpers import log_in


@pytest.fixture
def world(rt, tmp_path):
    return make_world(rt, tmp_path)


def _listing(client, world) -> dict:
    response = client.get(
        f"/api/v1/datasets/{world.slug}/versions/{world.label}/files",
        headers={"Authorization": f"Bearer {world.token}"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def _signed(client, world) -> tuple[bytes, bytes, bytes]:
    listing = _listing(client, world)
    manifest = client.get(listing["manifest_url"])
    sig = client.get(listing["manifest_sig_url"])
    assert manifest.status_code == 200 and sig.status_code == 200, sig.text
    assert sig.headers["content-disposition"] == 'attachment; filename="faces-1.0-manifest.sig"'
    pem = client.get("/api/v1/signing-key")
    assert pem.status_code == 200 and "public" in pem.headers["cache-control"]
    return manifest.content, sig.content, pem.content


def test_the_signature_verifies_with_the_platform_certificate(client, world):
    manifest, sig, pem = _signed(client, world)
    assert sha(manifest) == _listing(client, world)["root_hash"]
    cert = x509.load_pem_x509_certificate(pem)
    cert.public_key().verify(sig, manifest, ec.ECDSA(hashes.SHA256()))  # raises if it does not verify
    with pytest.raises(InvalidSignature):
        cert.public_key().verify(sig, manifest + b"\n", ec.ECDSA(hashes.SHA256()))
    assert client.get("/api/v1/signing-key").headers["x-accord-fingerprint"] == signing.fingerprint(cert)


def test_the_signing_key_is_the_one_that_seals_agreements(client, rt, world):
    keys = signing.ensure_keys(rt.settings.data_dir / "keys")
    assert client.get("/api/v1/signing-key").content.startswith(keys.cert.read_bytes())


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl binary")
def test_stock_openssl_verifies_the_signature_and_refuses_an_altered_manifest_or_signature(client, world, tmp_path):
    manifest, sig, pem = _signed(client, world)
    (tmp_path / "manifest.jsonl").write_bytes(manifest)
    (tmp_path / "manifest.sig").write_bytes(sig)
    (tmp_path / "accord-signing.pem").write_bytes(pem)
    command = [
        "openssl",
        "dgst",
        "-sha256",
        "-verify",
        "accord-signing.pem",
        "-signature",
        "manifest.sig",
        "manifest.jsonl",
    ]
    ok = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert ok.returncode == 0 and "Verified OK" in ok.stdout
    (tmp_path / "manifest.jsonl").write_bytes(manifest.replace(b'"size"', b'"size" ', 1))
    assert subprocess.run(command, cwd=tmp_path, capture_output=True).returncode != 0
    (tmp_path / "manifest.jsonl").write_bytes(manifest)
    bad = bytearray(sig)
    bad[-1] ^= 0x01
    (tmp_path / "manifest.sig").write_bytes(bytes(bad))
    assert subprocess.run(command, cwd=tmp_path, capture_output=True).returncode != 0


def test_the_signature_link_stops_at_a_revocation(client, rt, world):
    url = _listing(client, world)["manifest_sig_url"]
    assert client.get(url).status_code == 200
    with rt.session() as db:
        entitlements.revoke(db, world.grant_id, actor="cli", reason="breach of clause 3")
    delivery.state(rt).revocations.refresh()
    response = client.get(url, headers={"Accept": "application/json"})
    assert response.status_code == 403 and response.json()["code"] == "revoked"


def test_an_expired_signature_link_is_refused(client, rt, world):
    token = links.sign(
        rt.secret, Link(world.licensee_id, world.grant_id, f"manifest-sig:{world.version_id}", int(time.time()) - 1)
    )
    response = client.get(f"/dl/{token}", headers={"Accept": "application/json"})
    assert response.status_code == 403 and "expired" in response.json()["detail"]


def test_the_download_page_shows_the_certificate_fingerprint(client, rt, world):
    log_in(client, f"li@{world.slug}.example")
    page = client.get(f"/datasets/{world.slug}/download")
    assert page.status_code == 200
    fingerprint = delivery.signing_key(rt).fingerprint
    assert fingerprint in page.text and "openssl dgst -sha256 -verify" in page.text
    assert 'href="/dl/' in page.text and "Manifest signature" in page.text
