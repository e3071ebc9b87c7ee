"""The four seed journeys (issue 12), in headless Chromium on a world made by the demo loader itself, with only
the demo logins and what the pages show (the mail outbox page for the signatory's link; no database reads):
a visitor reads the dataset page and its terms in brief; the demo researcher logs in, fills the form the terms
derive, ticks each clause and signs; CION-AL's signatory countersigns from the outbox link; the demo reviewer
approves (LLVIP's click-through approves itself); the researcher downloads with `accord download` and the files
pass `sha256sum -c SHA256SUMS`; the demo curator revokes; the download is refused with the reason on the page;
the researcher applies again and a person must decide (the revocation sticks). Screenshots go to
docs/screenshots/journey-<seed>-<step>.png for the README."""

from __future__ import annotations

import hashlib
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from accord import dbmigrate
from accord.demo import load
from accord.demo.images import DemoScale
from accord.runtime import build
from tests.access.helpers import answers
from tests.conftest import make_settings
from tests.e2e.conftest import SCREENSHOTS

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
LOGINS = {u.email: u.password for u in load.DEMO_USERS}
ADMIN, CURATOR, REVIEWER, RESEARCHER = (
    "admin@example.org",
    "curator@example.org",
    "reviewer@example.org",
    "researcher@example.org",
)
NAME = "Remy Researcher"
ORGANISATION = load.DEMO_ORGANISATION[0]
SIGNATORY = ("Sam Signatory", "Director of Research", "signatory@example.org")
TITLES = {"llvip": "LLVIP", "cion-al": "CION-AL", "at-ustc": "AT-USTC", "shhq": "SHHQ"}
REASON = "images of subjects shown in a public talk, against the licence"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def world(tmp_path):
    """A fresh demo instance per journey, made by `accord demo`'s own function (load.run) on a temporary data dir
    and served on a free port: one seed's revocation must not colour another's checks."""
    import uvicorn

    from accord.web.app import create_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)  # bound first: the links in the mail carry the port, and connections wait in the backlog
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    rt = build(make_settings(tmp_path / "demo", demo=True, base_url=url))
    dbmigrate.upgrade(rt.engine)
    load.run(rt, scale=TINY)
    server = uvicorn.Server(uvicorn.Config(create_app(rt), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    yield SimpleNamespace(url=url, tmp=tmp_path)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
    rt.engine.dispose()


def shot(page, seed: str, step: str, focus=None) -> None:
    """What the window shows (not the whole page: the README shows four journeys), `focus` scrolled into it."""
    if focus is not None:
        focus.scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"journey-{seed}-{step}.png"))


def context(browser, world):
    ctx = browser.new_context(base_url=world.url, viewport={"width": 1280, "height": 900}, accept_downloads=True)
    ctx.set_default_timeout(15_000)
    return ctx


def log_in(page, email: str) -> None:
    """The login form with a demo login and the password `accord demo` prints."""
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(LOGINS[email])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def person(browser, world, email: str):
    page = context(browser, world).new_page()
    page.goto("/login")
    log_in(page, email)
    return page


def accord(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The real `accord` command in its own process, as a licensee runs it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-m", "accord.cli.main", *args],
        cwd=cwd,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )


# --- the steps ---------------------------------------------------------------------------------------------


def read_as_visitor(page, seed: str) -> None:
    page.goto(f"/datasets/{seed}")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(f"^{TITLES[seed]}"))
    expect(page.get_by_role("heading", name="Terms in brief")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("^Licence terms"))).to_be_visible()
    expect(page.locator("ol.clauses li").first).to_be_visible()
    shot(page, seed, "1-dataset", page.get_by_role("heading", name="Terms in brief"))
    page.get_by_role("link", name="Log in to apply for access").click()
    log_in(page, RESEARCHER)
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(f"^Apply for access: {TITLES[seed]}"))


def fill_sign_and_submit(page, seed: str) -> str:
    """On the apply page: the form derived from the terms, a tick per clause, the typed signature, submit.
    Returns the application's address."""
    given = {**answers(seed, RESEARCHER), "name": NAME}
    if "organisation" in given:
        given["organisation"] = ORGANISATION
    for field, value in given.items():
        page.locator(f"#f-{field}").fill(value)
    legal = seed == "cion-al"
    if legal:
        page.get_by_label("Signatory's full name").fill(SIGNATORY[0])
        page.get_by_label("Signatory's title or position").fill(SIGNATORY[1])
        page.get_by_label("Signatory's e-mail").fill(SIGNATORY[2])
    page.get_by_role("button", name="Save the draft").click()
    expect(page.locator("#app-status")).to_have_text("Draft: not sent yet")  # .all() below does not wait
    url = page.url.split("?")[0]
    boxes = page.locator('input[name="ack"]')
    assert boxes.count() >= 3, "one acknowledgement per clause"
    for box in boxes.all():
        box.check()
    if legal:
        page.get_by_label("Your full name, typed as your signature as the applicant").fill(NAME)
        page.get_by_role("button", name="Sign as the applicant").click()
    else:
        page.get_by_label("Your full name, typed as your signature").fill(NAME)
        page.get_by_role("button", name="Sign the agreement").click()
    expect(page.get_by_role("status")).to_have_text("The agreement is signed.")
    if seed == "at-ustc":  # its terms ask for no training certificate: the page asks for none
        expect(page.locator("#f-certificate")).to_have_count(0)
    page.get_by_role("button", name="Submit the application").click()
    return url


def countersign_from_the_outbox(browser, world, seed: str, *, screenshot: bool) -> None:
    """The demo prints mail to the console; the admin opens the signatory's newest link from /admin/outbox."""
    admin = person(browser, world, ADMIN)
    admin.goto("/admin/outbox")
    invitation = admin.get_by_role("row").filter(has_text=SIGNATORY[2]).filter(has_text="Please review and sign").first
    link = invitation.locator('a[href*="/signatory/"]')
    expect(link).to_have_count(1)
    if screenshot:
        shot(admin, seed, "2-outbox", invitation)
    link.click()
    expect(admin.get_by_role("heading", level=1)).to_have_text(re.compile(f"^Data access agreement: {TITLES[seed]}"))
    expect(admin.locator("main")).to_contain_text("has signed this agreement as the applicant")
    admin.get_by_label("Your full name (typed as your signature as the institution's signatory)").fill(SIGNATORY[0])
    admin.get_by_label(re.compile("I have authority to sign")).check()
    admin.get_by_role("button", name="Countersign the agreement").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Thank you: the agreement is signed")
    admin.context.close()


def reviewer_approves(browser, world, seed: str) -> None:
    review = person(browser, world, REVIEWER)
    review.goto(f"/review?dataset={seed}")
    review.get_by_role("row", name=re.compile(NAME)).get_by_role("link", name=NAME).click()
    expect(review.get_by_role("heading", name="Timeline")).to_be_visible()
    review.get_by_role("button", name="Approve").click()
    expect(review.get_by_role("status")).to_have_text("Approved.")
    review.context.close()


def apply_and_get_approved(browser, world, page, seed: str) -> str:
    url = fill_sign_and_submit(page, seed)
    if seed == "llvip":  # click-through: approved as soon as it is submitted
        expect(page.locator("#app-status")).to_have_text("Approved")
        expect(page.locator("ol.timeline li").last).to_contain_text("Approved by Accord")
    else:
        if seed == "cion-al":
            expect(page.locator("#app-status")).to_have_text("Waiting for your institution's signatory")
            countersign_from_the_outbox(browser, world, seed, screenshot=True)
            page.goto(url)
        expect(page.locator("#app-status")).to_have_text("Submitted: waiting for a reviewer")
        expect(page.locator("table.checks")).to_contain_text("example.org is a registered organisation domain")
        reviewer_approves(browser, world, seed)
        page.goto(url)
        expect(page.locator("#app-status")).to_have_text("Approved")
        expect(page.locator("ol.timeline li").last).to_contain_text("Approved by Rea Reviewer")
    expect(page.locator("#grant-status")).to_have_text("Access active")
    shot(page, seed, "3-approved")
    return url


def download_and_verify(page, world, seed: str) -> tuple[str, Path, str]:
    """From the approval to the download page; one file in the browser, then everything with `accord download`
    and a token made on the account page; `sha256sum -c SHA256SUMS` passes. Returns a file's link, the download
    folder and the token."""
    page.locator("#download-link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(f"^Download {TITLES[seed]}"))
    expect(page.locator("#one-command")).to_have_text(re.compile(f"^accord download {seed} --server "))
    sums_href = page.get_by_role("link", name="SHA256SUMS").get_attribute("href")
    sums = page.request.get(sums_href)
    assert sums.ok
    listed = {
        name.lstrip("*"): digest
        for digest, name in (line.split(None, 1) for line in sums.text().splitlines() if line.strip())
    }
    first = page.locator("table.files tbody th a").first
    path, href = first.inner_text(), first.get_attribute("href")
    with page.expect_download() as waiting:
        first.click()
    assert hashlib.sha256(waiting.value.path().read_bytes()).hexdigest() == listed[path]
    shot(page, seed, "4-download", page.get_by_role("heading", level=1))

    account = page.context.new_page()
    account.goto("/account")
    account.locator("#f-token_name").fill("journey workstation")
    account.get_by_role("button", name="Create token").click()
    token = account.locator("#new-token").inner_text().strip()
    account.close()
    folder = world.tmp / "downloads"
    folder.mkdir()
    got = accord("download", seed, "--server", world.url, "--token", token, "--to", str(folder / seed), cwd=folder)
    assert got.returncode == 0, got.stdout + got.stderr
    assert "files verified" in got.stdout
    check = subprocess.run(
        ["sha256sum", "-c", "--strict", "SHA256SUMS"], cwd=folder / seed, check=False, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count(": OK") == len(listed) > 0
    return href, folder, token


def curator_revokes(browser, world, seed: str) -> None:
    curator = person(browser, world, CURATOR)
    curator.goto(f"/admin/datasets/{seed}")
    row = curator.get_by_role("row").filter(has_text=RESEARCHER)  # the demo's licensee holds a grant too
    row.get_by_label(f"Reason for revoking {RESEARCHER}'s access").fill(REASON)
    row.get_by_role("button", name="Revoke").click()
    expect(curator.get_by_role("status")).to_contain_text("Access revoked.")
    expect(curator.get_by_role("row").filter(has_text=RESEARCHER)).to_contain_text(REASON)
    curator.context.close()


def download_is_refused(page, world, seed: str, href: str, folder: Path, token: str) -> None:
    # The link server looks at revocations every couple of seconds: the old link stops within a few.
    deadline = time.monotonic() + 20
    while page.request.get(href).ok:
        assert time.monotonic() < deadline, "the revoked licensee's link still serves the file"
        time.sleep(0.5)
    page.goto(href)
    expect(page.get_by_role("alert")).to_contain_text(REASON)
    page.goto(f"/datasets/{seed}/download")
    expect(page.get_by_role("alert")).to_contain_text(REASON)
    shot(page, seed, "5-refused")
    again = accord("download", seed, "--server", world.url, "--token", token, "--to", str(folder / "again"), cwd=folder)
    assert again.returncode == 4, again.stdout + again.stderr
    assert "access refused" in again.stderr


def apply_again_and_wait_for_a_person(browser, world, page, seed: str) -> None:
    page.get_by_role("link", name="Apply again").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(f"^Apply for access: {TITLES[seed]}"))
    url = fill_sign_and_submit(page, seed)
    if seed == "cion-al":
        expect(page.locator("#app-status")).to_have_text("Waiting for your institution's signatory")
        countersign_from_the_outbox(browser, world, seed, screenshot=False)
        page.goto(url)
    expect(page.locator("#app-status")).to_have_text("Submitted: waiting for a reviewer")
    expect(page.locator("table.checks")).to_contain_text("a reviewer decides on this application")
    page.goto(f"/datasets/{seed}/download")
    expect(page.get_by_role("alert")).to_contain_text(REASON)  # still no access while it waits

    review = person(browser, world, REVIEWER)
    review.goto(url.replace("/applications/", "/review/"))
    earlier = review.get_by_role("note").filter(has_text="Earlier access to this dataset was revoked")
    expect(earlier).to_contain_text(REASON)
    expect(earlier).to_contain_text("by Cory Curator")
    expect(earlier).to_contain_text("not approved automatically or in bulk")
    shot(review, seed, "6-held")
    review.context.close()


@pytest.mark.parametrize("seed", ["llvip", "cion-al", "at-ustc", "shhq"])
def test_a_seed_journey_from_the_dataset_page_to_a_revocation_that_sticks(browser, world, seed):
    page = context(browser, world).new_page()
    read_as_visitor(page, seed)
    apply_and_get_approved(browser, world, page, seed)
    href, folder, token = download_and_verify(page, world, seed)
    curator_revokes(browser, world, seed)
    download_is_refused(page, world, seed, href, folder, token)
    apply_again_and_wait_for_a_person(browser, world, page, seed)
    page.context.close()
