"""A strict Content-Security-Policy on every page, and templates that need nothing it forbids (no inline
script, style or event handler), so that an injected <script> or style attribute would not run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accord.web.csrf import ResponseHeaders

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "accord" / "web" / "templates"
INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "style element": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "event handler": re.compile(r"\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "htmx inline code": re.compile(r"\shx-on|\shx-vars", re.I),
}


def test_no_template_holds_inline_script_style_or_handlers():
    found = [
        f"{path.relative_to(TEMPLATES)}: {what}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for what, pattern in INLINE.items()
        if pattern.search(path.read_text())
    ]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("path", ["/", "/datasets", "/login", "/register", "/no-such-page"])
def test_pages_send_the_strict_policy(client, path):
    policy = client.get(path).headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'" and directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'" and directives["object-src"] == "'none'"
    assert "unsafe" not in policy


def test_the_api_docs_get_scripts_from_this_site_only(client):
    policy = client.get("/api/docs").headers["content-security-policy"]
    assert policy == ResponseHeaders.DOCS_CSP
    assert "script-src 'self';" in policy and "script-src 'self' 'unsafe" not in policy
