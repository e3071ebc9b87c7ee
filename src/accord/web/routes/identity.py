"""Account pages: register, log in and out, confirm the e-mail address, the account page, the mail outbox."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from accord.access import service as access
from accord.access.service import reviews_any
from accord.catalog import service as catalog
from accord.errors import HTTP_STATUS, AccordError, RateLimited, lookup
from accord.http.deps import SESSION_COOKIE, AdminUser, CurrentUser, Db, OptionalUser, Rt, client_address
from accord.http.params import Id
from accord.identity import service as identity
from accord.notify import service as notify
from accord.web.templating import render

router = APIRouter(include_in_schema=False)

NOTICES = {
    "welcome": "Welcome! We sent you an e-mail with a link to confirm your address.",
    "verification-sent": "We sent a new confirmation link to your e-mail address.",
    "password-changed": "Your password was changed; your other browser sessions were logged out.",
    "token-revoked": "The token was revoked; it no longer works.",
    "review-mail": "Saved: how you hear of applications to review.",
    "oidc-linked": "Linked: you can now sign in through your institution as well.",
}


def safe_next(target: str | None) -> str:
    """Only redirect to a path on this site: never to another host (`//evil`, `https://evil`, `/\\evil`)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


def exc_status(exc: AccordError) -> int:
    return lookup(HTTP_STATUS, exc)


def _form_errors(exc: AccordError) -> dict[str, str]:
    return {exc.field or "form": exc.message}


def _login_response(rt, token: str, target: str) -> RedirectResponse:
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(rt.settings.session_ttl.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=rt.settings.base_url.startswith("https"),
        path="/",
    )
    return response


@router.get("/register")
def register_form(request: Request, user: OptionalUser):
    return render(request, "identity/register.html", values={}, errors={})


@router.post("/register")
def register(
    request: Request,
    db: Db,
    rt: Rt,
    email: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
):
    try:
        user = identity.register(
            db, email=email, name=name, password=password, secret=rt.secret, base_url=rt.settings.base_url
        )
    except AccordError as exc:
        return render(
            request,
            "identity/register.html",
            status_code=exc_status(exc),
            values={"email": email, "name": name},
            errors=_form_errors(exc),
        )
    token = identity.start_session(db, user, ttl=rt.settings.session_ttl)
    return _login_response(rt, token, "/account?notice=welcome")


@router.get("/login")
def login_form(request: Request, user: OptionalUser, next: str = "/"):
    providers = request.app.state.rt.settings.oidc_providers
    return render(request, "identity/login.html", values={}, errors={}, next=safe_next(next), providers=providers)


@router.post("/login")
def login(
    request: Request,
    db: Db,
    rt: Rt,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
):
    target = safe_next(next)
    try:
        user = identity.authenticate(
            db,
            email=email,
            password=password,
            client=client_address(request),
            limits=identity.LoginLimits.of(rt.settings),
        )
    except AccordError as exc:
        response = render(
            request,
            "identity/login.html",
            status_code=exc_status(exc),
            values={"email": email},
            errors={"form": exc.message},
            next=target,
            providers=rt.settings.oidc_providers,
        )
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    token = identity.start_session(db, user, ttl=rt.settings.session_ttl)
    return _login_response(rt, token, target)


@router.post("/logout")
def logout(request: Request, db: Db):
    identity.end_session(db, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/verify-email")
def verify_email(request: Request, db: Db, rt: Rt, user: OptionalUser, token: str = ""):
    try:
        verified = access.verify_email(db, rt.secret, token, base_url=rt.settings.base_url)
    except AccordError as exc:
        return render(request, "identity/verified.html", status_code=exc_status(exc), error=exc.message)
    return render(request, "identity/verified.html", verified=verified, error=None)


@router.post("/verify-email/resend")
def resend_verification(request: Request, db: Db, rt: Rt, me: CurrentUser):
    identity.resend_verification(db, me, secret=rt.secret, base_url=rt.settings.base_url)
    return RedirectResponse("/account?notice=verification-sent", status_code=303)


def _account(request: Request, db, me, *, status_code: int = 200, **extra):
    extra.setdefault("errors", {})
    providers = request.app.state.rt.settings.oidc_providers
    linked = identity.oidc_identities(db, me)
    return render(
        request,
        "identity/account.html",
        status_code=status_code,
        me=me,
        roles=catalog.role_labels(db, me),
        reviews=reviews_any(me),
        tokens=identity.list_api_tokens(db, me),
        notice=NOTICES.get(request.query_params.get("notice", "")),
        providers=providers,
        provider_names={p.name: p.display_name for p in providers},
        linked=linked,
        linked_names={i.provider for i in linked},
        **extra,
    )


@router.get("/account")
def account(request: Request, db: Db, me: CurrentUser):
    return _account(request, db, me)


@router.post("/account/tokens")
def create_token(request: Request, db: Db, me: CurrentUser, name: Annotated[str, Form()] = ""):
    try:
        new = identity.create_api_token(db, me, name=name)
    except AccordError as exc:
        return _account(request, db, me, status_code=exc_status(exc), errors={"token_name": exc.message})
    # The secret is shown in this response only; it is never stored in clear.
    return _account(request, db, me, new_token=new)


@router.post("/account/review-mail")
def set_review_mail(request: Request, db: Db, me: CurrentUser, review_mail: Annotated[str, Form()] = ""):
    try:
        access.set_review_mail(db, me, review_mail)
    except AccordError as exc:
        return _account(request, db, me, status_code=exc_status(exc), errors={"review_mail": exc.message})
    return RedirectResponse("/account?notice=review-mail", status_code=303)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(db: Db, me: CurrentUser, token_id: Id):
    identity.revoke_api_token(db, me, token_id)
    return RedirectResponse("/account?notice=token-revoked", status_code=303)


@router.post("/account/password")
def change_password(
    request: Request,
    db: Db,
    me: CurrentUser,
    old_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
):
    try:
        identity.change_password(
            db, me, old=old_password, new=new_password, keep_session=request.cookies.get(SESSION_COOKIE)
        )
    except AccordError as exc:
        field = "new_password" if exc.field == "password" else exc.field
        return _account(request, db, me, status_code=exc_status(exc), errors={field or "password": exc.message})
    return RedirectResponse("/account?notice=password-changed", status_code=303)


@router.get("/admin/outbox")
def outbox(request: Request, db: Db, me: AdminUser):
    return render(request, "identity/outbox.html", messages=notify.outbox(db), counts=notify.outbox_counts(db))
