"""Renewal from the licensee's download page (web), the API and the CLI: a Renew offer when access ends within two
weeks or has expired, a new application under the current terms with the old answers filled in and new
questions shown as missing; no offer, and a clear refusal, when the access was revoked or runs for longer."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from accord.access import service as access
from accord.catalog import service as catalog
from accord.cli import main as cli
from accord.db import utcnow
from accord.entitlements import service as entitlements
from accord.identity import service as identity
from accord.policy import service as policies
from accord.policy.io import seed
from accord.policy.schema import ApplicantField
from tests.access.helpers import answers, dataset_with_terms, person
from tests.identity.helpers import log_in, post_form

YEAR = seed("shhq").model_copy(update={"access_days": 365})


@pytest.fixture
def licensed(rt, tmp_path):
    """Ana holds SHHQ for a year (terms v2) through an approved application; returns her grant's id."""
    dataset = dataset_with_terms(rt, tmp_path, "shhq")
    with rt.session() as db:
        policies.set_policy(db, dataset.id, YEAR, actor="cli")
        reviewer = person(db, "rui@lab.example", reviewer_of=dataset)
        ana = person(db, "ana@mit.edu")
        record = access.start(db, "shhq", actor=ana, answers=answers("shhq", ana.email))
        access.sign(rt, db, record.id, actor=ana, full_name="Ana Lima", consent=True)
        access.submit(db, record.id, actor=ana)
        access.approve(db, record.id, actor=reviewer)
        return entitlements.newest(db, ana, dataset.id).id


def _ends(rt, grant_id: int, delta: timedelta) -> None:
    with rt.session() as db:
        entitlements.get(db, grant_id).expires_at = utcnow() + delta
        db.commit()


def _drop_purpose_ask_telephone(rt) -> None:
    with rt.session() as db:
        ds_id = catalog.dataset_by_slug(db, "shhq").id
        asked = [f for f in YEAR.applicant_fields if f is not ApplicantField.purpose_statement]
        policies.set_policy(
            db, ds_id, YEAR.model_copy(update={"applicant_fields": [*asked, ApplicantField.telephone]}), actor="cli"
        )


# --- web ------------------------------------------------------------------------------------------------------


def test_the_download_page_offers_renewal_two_weeks_before_the_end(client, rt, licensed):
    log_in(client, "ana@mit.edu")
    assert "Renew your access" not in client.get("/datasets/shhq/download").text  # a year left: nothing to renew
    assert 'href="/datasets/shhq/download#renew"' not in client.get("/datasets/shhq").text
    _ends(rt, licensed, timedelta(days=5))
    page = client.get("/datasets/shhq/download")
    assert page.status_code == 200 and "Renew your access" in page.text
    assert 'action="/datasets/shhq/renew"' in page.text and 'name="csrf_token"' in page.text
    assert 'href="/datasets/shhq/download#renew"' in client.get("/datasets/shhq").text  # the dataset page leads there


def test_renewing_an_expired_grant_prefills_the_answers_and_shows_new_questions_as_missing(client, rt, licensed):
    _ends(rt, licensed, timedelta(days=-1))
    _drop_purpose_ask_telephone(rt)
    log_in(client, "ana@mit.edu")
    refused = client.get("/datasets/shhq/download")
    assert refused.status_code == 403 and "your access expired on" in refused.text.lower()
    assert "Renew your access" in refused.text
    response = post_form(client, "/datasets/shhq/renew", page="/datasets/shhq/download")
    assert response.status_code == 303
    target = response.headers["location"]
    assert re.fullmatch(r"/applications/\d+\?notice=renewal", target)
    page = client.get(target)
    assert page.status_code == 200 and "renews your access" in page.text
    assert 'value="Vision Lab, Lisbon"' in page.text and 'value="Example University"' in page.text
    assert "Benchmarking person re-identification" not in page.text  # the new terms no longer ask for it
    assert "an answer to “Telephone”" in page.text
    # The page now leads to the open renewal instead of starting another one.
    again = client.get("/datasets/shhq/download")
    assert f'href="{target.split("?")[0]}"' in again.text
    second = post_form(client, "/datasets/shhq/renew", page="/datasets/shhq/download")
    assert second.headers["location"] == target


def test_no_renewal_for_revoked_access_or_access_with_time_left(client, rt, licensed):
    log_in(client, "ana@mit.edu")
    refused = post_form(client, "/datasets/shhq/renew", page="/datasets/shhq/download")
    assert refused.status_code == 409 and "you can renew it from" in refused.text
    _ends(rt, licensed, timedelta(days=3))
    with rt.session() as db:
        entitlements.revoke(db, licensed, actor="cli", reason="breach of clause 3")
    page = client.get("/datasets/shhq/download")
    assert page.status_code == 403 and "breach of clause 3" in page.text and "Renew your access" not in page.text
    refused = post_form(client, "/datasets/shhq/renew", page="/datasets")
    assert refused.status_code == 409 and "only access that expires" in refused.text
    with rt.session() as db:
        ana = identity.user_by_email(db, "ana@mit.edu")
        assert [r.status for r in access.mine(db, ana)] == ["approved"]  # nothing was started


def test_access_ended_by_the_system_when_a_certificate_ran_out_is_offered_renewal(client, rt, licensed):
    with rt.session() as db:
        entitlements.revoke(db, licensed, actor="system", reason="your training certificate ran out on 2026-01-01")
    log_in(client, "ana@mit.edu")
    page = client.get("/datasets/shhq/download")
    assert page.status_code == 403 and "certificate ran out" in page.text and "Renew your access" in page.text
    assert post_form(client, "/datasets/shhq/renew", page="/datasets/shhq/download").status_code == 303


# --- API and CLI ----------------------------------------------------------------------------------------------


def _token(rt, email: str) -> dict:
    with rt.session() as db:
        secret = identity.create_api_token(db, identity.user_by_email(db, email), name="t").secret
    return {"Authorization": f"Bearer {secret}"}


def test_the_api_renews_with_the_old_answers_and_lists_what_is_missing(client, rt, licensed):
    ana = _token(rt, "ana@mit.edu")
    early = client.post("/api/v1/datasets/shhq/renewal", headers=ana)
    assert early.status_code == 409 and "you can renew it from" in early.json()["detail"]
    _ends(rt, licensed, timedelta(days=-30))
    _drop_purpose_ask_telephone(rt)
    response = client.post("/api/v1/datasets/shhq/renewal", headers=ana)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "draft" and body["policy_version"] == 3
    assert body["answers"] == {k: v for k, v in answers("shhq", "ana@mit.edu").items() if k != "purpose_statement"}
    assert body["missing"][0] == "the field “Telephone”"
    again = client.post("/api/v1/datasets/shhq/renewal", headers=ana)
    assert again.status_code == 409 and f"({body['id']})" in again.json()["detail"]
    with rt.session() as db:
        person(db, "bo@mit.edu")
    stranger = client.post("/api/v1/datasets/shhq/renewal", headers=_token(rt, "bo@mit.edu"))
    assert stranger.status_code == 404 and "no access" in stranger.json()["detail"]


def _run(*args) -> int:
    try:
        cli.main(list(args))
    except SystemExit as exc:
        return exc.code
    return 0


def test_accord_renew_starts_the_prefilled_application(rt, licensed, capsys):
    cli.use_runtime(rt)
    try:
        assert _run("renew", "shhq", "--as", "ana@mit.edu") == 5
        assert "you can renew it from" in capsys.readouterr().err
        _ends(rt, licensed, timedelta(days=2))
        _drop_purpose_ask_telephone(rt)
        assert _run("renew", "shhq", "--as", "ana@mit.edu") == 0
        shown = capsys.readouterr().out
        assert "for shhq: draft" in shown and "still needed: the field “Telephone”" in shown
        assert _run("renew", "shhq") == 2  # who is renewing must be said
    finally:
        cli.use_runtime(None)
