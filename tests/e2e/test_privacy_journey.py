"""The privacy desk in headless Chromium: a person finds themselves in a dataset and asks to be removed from its
page, proves their address from the e-mail (read off the test SMTP server), and follows the request; the curator
finds the files, selects them by subject label and removes them; a licensee who had downloaded some of them
opens the deletion notice from their e-mail and attests; the person's page says what was done. Screenshots for
the README: docs/screenshots/privacy-<step>.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.test_access_journey import log_in
from tests.e2e.test_cion_al_journey import mail_to
from tests.privacy.world import downloaded, make_world
from tests.smtp import text_of

pytestmark = pytest.mark.e2e
PERSON = "mira.person@example.net"


def _shot(page, step: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"privacy-{step}.png"), full_page=True)


def test_a_request_goes_from_the_public_form_to_a_licensees_attestation(page, browser, live, tmp_path):
    world = make_world(live.rt, tmp_path, slug="street-faces", count=8, licensees=2)
    holder, bystander = world.licensees.values()
    downloaded(live.rt, world, holder, sorted(world.items)[:3])  # three of subject 00's four files

    page.goto(f"/datasets/{world.slug}")
    page.get_by_role("link", name="Ask to be removed").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^Are you in "))
    page.get_by_label("Your e-mail address").fill(PERSON)
    page.get_by_label("What should be removed?").fill("Every picture of me, please.")
    page.get_by_label("Your identity label, if you know it (optional)").fill("00")
    _shot(page, "1-ask")
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()

    mail = text_of(mail_to(live, PERSON, "Confirm your removal request"))
    proof = re.search(r"https?://\S+/privacy/prove/\S+", mail).group(0)
    follow = re.search(r"https?://\S+/privacy/follow/\S+", mail).group(0)
    page.goto(proof)
    page.get_by_role("button", name="Confirm my request").click()
    expect(page.get_by_role("heading", name="Your request is received")).to_be_visible()

    desk_context = browser.new_context(base_url=live.url, viewport={"width": 1280, "height": 900})
    desk = desk_context.new_page()
    log_in(desk, world.curator.email)
    desk.get_by_role("link", name="Privacy desk").click()
    expect(desk.locator("#privacy-queue")).to_contain_text("days left")
    desk.locator("#privacy-queue a").first.click()
    expect(desk.locator("#matches li")).to_have_count(4)  # found at proof, by the label the person gave
    expect(desk.locator("#matches img").first).to_have_js_property("complete", True)
    desk.get_by_label("00", exact=True).check()  # every file of subject 00
    desk.get_by_role("button", name="Save the selection").click()
    expect(desk.locator("#matches input[name=item]:checked")).to_have_count(4)
    _shot(desk, "2-desk")
    desk.get_by_label("Note to the requester (optional)").fill("Removed from the dataset, with our apologies.")
    desk.get_by_role("button", name="Remove the selected files").click()
    expect(desk.get_by_role("status").first).to_contain_text("Done: the files are removed.")
    desk_context.close()

    notice_mail = text_of(mail_to(live, holder.email, "Delete 3 file(s)"))
    notice_link = re.search(r"https?://\S+/privacy/notices/\d+", notice_mail).group(0)
    assert "accord privacy apply" in notice_mail
    mail_to(live, bystander.email, "")  # the bystander is told the dataset changed, with nothing to delete
    holder_context = browser.new_context(base_url=live.url, viewport={"width": 1280, "height": 900})
    licensee = holder_context.new_page()
    log_in(licensee, holder.email)
    licensee.goto(notice_link)
    expect(licensee.locator("#notice-files tbody tr")).to_have_count(3)
    _shot(licensee, "3-notice")
    licensee.get_by_role("button", name="Confirm the deletion").click()
    expect(licensee.get_by_role("alert")).to_contain_text("tick the statement")
    licensee.locator("#confirm").check()
    licensee.get_by_role("button", name="Confirm the deletion").click()
    expect(licensee.locator("#attested")).to_be_visible()
    holder_context.close()

    page.goto(follow)
    expect(page.get_by_role("heading", name="What was done")).to_be_visible()
    expect(page.locator("body")).to_contain_text("4 files with you in them were removed")
    _shot(page, "4-done")
