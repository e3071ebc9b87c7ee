"""The demo tells a story that works, in headless Chromium on a server loaded by the demo loader itself: the demo
researcher (example.org, a registered organisation) applies for CION-AL, the signatory countersigns from the link
an admin opens in the mail outbox, and the demo reviewer approves; the free-mail applicant is told what to do
about the failed institutional check, with links; after a curator revokes, My applications says so."""

from __future__ import annotations

import re
import socket
import threading
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from accord import dbmigrate
from accord.demo import load
from accord.demo.images import DemoScale
from accord.runtime import build
from tests.access.helpers import answers
from tests.conftest import make_settings

pytestmark = pytest.mark.e2e

TINY = DemoScale(
    llvip_pairs=4,
    llvip_preview_pairs=2,
    cion_identities=3,
    cion_crops=2,
    cion_preview_identities=1,
    at_ustc_volunteers=2,
    shhq_images=4,
    shhq_preview=2,
)
LOGINS = {u.email: u for u in load.DEMO_USERS}
RESEARCHER, REVIEWER, ADMIN, CURATOR = (
    "researcher@example.org",
    "reviewer@example.org",
    "admin@example.org",
    "curator@example.org",
)
FREE_MAIL = next(u.email for u in load.DEMO_USERS if "institutional e-mail check fails" in u.story)
SIGNATORY = "signatory@example.org"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A demo instance as `accord demo` makes it (demo mode, mail to the console), served on a free port."""
    import uvicorn

    from accord.web.app import create_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    settings = make_settings(tmp_path_factory.mktemp("demo"), demo=True, base_url=f"http://127.0.0.1:{port}")
    rt = build(settings)
    dbmigrate.upgrade(rt.engine)
    load.run(rt, scale=TINY)
    server = uvicorn.Server(uvicorn.Config(create_app(rt), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    yield SimpleNamespace(url=f"http://127.0.0.1:{port}", rt=rt)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
    rt.engine.dispose()


def visitor(browser, demo, email: str):
    """A fresh browser context logged in with the demo login `email` and its printed password."""
    context = browser.new_context(base_url=demo.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(LOGINS[email].password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    return page


def apply_for_cion_al(page, email: str, name: str) -> str:
    given = {
        "name": name,
        "honorific": "Dr",
        "job_title": "Research fellow",
        "nationality": "Portuguese",
        "organisation": "Example Research Institute",
        "department": "Vision",
        "address": "1 Example Road",
        "email": email,
        "telephone": "+44 20 0000 0000",
        "purpose_statement": "Pre-training person re-identification models.",
        "unit": "Vision, Example",
    }
    page.goto("/datasets/cion-al")
    page.get_by_role("link", name="Apply for access").click()
    for field, value in given.items():
        page.locator(f"#f-{field}").fill(value)
    page.get_by_label("Signatory's full name").fill("Sam Signatory")
    page.get_by_label("Signatory's title or position").fill("Director")
    page.get_by_label("Signatory's e-mail").fill(SIGNATORY)
    page.get_by_role("button", name="Save the draft").click()
    expect(page.locator("#app-status")).to_have_text("Draft: not sent yet")
    url = page.url.split("?")[0]
    for box in page.locator('input[name="ack"]').all():
        box.check()
    page.get_by_label("Your full name, typed as your signature as the applicant").fill(name)
    page.get_by_role("button", name="Sign as the applicant").click()
    expect(page.get_by_role("status")).to_have_text("The agreement is signed.")
    page.get_by_role("button", name="Submit the application").click()
    expect(page.locator("#app-status")).to_have_text("Waiting for your institution's signatory")
    return url


def test_the_demo_researcher_applies_for_cion_al_and_the_demo_reviewer_approves(browser, demo):
    researcher = visitor(browser, demo, RESEARCHER)
    application_url = apply_for_cion_al(researcher, RESEARCHER, "Remy Researcher")
    expect(researcher.locator("table.checks")).to_contain_text("example.org is a registered organisation domain")
    expect(researcher.locator("#institutional-help")).to_have_count(0)

    # Demo mail goes to the console: the admin opens the signatory's link from the outbox page.
    admin = visitor(browser, demo, ADMIN)
    admin.goto("/admin/outbox")
    invitation = admin.get_by_role("row", name=re.compile(SIGNATORY))
    invitation.locator('a[href*="/signatory/"]').click()
    expect(admin.get_by_role("heading", level=1)).to_have_text(re.compile("^Data access agreement: CION-AL"))
    admin.get_by_label("Your full name (typed as your signature as the institution's signatory)").fill("Sam Signatory")
    admin.get_by_label(re.compile("I have authority to sign")).check()
    admin.get_by_role("button", name="Countersign the agreement").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Thank you: the agreement is signed")

    reviewer = visitor(browser, demo, REVIEWER)
    reviewer.goto("/review?dataset=cion-al")
    reviewer.get_by_role("row", name=re.compile("Remy Researcher")).get_by_role("link", name="Remy Researcher").click()
    reviewer.get_by_role("button", name="Approve").click()
    expect(reviewer.get_by_role("status")).to_have_text("Approved.")

    researcher.goto(application_url)
    expect(researcher.locator("#app-status")).to_have_text("Approved")
    expect(researcher.locator("#grant-status")).to_have_text("Access active")
    researcher.locator("#download-link").click()
    expect(researcher.get_by_role("heading", level=1)).to_have_text(re.compile("^Download CION-AL"))


def test_the_free_mail_applicant_is_told_what_to_do_with_links(browser, demo):
    page = visitor(browser, demo, FREE_MAIL)
    apply_for_cion_al(page, FREE_MAIL, "Fran Freemail")
    help_ = page.locator("#institutional-help")
    expect(help_).to_contain_text("gmail.example is neither an academic domain nor a registered organisation")
    expect(help_.get_by_role("link", name="Create an account with it")).to_have_attribute("href", "/register")
    expect(help_.get_by_role("link", name="Sam Signatory")).to_have_attribute(
        "href", re.compile(f"^mailto:{SIGNATORY}")
    )
    expect(help_.get_by_role("link", name="HUST")).to_have_attribute("href", "mailto:cion-al-creators@example.org")
    help_.get_by_role("link", name="Create an account with it").click()
    expect(page).to_have_url(re.compile("/register$"))


def test_after_a_curator_revokes_my_applications_says_revoked(browser, demo):
    page = visitor(browser, demo, RESEARCHER)
    page.goto("/datasets/llvip")
    page.get_by_role("link", name="Apply for access").click()
    for field, value in answers("llvip", RESEARCHER).items():
        page.locator(f"#f-{field}").fill(value)
    page.get_by_role("button", name="Save the draft").click()
    expect(page.locator("#app-status")).to_have_text("Draft: not sent yet")
    for box in page.locator('input[name="ack"]').all():
        box.check()
    page.get_by_label("Your full name, typed as your signature").fill("Remy Researcher")
    page.get_by_role("button", name="Sign the agreement").click()
    page.get_by_role("button", name="Submit the application").click()
    expect(page.locator("#app-status")).to_have_text("Approved")
    page.goto("/applications")
    row = page.get_by_role("row", name=re.compile("llvip"))
    expect(row).to_contain_text("Access active")

    curator = visitor(browser, demo, CURATOR)
    curator.goto("/admin/datasets/llvip")
    row = curator.get_by_role("row").filter(has_text=RESEARCHER)  # the demo's licensee holds a grant too
    row.get_by_label(f"Reason for revoking {RESEARCHER}'s access").fill("breach of the licence")
    row.get_by_role("button", name="Revoke").click()
    expect(curator.locator("body")).to_contain_text("Access revoked.")

    page.goto("/applications")
    row = page.get_by_role("row", name=re.compile("llvip"))
    expect(row).to_contain_text(re.compile(r"Approved\s*Access revoked on \d{4}-\d{2}-\d{2}"))
    page.goto("/datasets/llvip")
    expect(page.locator("p.apply")).to_contain_text("Access revoked on")
