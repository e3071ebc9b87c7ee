"""Signing in through a real OpenID Connect provider (tests/identity/oidc_provider.py): accounts made, found
again and linked, and each kind of bad answer refused with a page that says what to do."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from accord.audit.models import AuditEvent
from accord.identity.models import OidcIdentity, OidcLoginRequest, User
from tests.conftest import make_settings
from tests.identity.helpers import PASSWORD, log_in, make_user, post_form
from tests.identity.oidc_provider import free_port


@pytest.fixture
def settings(tmp_path, oidc_provider):
    return make_settings(tmp_path, oidc_providers=[oidc_provider.settings("uni")])


def person(provider, email: str | None = None, **kwargs) -> str:
    """A new person at the provider (it outlives each test: names are unique); returns the user name."""
    username = f"p{uuid.uuid4().hex[:10]}"
    provider.add_user(username, email=email or f"{username}@uni.example", **kwargs)
    return username


def start(client, name: str = "uni", next: str = "/") -> str:
    response = client.get(f"/login/oidc/{name}", params={"next": next}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"]


def sign_in(client, provider, username: str, next: str = "/"):
    """The whole round trip: our redirect, the provider's login form, its redirect back to our callback."""
    return client.get(provider.sign_in(start(client, next=next), username), follow_redirects=False)


def _count(rt, model) -> int:
    with rt.session() as db:
        return db.scalar(select(func.count()).select_from(model))


def _actions(rt) -> list[str]:
    with rt.session() as db:
        return list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_the_login_page_offers_each_provider_beside_the_password_form(client):
    page = client.get("/login?next=/catalog")
    assert page.status_code == 200
    assert 'name="password"' in page.text
    assert 'href="/login/oidc/uni?next=/catalog"' in page.text and "Sign in with Example University" in page.text


def test_the_authorization_request_uses_pkce_state_and_nonce(client, oidc_provider):
    url = start(client)
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{oidc_provider.issuer}/authorize")
    assert query["response_type"] == ["code"] and query["client_id"] == [oidc_provider.client_id]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["state"][0] and query["nonce"][0] and "affiliation" in query["scope"][0].split()
    assert query["redirect_uri"] == ["http://testserver/login/oidc/uni/callback"]
    assert client.cookies["accord_oidc_state"] == query["state"][0]
    with client.app.state.rt.session() as db:
        # Only hashes of the state are kept.
        assert query["state"][0] not in {r.state_hash for r in db.scalars(select(OidcLoginRequest))}


def test_a_first_sign_in_makes_an_account_from_the_verified_claims(client, rt, oidc_provider):
    username = person(oidc_provider, name="Grace Hopper", affiliation=["staff@uni.example"])
    response = sign_in(client, oidc_provider, username, next="/catalog")
    assert response.status_code == 303 and response.headers["location"] == "/catalog", response.text
    assert "accord_session=" in response.headers["set-cookie"]
    account = client.get("/account")
    assert account.status_code == 200 and "Grace Hopper" in account.text and "staff@uni.example" in account.text
    with rt.session() as db:
        user = db.scalar(select(User).where(User.email == f"{username}@uni.example"))
        assert user.password_hash is None and user.email_verified_at is not None
        assert [r.role for r in user.roles] == ["applicant"]
        [linked] = db.scalars(select(OidcIdentity))
        assert (linked.user_id, linked.issuer, linked.subject) == (
            user.id,
            oidc_provider.issuer,
            oidc_provider.users[username],
        )
        assert linked.affiliation == ["staff@uni.example"]
    assert {"user.registered", "login.oidc", "login.succeeded"} <= set(_actions(rt))


def test_a_later_sign_in_finds_the_account_by_subject_even_after_the_address_changed(client, rt, oidc_provider):
    username = person(oidc_provider)
    first = f"{username}@uni.example"
    assert sign_in(client, oidc_provider, username).status_code == 303
    client.cookies.clear()
    oidc_provider.add_user(username, email=f"{username}@new.uni.example", affiliation=["faculty@uni.example"])
    assert sign_in(client, oidc_provider, username).status_code == 303
    assert _count(rt, User) == 1
    with rt.session() as db:
        [linked] = db.scalars(select(OidcIdentity))
        assert db.get(User, linked.user_id).email == first  # ours is changed by its owner only
        assert linked.email == f"{username}@new.uni.example" and linked.affiliation == ["faculty@uni.example"]
    assert _actions(rt).count("login.oidc") == 2


def test_an_unconfirmed_address_makes_no_account(client, rt, oidc_provider):
    username = person(oidc_provider, email_verified=False)
    response = sign_in(client, oidc_provider, username)
    assert response.status_code == 403
    assert "has not confirmed your e-mail address" in response.text and 'href="/login' in response.text
    assert _count(rt, User) == 0 and "accord_session" not in response.headers.get("set-cookie", "")


def test_a_provider_naming_an_existing_accounts_address_does_not_sign_in_as_it(client, rt, oidc_provider):
    make_user(rt, "ada@uni.example")
    username = person(oidc_provider, email="ada@uni.example")
    response = sign_in(client, oidc_provider, username)
    assert response.status_code == 409
    assert "Log in with its password first" in response.text and "link Example University" in response.text
    assert client.get("/account", follow_redirects=False).status_code in (302, 303, 401)
    assert _count(rt, OidcIdentity) == 0


def test_the_owner_links_a_provider_after_giving_the_password_and_then_signs_in_with_it(client, rt, oidc_provider):
    make_user(rt, "ada@uni.example")
    username = person(oidc_provider, email="ada@uni.example", affiliation=["member@uni.example"])
    log_in(client, "ada@uni.example")
    assert "Link Example University" in client.get("/account").text
    wrong = post_form(client, "/account/oidc/uni/link", {"password": "not the password"}, page="/account")
    assert wrong.status_code == 401 and "wrong e-mail address or password" in wrong.text
    response = post_form(client, "/account/oidc/uni/link", {"password": PASSWORD}, page="/account")
    assert response.status_code == 303 and response.headers["location"].startswith(oidc_provider.issuer)
    back = client.get(oidc_provider.sign_in(response.headers["location"], username), follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == "/account?notice=oidc-linked"
    assert "oidc.linked" in _actions(rt)

    post_form(client, "/logout", page="/account")
    client.cookies.clear()
    assert sign_in(client, oidc_provider, username).status_code == 303
    page = client.get("/account").text
    assert "ada@uni.example" in page and "member@uni.example" in page
    assert _count(rt, User) == 1


def test_a_forged_state_is_refused(client, rt, oidc_provider):
    username = person(oidc_provider)
    back = oidc_provider.sign_in(start(client), username)
    forged = back.replace("state=", "state=forged")
    assert client.get(forged).status_code == 400
    client.cookies.clear()  # an answer arriving in another browser (a login CSRF)
    response = client.get(back)
    assert response.status_code == 400 and "not for a sign-in started in this browser" in response.text
    assert _count(rt, User) == 0


def test_a_replayed_answer_is_refused(client, rt, oidc_provider):
    username = person(oidc_provider)
    url = start(client)
    state = parse_qs(urlsplit(url).query)["state"][0]
    back = oidc_provider.sign_in(url, username)
    assert client.get(back, follow_redirects=False).status_code == 303
    client.cookies.set("accord_oidc_state", state, path="/login/oidc")
    again = client.get(back)
    assert again.status_code == 400 and "was used already" in again.text


def test_a_wrong_nonce_is_refused(client, rt, oidc_provider):
    username = person(oidc_provider)
    url = start(client)
    with rt.session() as db, db.begin():
        db.scalar(select(OidcLoginRequest)).nonce = "not-the-nonce-sent"
    response = client.get(oidc_provider.sign_in(url, username))
    assert response.status_code == 400 and "nonce claim is wrong" in response.text
    assert _count(rt, User) == 0


def test_a_wrong_pkce_verifier_gets_no_tokens(client, rt, oidc_provider):
    username = person(oidc_provider)
    url = start(client)
    with rt.session() as db, db.begin():
        db.scalar(select(OidcLoginRequest)).code_verifier = "x" * 64
    response = client.get(oidc_provider.sign_in(url, username))
    assert response.status_code == 400 and "did not accept this sign-in (invalid_grant)" in response.text


def test_a_refusal_by_the_provider_is_shown(client):
    response = client.get("/login/oidc/uni/callback?error=access_denied&error_description=You+cancelled")
    assert response.status_code == 400 and "did not sign you in (You cancelled)" in response.text


def test_an_unknown_provider_is_not_found(client):
    response = client.get("/login/oidc/nowhere")
    assert response.status_code == 404 and "no" in response.text.lower()


def test_a_provider_that_is_down_gets_a_clear_page_and_passwords_still_work(tmp_path, oidc_provider):
    from fastapi.testclient import TestClient

    from accord import dbmigrate
    from accord.runtime import build
    from accord.web.app import create_app

    down = {**oidc_provider.settings("other"), "issuer": f"http://127.0.0.1:{free_port()}/openid"}
    rt = build(make_settings(tmp_path, oidc_providers=[down]))
    dbmigrate.upgrade(rt.engine)
    make_user(rt, "ada@example.org")
    with TestClient(create_app(rt), base_url="http://testserver") as client:
        response = client.get("/login/oidc/other")
        assert response.status_code == 503
        assert "Example University cannot be reached just now" in response.text and "password" in response.text
        log_in(client, "ada@example.org")
        assert client.get("/account").status_code == 200
    rt.engine.dispose()


def test_a_sign_in_answered_too_late_is_refused(client, rt, oidc_provider):
    from datetime import timedelta

    from accord.db import utcnow
    from accord.errors import NotAuthenticated
    from accord.identity import service as identity

    state = parse_qs(urlsplit(start(client)).query)["state"][0]
    provider = identity.oidc_provider_named(rt.settings.oidc_providers, "uni")
    with rt.session() as db, pytest.raises(NotAuthenticated, match="took too long"):
        identity.oidc_take(db, provider, state=state, browser_state=state, now=utcnow() + timedelta(minutes=11))
