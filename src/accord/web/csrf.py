"""CSRF protection for every state-changing browser request.

Requests authenticated by an API token (Authorization: Bearer), and API requests with no session cookie at all,
carry no ambient credentials, so they are exempt;
everything else that is not GET/HEAD/OPTIONS must echo, in a form field or header, the token bound to its
session cookie (`deps.session_csrf`), or before signing in the CSRF cookie. Someone who can plant cookies (a
sibling subdomain, a man in the middle on plain http) cannot make a token for another's session.
"""

from __future__ import annotations

import hmac
from urllib.parse import parse_qs

from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord.http.deps import CSRF_COOKIE, CSRF_FIELD, CSRF_HEADER, SAFE_METHODS, SESSION_COOKIE, expected_csrf

MAX_FORM_SCAN = 64 * 1024  # the token is looked for in the first part of a multipart body
# Trading a password for an API token sets no cookie and answers only to the caller, so a forged cross-site
# request gains nothing; the CLI has no CSRF cookie to echo. A data subject's removal request, its proof, its
# follow link and a consent withdrawal act on no account (the e-mailed secret in the body is the whole credential),
# so a cross-site post gains nothing a direct one would not.
EXEMPT_PATHS = {
    "/api/v1/auth/token",
    "/api/v1/removal-requests",
    "/api/v1/removal-requests/prove",
    "/api/v1/removal-requests/follow",
    "/api/v1/consent/withdraw",
}


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    return v
    return None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


class CSRFMiddleware:
    def __init__(self, app: ASGIApp, on_failure, secret: str):
        self.app = app
        self.on_failure = on_failure  # ASGI app that renders the refusal
        self.secret = secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            return await self.app(scope, receive, send)
        if scope["path"] in EXEMPT_PATHS:
            return await self.app(scope, receive, send)
        auth = _header(scope, b"authorization") or ""
        session = _cookie(scope, SESSION_COOKIE)
        if session is None and (auth.lower().startswith("bearer ") or scope["path"].startswith("/api/")):
            # No session cookie, so nothing ambient to forge with: the API route itself answers 401 or acts.
            return await self.app(scope, receive, send)
        expected = expected_csrf(self.secret, session, _cookie(scope, CSRF_COOKIE))
        submitted = _header(scope, CSRF_HEADER.encode())
        buffered: list[Message] = []
        if not submitted and expected:
            ctype = _header(scope, b"content-type") or ""
            body = b""
            more = True
            # Read only the head of the body, and replay it to the app untouched.
            while more and len(body) < MAX_FORM_SCAN:
                msg = await receive()
                buffered.append(msg)
                body += msg.get("body", b"")
                more = msg.get("more_body", False)
            submitted = _find_token(ctype, body)
        if not (expected and submitted and hmac.compare_digest(expected, submitted)):
            return await self.on_failure(scope, receive, send)

        async def replay() -> Message:
            if buffered:
                return buffered.pop(0)
            return await receive()

        await self.app(scope, replay, send)


def _find_token(ctype: str, body: bytes) -> str | None:
    if ctype.startswith("application/x-www-form-urlencoded"):
        values = parse_qs(body.decode("latin-1")).get(CSRF_FIELD)
        return values[0] if values else None
    if ctype.startswith("multipart/form-data"):
        marker = f'name="{CSRF_FIELD}"'.encode()
        at = body.find(marker)
        if at < 0:
            return None
        start = body.find(b"\r\n\r\n", at)
        end = body.find(b"\r\n", start + 4)
        if start < 0 or end < 0:
            return None
        return body[start + 4 : end].decode("latin-1").strip()
    return None


class ResponseHeaders:
    """Security headers on every answer, and the CSRF cookie when a page minted a token for a browser that had
    none (`csrf_token` leaves it in the request state). Plain ASGI: an `@app.middleware("http")` costs a task and
    a body stream per request, which a segmented downloader pays on every range it asks for."""

    SECURITY = (("x-content-type-options", "nosniff"), ("x-frame-options", "DENY"), ("referrer-policy", "same-origin"))
    # Scripts, styles and images only from this site's own files: no inline script or style, no eval, no
    # framing, forms post only here. A route may set its own (a scan is shown with `sandbox`).
    CSP = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    # Swagger UI styles itself inline; its scripts must still come from this site (self-hosted).
    DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'").replace(
        "img-src 'self'", "img-src 'self' data:"
    )

    def __init__(self, app: ASGIApp, secure_cookies: bool):
        self.app = app
        self.secure_cookies = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        state = scope.setdefault("state", {})  # created here so the app's copies of the scope share it

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                token = state.get("new_csrf")
                if token and _cookie(scope, CSRF_COOKIE) is None:
                    cookie = Response()
                    cookie.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="lax", secure=self.secure_cookies)
                    headers.append("set-cookie", cookie.headers["set-cookie"])
                for name, value in self.SECURITY:
                    headers.setdefault(name, value)
                if headers.get("content-type", "").startswith("text/html"):  # PDFs and images open as they are
                    headers.setdefault(
                        "content-security-policy", self.DOCS_CSP if scope["path"].startswith("/api/docs") else self.CSP
                    )
            await send(message)

        await self.app(scope, receive, send_with_headers)
