"""The signatory's page works without an account: read, sign with a typed name, or decline."""

from accord.access import service as access
from accord.access import workflow
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


def test_the_form_says_who_signs_what_and_the_timeline_names_the_signatory(client, rt, tmp_path):
    import re

    from tests.access.helpers import answers, dataset_with_terms, person
    from tests.access.test_signatory import SIGNATORY
    from tests.identity.helpers import log_in

    dataset_with_terms(rt, tmp_path, "cion-al")
    with rt.session() as db:
        ana = person(db, "ana@mit.edu")
        draft = access.start(db, "cion-al", actor=ana, answers=answers("cion-al", ana.email), signatory=SIGNATORY)
    log_in(client, "ana@mit.edu")
    page = client.get(f"/applications/{draft.id}").text
    assert "I, the applicant, agree to every clause ticked above" in page
    assert f"{SIGNATORY['name']}</strong>, {SIGNATORY['title']} ({SIGNATORY['email']})" in page
    assert 'value="signatory"' not in page  # the "who signs" clause is the signatory's, not a box for the applicant
    assert "typed as your signature as the applicant" in page
    signed = client.post(
        f"/applications/{draft.id}/sign",
        data={
            "csrf_token": csrf(client, f"/applications/{draft.id}"),
            "full_name": "Ana Lima",
            "ack": re.findall(r'name="ack" value="([^"]+)"', page),
        },
        follow_redirects=False,
    )
    assert signed.status_code == 303
    with rt.session() as db:
        access.submit(db, draft.id, actor=ana, base_url="https://accord.lab.example")
        token = invitation_token(db)
    countersign = client.get(f"/signatory/{token}").text
    assert "has signed this agreement as the applicant" in countersign and "countersign" in countersign
    client.post(
        f"/signatory/{token}",
        data={
            "csrf_token": csrf(client, f"/signatory/{token}"),
            "decision": "sign",
            "full_name": "Rita Sousa",
            "consent": "true",
        },
    )
    timeline = client.get(f"/applications/{draft.id}").text.split('id="timeline-h"', 1)[1]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", timeline))
    assert (
        f"Signatory signed by Rita Sousa, {SIGNATORY['title']} ({SIGNATORY['email']}), from the e-mailed link; "
        "the countersigned agreement was sealed by Accord"
    ) in text
    assert "Signatory signed by Accord" not in text
    assert "Signed as the applicant by Ana " in text
