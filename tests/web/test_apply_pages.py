"""The applicant's pages: apply from the dataset page, save a draft, sign clause by clause, submit, follow."""

import re

from sqlalchemy import func, select

from accord.access import service as access
from accord.access import workflow
from accord.access.models import Application, ApplicationEvent
from accord.policy import service as policies
from tests.access.helpers import SIGNATORY, answers, dataset_with_terms, person
from tests.identity.helpers import csrf, log_in


def applicant(rt, email="ana@mit.edu"):
    with rt.session() as db:
        return person(db, email)


def app_id_of(response) -> int:
    return int(re.search(r"/applications/(\d+)", response.headers["location"]).group(1))


def apply(client, slug, data) -> object:
    return client.post(
        f"/datasets/{slug}/apply",
        data={"csrf_token": csrf(client, f"/datasets/{slug}/apply"), **data},
        follow_redirects=False,
    )


def acks(rt, dataset) -> list[str]:
    with rt.session() as db:
        return [c.key for c in policies.get(db, dataset.id).clauses()]


def test_the_dataset_page_offers_to_apply_and_then_links_to_the_open_application(client, rt, tmp_path):
    dataset_with_terms(rt, tmp_path, "at-ustc")
    anonymous = client.get("/datasets/at-ustc")
    assert "/login?next=/datasets/at-ustc/apply" in anonymous.text
    ana = applicant(rt)
    log_in(client, ana.email)
    assert 'href="/datasets/at-ustc/apply">Apply for access' in client.get("/datasets/at-ustc").text
    form = client.get("/datasets/at-ustc/apply")
    for label in ("Full name", "Organisation", "Postal address", "Telephone", "Institutional e-mail"):
        assert label in form.text
    assert "Signatory" not in form.text  # AT-USTC is signed by the applicant
    started = apply(client, "at-ustc", {"organisation": "MIT"})
    app_id = app_id_of(started)
    assert f'href="/applications/{app_id}">Your application' in client.get("/datasets/at-ustc").text
    again = client.get("/datasets/at-ustc/apply", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == f"/applications/{app_id}"


def test_a_wrong_field_is_shown_next_to_it_the_values_are_kept_and_nothing_is_created(client, rt, tmp_path):
    dataset_with_terms(rt, tmp_path, "at-ustc")
    ana = applicant(rt)
    log_in(client, ana.email)
    response = apply(
        client,
        "at-ustc",
        {"name": "Ana Lima", "organisation": "MIT", "email": "other@gmail.com", "telephone": "+1 617 000"},
    )
    assert response.status_code == 422
    assert re.search(r'id="f-email"[^>]*aria-invalid="true" aria-describedby="e-email"', response.text)
    assert 'id="e-email"' in response.text and "use your account&#39;s address" in response.text
    assert 'value="MIT"' in response.text and 'value="+1 617 000"' in response.text
    with rt.session() as db:
        assert db.scalar(select(func.count()).select_from(Application)) == 0


def test_a_cion_al_form_asks_for_the_signatory_and_a_bad_signatory_address_is_shown_there(client, rt, tmp_path):
    dataset_with_terms(rt, tmp_path, "cion-al")
    ana = applicant(rt)
    log_in(client, ana.email)
    assert "Signatory&#39;s e-mail" in client.get("/datasets/cion-al/apply").text
    bad = apply(
        client, "cion-al", {"signatory.name": "Rita", "signatory.title": "Rector", "signatory.email": "not an address"}
    )
    assert bad.status_code == 422 and 'id="e-signatory-email"' in bad.text and 'value="Rita"' in bad.text
    good = apply(
        client,
        "cion-al",
        {
            "signatory.name": SIGNATORY["name"],
            "signatory.title": SIGNATORY["title"],
            "signatory.email": SIGNATORY["email"],
        },
    )
    with rt.session() as db:
        state = access.get(db, app_id_of(good), viewer=ana).state
    assert state.signatory == SIGNATORY


def test_draft_sign_with_every_acknowledgement_submit_and_follow(client, rt, tmp_path):
    at_ustc = dataset_with_terms(rt, tmp_path, "at-ustc")
    ana = applicant(rt)
    log_in(client, ana.email)
    app_id = app_id_of(apply(client, "at-ustc", {"organisation": "MIT"}))
    page = client.get(f"/applications/{app_id}?notice=started")
    assert "Draft: not sent yet" in page.text and "What is still needed" in page.text
    assert "your signature on the agreement" in page.text and "no decisions yet" in page.text

    rest = dict(answers("at-ustc", ana.email).items())
    saved = client.post(
        f"/applications/{app_id}/answers",
        data={"csrf_token": csrf(client, f"/applications/{app_id}"), **rest},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    keys = acks(rt, at_ustc)
    token = csrf(client, f"/applications/{app_id}")
    page = client.get(f"/applications/{app_id}").text
    assert page.count('name="ack"') == len(keys) > 3

    missing_one = client.post(
        f"/applications/{app_id}/sign", data={"csrf_token": token, "full_name": "Ana Lima", "ack": keys[:-1]}
    )
    assert missing_one.status_code == 422 and 'id="e-ack"' in missing_one.text and "not ticked" in missing_one.text
    assert 'value="Ana Lima"' in missing_one.text  # the typed name is kept
    with rt.session() as db:
        assert access.get(db, app_id, viewer=ana).state.signature is None

    signed = client.post(
        f"/applications/{app_id}/sign",
        data={"csrf_token": token, "full_name": "Ana Lima", "ack": keys},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    page = client.get(f"/applications/{app_id}").text
    assert "Signed by <strong>Ana Lima</strong>" in page and "Submit the application" in page
    pdf = client.get(f"/applications/{app_id}/agreement.pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")

    submitted = client.post(f"/applications/{app_id}/submit", data={"csrf_token": token}, follow_redirects=False)
    assert submitted.status_code == 303
    page = client.get(f"/applications/{app_id}").text
    assert "Submitted: waiting for a reviewer" in page and "a reviewer&#39;s decision" in page
    assert "Agreement signed" in page and "Automatic checks run" in page and "by Ana" in page
    assert "institutional email" in page  # the check results
    listing = client.get("/applications").text
    assert "at-ustc" in listing and "Submitted: waiting for a reviewer" in listing


def test_a_second_submit_of_the_same_form_is_refused_and_changes_nothing(client, rt, tmp_path):
    dataset_with_terms(rt, tmp_path, "at-ustc")
    ana = applicant(rt)
    with rt.session() as db:
        record = access.start(db, "at-ustc", actor=ana, answers=answers("at-ustc", ana.email))
        access.sign(rt, db, record.id, actor=ana, full_name="Ana Lima", consent=True)
        access.submit(db, record.id, actor=ana)
    log_in(client, ana.email)
    token = csrf(client, f"/applications/{record.id}")
    with rt.session() as db:
        before = db.scalar(select(func.count()).select_from(ApplicationEvent))
    again = client.post(f"/applications/{record.id}/submit", data={"csrf_token": token})
    assert again.status_code == 409 and "cannot submit" in again.text
    with rt.session() as db:
        assert db.scalar(select(func.count()).select_from(ApplicationEvent)) == before


def test_a_forged_csrf_token_changes_nothing(client, rt, tmp_path):
    dataset_with_terms(rt, tmp_path, "at-ustc")
    ana = applicant(rt)
    log_in(client, ana.email)
    app_id = app_id_of(apply(client, "at-ustc", {"organisation": "MIT"}))
    forged = client.post(f"/applications/{app_id}/withdraw", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    forged = client.post("/datasets/at-ustc/apply", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    with rt.session() as db:
        assert access.get(db, app_id, viewer=ana).state.status is workflow.Status.draft
        assert db.scalar(select(func.count()).select_from(Application)) == 1


def test_someone_else_cannot_see_an_application(client, rt, tmp_path):
    dataset_with_terms(rt, tmp_path, "at-ustc")
    ana = applicant(rt)
    with rt.session() as db:
        record = access.start(db, "at-ustc", actor=ana)
        person(db, "bob@mit.edu")
    log_in(client, "bob@mit.edu")
    assert client.get(f"/applications/{record.id}").status_code == 404
    assert client.get(f"/applications/{record.id}/agreement.pdf").status_code == 404
    token = csrf(client, "/applications")
    assert client.post(f"/applications/{record.id}/withdraw", data={"csrf_token": token}).status_code == 404


def test_signing_without_pressing_save_keeps_the_typed_answers(client, rt, tmp_path):
    at_ustc = dataset_with_terms(rt, tmp_path, "at-ustc")
    ana = applicant(rt)
    log_in(client, ana.email)
    app_id = app_id_of(apply(client, "at-ustc", {"organisation": "MIT"}))
    page = client.get(f"/applications/{app_id}").text
    # The signing controls belong to the answers form, so the browser sends both together.
    assert 'id="answers-form"' in page and 'formaction="/applications/' + str(app_id) + '/sign"' in page
    assert page.count('form="answers-form"') == len(acks(rt, at_ustc)) + 2  # every tick, the name, the button
    token = csrf(client, f"/applications/{app_id}")
    typed = {"csrf_token": token, "with_answers": "yes", **answers("at-ustc", ana.email)}

    one_unticked = client.post(
        f"/applications/{app_id}/sign", data={**typed, "full_name": "Ana Lima", "ack": acks(rt, at_ustc)[:-1]}
    )
    assert one_unticked.status_code == 422 and "not ticked" in one_unticked.text
    with rt.session() as db:
        state = access.get(db, app_id, viewer=ana).state
    assert state.answers == answers("at-ustc", ana.email) and state.signature is None  # saved, not signed

    bad_phone = client.post(
        f"/applications/{app_id}/sign",
        data={**typed, "email": "not an address", "full_name": "Ana Lima", "ack": acks(rt, at_ustc)},
    )
    assert bad_phone.status_code == 422 and 'value="not an address"' in bad_phone.text  # shown again, next to its error
    with rt.session() as db:
        state = access.get(db, app_id, viewer=ana).state
    assert state.answers["email"] == ana.email and state.signature is None

    signed = client.post(
        f"/applications/{app_id}/sign",
        data={**typed, "full_name": "Ana Lima", "ack": acks(rt, at_ustc)},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    with rt.session() as db:
        state = access.get(db, app_id, viewer=ana).state
    assert state.signature["full_name"] == "Ana Lima" and state.answers == answers("at-ustc", ana.email)
