"""The signatory's page works without an account: read, sign with a typed name, or decline."""
from accord.access import workflow
from accord.access import service as access
from tests.access.test_signatory import invitation_token, submitted_cion
from tests.identity.helpers import csrf


def test_the_signatory_reads_the_terms_and_signs_in_the_browser(client, rt, tmp_path):
    with rt.session() as db:
        _, ana, _, app_id = submitted_cion(rt, db, tmp_path)
        token = invitation_token(db)
    page = client.get(f"/signatory/{token}")
    assert page.status_code == 200 and "legal authority" in page.text and "Ana Lima" in page.text
    form = {"csrf_token": csrf(client, f"/signatory/{token}"), "decision": "sign"}
    missing = client.post(f"/signatory/{token}", data={**form, "full_name": "Rita Sousa"})
    assert missing.status_code == 422 and "tick the box" in missing.text
    done = client.post(f"/signatory/{token}", data={**form, "full_name": "Rita Sousa", "consent": "true"})
    assert done.status_code == 200 and "the agreement is signed" in done.text
    with rt.session() as db:
        assert access.get(db, app_id, viewer=ana).state.status is workflow.Status.submitted
    again = client.get(f"/signatory/{token}")
    assert again.status_code == 403 and "already used" in again.text


def test_a_forged_csrf_token_changes_nothing(client, rt, tmp_path):
    with rt.session() as db:
        _, ana, _, app_id = submitted_cion(rt, db, tmp_path)
        token = invitation_token(db)
    client.get(f"/signatory/{token}")
    response = client.post(f"/signatory/{token}", data={"csrf_token": "forged", "decision": "decline"})
    assert response.status_code == 403
    with rt.session() as db:
        assert access.get(db, app_id, viewer=ana).state.status is workflow.Status.awaiting_signatory


def test_a_bad_link_shows_why(client):
    response = client.get("/signatory/12.not-a-real-link")
    assert response.status_code == 403 and "not valid" in response.text
