"""FastAPI dependencies shared by the web pages and the API: runtime, session, current user, CSRF."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from accord.errors import NotAuthenticated, PermissionDenied
from accord.identity import service as identity
from accord.identity.models import User
from accord.runtime import Runtime

SESSION_COOKIE = "accord_session"
CSRF_COOKIE = "accord_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_rt(request: Request) -> Runtime:
    return request.app.state.rt


async def _rt(request: Request) -> Runtime:
    return request.app.state.rt  # async: a plain function dependency would cost a worker-thread hop per request


def get_db(request: Request) -> Iterator[Session]:
    # Services commit their own unit of work; this only closes the session (never commits in teardown).
    db = get_rt(request).session()
    try:
        yield db
    finally:
        db.close()


async def form_data(request: Request) -> FormData:
    """The whole posted form, for pages whose fields depend on the dataset's terms."""
    return await request.form()


Rt = Annotated[Runtime, Depends(_rt)]
Db = Annotated[Session, Depends(get_db)]
Form = Annotated[FormData, Depends(form_data)]


def client_address(request: Request) -> str:
    """The client's address: the peer, or, when the peer is a trusted proxy, the nearest untrusted hop."""
    peer = request.client.host if request.client else ""
    trusted = get_rt(request).settings.trusted_proxies
    if not trusted or not _in(peer, trusted):
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _in(hop, trusted):
            return hop
    return hops[0] if hops else peer


def _in(address: str, networks: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(n, strict=False) for n in networks)


def bearer_token(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return None


# Declared as a security scheme so the OpenAPI document (and /api/docs' "Authorize") says how to send a token.
API_TOKEN = HTTPBearer(
    scheme_name="APIToken",
    description="An API token from your account page (or `accord login`), sent as `Authorization: Bearer <token>`. "
    "In a browser the session cookie is used instead.",
    auto_error=False,
)


def optional_user(
    request: Request, db: Db, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(API_TOKEN)] = None
) -> User | None:
    if hasattr(request.state, "user"):
        return request.state.user
    token = credentials.credentials.strip() if credentials else bearer_token(request)
    user = (
        identity.user_for_api_token(db, token)
        if token
        else identity.user_for_session(db, request.cookies.get(SESSION_COOKIE))
    )
    request.state.user = user
    request.state.via_token = bool(token)
    return user


def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    if user is None:
        raise NotAuthenticated("please log in")
    return user


def admin_user(user: Annotated[User, Depends(current_user)]) -> User:
    if not user.is_admin:
        raise PermissionDenied("this page is for administrators")
    return user


OptionalUser = Annotated[User | None, Depends(optional_user)]
CurrentUser = Annotated[User, Depends(current_user)]
AdminUser = Annotated[User, Depends(admin_user)]


# --- CSRF: signed in, a token bound to the session; before that, a random cookie echoed in each form ---------


def session_csrf(secret: str, session: str) -> str:
    """The CSRF token of a signed-in browser: a keyed hash of its session cookie, so that a token planted as a
    cookie, or read from another session's page, is refused."""
    return hmac.new(secret.encode(), b"csrf\0" + session.encode("latin-1"), hashlib.sha256).hexdigest()


def expected_csrf(secret: str, session: str | None, cookie: str | None) -> str | None:
    """What a state-changing request must echo: the session's token, or (not signed in: login, registration)
    the CSRF cookie."""
    return session_csrf(secret, session) if session else cookie


def csrf_token(request: Request) -> str:
    """The token for this browser's forms; a new CSRF cookie is set by the middleware when it had none."""
    session = request.cookies.get(SESSION_COOKIE)
    if session:
        return session_csrf(get_rt(request).secret, session)
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.new_csrf = token
    return token


def csrf_ok(request: Request, submitted: str | None) -> bool:
    expected = expected_csrf(
        get_rt(request).secret, request.cookies.get(SESSION_COOKIE), request.cookies.get(CSRF_COOKIE)
    )
    return bool(expected and submitted and hmac.compare_digest(expected, submitted))
