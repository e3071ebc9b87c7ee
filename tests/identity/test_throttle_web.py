"""Login throttling through the login page and the token endpoint, with clients at different addresses and
behind a reverse proxy that is trusted or not."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from accord.runtime import build
from accord.web.app import create_app
from tests.conftest import make_settings
from tests.identity.helpers import PASSWORD, make_user, post_form

ATTACKER, OWNER, PROXY = "203.0.113.66", "198.51.100.7", "10.0.0.2"


@pytest.fixture
def proxied(tmp_path):
    """An app whose settings trust the proxy at 10.0.0.0/8."""
    from accord import dbmigrate

    runtime = build(make_settings(tmp_path, trusted_proxies=["10.0.0.0/8"]))
    dbmigrate.upgrade(runtime.engine)
    yield runtime
    runtime.engine.dispose()


def _from(app, address: str) -> TestClient:
    return TestClient(app, base_url="http://testserver", client=(address, 40000))


def _login(client, password: str, headers: dict | None = None):
    return post_form(client, "/login", {"email": "ada@example.org", "password": password}, headers=headers)


def _token(client, password: str, headers: dict | None = None):
    return client.post("/api/v1/auth/token", json={"email": "ada@example.org", "password": password}, headers=headers)


@pytest.mark.parametrize("attempt", [_login, _token], ids=["page", "api"])
def test_an_attacker_cannot_keep_the_owner_out_and_is_told_to_wait(app, rt, attempt):
    make_user(rt, "ada@example.org")
    attacker, owner = _from(app, ATTACKER), _from(app, OWNER)
    answers = [attempt(attacker, "guess guess").status_code for _ in range(30)]
    assert answers[: rt.settings.login_max_failures] == [401] * rt.settings.login_max_failures
    assert set(answers[rt.settings.login_max_failures :]) == {429}
    waiting = attempt(attacker, PASSWORD)
    assert waiting.status_code == 429 and int(waiting.headers["retry-after"]) > 0  # even the right password
    assert attempt(owner, PASSWORD).status_code in (201, 303)


def test_a_forwarded_address_from_an_untrusted_peer_is_ignored(app, rt):
    make_user(rt, "ada@example.org")
    attacker = _from(app, ATTACKER)
    for i in range(rt.settings.login_max_failures):  # pretending each time to be someone else
        assert _login(attacker, "guess guess", {"X-Forwarded-For": f"192.0.2.{i}"}).status_code == 401
    assert _login(attacker, PASSWORD, {"X-Forwarded-For": "192.0.2.200"}).status_code == 429


def test_a_trusted_proxy_s_forwarded_address_names_the_client(proxied):
    make_user(proxied, "ada@example.org")
    proxy = _from(create_app(proxied), PROXY)
    for _ in range(proxied.settings.login_max_failures):
        assert _login(proxy, "guess guess", {"X-Forwarded-For": ATTACKER}).status_code == 401
    assert _login(proxy, PASSWORD, {"X-Forwarded-For": ATTACKER}).status_code == 429
    # The owner comes through the same proxy: the proxy's own address is not what is throttled.
    assert _login(proxy, PASSWORD, {"X-Forwarded-For": OWNER}).status_code == 303


def test_logging_in_resets_the_count(app, rt):
    make_user(rt, "ada@example.org")
    owner = _from(app, OWNER)
    for _ in range(2):
        for _ in range(rt.settings.login_max_failures - 1):
            assert _login(owner, "guess guess").status_code == 401
        assert _login(owner, PASSWORD).status_code == 303
