"""The errors accord.client raises, and how a refusal from the server becomes one: the server's reason, its HTTP
status and its refusal code (link_expired, revoked, terms_changed, ...)."""

from __future__ import annotations

import httpx


class ClientError(Exception):
    """A failure with a reason a person can act on (the server's words where it gave some). `status` is the
    server's HTTP status when it answered, `code` its refusal code where it gave one."""

    def __init__(self, message: str, *, status: int | None = None, code: str = ""):
        super().__init__(message)
        self.status, self.code = status, code


class AccessEnded(ClientError):
    """The server refused: no grant, revoked, expired, or the terms changed. Retrying will not help."""


class TokenRefused(AccessEnded):
    """The server does not know the API token: mistyped, expired or revoked."""


class SignatureInvalid(ClientError):
    """The manifest is not signed by the platform certificate in use: tampered with, or another platform's."""


TOKEN_REFUSED = (
    "the server did not accept your API token: it is wrong, expired or revoked "
    "(make a new one on your account page, or with `accord user token` on the server)"
)


def reason_of(response: httpx.Response) -> str:
    try:
        return response.json().get("detail") or response.text
    except ValueError:
        return response.text.strip()[:300] or f"HTTP {response.status_code}"


def code_of(response: httpx.Response) -> str:
    """Which refusal it is (link_expired, revoked, terms_changed, ...): a header on plain answers, a field in JSON."""
    code = response.headers.get("x-accord-refusal")
    if code:
        return code
    try:
        return str(response.json().get("code") or "")
    except (ValueError, AttributeError):
        return ""


def refusal(response: httpx.Response) -> ClientError:
    """The error for a 4xx/5xx answer, with the server's reason and status."""
    status = response.status_code
    if status == 401:
        return TokenRefused(TOKEN_REFUSED, status=status)
    if status >= 500:
        return ClientError(f"the server failed: {reason_of(response)}", status=status)
    kind = AccessEnded if status == 403 else ClientError
    return kind(reason_of(response), status=status, code=code_of(response))
