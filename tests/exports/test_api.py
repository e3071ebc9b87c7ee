"""The export routes and the dataset page's links: media types and file names, the public Croissant for all and
the full one for licensees, the licence record's envelope, and each refusal as problem+json."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from accord.catalog import service as catalog
from tests.exports.helpers import make_world
from tests.identity.helpers import PASSWORD, api_token, log_in

V = "/api/v1/datasets/llvip/versions/1.0"


@pytest.fixture
def world(rt, tmp_path):
    return make_world(rt, tmp_path)


def bearer(rt, email: str) -> dict:
    return {"Authorization": f"Bearer {api_token(rt, email)}"}


@pytest.mark.parametrize(
    ("what", "media_type", "filename"),
    [
        ("bibtex", "application/x-bibtex", "llvip-1.0.bib"),
        ("ris", "application/x-research-info-systems", "llvip-1.0.ris"),
        ("cff", "application/x-yaml", "CITATION.cff"),
        ("croissant", "application/ld+json", "llvip-1.0-croissant-public.jsonld"),
    ],
)
def test_each_export_has_its_media_type_and_file_name(client, world, what, media_type, filename):
    response = client.get(f"{V}/export/{what}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media_type
    assert response.headers["content-disposition"] == f'attachment; filename="{filename}"'
    assert "1.0" in response.text


def test_the_croissant_lists_the_manifest_for_a_licensee_only(client, rt, world):
    public = client.get(f"{V}/export/croissant").json()
    assert "distribution" not in public
    full = client.get(f"{V}/export/croissant", headers=bearer(rt, "ana@lab.example"))
    assert full.headers["content-disposition"] == 'attachment; filename="llvip-1.0-croissant.jsonld"'
    with rt.session() as db:
        assert full.json()["distribution"][0]["sha256"] == catalog.version_by_id(db, world.version_id).root_hash
    other = client.get(f"{V}/export/croissant", headers=bearer(rt, "cy@lab.example")).json()
    assert "distribution" not in other


def test_a_withdrawn_version_is_refused_with_the_reason_as_problem_json(client, rt, world):
    with rt.session() as db:
        catalog.withdraw(db, world.version_id, actor="cli", reason="superseded by 2.0")
    for path in (f"{V}/export/bibtex", f"{V}/export/croissant"):
        response = client.get(path)
        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        assert "withdrawn (superseded by 2.0)" in response.json()["detail"]
    response = client.get(f"{V}/licence-record", headers=bearer(rt, "ana@lab.example"))
    assert response.status_code == 409


def test_unknown_versions_and_datasets_are_404(client, world):
    assert client.get("/api/v1/datasets/llvip/versions/9.9/export/ris").status_code == 404
    assert client.get("/api/v1/datasets/nope/versions/1.0/export/cff").status_code == 404
    assert client.get(f"{V}/export/endnote").status_code == 404


def test_the_licence_record_envelope_verifies_with_the_published_key(client, rt, world):
    response = client.get(f"{V}/licence-record", headers=bearer(rt, "ana@lab.example"))
    assert response.status_code == 200, response.text
    body = response.json()
    record = json.loads(body["record"])
    assert record["licensee"]["name"] == "Ana" and record["grant"]["status"] == "active"
    assert body["filename"] == "llvip-1.0-licence-record.json"
    pem = client.get("/api/v1/signing-key")
    assert body["certificate_fingerprint"] == pem.headers["x-accord-fingerprint"]
    key = x509.load_pem_x509_certificate(pem.content).public_key()
    key.verify(base64.b64decode(body["signature"]), body["record"].encode(), ec.ECDSA(hashes.SHA256()))


def test_licence_records_go_to_their_licensee_and_the_curators_only(client, rt, world):
    assert client.get(f"{V}/licence-record").status_code == 401
    ben = bearer(rt, "ben@institute.example")
    refused = client.get(f"{V}/licence-record", params={"licensee": "ana@lab.example"}, headers=ben)
    assert refused.status_code == 403 and "curators only" in refused.json()["detail"]
    assert client.get(f"{V}/licence-record", headers=bearer(rt, "cy@lab.example")).status_code == 404
    curator = bearer(rt, "cur@lab.example")
    got = client.get(f"{V}/licence-record", params={"licensee": "ana@lab.example"}, headers=curator)
    assert got.status_code == 200 and json.loads(got.json()["record"])["licensee"]["name"] == "Ana"
    bad = client.get(f"{V}/licence-record", params={"licensee": "not an address"}, headers=curator)
    assert bad.status_code == 422 and bad.json()["field"] == "licensee"
    too_long = client.get(f"{V}/licence-record", params={"licensee": "a" * 400}, headers=curator)
    assert too_long.status_code == 422


def test_the_dataset_page_links_the_exports_the_viewer_may_take(client, rt, world):
    newest = "/api/v1/datasets/llvip/versions/2.0"  # the page's version: the newest published
    page = client.get("/datasets/llvip").text
    for path in ("export/bibtex", "export/ris", "export/cff", "export/croissant"):
        assert f'href="{newest}/{path}"' in page
    assert "Cite or describe version 2.0" in page
    assert "public: no file list" in page and "licence-record" not in page
    log_in(client, "ana@lab.example", PASSWORD)  # holds 1.0 only
    page = client.get("/datasets/llvip").text
    assert f'href="{V}/licence-record"' in page and "Your licence record of version 1.0" in page
    assert f'href="{newest}/licence-record"' not in page and "public: no file list" in page
    assert 'name="licensee"' not in page
    client.post("/logout")
    client.cookies.clear()
    log_in(client, "dee@lab.example", PASSWORD)  # holds 2.0
    page = client.get("/datasets/llvip").text
    assert f'href="{newest}/licence-record"' in page and "with the file manifest" in page
    client.post("/logout")
    client.cookies.clear()
    log_in(client, "cur@lab.example", PASSWORD)
    page = client.get("/datasets/llvip").text
    assert f'action="{newest}/licence-record"' in page and 'name="licensee"' in page
