"""Training certificates in the browser: the applicant uploads one with the application (errors next to the
fields), reviewers open and accept or reject it on the review page, a paused licensee uploads a renewal."""

from sqlalchemy import select

from accord.access import service as access
from accord.access import workflow
from accord.training import service as training
from accord.training.models import TrainingCertificate
from tests.identity.helpers import csrf, log_in
from tests.training.helpers import dataset_needing_training, days, person, png, signed, upload


def post_certificate(client, url, file=("citi.png", None, "image/png"), *, page=None, **fields):
    data = {
        "csrf_token": csrf(client, page or url.rsplit("/", 1)[0]),
        "course": "CITI Program",
        "completed_on": str(days(-30)),
        "expires_on": str(days(300)),
        **fields,
    }
    name, content, kind = file
    return client.post(
        url,
        data=data,
        files={"certificate": (name, png() if content is None else content, kind)},
        follow_redirects=False,
    )


def setup(rt, tmp_path):
    dataset = dataset_needing_training(rt, tmp_path)
    with rt.session() as db:
        ana = person(db, "ana@mit.edu")
        rev = person(db, "rev@lab.example", reviewer_of=dataset)
        app_id = signed(rt, db, "at-ustc", ana).id
    return dataset, ana, rev, app_id


def test_submitting_without_a_certificate_shows_the_error_next_to_the_field(client, rt, tmp_path):
    _, ana, _, app_id = setup(rt, tmp_path)
    log_in(client, ana.email)
    page = client.get(f"/applications/{app_id}")
    assert 'id="training-h"' in page.text and 'name="certificate"' in page.text and 'name="expires_on"' in page.text
    assert 'id="missing-certificate">an accepted training certificate (none uploaded yet)' in page.text
    token = csrf(client, f"/applications/{app_id}")
    refused = client.post(f"/applications/{app_id}/submit", data={"csrf_token": token})
    assert refused.status_code == 422
    assert 'id="e-certificate"' in refused.text and "upload your certificate of" in refused.text
    assert (
        'id="f-certificate" name="certificate" type="file" accept=".pdf,.png,.jpg,.jpeg,application/pdf,image/png,'
        'image/jpeg" aria-invalid="true"' in refused.text
    )


def test_the_applicant_uploads_a_certificate_and_then_submits(client, rt, tmp_path):
    _, ana, _, app_id = setup(rt, tmp_path)
    log_in(client, ana.email)
    done = post_certificate(client, f"/applications/{app_id}/training", page=f"/applications/{app_id}")
    assert done.status_code == 303 and "notice=training" in done.headers["location"]
    page = client.get(done.headers["location"])
    assert "waiting for a reviewer" in page.text and "CITI Program" in page.text
    assert "an accepted training certificate (waiting for a reviewer)" in page.text
    with rt.session() as db:
        cert = db.scalar(select(TrainingCertificate))
    shown = client.get(f"/training/{cert.id}/file")
    assert shown.status_code == 200 and shown.content == png() and shown.headers["content-security-policy"] == "sandbox"
    assert not list((rt.settings.data_dir / "uploads").iterdir())
    sent = client.post(
        f"/applications/{app_id}/submit",
        data={"csrf_token": csrf(client, f"/applications/{app_id}")},
        follow_redirects=False,
    )
    assert sent.status_code == 303


def test_a_file_that_is_not_a_pdf_or_an_image_and_bad_dates_are_refused_at_their_fields(client, rt, tmp_path):
    _, ana, _, app_id = setup(rt, tmp_path)
    log_in(client, ana.email)
    url, page = f"/applications/{app_id}/training", f"/applications/{app_id}"
    gif = post_certificate(client, url, ("cert.pdf", b"GIF89a not a pdf", "application/pdf"), page=page)
    assert gif.status_code == 422 and 'id="e-certificate"' in gif.text
    assert "the certificate must be a PDF, PNG or JPEG file" in gif.text
    late = post_certificate(client, url, page=page, expires_on="2001-01-01")
    assert late.status_code == 422 and 'id="e-expires_on"' in late.text and 'value="CITI Program"' in late.text
    empty = post_certificate(client, url, ("", b"", "application/octet-stream"), page=page)
    assert empty.status_code == 422 and "choose the certificate file" in empty.text
    with rt.session() as db:
        assert db.scalar(select(TrainingCertificate)) is None


def test_a_reviewer_cannot_approve_before_accepting_the_certificate_on_the_review_page(client, rt, tmp_path):
    _dataset, ana, rev, app_id = setup(rt, tmp_path)
    with rt.session() as db:
        cert = upload(rt, db, ana, application_id=app_id)
        access.submit(db, app_id, actor=ana)
    log_in(client, rev.email)
    page = client.get(f"/review/{app_id}")
    assert f'href="/training/{cert.id}/file"' in page.text and str(days(365)) in page.text
    assert client.get(f"/training/{cert.id}/file").status_code == 200
    token = csrf(client, f"/review/{app_id}")
    early = client.post(f"/review/{app_id}/approve", data={"csrf_token": token, "text": ""})
    assert early.status_code == 409 and "until the applicant&#39;s training certificate is accepted" in early.text
    no_reason = client.post(f"/training/{cert.id}/reject", data={"csrf_token": token, "reason": " "})
    assert no_reason.status_code == 422 and 'id="e-training_reject"' in no_reason.text
    ok = client.post(f"/training/{cert.id}/accept", data={"csrf_token": token}, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"].startswith(f"/review/{app_id}?notice=training-accepted")
    assert "The training certificate was accepted." in client.get(ok.headers["location"]).text
    approved = client.post(f"/review/{app_id}/approve", data={"csrf_token": token, "text": ""}, follow_redirects=False)
    assert approved.status_code == 303
    with rt.session() as db:
        assert access.get(db, app_id, viewer=ana).state.status is workflow.Status.approved


def test_strangers_and_other_reviewers_cannot_open_the_file(client, rt, tmp_path):
    _, ana, _, app_id = setup(rt, tmp_path)
    other = dataset_needing_training(rt, tmp_path, "shhq")
    with rt.session() as db:
        cert = upload(rt, db, ana, application_id=app_id)
        person(db, "eve@mit.edu")
        person(db, "rev2@lab.example", reviewer_of=other)
    for who in ("eve@mit.edu", "rev2@lab.example"):
        client.cookies.clear()
        log_in(client, who)
        assert client.get(f"/training/{cert.id}/file").status_code == 404


def test_a_paused_licensee_uploads_a_renewal_and_downloads_again_once_it_is_accepted(client, rt, tmp_path):
    _dataset, ana, rev, app_id = setup(rt, tmp_path)
    with rt.session() as db:
        cert = upload(rt, db, ana, application_id=app_id)
        access.submit(db, app_id, actor=ana)
        training.accept(db, cert.id, actor=rev)
        access.approve(db, app_id, actor=rev)
        # the certificate ran out: as if it had been uploaded long ago
        row = db.get(TrainingCertificate, cert.id)
        row.completed_on, row.expires_on = days(-400), days(-1)
        db.commit()
    log_in(client, ana.email)
    refused = client.get("/datasets/at-ustc/download")
    assert refused.status_code == 403 and f"expired on {days(-1)}" in refused.text
    assert 'href="/datasets/at-ustc/training"' in refused.text
    page = client.get("/datasets/at-ustc/training")
    assert page.status_code == 200 and "ran out on" in page.text and 'name="certificate"' in page.text
    done = post_certificate(client, "/datasets/at-ustc/training")
    assert done.status_code == 303
    waiting = client.get("/datasets/at-ustc/download")
    assert waiting.status_code == 403 and "awaiting review" in waiting.text
    client.cookies.clear()
    log_in(client, rev.email)
    assert 'href="/review/training"' in client.get("/review").text
    queue = client.get("/review/training")
    with rt.session() as db:
        renewal = db.scalars(select(TrainingCertificate).order_by(TrainingCertificate.id.desc())).first()
    assert queue.status_code == 200 and f'action="/training/{renewal.id}/accept"' in queue.text
    ok = client.post(
        f"/training/{renewal.id}/accept", data={"csrf_token": csrf(client, "/review/training")}, follow_redirects=False
    )
    assert ok.headers["location"] == "/review/training?notice=accepted"
    client.cookies.clear()
    log_in(client, ana.email)
    page = client.get("/datasets/at-ustc/download")
    assert page.status_code == 200 and 'id="training-note"' in page.text and str(days(300)) in page.text


def test_a_renewal_needs_a_grant_and_an_error_is_shown_on_the_page(client, rt, tmp_path):
    setup(rt, tmp_path)
    log_in(client, "ana@mit.edu")
    refused = post_certificate(client, "/datasets/at-ustc/training")
    assert refused.status_code == 403 and "you hold no access to this dataset" in refused.text


def test_a_reviewer_cannot_open_a_draft_still_waiting_for_its_certificate(client, rt, tmp_path):
    _dataset, _ana, rev, app_id = setup(rt, tmp_path)
    log_in(client, rev.email)
    page = client.get(f"/review/{app_id}")
    assert page.status_code == 404  # a draft is the applicant's alone until it is submitted
