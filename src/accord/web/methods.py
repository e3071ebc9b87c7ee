"""HTTP methods, settled before the CSRF check and the router see a request.

- A method that no route at the address takes is answered 405 with `Allow` (the CSRF check, which runs before
  routing, would otherwise refuse it as a forged form).
- HEAD is answered like GET without a body wherever a route takes GET (FastAPI registers GET alone).
- Any other method at an address that no route has is answered 404: no handler would run, so there is no form
  to check.
"""

from __future__ import annotations

import re

from starlette.routing import Mount, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SAFE = {"GET", "HEAD"}


def route_table(routes) -> list[tuple[re.Pattern[str], frozenset[str]]]:
    """(path pattern, methods) of every route, those of included routers too; a mount takes GET and HEAD under
    its prefix (static files)."""
    try:
        from fastapi.routing import iter_route_contexts  # FastAPI ≥ 0.16x includes routers lazily

        contexts = list(iter_route_contexts(routes))
    except ImportError:
        contexts = routes
    table = []
    for route in contexts:
        original = getattr(route, "original_route", route)
        if isinstance(original, Mount):
            table.append((re.compile(re.escape(original.path.rstrip("/")) + "(/.*)?$"), frozenset(SAFE)))
            continue
        path, methods = getattr(route, "path", None), getattr(route, "methods", None)
        if not path or not methods:
            continue
        regex, _, _ = compile_path(path)
        table.append((regex, frozenset(methods)))
    return table


def allowed(table, path: str) -> set[str] | None:
    """The methods some route takes at `path`, or None when no route has that address."""
    found = [methods for regex, methods in table if regex.match(path)]
    return set().union(*found) if found else None


class Methods:
    def __init__(self, app: ASGIApp, on_refusal):
        self.app = app
        self.on_refusal = on_refusal  # (scope, receive, send, status, allowed methods) renders the answer
        self.table: list[tuple[re.Pattern[str], frozenset[str]]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if self.table is None:  # built on first use: the routes are included after the middleware is added
            self.table = route_table(scope["app"].routes)
        method = scope["method"]
        methods = allowed(self.table, scope["path"])
        if methods is None:
            if method in SAFE:
                return await self.app(scope, receive, send)  # the router's 404 page
            return await self.on_refusal(scope, receive, send, 404, set())
        if method == "HEAD" and "HEAD" not in methods and "GET" in methods:
            return await self.app({**scope, "method": "GET"}, receive, _without_body(send))
        if method in methods:
            return await self.app(scope, receive, send)
        return await self.on_refusal(scope, receive, send, 405, methods | ({"HEAD"} if "GET" in methods else set()))


def _without_body(send: Send) -> Send:
    """Pass the answer's status and headers (Content-Length included, as RFC 9110 allows for HEAD), not its body."""

    async def head_send(message: Message) -> None:
        if message["type"] == "http.response.body":
            if message.get("more_body", False):
                return
            message = {"type": "http.response.body", "body": b"", "more_body": False}
        await send(message)

    return head_send
