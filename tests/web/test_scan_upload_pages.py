"""Signing by hand in the browser: download the agreement, upload the signed scan; errors next to the field."""

from accord.access import scan
from accord.access import service as access
from tests.access.helpers import answers, dataset_with_terms, person, png
from tests.identity.helpers import csrf, log_in


def draft(rt, tmp_path, email="ana@mit.edu"):
    dataset = dataset_with_terms(rt, tmp_path, "at-ustc")
    with rt.session() as db:
        ana = person(db, email)
        app_id = access.start(db, "at-ustc", actor=ana, answers=answers("at-ustc", ana.email)).id
    return dataset, ana, app_id


def upload(client, app_id, file, *, full_name="Ana Lima", consent=True, token=None):
    data = {"csrf_token": token or csrf(client, f"/applications/{app_id}"), "full_name": full_name}
    if consent:
        data["consent"] = "yes"
    files = {"scan": file} if file is not None else {"scan": ("", b"", "application/octet-stream")}
    return client.post(f"/applications/{app_id}/scan", data=data, files=files, follow_redirects=False)


def signature(rt, app_id, viewer):
    with rt.session() as db:
        return access.get(db, app_id, viewer=viewer).state.signature


def test_the_application_page_offers_the_scan_upload_and_a_scan_signs_it(client, rt, tmp_path):
    _dataset, ana, app_id = draft(rt, tmp_path)
    log_in(client, ana.email)
    page = client.get(f"/applications/{app_id}")
    assert "Or download the agreement, sign it by hand, and upload the scan" in page.text
    assert 'enctype="multipart/form-data"' in page.text and 'name="scan"' in page.text

    done = upload(client, app_id, ("signed.png", png(), "image/png"))
    assert done.status_code == 303 and done.headers["location"].endswith("?notice=scanned")
    sig = signature(rt, app_id, ana)
    assert sig["method"] == "scan" and sig["full_name"] == "Ana Lima" and sig["scan_type"] == "image/png"
    after = client.get(done.headers["location"])
    assert "Signed by hand by <strong>Ana Lima</strong>" in after.text
    assert f'href="/applications/{app_id}/scan"' in after.text and "upload the scan" not in after.text
    shown = client.get(f"/applications/{app_id}/scan")
    assert shown.status_code == 200 and shown.content == png() and shown.headers["content-type"] == "image/png"
    assert shown.headers["content-security-policy"] == "sandbox"
    assert not list((rt.settings.data_dir / "uploads").iterdir())  # the received file is not kept twice
    token = csrf(client, f"/applications/{app_id}")
    sent = client.post(f"/applications/{app_id}/submit", data={"csrf_token": token}, follow_redirects=False)
    assert sent.status_code == 303


def test_the_reviewer_sees_and_opens_the_uploaded_scan(client, rt, tmp_path):
    dataset, ana, app_id = draft(rt, tmp_path)
    with rt.session() as db:
        scan.upload(rt, db, app_id, actor=ana, data=png(), full_name="Ana Lima", consent=True)
        access.submit(db, app_id, actor=ana)
        reviewer = person(db, "rev@lab.example", reviewer_of=dataset)
        stranger = person(db, "eve@evil.example")
    log_in(client, reviewer.email)
    page = client.get(f"/review/{app_id}")
    assert 'id="scan-link"' in page.text and "The agreement signed by hand (uploaded image)" in page.text
    assert f'<img src="/applications/{app_id}/scan"' in page.text
    assert client.get(f"/applications/{app_id}/scan").content == png()
    client.cookies.clear()
    log_in(client, stranger.email)
    assert client.get(f"/applications/{app_id}/scan").status_code == 404


def test_an_application_signed_by_typing_has_no_scan(client, rt, tmp_path):
    _dataset, ana, app_id = draft(rt, tmp_path)
    log_in(client, ana.email)
    assert client.get(f"/applications/{app_id}/scan").status_code == 404


def test_wrong_empty_missing_and_unconfirmed_uploads_are_refused_next_to_the_field(client, rt, tmp_path):
    _dataset, ana, app_id = draft(rt, tmp_path)
    log_in(client, ana.email)
    cases = [
        (("agreement.pdf", b"GIF89a not a pdf at all", "application/pdf"), {}, "e-scan", "PDF, PNG or JPEG"),
        (("agreement.pdf", b"", "application/pdf"), {}, "e-scan", "the file is empty"),
        (None, {}, "e-scan", "choose the file with your signed agreement"),
        (("signed.png", png(), "image/png"), {"full_name": ""}, "e-scan_name", "type your full name"),
        (("signed.png", png(), "image/png"), {"consent": False}, "e-scan_consent", "tick the box"),
    ]
    for file, options, error_id, message in cases:
        response = upload(client, app_id, file, **options)
        assert response.status_code == 422, (message, response.status_code)
        assert f'id="{error_id}"' in response.text and message in response.text, message
        assert '<details class="scan-upload" open>' in response.text
        assert signature(rt, app_id, ana) is None
    kept = upload(client, app_id, ("x.gif", b"GIF89a", "image/gif"), full_name="Ana Typed")
    assert 'value="Ana Typed"' in kept.text and 'value="Example University"' in kept.text


def test_a_file_over_the_limit_is_refused_with_413_and_nothing_is_stored(client, rt, tmp_path):
    _dataset, ana, app_id = draft(rt, tmp_path)
    log_in(client, ana.email)
    big = png() + b"\0" * scan.MAX_SCAN_BYTES
    response = upload(client, app_id, ("huge.png", big, "image/png"))
    assert response.status_code == 413
    assert 'id="e-scan"' in response.text and "larger than the limit" in response.text
    assert signature(rt, app_id, ana) is None
    assert not list((rt.settings.data_dir / "uploads").iterdir())


def test_a_reviewer_or_a_stranger_cannot_upload_and_a_forged_token_changes_nothing(client, rt, tmp_path):
    dataset, ana, app_id = draft(rt, tmp_path)
    with rt.session() as db:
        reviewer = person(db, "rev@lab.example", reviewer_of=dataset)
        stranger = person(db, "eve@evil.example")
    file = ("s.png", png(), "image/png")
    log_in(client, reviewer.email)
    assert (
        upload(client, app_id, file, token=csrf(client, "/applications")).status_code == 404
    )  # a draft is the applicant's
    client.cookies.clear()
    log_in(client, stranger.email)
    assert upload(client, app_id, file, token=csrf(client, "/applications")).status_code == 404
    client.cookies.clear()
    log_in(client, ana.email)
    assert upload(client, app_id, ("s.png", png(), "image/png"), token="forged").status_code == 403
    assert signature(rt, app_id, ana) is None
