"""Signing in through an institution's OpenID Connect provider, and linking one to an account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from accord.config import OidcProvider
from accord.db import utcnow
from accord.errors import AccordError, NotAuthenticated
from accord.http.deps import CurrentUser, Db, OptionalUser, Rt, client_address
from accord.identity import service as identity
from accord.web.routes.identity import _login_response, exc_status, safe_next
from accord.web.templating import render

router = APIRouter(include_in_schema=False)

STATE_COOKIE = "accord_oidc_state"  # the state this browser was sent with; the provider's answer must carry it
STATE_PATH = "/login/oidc"


def _cache(rt) -> identity.OidcProviderCache:
    return rt.kept("identity.oidc", identity.OidcProviderCache)


def _redirect_uri(rt, provider: OidcProvider) -> str:
    return f"{rt.settings.base_url.rstrip('/')}/login/oidc/{provider.name}/callback"


def _status(exc: AccordError) -> int:
    if isinstance(exc, identity.OidcProviderUnavailable):
        return 503
    # A refused answer is a bad request, not a call to log in (which 401 would mean).
    return 400 if isinstance(exc, NotAuthenticated) else exc_status(exc)


def _failed(request: Request, exc: AccordError, provider: OidcProvider | None, next_url: str = "/", status=None):
    response = render(
        request,
        "identity/oidc_error.html",
        status_code=status or _status(exc),
        message=exc.message,
        provider=provider,
        account_exists=isinstance(exc, identity.OidcAccountExists),
        next=next_url,
    )
    response.delete_cookie(STATE_COOKIE, path=STATE_PATH)
    return response


def _send_to_provider(rt, db, provider: OidcProvider, *, next_url: str, link_user=None) -> RedirectResponse:
    meta = _cache(rt).metadata(provider)
    auth = identity.oidc_authorization_request(provider, meta, _redirect_uri(rt, provider))
    identity.oidc_begin(db, provider, auth, next_url=next_url, link_user=link_user)
    response = RedirectResponse(auth.url, status_code=303)
    # SameSite=Lax: the provider sends the browser back with a top-level GET, which carries the cookie.
    response.set_cookie(
        STATE_COOKIE,
        auth.state,
        max_age=int(identity.OIDC_REQUEST_TTL.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=rt.settings.base_url.startswith("https"),
        path=STATE_PATH,
    )
    return response


@router.get("/login/oidc/{provider_name}")
def start(request: Request, db: Db, rt: Rt, provider_name: str, next: str = "/"):
    target = safe_next(next)
    try:
        provider = identity.oidc_provider_named(rt.settings.oidc_providers, provider_name)
    except AccordError as exc:
        return _failed(request, exc, None, target)
    try:
        return _send_to_provider(rt, db, provider, next_url=target)
    except AccordError as exc:
        return _failed(request, exc, provider, target)


@router.get("/login/oidc/{provider_name}/callback")
def callback(
    request: Request,
    db: Db,
    rt: Rt,
    user: OptionalUser,
    provider_name: str,
    code: str = "",
    state: str = "",
    error: str = "",
    error_description: str = "",
):
    try:
        provider = identity.oidc_provider_named(rt.settings.oidc_providers, provider_name)
    except AccordError as exc:
        return _failed(request, exc, None)
    try:
        if error:
            why = error_description or error
            raise NotAuthenticated(f"{provider.display_name} did not sign you in ({why[:200]})")
        pending = identity.oidc_take(db, provider, state=state, browser_state=request.cookies.get(STATE_COOKIE))
        claims = identity.oidc_finish(
            provider,
            _cache(rt).metadata(provider),
            _cache(rt),
            code=code,
            redirect_uri=_redirect_uri(rt, provider),
            code_verifier=pending.code_verifier,
            nonce=pending.nonce,
            now=utcnow(),
        )
        if pending.link_user_id is not None:
            if user is None or user.id != pending.link_user_id:
                raise NotAuthenticated("log in again to link a provider to your account")
            identity.oidc_link(db, user, provider, claims)
            response = RedirectResponse("/account?notice=oidc-linked", status_code=303)
        else:
            signed_in = identity.oidc_sign_in(db, provider, claims)
            token = identity.start_session(db, signed_in, ttl=rt.settings.session_ttl)
            response = _login_response(rt, token, safe_next(pending.next_url))
    except AccordError as exc:
        return _failed(request, exc, provider)
    response.delete_cookie(STATE_COOKIE, path=STATE_PATH)
    return response


@router.post("/account/oidc/{provider_name}/link")
def link(request: Request, db: Db, rt: Rt, me: CurrentUser, provider_name: str, password: Annotated[str, Form()] = ""):
    """Linking needs the account's password first: whoever can sign in at the provider is not thereby the owner
    of the account that has the same e-mail address."""
    try:
        provider = identity.oidc_provider_named(rt.settings.oidc_providers, provider_name)
        identity.authenticate(
            db,
            email=me.email,
            password=password,
            client=client_address(request),
            limits=identity.LoginLimits.of(rt.settings),
        )
        return _send_to_provider(rt, db, provider, next_url="/account", link_user=me)
    except AccordError as exc:
        return _failed(request, exc, None, "/account", status=exc_status(exc))
