"""The applications API: the applicant's path, a reviewer's decision, and clear errors that change nothing."""

import pytest
from sqlalchemy import func, select

from accord.access import sealing
from accord.access.models import ApplicationEvent
from accord.identity import service as identity
from tests.access.helpers import answers, dataset_with_terms, person


@pytest.fixture
def world(rt, tmp_path):
    at_ustc = dataset_with_terms(rt, tmp_path, "at-ustc")
    shhq = dataset_with_terms(rt, tmp_path, "shhq")
    dataset_with_terms(rt, tmp_path, "llvip")
    with rt.session() as db:
        people = {
            "ana": person(db, "ana@mit.edu"),
            "rev": person(db, "rev@ustc.edu.cn", reviewer_of=at_ustc),
            "other": person(db, "other@lab.example", reviewer_of=shhq),
        }
        return {
            name: {"Authorization": f"Bearer {identity.create_api_token(db, u, name='t').secret}"}
            for name, u in people.items()
        }


def signed(client, who, slug):
    app = client.post(f"/api/v1/datasets/{slug}/applications", headers=who)
    assert app.status_code == 201, app.text
    app_id = app.json()["id"]
    saved = client.put(
        f"/api/v1/applications/{app_id}/answers", headers=who, json={"answers": answers(slug, "ana@mit.edu")}
    )
    assert saved.status_code == 200 and saved.json()["missing"][0] == "your signature on the agreement"
    response = client.post(
        f"/api/v1/applications/{app_id}/sign", headers=who, json={"full_name": "Ana Lima", "consent": True}
    )
    assert response.status_code == 200 and response.json()["signed_by"] == "Ana Lima"
    return app_id


def event_count(rt, app_id):
    with rt.session() as db:
        return db.scalar(select(func.count()).where(ApplicationEvent.application_id == app_id))


def test_llvip_is_applied_for_signed_and_approved_automatically_through_the_api(client, world):
    ana = world["ana"]
    app_id = signed(client, ana, "llvip")
    body = client.post(f"/api/v1/applications/{app_id}/submit", headers=ana).json()
    assert body["status"] == "approved" and body["missing"] == []
    assert [e["kind"] for e in body["timeline"]][-3:] == ["submitted", "checks_run", "approved"]
    assert {c["name"] for c in body["checks"]} >= {"email_syntax", "institutional_email", "blocklist"}
    listed = client.get("/api/v1/applications", headers=ana).json()
    assert [(r["id"], r["dataset"], r["status"]) for r in listed] == [(app_id, "llvip", "approved")]


def test_the_agreement_pdf_is_a_preview_until_signed_and_then_the_sealed_copy(client, rt, world):
    ana = world["ana"]
    app_id = client.post("/api/v1/datasets/shhq/applications", headers=ana).json()["id"]
    preview = client.get(f"/api/v1/applications/{app_id}/agreement.pdf", headers=ana)
    assert preview.headers["content-type"] == "application/pdf"
    cert = rt.settings.data_dir / "keys" / "seal.pem"
    assert not cert.exists() or not sealing.verify(preview.content, cert).ok
    client.put(f"/api/v1/applications/{app_id}/answers", headers=ana, json={"answers": answers("shhq", "ana@mit.edu")})
    client.post(f"/api/v1/applications/{app_id}/sign", headers=ana, json={"full_name": "Ana Lima", "consent": True})
    sealed = client.get(f"/api/v1/applications/{app_id}/agreement.pdf", headers=ana)
    assert sealing.verify(sealed.content, cert).ok


def test_a_reviewer_of_the_dataset_approves_and_others_are_refused(client, rt, world):
    app_id = signed(client, world["ana"], "at-ustc")
    client.post(f"/api/v1/applications/{app_id}/submit", headers=world["ana"])
    before = event_count(rt, app_id)
    for action, body in (("approve", {}), ("reject", {"reason": "x"}), ("return", {"comment": "x"})):
        # a reviewer of another dataset hears "no such application", as when reading it (no existence oracle)
        assert (
            client.post(f"/api/v1/applications/{app_id}/{action}", headers=world["other"], json=body).status_code == 404
        )
    assert client.post(f"/api/v1/applications/{app_id}/approve", headers=world["ana"]).status_code == 403
    assert client.get(f"/api/v1/applications/{app_id}", headers=world["other"]).status_code == 404
    assert event_count(rt, app_id) == before
    seen = client.get(f"/api/v1/applications/{app_id}", headers=world["rev"]).json()
    assert seen["status"] == "submitted" and seen["missing"] == ["a reviewer's decision"]
    done = client.post(f"/api/v1/applications/{app_id}/approve", headers=world["rev"], json={"note": "ok"})
    assert done.status_code == 200 and done.json()["status"] == "approved"


def test_reject_needs_a_reason_and_return_a_comment(client, rt, world):
    app_id = signed(client, world["ana"], "at-ustc")
    client.post(f"/api/v1/applications/{app_id}/submit", headers=world["ana"])
    before = event_count(rt, app_id)
    blank = client.post(f"/api/v1/applications/{app_id}/reject", headers=world["rev"], json={"reason": "  "})
    assert blank.status_code == 422 and blank.json()["field"] == "reason"
    assert client.post(f"/api/v1/applications/{app_id}/return", headers=world["rev"], json={}).status_code == 422
    assert event_count(rt, app_id) == before
    returned = client.post(
        f"/api/v1/applications/{app_id}/return", headers=world["rev"], json={"comment": "Add your lab's site."}
    ).json()
    assert returned["status"] == "returned" and returned["reason"] == "Add your lab's site."
    client.post(
        f"/api/v1/applications/{app_id}/sign", headers=world["ana"], json={"full_name": "Ana Lima", "consent": True}
    )
    client.post(f"/api/v1/applications/{app_id}/submit", headers=world["ana"])
    rejected = client.post(
        f"/api/v1/applications/{app_id}/reject", headers=world["rev"], json={"reason": "Commercial purpose."}
    ).json()
    assert rejected["status"] == "rejected" and rejected["reason"] == "Commercial purpose."


def test_a_wrong_field_is_a_422_naming_it_and_saves_nothing(client, rt, world):
    ana = world["ana"]
    app_id = client.post("/api/v1/datasets/shhq/applications", headers=ana).json()["id"]
    before = event_count(rt, app_id)
    response = client.put(f"/api/v1/applications/{app_id}/answers", headers=ana, json={"answers": {"age": "33"}})
    assert response.status_code == 422 and response.json()["field"] == "age"
    response = client.post(
        f"/api/v1/applications/{app_id}/sign", headers=ana, json={"full_name": "Ana Lima", "consent": True}
    )
    assert response.status_code == 422 and response.json()["field"] == "organisation"
    assert event_count(rt, app_id) == before


def test_a_second_submit_is_a_409_and_withdrawing_twice_too(client, world):
    ana = world["ana"]
    app_id = signed(client, ana, "shhq")
    assert client.post(f"/api/v1/applications/{app_id}/submit", headers=ana).status_code == 200
    second = client.post(f"/api/v1/applications/{app_id}/submit", headers=ana)
    assert second.status_code == 409 and "submitted" in second.json()["detail"]
    assert client.post(f"/api/v1/applications/{app_id}/withdraw", headers=ana).json()["status"] == "withdrawn"
    assert client.post(f"/api/v1/applications/{app_id}/withdraw", headers=ana).status_code == 409


def test_unknown_applications_and_datasets_are_404_and_anonymous_callers_401(client, world):
    assert client.get("/api/v1/applications/999999", headers=world["ana"]).status_code == 404
    assert client.post("/api/v1/datasets/no-such/applications", headers=world["ana"]).status_code == 404
    assert client.get("/api/v1/applications").status_code == 401


def test_an_application_starts_with_its_answers_and_bad_answers_start_nothing(client, rt, world):
    ana = world["ana"]
    bad = client.post(
        "/api/v1/datasets/shhq/applications",
        headers=ana,
        json={"answers": {**answers("shhq", "ana@mit.edu"), "age": "33"}},
    )
    assert bad.status_code == 422 and bad.json()["field"] == "age"
    assert client.get("/api/v1/applications", headers=ana).json() == []
    made = client.post(
        "/api/v1/datasets/shhq/applications", headers=ana, json={"answers": answers("shhq", "ana@mit.edu")}
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["answers"]["organisation"] == "Example University"
    assert body["missing"][0] == "your signature on the agreement"


def test_a_draft_and_its_scan_are_the_applicants_alone_until_submitted(client, rt, world):
    app_id = signed(client, world["ana"], "at-ustc")
    for path in (f"/api/v1/applications/{app_id}", f"/api/v1/applications/{app_id}/scan"):
        assert client.get(path, headers=world["rev"]).status_code == 404
    assert client.post(f"/api/v1/applications/{app_id}/approve", headers=world["rev"]).status_code == 404
    assert client.get(f"/api/v1/applications/{app_id}", headers=world["ana"]).status_code == 200
    client.post(f"/api/v1/applications/{app_id}/submit", headers=world["ana"])
    assert client.get(f"/api/v1/applications/{app_id}", headers=world["rev"]).status_code == 200
