from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from accord.errors import HTTP_STATUS, AccordError, lookup
from accord.http.deps import CSRF_FIELD, csrf_token

TEMPLATES = Path(__file__).parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES))


def _filesize(n: int | None) -> str:
    if n is None:
        return "–"
    size = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"


templates.env.filters["filesize"] = _filesize


def _clause_text(clause) -> Markup:
    """A clause's text with its links (an Accord page, the custodian's contact) made clickable."""
    html = str(escape(clause.text))
    for link in getattr(clause, "links", ()):
        if not link.href.startswith(("/", "mailto:", "https://", "http://")):
            continue
        label = str(escape(link.label))
        html = html.replace(label, f'<a href="{escape(link.href)}">{label}</a>', 1)
    return Markup(html)


templates.env.filters["clause_text"] = _clause_text

URL = re.compile(r"https?://[^\s<>\"']+")


def _linkify(text: str | None) -> Markup:
    """Plain text (an e-mail body) escaped, with its web addresses made clickable; a full stop or bracket
    right after an address ends the sentence, not the address."""
    text = text or ""
    html, last = [], 0
    for m in URL.finditer(text):
        url = m.group(0).rstrip(".,;:!?)")
        html += [str(escape(text[last : m.start()])), f'<a href="{escape(url)}">{escape(url)}</a>']
        last = m.start() + len(url)
    html.append(str(escape(text[last:])))
    return Markup("".join(html))


templates.env.filters["linkify"] = _linkify
# The badge colour of a grant's state (entitlements.states), wherever an application's state is shown.
templates.env.globals["grant_badges"] = {
    "active": "ok",
    "not_started": "warn",
    "paused": "warn",
    "expired": "bad",
    "revoked": "bad",
}
templates.env.filters["thousands"] = lambda n: "–" if n is None else f"{n:,}"


def render(request: Request, name: str, status_code: int = 200, **context):
    user = getattr(request.state, "user", None)
    context.setdefault("user", user)
    context["csrf_token"] = csrf_token(request)
    context["csrf_field"] = CSRF_FIELD
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def act_or_show(db: Session, action: Callable[[], object], *, done: str, page: Callable[[int, dict[str, str]], Any]):
    """Run a form's action, then go to `done` (303); on a refusal, the form's page again with the reason (and
    the status the refusal maps to), drawn from the database as it was (an object the action changed before it
    refused is rolled back too)."""
    try:
        action()
    except AccordError as exc:
        db.rollback()
        return page(lookup(HTTP_STATUS, exc), {exc.field or "form": exc.message})
    return RedirectResponse(done, status_code=303)
