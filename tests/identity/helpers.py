"""Browser-like steps for app tests: read the CSRF token from a page, post a form, log in."""

from __future__ import annotations

import re

from accord.identity import service as identity

PASSWORD = "correct horse battery"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(client, page: str = "/login") -> str:
    response = client.get(page)
    match = CSRF_INPUT.search(response.text)
    assert match, f"no CSRF field on {page} ({response.status_code})"
    return match.group(1)


def post_form(client, path: str, data: dict | None = None, *, page: str = "/login", **kwargs):
    return client.post(path, data={"csrf_token": csrf(client, page), **(data or {})}, follow_redirects=False, **kwargs)


def make_user(rt, email: str, *roles: str, password: str = PASSWORD, verified: bool = True):
    with rt.session() as db:
        return identity.create_user(
            db, email=email, name=email.split("@")[0].title(), password=password, roles=list(roles), verified=verified
        )


def make_curator(rt, email: str, dataset_id: int):
    """A user who curates one dataset, with their roles loaded for use after the session closes."""
    made = make_user(rt, email)
    with rt.session() as db:
        identity.grant_role(db, identity.user_by_id(db, made.id), "curator", dataset_id=dataset_id)
        curator = identity.user_by_id(db, made.id)
        _ = list(curator.roles)
    return curator


def log_in(client, email: str, password: str = PASSWORD):
    response = post_form(client, "/login", {"email": email, "password": password})
    assert response.status_code == 303, response.text
    return response


def api_token(rt, email: str) -> str:
    with rt.session() as db:
        return identity.create_api_token(db, identity.user_by_email(db, email), name="test").secret


def session_csrf(client) -> str:
    """The CSRF token of the client's signed-in session, as its pages carry it (for tests that set the session
    cookie themselves instead of reading a page)."""
    from accord.http.deps import SESSION_COOKIE
    from accord.http.deps import session_csrf as token_for

    return token_for(client.app.state.rt.secret, client.cookies[SESSION_COOKIE])
