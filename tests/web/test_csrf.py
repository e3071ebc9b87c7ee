"""CSRF: every state-changing browser request echoes the CSRF cookie; API tokens are no ambient credential."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from accord.audit.models import AuditEvent
from accord.identity import service as identity
from accord.notify.models import OutboxMessage
from accord.web.csrf import EXEMPT_PATHS
from tests.identity.helpers import PASSWORD, api_token, csrf, log_in, make_user
from tests.test_authorization import app_routes, build_world, fill_path

WRITES = ("POST", "PUT", "PATCH", "DELETE")


def _changes(rt) -> tuple[int, int]:
    """Every state change writes an audit event (and e-mail goes through the outbox): counting both shows
    whether anything happened."""
    with rt.session() as db:
        return (
            db.scalar(select(func.count()).select_from(AuditEvent)),
            db.scalar(select(func.count()).select_from(OutboxMessage)),
        )


@pytest.mark.parametrize("submitted", [None, "forged-token"])
def test_every_write_route_refuses_a_missing_or_forged_token_and_changes_nothing(app, rt, tmp_path, submitted):
    world = build_world(rt, tmp_path)
    routes = sorted((m, p) for m, p in app_routes(app) if m in WRITES and p not in EXEMPT_PATHS)
    assert ("POST", "/register") in routes and ("POST", "/account/password") in routes
    wrong = []
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        log_in(client, "admin@example.org", PASSWORD)
        before = _changes(rt)
        csrf(client, "/account")  # the browser has a CSRF cookie; the attacker cannot read it
        for method, path in routes:
            data = {"csrf_token": submitted} if submitted else {}
            data.update(
                email="x@example.org",
                name="X",
                password=PASSWORD,
                old_password=PASSWORD,
                new_password="another long password",
                slug="forged",
                title="Forged",
                custodian="X",
                label="9.9",
                reason="forged",
            )
            response = client.request(method, fill_path(path, "admin", world), data=data)
            if response.status_code != 403:
                wrong.append(f"{method} {path}: {response.status_code}")
            elif not path.startswith("/api/") and "Form expired or forged" not in response.text:
                wrong.append(f"{method} {path}: 403 without the explanation page")
    assert not wrong, "accepted without a valid CSRF token:\n" + "\n".join(wrong)
    assert _changes(rt) == before


def test_a_refused_form_shows_an_html_page_and_an_api_call_gets_problem_json(client, rt):
    make_user(rt, "ada@example.org")
    log_in(client, "ada@example.org")
    page = client.post("/account/tokens", data={"name": "x", "csrf_token": "forged"})
    assert page.status_code == 403 and "text/html" in page.headers["content-type"]
    assert "nothing was changed" in page.text
    api = client.post("/api/v1/tokens", json={"name": "x"})
    assert api.status_code == 403 and api.headers["content-type"].startswith("application/problem+json")
    with rt.session() as db:
        assert identity.list_api_tokens(db, identity.user_by_email(db, "ada@example.org")) == []


def test_a_forged_login_or_registration_creates_no_session_and_no_account(client, rt):
    make_user(rt, "ada@example.org")
    csrf(client, "/login")
    login = client.post("/login", data={"email": "ada@example.org", "password": PASSWORD}, follow_redirects=False)
    register = client.post(
        "/register", data={"email": "eve@example.org", "name": "Eve", "password": PASSWORD}, follow_redirects=False
    )
    assert (login.status_code, register.status_code) == (403, 403)
    assert "accord_session" not in client.cookies
    with rt.session() as db:
        assert [u.email for u in identity.list_users(db)] == ["ada@example.org"]


def test_the_token_from_the_page_is_accepted_in_a_form_a_multipart_form_and_a_header(client, rt):
    make_user(rt, "ada@example.org")
    log_in(client, "ada@example.org")
    token = csrf(client, "/account")
    assert client.post("/account/tokens", data={"name": "a", "csrf_token": token}).status_code == 200
    multipart = client.post(
        "/account/tokens", data={"csrf_token": token, "name": "b"}, files={"unused": ("x.txt", b"hello", "text/plain")}
    )
    assert multipart.status_code == 200
    assert client.post("/api/v1/tokens", json={"name": "c"}, headers={"X-CSRF-Token": token}).status_code == 201
    with rt.session() as db:
        names = [t.name for t in identity.list_api_tokens(db, identity.user_by_email(db, "ada@example.org"))]
    assert names == ["a", "b", "c"]


def test_the_csrf_cookie_is_http_only_and_set_by_the_first_form_page(app):
    with TestClient(app) as client:
        response = client.get("/login")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("accord_csrf=") and "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_bearer_token_requests_need_no_csrf_token(app, rt):
    make_user(rt, "ada@example.org")
    secret = api_token(rt, "ada@example.org")
    with TestClient(app) as client:
        response = client.post("/api/v1/tokens", json={"name": "ci"}, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 201


def test_an_api_call_with_no_credential_at_all_is_told_to_authenticate_not_that_a_form_expired(app):
    with TestClient(app) as client:
        response = client.post("/api/v1/tokens", json={"name": "ci"})
    assert response.status_code == 401 and "form" not in response.json()["title"].lower()


def test_a_bearer_header_does_not_excuse_a_request_that_also_carries_the_session_cookie(client, rt):
    make_user(rt, "ada@example.org")
    log_in(client, "ada@example.org")
    # Only requests without the session cookie are exempt: with it, the cookie is an ambient credential.
    response = client.post("/api/v1/tokens", json={"name": "x"}, headers={"Authorization": "Bearer junk"})
    assert response.status_code == 403


def test_a_form_page_sets_the_csrf_cookie_once_and_every_answer_has_the_security_headers(client):
    first = client.get("/login")
    cookie = first.headers["set-cookie"]
    assert cookie.startswith("accord_csrf=") and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    token = cookie.split(";")[0].split("=", 1)[1]
    assert f'value="{token}"' in first.text  # the form carries the token the cookie holds
    again = client.get("/login")
    assert "set-cookie" not in again.headers  # the browser has it already
    for response in (first, again, client.get("/api/v1/datasets"), client.get("/no-such-page")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "same-origin"


def test_a_planted_csrf_cookie_and_its_value_do_not_pass_for_a_signed_in_session(client, rt):
    """Double-submit alone trusts whoever can set a cookie: the attacker plants accord_csrf=known and submits
    `known`. Signed in, the token must be the one bound to the session."""
    make_user(rt, "ada@example.org")
    log_in(client, "ada@example.org")
    client.cookies.set("accord_csrf", "planted-by-attacker")
    forged = client.post("/account/tokens", data={"name": "x", "csrf_token": "planted-by-attacker"})
    header = client.post("/api/v1/tokens", json={"name": "y"}, headers={"X-CSRF-Token": "planted-by-attacker"})
    assert (forged.status_code, header.status_code) == (403, 403)
    real = csrf(client, "/account")
    assert real != "planted-by-attacker"
    assert client.post("/account/tokens", data={"name": "z", "csrf_token": real}).status_code == 200
    with rt.session() as db:
        names = [t.name for t in identity.list_api_tokens(db, identity.user_by_email(db, "ada@example.org"))]
    assert names == ["z"]


def test_a_token_from_another_session_is_refused(app, rt):
    make_user(rt, "ada@example.org")
    make_user(rt, "eve@example.org")
    with TestClient(app) as eve, TestClient(app) as ada:
        log_in(eve, "eve@example.org")
        eves = csrf(eve, "/account")  # the attacker's own valid token, and its CSRF cookie
        log_in(ada, "ada@example.org")
        ada.cookies.set("accord_csrf", eve.cookies["accord_csrf"])
        assert ada.post("/account/tokens", data={"name": "x", "csrf_token": eves}).status_code == 403
        log_in(ada, "ada@example.org")  # a new session of the same person: the old page's token is void
        old = csrf(ada, "/account")
        log_in(ada, "ada@example.org")
        assert ada.post("/account/tokens", data={"name": "x", "csrf_token": old}).status_code == 403
        assert ada.post("/account/tokens", data={"name": "x", "csrf_token": csrf(ada, "/account")}).status_code == 200
