"""The main pages in Chromium under their Content-Security-Policy: nothing is blocked (a blocked inline script
or style is reported as a violation event and on the console), and the scripted parts still work."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD

pytestmark = pytest.mark.e2e

# Recorded before any page script runs; the init script itself is injected by the browser, not by the page.
WATCH = (
    "window.__csp = []; document.addEventListener('securitypolicyviolation', "
    "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber));"
)
VISITOR = ["/", "/datasets", "/datasets/llvip", "/datasets/shhq", "/login", "/register", "/no-such-page"]
ADMIN = [
    "/account",
    "/applications",
    "/review",
    "/review/training",
    "/admin",
    "/admin/datasets/llvip",
    "/admin/dashboard",
    "/admin/datasets/llvip/terms",
    "/admin/outbox",
    "/datasets/llvip/apply",
]


def _watch(page) -> list[str]:
    console = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(WATCH)
    return console


def _violations(page) -> list[str]:
    return page.evaluate("window.__csp")


def test_the_main_pages_break_no_rule_of_their_policy(page):
    console = _watch(page)
    seen = {}
    for path in VISITOR:
        response = page.goto(path)
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("load")
        seen[path] = _violations(page)
    page.goto("/")  # htmx's live search swaps in results: still nothing blocked
    page.get_by_role("searchbox", name="Search").press_sequentially("infrared")
    expect(page.locator(".result-count")).to_contain_text("2 datasets match your search")
    seen["/ (search)"] = _violations(page)

    page.goto("/login")
    page.get_by_label("E-mail").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Admin", exact=True)).to_be_visible()
    for path in ADMIN:
        page.goto(path)
        page.wait_for_load_state("load")
        seen[path] = _violations(page)
    broken = {path: found for path, found in seen.items() if found}
    assert not broken and not console, (broken, console)


def test_the_copy_button_and_the_back_link_work_from_the_static_script(page):
    console = _watch(page)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/datasets/llvip")
    page.get_by_role("button", name="Copy BibTeX").click()
    expect(page.locator(".copied")).to_have_text("Copied")
    page.goto("/datasets/no-such-dataset")
    page.get_by_role("link", name="Go back").click()
    expect(page).to_have_url(re.compile(r"/datasets/llvip$"))
    assert not _violations(page) and not console
