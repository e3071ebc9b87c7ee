"""The ASGI application: web pages, the REST API under /api/v1, static assets."""

from __future__ import annotations

import logging
import uuid
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import inspect
from starlette.exceptions import HTTPException as StarletteHTTPException

from accord import errors
from accord.errors import NotFound
from accord.identity import service as identity
from accord.runtime import Runtime, build
from accord.web import error_pages
from accord.web.csrf import CSRFMiddleware, ResponseHeaders
from accord.web.methods import Methods
from accord.web.templating import render

log = logging.getLogger("accord.web")


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def problem(status: int, title: str, detail: str, **extra) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def error_page(
    request: Request, status: int, title: str, detail: str, *, exc: errors.AccordError | None = None, **extra
):
    """problem+json for programs; for people, a page with a heading in words, the message and what to do next."""
    if wants_json(request):
        return problem(status, title, detail, **extra)
    template = "_error_fragment.html" if request.headers.get("hx-request") else "error.html"
    user = _signed_in(request)
    page = _described(request, user, exc) if exc is not None else None
    if page is None:
        page = error_pages.ErrorPage(title, detail, [error_pages.BACK, error_pages.CATALOGUE])
    return render(
        request,
        template,
        status_code=status,
        title=page.heading,
        detail=page.detail,
        steps=page.steps,
        status=status,
        user=user,
    )


def _described(request: Request, user, exc: errors.AccordError):
    """The error in words, read in a short session of its own (the request's unit of work rolled back)."""
    try:
        with request.app.state.rt.session() as db:
            return error_pages.describe(db, user, exc, path=request.url.path)
    except Exception:
        log.exception("could not describe %s", type(exc).__name__)
        return None


def _signed_in(request: Request):
    """The signed-in user for the error page's header. An error raised in a unit of work rolled back (which
    expires every loaded object) and the request's session is closed by now, so an expired user is read again
    in a short session of its own."""
    user = getattr(request.state, "user", None)
    if user is None:
        return None
    state = inspect(user)
    if not state.expired_attributes and "roles" in state.dict:
        return user
    with request.app.state.rt.session() as db:
        try:
            fresh = identity.user_by_id(db, state.identity[0])  # roles load with it (lazy="selectin")
        except NotFound:
            return None
        db.expunge(fresh)
        return fresh


async def _csrf_refused(scope, receive, send):
    request = Request(scope, receive)
    response = error_page(
        request,
        403,
        "Form expired or forged",
        "This form could not be accepted (missing or wrong CSRF token). "
        "Reload the page and try again; nothing was changed.",
    )
    await response(scope, receive, send)


async def _method_refused(scope, receive, send, status: int, allowed: set[str]):
    request = Request(scope, receive)
    if status == 404:
        response = error_page(request, 404, "Not found", "There is nothing at this address.")
    else:
        allow = ", ".join(sorted(allowed))
        response = error_page(
            request, 405, "Method not allowed", f"{scope['method']} is not allowed here; this address takes {allow}."
        )
        response.headers["Allow"] = allow
    await response(scope, receive, send)


@asynccontextmanager
async def _lifespan(app: FastAPI):
    yield
    # Download-log rows still held in memory are written before the process ends.
    delivery = app.state.rt.kept("delivery")
    if delivery is not None:
        delivery.log.flush()


def create_app(rt: Runtime | None = None) -> FastAPI:
    rt = rt or build()
    # /api/docs is web/routes/api_docs.py: FastAPI's own page loads Swagger UI from a CDN.
    app = FastAPI(
        title="Accord",
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
        lifespan=_lifespan,
        description="Licence-gated distribution of human-subject image datasets.",
    )
    app.state.rt = rt

    @app.exception_handler(errors.AccordError)
    async def accord_error(request: Request, exc: errors.AccordError):
        status = errors.lookup(errors.HTTP_STATUS, exc)
        extra = {"field": exc.field} if exc.field else {}
        extra.update(exc.details)
        response = error_page(request, status, type(exc).__name__, exc.message, exc=exc, **extra)
        if isinstance(exc, errors.RateLimited):
            response.headers["Retry-After"] = str(exc.retry_after)
        if isinstance(exc, errors.NotAuthenticated) and not wants_json(request) and request.method == "GET":
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        if any(e["loc"][:1] == ("path",) for e in exc.errors()):
            # /applications/abc or an id past what the database holds: an address that names nothing
            return error_page(request, 404, "Not found", "There is nothing at this address.")
        problems = [{"field": ".".join(str(p) for p in e["loc"][1:]), "message": e["msg"]} for e in exc.errors()]
        detail = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        return error_page(request, 422, "Invalid input", detail, errors=problems)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        title = {404: "Not found", 405: "This address does not take that kind of request"}.get(
            exc.status_code, "This request could not be completed"
        )
        detail = str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":  # the framework's words for an unknown address
            detail = "There is nothing at this address."
        response = error_page(request, exc.status_code, title, detail)
        response.headers.update(exc.headers or {})  # e.g. Allow on a 405
        return response

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception):
        request_id = uuid.uuid4().hex[:12]
        log.exception("unhandled error, request id %s", request_id)
        return error_page(
            request,
            500,
            "Internal error",
            f"Something went wrong on our side (request id {request_id}).",
            request_id=request_id,
        )

    from accord.web.ops import Metrics

    app.add_middleware(CSRFMiddleware, on_failure=_csrf_refused, secret=rt.secret)
    app.add_middleware(Methods, on_refusal=_method_refused)  # outside the CSRF check: 405 before 403
    app.add_middleware(ResponseHeaders, secure_cookies=rt.settings.base_url.startswith("https"))
    app.add_middleware(Metrics, enabled=rt.settings.metrics)  # outermost: every answer is counted
    from accord.web.routes.api_docs import mount_assets
    from accord.web.static import static_dir

    mount_assets(app)
    app.mount("/static", StaticFiles(directory=static_dir()), name="static")
    _include_routers(app)
    _document_problems(app)
    return app


def _document_problems(app: FastAPI) -> None:
    """The OpenAPI document defines the Problem schema that the API routes' error answers refer to."""
    from accord.api.problems import add_schemas

    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = add_schemas(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the schema


def _include_routers(app: FastAPI) -> None:
    from accord.api import router as api_router
    from accord.web.routes import pages

    app.include_router(api_router.router)
    app.include_router(api_router.delivery.links)  # /dl/{token}: signed download links, outside /api/v1
    for router in pages():
        app.include_router(router)
