"""The signed licence record on SQLite and PostgreSQL: what it says, who gets it (the licensee, the dataset's
curators, nobody else), that stock openssl verifies it and refuses an altered one, and that each is audited."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import select

from accord import signing
from accord.audit.models import AuditEvent
from accord.catalog import service as catalog
from accord.db import utcnow
from accord.entitlements import service as entitlements
from accord.errors import IllegalTransition, InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from accord.exports import service as exports
from accord.policy import service as policies
from accord.policy.io import seed
from tests.exports.helpers import CUSTODIAN, make_world, user

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl binary")


@pytest.fixture
def world(db_rt, tmp_path):
    return make_world(db_rt, tmp_path)


def issue(rt, db, actor, **kw):
    return exports.licence_record(rt, db, "llvip", kw.pop("label", "1.0"), actor=actor, **kw)


def record_of(signed) -> dict:
    return json.loads(signed.record)


def test_the_licensees_own_record_says_who_holds_what_under_which_terms(db_rt, db, world):
    ana = user(db_rt, "ana@lab.example")
    signed = issue(db_rt, db, ana)
    r = record_of(signed)
    v = catalog.version_by_id(db, world.version_id)
    assert r["format"] == "accord-licence-record/1"
    assert r["licensee"] == {"name": "Ana", "organisation": "Example University", "unit": ""}
    assert r["grant"]["id"] == world.grants["ana"] and r["grant"]["status"] == "active"
    assert r["grant"]["covers"] == "version 1.0 only" and r["grant"]["revoked_at"] is None
    assert r["grant"]["starts_at"].endswith("Z") and r["grant"]["expires_at"] is None
    assert r["dataset"] == {
        "slug": "llvip",
        "title": v.dataset.title,
        "custodian": CUSTODIAN,
        "url": "http://testserver/datasets/llvip",
    }
    assert (r["version"]["label"], r["version"]["root_hash"], r["version"]["manifest_sha256"]) == (
        "1.0",
        v.root_hash,
        v.manifest_sha256,
    )
    assert r["version"]["file_count"] == v.file_count
    terms = policies.get(db, world.dataset_id, 1)
    canonical = json.dumps(terms.row.document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert r["terms"]["version"] == 1 and r["terms"]["sha256"] == hashlib.sha256(canonical.encode()).hexdigest()
    assert r["terms"]["url"] == "http://testserver/api/v1/datasets/llvip/policy?version=1"
    assert "email" not in json.dumps(r["licensee"])  # a record is for publishing: no address in it


def test_the_organisation_without_an_application_is_the_registered_one_and_the_unit_the_grants(db_rt, db, world):
    r = record_of(issue(db_rt, db, user(db_rt, "ben@institute.example")))
    assert r["licensee"] == {"name": "Ben", "organisation": "Example Institute", "unit": "Night Vision Group"}


def test_the_record_verifies_with_the_platform_certificate_and_an_altered_one_does_not(db_rt, db, world):
    signed = issue(db_rt, db, user(db_rt, "ana@lab.example"))
    keys = signing.platform_keys(db_rt.settings.data_dir)
    cert = signing.load_cert(keys.cert.read_bytes())
    data, sig = signed.record.encode(), base64.b64decode(signed.signature)
    assert signing.verifies(data, sig, cert)
    assert not signing.verifies(data.replace(b'"active"', b'"revoked"'), sig, cert)
    assert signed.certificate_fingerprint == signing.fingerprint(cert)
    assert signed.certificate_url == "http://testserver/api/v1/signing-key"


@needs_openssl
def test_stock_openssl_verifies_the_record_and_refuses_an_altered_record_or_signature(db_rt, db, world, tmp_path):
    signed = issue(db_rt, db, user(db_rt, "ana@lab.example"))
    keys = signing.platform_keys(db_rt.settings.data_dir)
    pem = keys.cert.read_bytes() + signing.public_pem(signing.load_cert(keys.cert.read_bytes()))
    (tmp_path / "accord-signing.pem").write_bytes(pem)  # what GET /api/v1/signing-key serves
    record, sig = tmp_path / signed.filename, tmp_path / (signed.filename + ".sig")
    record.write_bytes(signed.record.encode())
    sig.write_bytes(base64.b64decode(signed.signature))
    command = signed.verify.split()
    assert command == [
        "openssl",
        "dgst",
        "-sha256",
        "-verify",
        "accord-signing.pem",
        "-signature",
        sig.name,
        record.name,
    ]
    ok = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert ok.returncode == 0 and "Verified OK" in ok.stdout, ok.stdout + ok.stderr
    altered = json.loads(signed.record)
    altered["grant"]["expires_at"] = "2099-12-31T00:00:00Z"  # a licensee stretching their access
    record.write_text(json.dumps(altered, indent=2, sort_keys=True) + "\n")
    refused = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert refused.returncode != 0 and "Verification failure" in refused.stdout + refused.stderr
    record.write_bytes(signed.record.encode())
    bad = bytearray(base64.b64decode(signed.signature))
    bad[-1] ^= 0x01
    sig.write_bytes(bytes(bad))
    assert subprocess.run(command, cwd=tmp_path, capture_output=True).returncode != 0


def test_each_record_issued_is_audited_with_its_hash(db_rt, db, world):
    curator = user(db_rt, "cur@lab.example")
    signed = issue(db_rt, db, curator, licensee="ana@lab.example")
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "licence_record.issued")).one()
    assert (event.object_type, event.object_id, event.actor_id) == ("entitlement", str(world.grants["ana"]), curator.id)
    assert event.data["sha256"] == hashlib.sha256(signed.record.encode()).hexdigest()


def test_curators_get_any_licensees_record_and_the_shell_with_an_address(db_rt, db, world):
    curator = user(db_rt, "cur@lab.example")
    assert record_of(issue(db_rt, db, curator, licensee="Ben@Institute.example"))["licensee"]["name"] == "Ben"
    assert record_of(issue(db_rt, db, "cli", licensee="ana@lab.example"))["grant"]["id"] == world.grants["ana"]
    with pytest.raises(InvalidInput, match="say whose licence record"):
        issue(db_rt, db, "cli")


def test_another_licensees_record_is_refused_before_the_address_is_looked_up(db_rt, db, world):
    ben = user(db_rt, "ben@institute.example")
    for address in ("ana@lab.example", "nobody@nowhere.example"):
        with pytest.raises(PermissionDenied, match="goes to its licensee and to the dataset's curators only"):
            issue(db_rt, db, ben, licensee=address)
    assert record_of(issue(db_rt, db, ben, licensee="ben@institute.example"))["licensee"]["name"] == "Ben"
    with pytest.raises(NotAuthenticated):
        issue(db_rt, db, None)
    with pytest.raises(NotAuthenticated):
        issue(db_rt, db, None, licensee="ana@lab.example")


def test_no_grant_of_the_version_means_no_record(db_rt, db, world):
    with pytest.raises(NotFound, match="you hold no access to version 1.0 of llvip"):
        issue(db_rt, db, user(db_rt, "cy@lab.example"))
    with pytest.raises(NotFound, match="you hold no access to version 1.0"):  # Dee's grant is of 2.0
        issue(db_rt, db, user(db_rt, "dee@lab.example"))
    assert (
        record_of(issue(db_rt, db, user(db_rt, "dee@lab.example"), label="2.0"))["grant"]["id"] == world.grants["dee"]
    )
    curator = user(db_rt, "cur@lab.example")
    with pytest.raises(NotFound, match="cy@lab.example holds no access to version 1.0"):
        issue(db_rt, db, curator, licensee="cy@lab.example")
    with pytest.raises(NotFound, match="nobody with the address nobody@nowhere.example"):
        issue(db_rt, db, curator, licensee="nobody@nowhere.example")


def test_a_malformed_address_is_refused_at_the_field(db_rt, db, world):
    with pytest.raises(InvalidInput) as err:
        issue(db_rt, db, user(db_rt, "cur@lab.example"), licensee="not an address")
    assert err.value.field == "licensee" and "not a valid e-mail address" in err.value.message


def test_a_curator_of_another_dataset_is_refused(db_rt, db, world):
    from accord.identity import service as identity
    from tests.jobs.catalogue import published_dataset

    other, _ = published_dataset(db_rt, db_rt.settings.data_dir, "other", title="Other", count=1, previews=0)
    with db_rt.session() as s:
        identity.grant_role(s, identity.user_by_email(s, "cy@lab.example"), "curator", dataset_id=other.id)
    with pytest.raises(PermissionDenied):
        issue(db_rt, db, user(db_rt, "cy@lab.example"), licensee="ana@lab.example")


def test_the_record_states_a_revocation_and_an_expiry_as_they_are(db_rt, db, world):
    entitlements.revoke(db, world.grants["ana"], actor="cli", reason="breach")
    r = record_of(issue(db_rt, db, user(db_rt, "ana@lab.example")))
    assert r["grant"]["status"] == "revoked" and r["grant"]["revoked_at"].endswith("Z")
    later = record_of(issue(db_rt, db, user(db_rt, "ben@institute.example"), at=utcnow() + timedelta(days=1)))
    assert later["grant"]["status"] == "active" and later["issued_at"] > r["issued_at"]


def test_new_terms_pause_the_grant_and_the_record_keeps_the_terms_agreed_to(db_rt, db, world):
    changed = seed("llvip").model_copy(update={"access_days": 365})
    policies.set_policy(db, world.dataset_id, changed, actor="cli")
    r = record_of(issue(db_rt, db, user(db_rt, "ana@lab.example")))
    assert r["grant"]["status"] == "paused" and r["terms"]["version"] == 1


def test_a_withdrawn_version_has_no_record(db_rt, db, world):
    catalog.withdraw(db, world.version_id, actor="cli", reason="superseded")
    with pytest.raises(IllegalTransition, match="withdrawn"):
        issue(db_rt, db, user(db_rt, "ana@lab.example"))
