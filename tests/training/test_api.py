"""Training certificates over /api/v1: upload, list mine, the file, reviewers' list, accept and reject."""

from sqlalchemy import select

from accord.audit.models import AuditEvent
from accord.entitlements import service as entitlements
from tests.identity.helpers import api_token
from tests.training.helpers import dataset_needing_training, days, person, png, signed


def setup(rt, tmp_path):
    dataset = dataset_needing_training(rt, tmp_path)
    other = dataset_needing_training(rt, tmp_path, "shhq")
    with rt.session() as db:
        ana = person(db, "ana@mit.edu")
        person(db, "rev@lab.example", reviewer_of=dataset)
        person(db, "rev2@lab.example", reviewer_of=other)
        app_id = signed(rt, db, "at-ustc", ana).id
    auth = {
        who: {"Authorization": f"Bearer {api_token(rt, who)}"}
        for who in ("ana@mit.edu", "rev@lab.example", "rev2@lab.example")
    }
    return dataset, ana, app_id, auth


def post(client, headers, data=None, **fields):
    form = {"course": "CITI Program", "completed_on": str(days(-30)), "expires_on": str(days(300)), **fields}
    return client.post(
        "/api/v1/training",
        headers=headers,
        data=form,
        files={"file": ("citi.png", png() if data is None else data, "image/png")},
    )


def test_upload_review_and_approval_through_the_api(client, rt, tmp_path):
    dataset, ana, app_id, auth = setup(rt, tmp_path)
    ana_h, rev_h = auth["ana@mit.edu"], auth["rev@lab.example"]
    sent = client.post(f"/api/v1/applications/{app_id}/submit", headers=ana_h)
    assert sent.status_code == 422 and "upload your certificate" in sent.json()["detail"]
    made = post(client, ana_h, application_id=str(app_id))
    assert made.status_code == 201, made.text
    cert = made.json()
    assert (cert["status"], cert["media_type"], cert["application_id"]) == ("pending", "image/png", app_id)
    assert [c["id"] for c in client.get("/api/v1/training", headers=ana_h).json()] == [cert["id"]]
    missing = client.get(f"/api/v1/applications/{app_id}", headers=ana_h).json()["missing"]
    assert "an accepted training certificate (waiting for a reviewer)" in missing
    assert client.post(f"/api/v1/applications/{app_id}/submit", headers=ana_h).status_code == 200
    waiting = client.get("/api/v1/review-queue/training", headers=rev_h).json()
    assert [(c["id"], c["holder_email"]) for c in waiting] == [(cert["id"], "ana@mit.edu")]
    early = client.post(f"/api/v1/applications/{app_id}/approve", headers=rev_h)
    assert early.status_code == 409 and "training certificate is accepted" in early.json()["detail"]
    assert client.get(f"/api/v1/training/{cert['id']}/file", headers=rev_h).content == png()
    own = client.post(f"/api/v1/training/{cert['id']}/accept", headers=ana_h)
    assert own.status_code == 403
    ok = client.post(f"/api/v1/training/{cert['id']}/accept", headers=rev_h)
    assert ok.status_code == 200 and ok.json()["status"] == "accepted"
    again = client.post(f"/api/v1/training/{cert['id']}/reject", headers=rev_h, json={"reason": "late"})
    assert again.status_code == 409
    assert client.post(f"/api/v1/applications/{app_id}/approve", headers=rev_h).json()["status"] == "approved"
    with rt.session() as db:
        assert entitlements.check(db, ana, dataset.id).allowed
        actions = set(db.scalars(select(AuditEvent.action).where(AuditEvent.action.like("training.%"))))
    assert actions == {"training.uploaded", "training.accepted"}


def test_bad_uploads_are_refused_with_the_field_and_nothing_is_stored(client, rt, tmp_path):
    _, _, app_id, auth = setup(rt, tmp_path)
    ana_h = auth["ana@mit.edu"]
    text = post(client, ana_h, data=b"just some text", application_id=str(app_id))
    assert text.status_code == 422 and "PDF, PNG or JPEG" in text.json()["detail"]
    dates = post(client, ana_h, application_id=str(app_id), expires_on="next year")
    assert dates.status_code == 422 and "YYYY-MM-DD" in dates.json()["detail"]
    nowhere = post(client, ana_h)
    assert nowhere.status_code == 422 and "which application or dataset" in nowhere.json()["detail"]
    assert client.get("/api/v1/training", headers=ana_h).json() == []


def test_a_rejection_is_told_and_others_see_nothing(client, rt, tmp_path):
    _, _, app_id, auth = setup(rt, tmp_path)
    cert = post(client, auth["ana@mit.edu"], application_id=str(app_id)).json()
    stranger = auth["rev2@lab.example"]  # reviews another dataset
    assert client.get(f"/api/v1/training/{cert['id']}", headers=stranger).status_code == 404
    assert client.get(f"/api/v1/training/{cert['id']}/file", headers=stranger).status_code == 404
    assert (
        client.post(f"/api/v1/training/{cert['id']}/reject", headers=stranger, json={"reason": "no"}).status_code == 404
    )
    assert client.get("/api/v1/review-queue/training", headers=stranger).json() == []
    assert client.get("/api/v1/review-queue/training", headers=auth["ana@mit.edu"]).status_code == 403
    rev_h = auth["rev@lab.example"]
    blank = client.post(f"/api/v1/training/{cert['id']}/reject", headers=rev_h, json={"reason": ""})
    assert blank.status_code == 422
    done = client.post(f"/api/v1/training/{cert['id']}/reject", headers=rev_h, json={"reason": "unreadable scan"})
    assert done.json()["status"] == "rejected" and done.json()["reject_reason"] == "unreadable scan"
    mine = client.get(f"/api/v1/training/{cert['id']}", headers=auth["ana@mit.edu"]).json()
    assert mine["reject_reason"] == "unreadable scan"


def test_the_file_listing_is_refused_while_the_certificate_ran_out_and_served_once_a_new_one_is_accepted(
    client, rt, tmp_path
):
    from accord.db import utcnow
    from accord.training import service as training
    from accord.training.models import TrainingCertificate

    dataset, ana, app_id, auth = setup(rt, tmp_path)
    ana_h, rev_h = auth["ana@mit.edu"], auth["rev@lab.example"]
    cert = post(client, ana_h, application_id=str(app_id)).json()
    client.post(f"/api/v1/applications/{app_id}/submit", headers=ana_h)
    client.post(f"/api/v1/training/{cert['id']}/accept", headers=rev_h)
    client.post(f"/api/v1/applications/{app_id}/approve", headers=rev_h)
    files = "/api/v1/datasets/at-ustc/versions/1.0/files"
    assert client.get(files, headers=ana_h).status_code == 200
    with rt.session() as db:  # as if it had been uploaded long ago and ran out yesterday
        row = db.get(TrainingCertificate, cert["id"])
        row.completed_on, row.expires_on = days(-400), days(-1)
        db.commit()
    paused = client.get(files, headers=ana_h)
    assert paused.status_code == 403
    assert (
        f"expired on {days(-1)}" in paused.json()["detail"] and "/datasets/at-ustc/download" in paused.json()["detail"]
    )
    renewal = post(client, ana_h, dataset="at-ustc").json()
    assert "awaiting review" in client.get(files, headers=ana_h).json()["detail"]
    client.post(f"/api/v1/training/{renewal['id']}/accept", headers=rev_h)
    assert client.get(files, headers=ana_h).status_code == 200
    with rt.session() as db:
        assert training.standing(db, ana.id, training.terms_training(db, dataset.id), utcnow().date()).ok
