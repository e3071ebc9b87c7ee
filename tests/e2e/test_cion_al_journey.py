"""CION-AL from start to end in headless Chromium, with the mail read from a real SMTP server: a new user
registers and confirms the address from the e-mailed link, fills CION-AL's form, names the signatory and signs;
the signatory opens the link from their e-mail, reads and countersigns; a reviewer approves; the applicant sees
the approval and the download page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accord.catalog import service as catalog
from accord.identity import service as identity
from accord.notify import service as notify
from tests.access.helpers import PASSWORD
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.test_access_journey import log_in
from tests.smtp import text_of

pytestmark = pytest.mark.e2e

APPLICANT = "joana.reis@ucl.ac.uk"
SIGNATORY = "vice.provost@ucl.ac.uk"
ANSWERS = {
    "name": "Joana Reis",
    "honorific": "Dr",
    "job_title": "Research fellow",
    "nationality": "Portuguese",
    "organisation": "University College London",
    "department": "Computer Science",
    "address": "Gower Street, London WC1E 6BT",
    "email": APPLICANT,
    "telephone": "+44 20 7679 2000",
    "purpose_statement": "Pre-training person re-identification models for a benchmark study.",
    "unit": "UCL Computer Science, London",
}


def mail_to(live, address: str, subject: str):
    """Send the outbox (the job that runs every minute) and read the newest matching message off the server."""
    notify.send_due(live.rt)
    found = [m for m in live.smtp.inbox.to(address) if subject in m["Subject"]]
    assert found, f"no mail to {address} about {subject!r}; got {[m['Subject'] for m in live.smtp.inbox.to(address)]}"
    return found[-1]


def link_in(msg, path: str) -> str:
    match = re.search(rf"https?://\S+{re.escape(path)}\S*", text_of(msg))
    assert match, f"no {path} link in {text_of(msg)!r}"
    return match.group(0)


def test_a_new_user_applies_for_cion_al_their_signatory_countersigns_and_a_reviewer_approves(page, browser, live):
    with live.rt.session() as db:
        reviewer = identity.create_user(
            db, email="reviewer@hust.edu.cn", name="Hui Reviewer", password=PASSWORD, verified=True
        )
        identity.grant_role(db, reviewer, "reviewer", dataset_id=catalog.dataset_by_slug(db, "cion-al").id)

    # Register, then confirm the address from the e-mailed link.
    page.goto("/register")
    page.get_by_label("Full name").fill("Joana Reis")
    page.get_by_label("E-mail address").fill(APPLICANT)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.goto(link_in(mail_to(live, APPLICANT, "Confirm your e-mail address"), "/verify-email?token="))
    expect(page.get_by_role("heading", level=1)).to_have_text("E-mail address confirmed")

    # CION-AL's form: every field, the signatory, one acknowledgement per clause, the typed signature.
    page.goto("/datasets/cion-al")
    page.get_by_role("link", name="Apply for access").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^Apply for access: CION-AL"))
    for name, value in ANSWERS.items():
        page.locator(f"#f-{name}").fill(value)
    page.get_by_label("Signatory's full name").fill("Prof Maria Santos")
    page.get_by_label("Signatory's title or position").fill("Vice-Provost (Research)")
    page.get_by_label("Signatory's e-mail").fill(SIGNATORY)
    page.get_by_role("button", name="Save the draft").click()
    expect(page.locator("#app-status")).to_have_text("Draft: not sent yet")
    application_url = page.url.split("?")[0]
    boxes = page.locator('input[name="ack"]')
    expect(boxes.first).to_be_visible()
    assert boxes.count() >= 5
    for box in boxes.all():
        box.check()
    expect(page.locator("#who-signs")).to_contain_text(f"Prof Maria Santos, Vice-Provost (Research) ({SIGNATORY})")
    expect(page.locator("li.signatory-clause")).to_contain_text("Who signs")  # the signatory's to agree, not ticked
    page.get_by_label("Your full name, typed as your signature as the applicant").fill("Joana Reis")
    page.get_by_role("button", name="Sign as the applicant").click()
    expect(page.get_by_role("status")).to_have_text("The agreement is signed.")
    page.get_by_role("button", name="Submit the application").click()
    expect(page.locator("#app-status")).to_have_text("Waiting for your institution's signatory")
    expect(page.locator("ul.missing")).to_contain_text("the signature of your institution's signatory")

    # The signatory follows the link from their e-mail (no account), reads and countersigns.
    invitation = mail_to(live, SIGNATORY, "Please review and sign the data agreement")
    signatory = browser.new_context(base_url=live.url, viewport={"width": 1280, "height": 900})
    signatory.set_default_timeout(15_000)
    desk = signatory.new_page()
    desk.goto(link_in(invitation, "/signatory/"))
    expect(desk.get_by_role("heading", level=1)).to_have_text(re.compile("^Data access agreement: CION-AL"))
    expect(desk.get_by_role("heading", name="The application")).to_be_visible()
    expect(desk.get_by_role("row", name=re.compile("Organisation"))).to_contain_text("University College London")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    desk.screenshot(path=str(SCREENSHOTS / "signatory.png"), full_page=True)
    expect(desk.locator("main, body").first).to_contain_text("has signed this agreement as the applicant")
    desk.get_by_label("Your full name (typed as your signature as the institution's signatory)").fill("Maria Santos")
    desk.get_by_label(re.compile("I have authority to sign")).check()
    desk.get_by_role("button", name="Countersign the agreement").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Thank you: the agreement is signed")
    signatory.close()

    page.goto(application_url)
    expect(page.locator("#app-status")).to_have_text("Submitted: waiting for a reviewer")

    # A reviewer approves from the queue.
    review_context = browser.new_context(base_url=live.url, viewport={"width": 1280, "height": 900})
    review_context.set_default_timeout(15_000)
    review = review_context.new_page()
    log_in(review, "reviewer@hust.edu.cn")
    review.goto("/review?dataset=cion-al")
    review.get_by_role("row", name=re.compile("Joana Reis")).get_by_role("link", name="Joana Reis").click()
    expect(review.get_by_role("heading", name="Timeline")).to_contain_text("Timeline")
    expect(review.locator("ol.timeline")).to_contain_text(
        f"Signatory signed by Maria Santos, Vice-Provost (Research) ({SIGNATORY}), from the e-mailed link; "
        "the countersigned agreement was sealed by Accord"
    )
    expect(review.locator("ol.timeline")).not_to_contain_text("Signatory signed by Accord")
    review.get_by_role("button", name="Approve").click()
    expect(review.get_by_role("status")).to_have_text("Approved.")
    review_context.close()

    # The applicant is told, sees the approval, and can download.
    assert "approved" in mail_to(live, APPLICANT, "approved")["Subject"].lower()
    page.goto(application_url)
    expect(page.locator("#app-status")).to_have_text("Approved")
    expect(page.locator("ol.timeline li").last).to_contain_text("Approved by Hui Reviewer")
    page.goto("/datasets/cion-al/download")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^Download CION-AL"))
    expect(page.locator("pre.command").first).to_contain_text("accord download cion-al")
