"""After approval the application's state is told with its grant's: approved and active (with the download page
linked, and linked from the approval e-mail), then approved but revoked, on every page and in the API."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from accord.access import service as access
from accord.entitlements import service as entitlements
from accord.entitlements.models import Entitlement
from accord.http.deps import SESSION_COOKIE
from accord.identity import service as identity
from accord.notify.models import OutboxMessage
from tests.access.helpers import answers, dataset_with_terms, person


@pytest.fixture
def approved(rt, tmp_path):
    """Ana's LLVIP click-through, approved automatically when she submits (as from the web, with the base URL)."""
    dataset_with_terms(rt, tmp_path, "llvip")
    with rt.session() as db:
        ana = person(db, "ana@lab.example")
        app_id = access.start(db, "llvip", actor=ana).id
        access.save(db, app_id, actor=ana, answers=answers("llvip", ana.email))
        access.sign(rt, db, app_id, actor=ana, full_name="Ana Lima", consent=True)
        assert access.submit(db, app_id, actor=ana, base_url=rt.settings.base_url).state.status.value == "approved"
        grant_id = db.scalar(select(Entitlement.id).where(Entitlement.application_id == app_id))
        token = identity.start_session(db, ana, ttl=timedelta(hours=1))
        api = identity.create_api_token(db, ana, name="t").secret
    return app_id, grant_id, token, api


def _revoke(rt, grant_id):
    with rt.session() as db:
        entitlements.revoke(db, grant_id, actor="cli", reason="breach of the no-redistribution clause")


def test_the_approval_mail_and_the_approved_page_link_to_the_download_page(client, rt, approved):
    app_id, _, token, _ = approved
    with rt.session() as db:
        mail = db.scalars(select(OutboxMessage).where(OutboxMessage.template == "application-approved")).one()
    assert "http://testserver/datasets/llvip/download" in mail.text_body
    assert 'href="http://testserver/datasets/llvip/download"' in mail.html_body
    client.cookies.set(SESSION_COOKIE, token)
    page = client.get(f"/applications/{app_id}").text
    assert re.search(r'id="grant-status">Access active</span>', page)
    assert re.search(
        r'<a class="button" id="download-link" href="/datasets/llvip/download">Open the download page', page
    )
    assert "Access active" in client.get("/applications").text


def test_after_a_revocation_every_page_and_the_api_say_revoked_not_only_approved(client, rt, approved):
    app_id, grant_id, token, api = approved
    _revoke(rt, grant_id)
    client.cookies.set(SESSION_COOKIE, token)
    mine = client.get("/applications").text
    assert re.search(r"Approved</span> <span class=\"badge bad grant-state\">Access revoked on \d{4}-\d{2}-\d{2}", mine)
    page = client.get(f"/applications/{app_id}").text
    assert re.search(r'id="grant-status">Access revoked on \d{4}-\d{2}-\d{2}</span>', page)
    assert "breach of the no-redistribution clause" in page
    assert 'id="download-link"' not in page  # nothing to download any more
    dataset = client.get("/datasets/llvip").text
    assert re.search(r"Your application: approved · Access revoked on \d{4}-\d{2}-\d{2}", dataset)
    client.cookies.clear()
    headers = {"Authorization": f"Bearer {api}"}
    row = client.get("/api/v1/applications", headers=headers).json()[0]
    assert row["status"] == "approved" and row["grant"]["state"] == "revoked" and row["grant"]["since"]
    one = client.get(f"/api/v1/applications/{app_id}", headers=headers).json()
    assert one["grant"]["state"] == "revoked"
    assert one["grant"]["reason"] == "breach of the no-redistribution clause"
