"""The access journey in headless Chromium: an applicant applies for AT-USTC, signs clause by clause and
submits; a reviewer opens the queue and approves; the applicant sees the approval."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accord.catalog import service as catalog
from accord.identity import service as identity
from tests.access.helpers import PASSWORD, answers
from tests.e2e.conftest import SCREENSHOTS

pytestmark = pytest.mark.e2e


def log_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_an_applicant_applies_signs_and_submits_and_a_reviewer_approves_from_the_queue(page, browser, live):
    with live.rt.session() as db:
        dataset_id = catalog.dataset_by_slug(db, "at-ustc").id
        identity.create_user(db, email="ana@mit.edu", name="Ana Lima", password=PASSWORD, verified=True)
        reviewer = identity.create_user(
            db, email="rev@ustc.edu.cn", name="Rui Reviewer", password=PASSWORD, verified=True
        )
        identity.grant_role(db, reviewer, "reviewer", dataset_id=dataset_id)

    log_in(page, "ana@mit.edu")
    page.goto("/datasets/at-ustc")
    page.get_by_role("link", name="Apply for access").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^Apply for access: AT-USTC"))
    for name, value in answers("at-ustc", "ana@mit.edu").items():
        page.locator(f"#f-{name}").fill(value)
    page.get_by_role("button", name="Save the draft").click()
    expect(page.locator("#app-status")).to_have_text("Draft: not sent yet")

    # Signing without every acknowledgement is refused, with the reason next to the clauses. An answer changed
    # on the page is signed with, without pressing "Save the answers" first.
    page.locator("#f-telephone").fill("+86 551 6360 0000")
    boxes = page.locator('input[name="ack"]')
    boxes.first.check()
    page.get_by_label("Your full name, typed as your signature").fill("Ana Lima")
    page.get_by_role("button", name="Sign the agreement").click()
    expect(page.locator("#e-ack")).to_contain_text("tick every clause")
    expect(page.locator("#f-telephone")).to_have_value("+86 551 6360 0000")
    for box in boxes.all():
        box.check()
    page.get_by_role("button", name="Sign the agreement").click()
    expect(page.get_by_role("status")).to_have_text("The agreement is signed.")
    expect(page.locator("#f-telephone")).to_have_value("+86 551 6360 0000")
    page.get_by_role("button", name="Submit the application").click()
    expect(page.locator("#app-status")).to_have_text("Submitted: waiting for a reviewer")
    expect(page.locator("ul.missing")).to_have_text("a reviewer's decision")
    application_url = page.url.split("?")[0]

    context = browser.new_context(base_url=live.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    review = context.new_page()
    log_in(review, "rev@ustc.edu.cn")
    review.goto("/review")
    expect(review.locator("#queue-count")).to_have_text("1 application")
    row = review.get_by_role("row", name=re.compile("Ana Lima"))
    expect(row.locator("td").nth(1)).to_have_text("Example University")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    review.screenshot(path=str(SCREENSHOTS / "review-queue.png"), full_page=True)
    row.get_by_role("link", name="Ana Lima").click()
    expect(review.get_by_role("heading", name="Timeline")).to_be_visible()
    review.get_by_role("button", name="Approve").click()
    expect(review.get_by_role("status")).to_have_text("Approved.")
    expect(review.locator("#app-status")).to_have_text("Approved")
    context.close()

    page.goto(application_url)
    expect(page.locator("#app-status")).to_have_text("Approved")
    expect(page.locator("ol.timeline li").last).to_contain_text("Approved by Rui Reviewer")
    page.screenshot(path=str(SCREENSHOTS / "application.png"), full_page=True)


def test_llvip_click_through_is_approved_as_soon_as_it_is_submitted(page, live):
    with live.rt.session() as db:
        identity.create_user(db, email="li@tsinghua.edu.cn", name="Li Wei", password=PASSWORD, verified=True)
    log_in(page, "li@tsinghua.edu.cn")
    page.goto("/datasets/llvip")
    page.get_by_role("link", name="Apply for access").click()
    for name, value in answers("llvip", "li@tsinghua.edu.cn").items():
        page.locator(f"#f-{name}").fill(value)
    page.get_by_role("button", name="Save the draft").click()
    expect(page.locator("#app-status")).to_have_text("Draft: not sent yet")  # .all() below does not wait
    for box in page.locator('input[name="ack"]').all():
        box.check()
    page.get_by_label("Your full name, typed as your signature").fill("Li Wei")
    page.get_by_role("button", name="Sign the agreement").click()
    expect(page.get_by_role("status")).to_have_text("The agreement is signed.")
    page.get_by_role("button", name="Submit the application").click()
    expect(page.locator("#app-status")).to_have_text("Approved")
    expect(page.locator("ol.timeline li").last).to_contain_text("Approved by Accord")
    page.goto("/datasets/llvip")
    expect(page.locator("p.apply")).to_have_text("Your application: approved")
