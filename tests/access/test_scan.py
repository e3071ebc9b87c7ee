"""Uploading a hand-signed scan: only real PDF/PNG/JPEG files, size-limited, bound to the agreement."""

import pytest

from accord.access import scan, workflow
from accord.access import service as access
from accord.errors import InvalidInput, NotFound, TooLarge
from tests.access.helpers import answers, dataset_with_terms, person, png


@pytest.fixture
def draft(db_rt, db, tmp_path):
    dataset_with_terms(db_rt, tmp_path, "at-ustc")
    ana = person(db, "ana@mit.edu")
    record = access.start(db, "at-ustc", actor=ana, answers=answers("at-ustc", ana.email))
    return ana, record.id


def test_a_signed_scan_counts_as_the_signature_and_is_stored(db_rt, db, draft):
    ana, app_id = draft
    data = png()
    record = scan.upload(db_rt, db, app_id, actor=ana, data=data, full_name="Ana Lima", consent=True)
    signature = record.state.signature
    assert signature["method"] == "scan" and signature["scan_type"] == "image/png"
    with db_rt.store.open(signature["scan_sha256"]) as fh:
        assert fh.read() == data
    assert access.submit(db, app_id, actor=ana).state.status is workflow.Status.submitted


def test_the_unsigned_agreement_pdf_can_be_uploaded_back_as_a_scan(db_rt, db, draft):
    ana, app_id = draft
    pdf = access.agreement_pdf(db_rt, db, app_id, viewer=ana)
    record = scan.upload(db_rt, db, app_id, actor=ana, data=pdf, full_name="Ana Lima", consent=True)
    assert record.state.signature["scan_type"] == "application/pdf"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GIF89a...", "PDF, PNG or JPEG"),
        (b"MZ\x90\x00 an executable renamed to .pdf", "PDF, PNG or JPEG"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "damaged"),
        (b"%PDF-1.7\n garbage", "damaged"),
        (b"", "the file is empty"),
    ],
)
def test_files_that_are_not_what_they_claim_are_refused_and_nothing_changes(db_rt, db, draft, data, message):
    ana, app_id = draft
    with pytest.raises(InvalidInput, match=message):
        scan.upload(db_rt, db, app_id, actor=ana, data=data, full_name="Ana Lima", consent=True)
    assert access.get(db, app_id, viewer=ana).state.signature is None


def test_a_scan_over_the_size_limit_is_refused(db_rt, db, draft, monkeypatch):
    ana, app_id = draft
    monkeypatch.setattr(scan, "MAX_SCAN_BYTES", 100)
    with pytest.raises(TooLarge):
        scan.upload(db_rt, db, app_id, actor=ana, data=png() + b"\x00" * 200, full_name="Ana Lima", consent=True)
    assert access.get(db, app_id, viewer=ana).state.signature is None


def test_the_api_takes_a_scan_as_a_multipart_upload(client, rt, tmp_path):
    from accord.identity import service as identity

    dataset_with_terms(rt, tmp_path, "at-ustc")
    with rt.session() as db:
        ana = person(db, "ana@mit.edu")
        app_id = access.start(db, "at-ustc", actor=ana, answers=answers("at-ustc", ana.email)).id
        token = identity.create_api_token(db, ana, name="t").secret
    auth = {"Authorization": f"Bearer {token}"}
    bad = client.post(
        f"/api/v1/applications/{app_id}/scan",
        headers=auth,
        files={"file": ("agreement.pdf", b"not really a pdf", "application/pdf")},
        data={"full_name": "Ana Lima", "consent": "true"},
    )
    assert bad.status_code == 422 and "PDF, PNG or JPEG" in bad.json()["detail"]
    ok = client.post(
        f"/api/v1/applications/{app_id}/scan",
        headers=auth,
        files={"file": ("scan.png", png(), "image/png")},
        data={"full_name": "Ana Lima", "consent": "true"},
    )
    assert ok.status_code == 200 and "submit" in ok.json()["actions"]


def test_the_api_gives_the_scan_to_the_applicant_and_the_reviewers_only(client, rt, tmp_path):
    from accord.identity import service as identity

    dataset = dataset_with_terms(rt, tmp_path, "at-ustc")
    with rt.session() as db:
        ana = person(db, "ana@mit.edu")
        app_id = access.start(db, "at-ustc", actor=ana, answers=answers("at-ustc", ana.email)).id
        bo = person(db, "bo@mit.edu")
        typed = access.start(db, "at-ustc", actor=bo, answers=answers("at-ustc", "bo@mit.edu"))
        reviewer = person(db, "rev@lab.example", reviewer_of=dataset)
        stranger = person(db, "eve@evil.example")
        tokens = {u.email: identity.create_api_token(db, u, name="t").secret for u in (ana, reviewer, stranger, bo)}
    sent = client.post(
        f"/api/v1/applications/{app_id}/scan",
        headers={"Authorization": f"Bearer {tokens[ana.email]}"},
        files={"file": ("scan.pdf", png(), "application/pdf")},  # named and declared a PDF
        data={"full_name": "Ana Lima", "consent": "true"},
    )
    assert sent.status_code == 200
    with rt.session() as db:
        access.submit(db, app_id, actor=identity.user_by_email(db, "ana@mit.edu"))  # reviewers see it once submitted

    def get(email, the_id=app_id):
        return client.get(f"/api/v1/applications/{the_id}/scan", headers={"Authorization": f"Bearer {tokens[email]}"})

    for email in ("ana@mit.edu", "rev@lab.example"):
        got = get(email)
        assert got.status_code == 200 and got.content == png()
        assert got.headers["content-type"] == "image/png"  # what the bytes are, not what the upload said
        assert got.headers["content-disposition"] == f'attachment; filename="signed-agreement-{app_id}.png"'
        assert got.headers["x-content-type-options"] == "nosniff"
    hidden = get("eve@evil.example")
    assert hidden.status_code == 404 and "has no uploaded scan" not in hidden.json()["detail"]  # nothing told
    assert client.get(f"/api/v1/applications/{app_id}/scan").status_code == 401
    none = get("rev@lab.example", typed.id)  # a draft, not signed at all yet: the reviewer may not know of it
    assert none.status_code == 404 and none.json()["detail"] == f"no application {typed.id}"
    unsigned = get("bo@mit.edu", typed.id)  # its applicant is told why
    assert unsigned.status_code == 404 and "has no uploaded scan: it is not signed yet" in unsigned.json()["detail"]


def test_an_application_signed_by_typing_says_it_has_no_scan(db_rt, db, draft):
    ana, app_id = draft
    access.sign(db_rt, db, app_id, actor=ana, full_name="Ana Lima", consent=True)
    with pytest.raises(NotFound, match="has no uploaded scan: it was signed by typing a name"):
        scan.stored(db_rt, db, app_id, viewer=ana)
