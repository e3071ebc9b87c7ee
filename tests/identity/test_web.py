"""Account pages end to end: register, confirm by e-mail, log in and out, throttling, tokens, password."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from accord.config import Smtp
from accord.identity import service as identity
from accord.identity.models import User, WebSession
from accord.notify import service as notify
from accord.notify.models import OutboxMessage
from tests.conftest import make_settings
from tests.identity.helpers import PASSWORD, log_in, make_user, post_form
from tests.smtp import text_of


@pytest.fixture
def settings(tmp_path, smtp_server):
    return make_settings(tmp_path, smtp=Smtp(host=smtp_server.host, port=smtp_server.port))


def _register(client, email="ada@example.org", password=PASSWORD, name="Ada Lovelace"):
    return post_form(client, "/register", {"email": email, "name": name, "password": password}, page="/register")


def _users(rt) -> int:
    with rt.session() as db:
        return db.scalar(select(func.count()).select_from(User))


def test_registering_logs_in_and_the_mailed_link_confirms_the_address(client, rt, smtp_server):
    page = client.get("/register")
    assert 'for="f-email"' in page.text and 'name="csrf_token"' in page.text
    response = _register(client)
    assert response.status_code == 303 and response.headers["location"] == "/account?notice=welcome"
    cookie = response.headers["set-cookie"]
    assert "accord_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert f"Max-Age={int(rt.settings.session_ttl.total_seconds())}" in cookie and "Secure" not in cookie
    assert "not confirmed" in client.get("/account").text

    assert notify.send_due(rt).sent == 1
    [mail] = smtp_server.inbox.to("ada@example.org")
    link = re.search(r"http://testserver/verify-email\?token=\S+", text_of(mail)).group(0)
    confirmed = client.get(link)
    assert confirmed.status_code == 200 and "E-mail address confirmed" in confirmed.text
    with rt.session() as db:
        assert identity.user_by_email(db, "ada@example.org").email_verified_at is not None
    assert "confirmed</span>" in client.get("/account").text


def test_the_session_cookie_is_secure_when_the_site_is_served_over_https(tmp_path, smtp_server):
    from accord import dbmigrate
    from accord.runtime import build
    from accord.web.app import create_app

    rt = build(make_settings(tmp_path, base_url="https://accord.lab.example"))
    dbmigrate.upgrade(rt.engine)
    make_user(rt, "ada@example.org")
    with TestClient(create_app(rt), base_url="https://testserver") as client:
        response = log_in(client, "ada@example.org")
    assert "Secure" in response.headers["set-cookie"]


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"password": "short"}, 422, "at least 10 characters"),
        ({"email": "nonsense"}, 422, "not a valid e-mail address"),
        ({"name": ""}, 422, "please give your name"),
    ],
)
def test_a_bad_registration_shows_the_error_next_to_the_field_and_creates_nothing(client, rt, data, status, message):
    values = {"email": "ada@example.org", "name": "Ada", "password": PASSWORD, **data}
    response = _register(client, **values)
    assert response.status_code == status
    assert re.search(r'class="field-error" id="e-\w+">[^<]*' + re.escape(message), response.text)
    assert 'aria-invalid="true"' in response.text and "accord_session" not in response.headers.get("set-cookie", "")
    assert _users(rt) == 0


def test_registering_an_address_twice_is_refused_on_the_page(client, rt):
    assert _register(client).status_code == 303
    client.cookies.clear()
    response = _register(client, email="ADA@example.org")
    assert response.status_code == 409 and "already exists" in response.text and _users(rt) == 1


def test_login_goes_to_the_next_page_but_never_to_another_site(client, rt):
    make_user(rt, "ada@example.org")
    assert 'name="next" value="/account"' in client.get("/login?next=/account").text
    response = post_form(client, "/login", {"email": "ada@example.org", "password": PASSWORD, "next": "/account"})
    assert response.headers["location"] == "/account"
    for evil in ("//evil.example/x", "https://evil.example", "/\\evil.example", "javascript:alert(1)"):
        response = post_form(client, "/login", {"email": "ada@example.org", "password": PASSWORD, "next": evil})
        assert response.status_code == 303 and response.headers["location"] == "/", evil


def test_a_wrong_password_shows_a_message_and_sets_no_session(client, rt):
    make_user(rt, "ada@example.org")
    response = post_form(client, "/login", {"email": "ada@example.org", "password": "not my password"})
    assert response.status_code == 401 and "wrong e-mail address or password" in response.text
    assert "accord_session" not in client.cookies
    assert client.get("/account", follow_redirects=False).headers["location"] == "/login?next=/account"


def test_many_wrong_passwords_give_429_and_refuse_even_the_right_password(client, rt):
    make_user(rt, "ada@example.org")
    for _ in range(rt.settings.login_max_failures):
        assert post_form(client, "/login", {"email": "ada@example.org", "password": "guess guess"}).status_code == 401
    response = post_form(client, "/login", {"email": "ada@example.org", "password": PASSWORD})
    assert response.status_code == 429 and int(response.headers["retry-after"]) > 0
    assert "too many failed logins" in response.text
    assert "accord_session" not in client.cookies


def test_logging_out_ends_the_session_on_the_server(client, rt):
    make_user(rt, "ada@example.org")
    log_in(client, "ada@example.org")
    token = client.cookies["accord_session"]
    response = post_form(client, "/logout", page="/account")
    assert response.status_code == 303 and 'accord_session=""' in response.headers["set-cookie"]
    with rt.session() as db:
        assert identity.user_for_session(db, token) is None
        assert db.scalar(select(WebSession.revoked_at)) is not None


@pytest.mark.parametrize("token", ["", "forged.token.value"])
def test_a_forged_or_missing_verification_link_is_refused(client, rt, token):
    response = client.get(f"/verify-email?token={token}")
    assert response.status_code == 422 and "not valid" in response.text


def test_an_expired_verification_link_says_so(client, rt):
    from datetime import timedelta

    from accord.db import utcnow

    user = make_user(rt, "ada@example.org", verified=False)
    old = identity.email_verification_token(rt.secret, user, now=utcnow() - timedelta(days=3))
    response = client.get(f"/verify-email?token={old}")
    assert response.status_code == 422 and "expired" in response.text


def test_asking_for_a_new_link_sends_one_and_asking_again_at_once_is_refused(client, rt):
    make_user(rt, "ada@example.org", verified=False)
    log_in(client, "ada@example.org")
    response = post_form(client, "/verify-email/resend", page="/account")
    assert response.status_code == 303 and response.headers["location"] == "/account?notice=verification-sent"
    again = post_form(client, "/verify-email/resend", page="/account")
    assert again.status_code == 429 and "retry-after" in again.headers
    with rt.session() as db:
        assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_a_new_token_is_shown_once_and_revoking_it_makes_the_api_refuse_it(client, rt):
    make_user(rt, "ada@example.org")
    log_in(client, "ada@example.org")
    response = post_form(client, "/account/tokens", {"name": "laptop"}, page="/account")
    secret = re.search(r'<code id="new-token">(acc_[^<]+)</code>', response.text).group(1)
    assert secret not in client.get("/account").text
    with TestClient(client.app) as api:
        assert api.get("/api/v1/users/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
        with rt.session() as db:
            token_id = identity.list_api_tokens(db, identity.user_by_email(db, "ada@example.org"))[0].id
        revoked = post_form(client, f"/account/tokens/{token_id}/revoke", page="/account")
        assert revoked.headers["location"] == "/account?notice=token-revoked"
        assert api.get("/api/v1/users/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_an_empty_token_name_is_shown_next_to_the_field(client, rt):
    make_user(rt, "ada@example.org")
    log_in(client, "ada@example.org")
    response = post_form(client, "/account/tokens", {"name": " "}, page="/account")
    assert response.status_code == 422 and 'id="e-token_name">give the token a name' in response.text


def test_changing_the_password_needs_the_current_one(client, rt):
    make_user(rt, "ada@example.org")
    log_in(client, "ada@example.org")
    wrong = post_form(
        client,
        "/account/password",
        {"old_password": "nope nope nope", "new_password": "a brand new one"},
        page="/account",
    )
    assert wrong.status_code == 422 and 'id="e-old_password">the current password is wrong' in wrong.text
    weak = post_form(client, "/account/password", {"old_password": PASSWORD, "new_password": "short"}, page="/account")
    assert weak.status_code == 422 and 'id="e-new_password"' in weak.text
    ok = post_form(
        client, "/account/password", {"old_password": PASSWORD, "new_password": "a brand new one"}, page="/account"
    )
    assert ok.headers["location"] == "/account?notice=password-changed"
    assert "were logged out" in client.get(ok.headers["location"]).text  # this session survives
    client.cookies.clear()
    log_in(client, "ada@example.org", "a brand new one")


def test_admins_see_the_outbox_with_failed_attempts(client, rt):
    make_user(rt, "root@example.org", "admin")
    make_user(rt, "ada@example.org", verified=False)
    log_in(client, "ada@example.org")
    post_form(client, "/verify-email/resend", page="/account")
    assert client.get("/admin/outbox").status_code == 403
    client.cookies.clear()
    log_in(client, "root@example.org")
    page = client.get("/admin/outbox")
    assert page.status_code == 200 and "ada@example.org" in page.text and "Confirm your e-mail address" in page.text
