"""/api/v1 identity: users/me, personal tokens, and e-mail + password → token for the CLI."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient

from tests.identity.helpers import PASSWORD, api_token, csrf, log_in, make_user


def _bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def test_users_me_answers_to_a_bearer_token_and_to_a_session(client, rt):
    make_user(rt, "ada@example.org", "curator")
    body = client.get("/api/v1/users/me", headers=_bearer(api_token(rt, "ada@example.org"))).json()
    assert body["email"] == "ada@example.org" and body["email_verified"] is True
    assert {r["role"] for r in body["roles"]} == {"applicant", "curator"}
    log_in(client, "ada@example.org")
    assert client.get("/api/v1/users/me").json()["email"] == "ada@example.org"


def test_users_me_without_credentials_or_with_a_forged_token_is_401_problem_json(client, rt):
    for headers in ({}, _bearer("acc_forged")):
        response = client.get("/api/v1/users/me", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")


def test_the_cli_trades_a_password_for_a_token_without_csrf(client, rt):
    make_user(rt, "ada@example.org")
    response = client.post(
        "/api/v1/auth/token", json={"email": "ada@example.org", "password": PASSWORD, "token_name": "workstation"}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == "workstation" and body["token"].startswith(body["prefix"])
    assert client.get("/api/v1/users/me", headers=_bearer(body["token"])).status_code == 200


def test_token_login_is_throttled_like_the_login_page(client, rt):
    make_user(rt, "ada@example.org")
    for _ in range(rt.settings.login_max_failures):
        wrong = client.post("/api/v1/auth/token", json={"email": "ada@example.org", "password": "guess guess"})
        assert wrong.status_code == 401
    response = client.post("/api/v1/auth/token", json={"email": "ada@example.org", "password": PASSWORD})
    assert response.status_code == 429 and int(response.headers["retry-after"]) > 0
    assert response.json()["retry_after"] > 0


def test_tokens_can_be_created_read_listed_and_revoked_with_a_bearer_token_and_no_csrf(client, rt):
    make_user(rt, "ada@example.org")
    headers = _bearer(api_token(rt, "ada@example.org"))
    created = client.post("/api/v1/tokens", json={"name": "ci", "expires_in_days": 30}, headers=headers)
    assert created.status_code == 201
    new = created.json()
    assert new["expires_at"] is not None
    assert client.get(f"/api/v1/tokens/{new['id']}", headers=headers).json()["name"] == "ci"
    assert [t["name"] for t in client.get("/api/v1/tokens", headers=headers).json()] == ["test", "ci"]
    assert client.delete(f"/api/v1/tokens/{new['id']}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/tokens/{new['id']}", headers=headers).json()["revoked_at"] is not None
    assert client.get("/api/v1/users/me", headers=_bearer(new["token"])).status_code == 401
    assert "token" not in client.get(f"/api/v1/tokens/{new['id']}", headers=headers).json()


def test_a_token_lifetime_that_is_not_an_integer_is_refused(client, rt):
    """As the document declares it (found by the long schemathesis run: `true` was read as one day)."""
    make_user(rt, "ada@example.org")
    headers = _bearer(api_token(rt, "ada@example.org"))
    for days in (True, "30", 1.5):
        refused = client.post("/api/v1/tokens", json={"name": "ci", "expires_in_days": days}, headers=headers)
        assert refused.status_code == 422, (days, refused.text)
        assert "expires_in_days" in refused.text
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["TokenIn"]
    assert {"type": "integer", "minimum": 1, "maximum": 3650} in schema["properties"]["expires_in_days"]["anyOf"]


def test_a_token_lifetime_written_as_a_whole_float_is_an_integer(client, rt):
    """JSON Schema counts 364.0 as an integer, so the document allows it (found by the long schemathesis run:
    the strict integer refused it with 422)."""
    make_user(rt, "ada@example.org")
    headers = _bearer(api_token(rt, "ada@example.org"))
    created = client.post("/api/v1/tokens", json={"name": "ci", "expires_in_days": 364.0}, headers=headers)
    assert created.status_code == 201, created.text
    new = created.json()
    lifetime = datetime.fromisoformat(new["expires_at"]) - datetime.fromisoformat(new["created_at"])
    assert abs(lifetime - timedelta(days=364)) < timedelta(minutes=1)
    for days in (0.0, 3651.0, False):
        refused = client.post("/api/v1/tokens", json={"name": "ci", "expires_in_days": days}, headers=headers)
        assert refused.status_code == 422, (days, refused.text)


def test_another_users_token_is_not_found(client, rt):
    make_user(rt, "ada@example.org")
    make_user(rt, "bob@example.org")
    ada, bob = _bearer(api_token(rt, "ada@example.org")), _bearer(api_token(rt, "bob@example.org"))
    token_id = client.post("/api/v1/tokens", json={"name": "mine"}, headers=ada).json()["id"]
    assert client.get(f"/api/v1/tokens/{token_id}", headers=bob).status_code == 404
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=bob).status_code == 404
    assert client.get(f"/api/v1/tokens/{token_id}", headers=ada).json()["revoked_at"] is None


def test_a_browser_session_needs_the_csrf_header_to_create_a_token(client, rt):
    make_user(rt, "ada@example.org")
    log_in(client, "ada@example.org")
    refused = client.post("/api/v1/tokens", json={"name": "x"})
    assert refused.status_code == 403
    assert client.get("/api/v1/tokens").json() == []
    ok = client.post("/api/v1/tokens", json={"name": "x"}, headers={"X-CSRF-Token": csrf(client, "/account")})
    assert ok.status_code == 201


def test_an_invalid_body_is_a_422_naming_the_field(client, rt):
    make_user(rt, "ada@example.org")
    response = client.post(
        "/api/v1/tokens", json={"name": "x" * 101}, headers=_bearer(api_token(rt, "ada@example.org"))
    )
    assert response.status_code == 422 and "name" in response.json()["detail"]


def test_with_a_fresh_client_a_bearer_token_alone_is_enough(app, rt):
    make_user(rt, "ada@example.org")
    secret = api_token(rt, "ada@example.org")
    with TestClient(app) as fresh:
        assert fresh.post("/api/v1/tokens", json={"name": "y"}, headers=_bearer(secret)).status_code == 201
