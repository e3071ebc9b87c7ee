"""A real OpenID Connect provider for tests: django-oidc-provider in a throwaway Django project.

`start_provider(root, redirect_uris)` writes the project under `root`, migrates it on SQLite, makes an RSA
signing key and two confidential clients (the app under test and another one, for tokens meant for someone
else), and serves it with uvicorn on a free port of 127.0.0.1. People are added over a small test-only
endpoint; their e-mail, whether it is verified, their name and their affiliation come back as claims
(`email`, `email_verified`, `name` and, for the `affiliation` scope, `eduperson_scoped_affiliation`).

`OidcProvider.sign_in(authorize_url, username)` does what a person's browser does: follows the app's
authorization request to the provider, fills in the provider's login form and returns the URL the provider
sends the browser back to (the app's callback, with `code` and `state`).
"""

from __future__ import annotations

import json
import re
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import httpx
import jwt
import pytest

PASSWORD = "provider password 1"

SETTINGS = """
from pathlib import Path
BASE = Path(__file__).resolve().parent.parent
SECRET_KEY = {secret!r}
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SITE_URL = {site!r}
INSTALLED_APPS = [
    "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions", "oidc_provider",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "site_conf.urls"
TEMPLATES = [{{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [BASE / "templates"],
    "APP_DIRS": True,
    "OPTIONS": {{"context_processors": ["django.template.context_processors.request"]}},
}}]
DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": BASE / "provider.db",
    "OPTIONS": {{"timeout": 20}}}}}}
USE_TZ = True
LOGIN_URL = "/accounts/login/"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # a test provider: fast, not safe
OIDC_USERINFO = "site_conf.claims.userinfo"
OIDC_EXTRA_SCOPE_CLAIMS = "site_conf.claims.AffiliationClaims"
OIDC_IDTOKEN_INCLUDE_CLAIMS = False  # the app reads them from the userinfo endpoint, as with most providers
ADMIN_TOKEN = {admin!r}
"""

CLAIMS = """
import json
from pathlib import Path
from django.utils.translation import gettext_lazy as _
from oidc_provider.lib.claims import ScopeClaims

PROFILES = Path(__file__).resolve().parent.parent / "profiles.json"


def profile(user):
    return json.loads(PROFILES.read_text()).get(user.username, {}) if PROFILES.exists() else {}


def userinfo(claims, user):
    found = profile(user)
    claims["email"] = found.get("email") or user.email
    claims["email_verified"] = found.get("email_verified", False)
    claims["name"] = found.get("name", "")
    return claims


class AffiliationClaims(ScopeClaims):
    info_affiliation = (_("Affiliation"), _("Your role at your institution."))

    def scope_affiliation(self):
        return {"eduperson_scoped_affiliation": profile(self.user).get("affiliation") or None}
"""

URLS = """
import json
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.models import User
from django.http import HttpResponseForbidden, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from site_conf.claims import PROFILES


@csrf_exempt
def put_user(request):
    if request.headers.get("X-Admin-Token") != settings.ADMIN_TOKEN:
        return HttpResponseForbidden()
    data = json.loads(request.body)
    user, _ = User.objects.get_or_create(username=data["username"])
    user.email = data["email"]
    user.set_password(data["password"])
    user.save()
    profiles = json.loads(PROFILES.read_text()) if PROFILES.exists() else {}
    profiles[user.username] = {k: data[k] for k in ("email", "email_verified", "name", "affiliation")}
    PROFILES.write_text(json.dumps(profiles))
    return JsonResponse({"sub": str(user.id)})


urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(template_name="login.html")),
    path("openid/", include("oidc_provider.urls", namespace="oidc_provider")),
    path("_test/users", put_user),
]
"""

LOGIN_TEMPLATE = """<!doctype html>
<html><head><title>Example University sign-in</title></head><body>
<h1>Example University</h1>
<form method="post">{% csrf_token %}
  <label>User name <input name="username" id="username"></label>
  <label>Password <input name="password" id="password" type="password"></label>
  <input type="hidden" name="next" value="{{ next }}">
  <button type="submit">Sign in</button>
</form></body></html>
"""

SETUP = """
import django, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_conf.settings")
django.setup()
from django.core.management import call_command
from oidc_provider.models import Client, ResponseType
call_command("migrate", verbosity=0, interactive=False)
call_command("creatersakey")
for client_id, secret in (("accord-test", {secret!r}), ("someone-else", {other!r})):
    client = Client(name=client_id, client_id=client_id, client_secret=secret, require_consent=False)
    client.redirect_uris = {redirects!r}
    client.save()
    client.response_types.add(ResponseType.objects.get(value="code"))
"""

ASGI = """
import os
from django.core.asgi import get_asgi_application
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_conf.settings")
application = get_asgi_application()
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class OidcProvider:
    root: Path
    url: str
    client_id: str
    client_secret: str
    other_client_secret: str
    admin_token: str
    process: subprocess.Popen | None = None
    users: dict[str, str] = field(default_factory=dict)  # username -> subject

    @property
    def issuer(self) -> str:
        return f"{self.url}/openid"

    def settings(self, name: str = "uni", **extra) -> dict:
        """An entry for ACCORD_OIDC_PROVIDERS naming this provider."""
        return {
            "name": name,
            "display_name": "Example University",
            "issuer": self.issuer,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "scopes": ["openid", "email", "profile", "affiliation"],
            **extra,
        }

    def add_user(
        self,
        username: str,
        *,
        email: str,
        name: str = "",
        email_verified: bool = True,
        affiliation: list[str] | None = None,
        password: str = PASSWORD,
    ) -> str:
        """Create or change a person at the provider; returns their subject (`sub`)."""
        data = {
            "username": username,
            "password": password,
            "email": email,
            "email_verified": email_verified,
            "name": name or username.title(),
            "affiliation": affiliation or [],
        }
        response = httpx.post(f"{self.url}/_test/users", json=data, headers={"X-Admin-Token": self.admin_token})
        response.raise_for_status()
        self.users[username] = response.json()["sub"]
        return self.users[username]

    def sign_in(self, authorize_url: str, username: str, password: str = PASSWORD) -> str:
        """Log in at the provider as a browser would; returns where the provider redirects back to."""
        with httpx.Client(follow_redirects=False) as browser:
            response = browser.get(authorize_url)
            while response.status_code in (301, 302, 303) and response.headers["location"].startswith(("/", self.url)):
                location = urljoin(str(response.url), response.headers["location"])
                if "/accounts/login/" in location:
                    form = browser.get(location)
                    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
                    assert token, form.text
                    nxt = re.search(r'name="next" value="([^"]*)"', form.text)
                    response = browser.post(
                        location,
                        data={
                            "csrfmiddlewaretoken": token.group(1),
                            "username": username,
                            "password": password,
                            "next": nxt.group(1).replace("&amp;", "&") if nxt else "",
                        },
                        headers={"Referer": location},
                    )
                    assert response.status_code == 302, f"provider login failed: {response.text[:500]}"
                else:
                    response = browser.get(location)
            assert response.status_code == 302, f"the provider did not redirect back: {response.text[:500]}"
            return response.headers["location"]

    def signing_key(self) -> str:
        """The provider's private RSA key (PEM), for tests that forge tokens the provider could have signed."""
        with sqlite3.connect(self.root / "provider.db") as conn:
            return conn.execute("SELECT key FROM oidc_provider_rsakey").fetchone()[0]

    def sign(self, claims: dict, *, key: str | None = None, kid: str | None = None) -> str:
        """An RS256 JWT over `claims`, by default with the provider's own key and key id."""
        return jwt.encode(claims, key or self.signing_key(), algorithm="RS256", headers={"kid": kid or self.kid()})

    def kid(self) -> str:
        return httpx.get(f"{self.issuer}/jwks").json()["keys"][0]["kid"]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def write_project(root: Path, *, site: str, redirect_uris: list[str], secret: str, other: str, admin: str) -> None:
    conf = root / "site_conf"
    conf.mkdir(parents=True)
    (root / "templates").mkdir()
    (conf / "__init__.py").write_text("")
    (conf / "settings.py").write_text(SETTINGS.format(secret=secrets.token_urlsafe(32), site=site, admin=admin))
    (conf / "claims.py").write_text(CLAIMS)
    (conf / "urls.py").write_text(URLS)
    (conf / "asgi.py").write_text(ASGI)
    (root / "templates" / "login.html").write_text(LOGIN_TEMPLATE)
    (root / "setup_provider.py").write_text(SETUP.format(secret=secret, other=other, redirects=redirect_uris))


def start_provider(root: Path, redirect_uris: list[str]) -> OidcProvider:
    """Write, migrate and serve the provider; the caller stops it (or use `running_provider`)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    provider = OidcProvider(
        root=root,
        url=url,
        client_id="accord-test",
        client_secret=secrets.token_urlsafe(24),
        other_client_secret=secrets.token_urlsafe(24),
        admin_token=secrets.token_urlsafe(24),
    )
    write_project(
        root,
        site=url,
        redirect_uris=redirect_uris,
        secret=provider.client_secret,
        other=provider.other_client_secret,
        admin=provider.admin_token,
    )
    subprocess.run([sys.executable, "setup_provider.py"], cwd=root, check=True, capture_output=True)
    log = (root / "server.log").open("wb")
    provider.process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "site_conf.asgi:application", "--host", "127.0.0.1", "--port", str(port)],
        cwd=root,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    # Wait for it to answer (a deadline only against a server that never comes up; nothing is timed).
    deadline = time.monotonic() + 60
    while True:
        if provider.process.poll() is not None:
            raise RuntimeError(f"the OIDC provider exited: {(root / 'server.log').read_text()}")
        try:
            if httpx.get(f"{provider.issuer}/.well-known/openid-configuration").status_code == 200:
                return provider
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            provider.stop()
            raise RuntimeError(f"the OIDC provider did not start: {(root / 'server.log').read_text()}")
        time.sleep(0.1)


@contextmanager
def running_provider(root: Path, redirect_uris: list[str]) -> Iterator[OidcProvider]:
    provider = start_provider(root, redirect_uris)
    try:
        yield provider
    finally:
        provider.stop()


def discovery(provider: OidcProvider) -> dict:
    return json.loads(httpx.get(f"{provider.issuer}/.well-known/openid-configuration").text)


# The app under test, as TestClient calls it, signs in through providers named "uni" (and "other").
TEST_REDIRECTS = ["http://testserver/login/oidc/uni/callback", "http://testserver/login/oidc/other/callback"]


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory) -> Iterator[OidcProvider]:
    """One provider for the whole run, shared by every test that signs in through it."""
    with running_provider(tmp_path_factory.mktemp("oidc-provider"), TEST_REDIRECTS) as provider:
        yield provider
