"""Revocations that stick, in headless Chromium (issue 12 §1): a curator revokes a licensee's LLVIP grant; the
licensee applies again and LLVIP's click-through review does not approve it; the reviewer's page says why, when
and who; the curator makes the revocation permanent and applying is refused with whom to write to; the curator
lifts it and the next application is approved automatically again."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accord.catalog import service as catalog
from accord.db import unit_of_work
from accord.entitlements import service as entitlements
from accord.identity import service as identity
from accord.policy import service as policies
from tests.access.helpers import PASSWORD, answers
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.test_access_journey import log_in

pytestmark = pytest.mark.e2e
VIC = "vic@lab.example"
REASON = "posted subjects' images on a public forum"


def _second(browser, live, email):
    context = browser.new_context(base_url=live.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, email)
    return context, page


def _apply_again(page) -> None:
    """From the download page's "Apply again": fill in, sign and submit LLVIP's form."""
    page.goto("/datasets/llvip/download")
    page.get_by_role("link", name="Apply again").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^Apply for access: LLVIP"))
    for name, value in answers("llvip", VIC).items():
        page.locator(f"#f-{name}").fill(value)
    page.get_by_role("button", name="Save the draft").click()
    expect(page.locator("#app-status")).to_have_text("Draft: not sent yet")
    for box in page.locator('input[name="ack"]').all():
        box.check()
    page.get_by_label("Your full name, typed as your signature").fill("Vic Vega")
    page.get_by_role("button", name="Sign the agreement").click()
    expect(page.get_by_role("status")).to_have_text("The agreement is signed.")
    page.get_by_role("button", name="Submit the application").click()


def _decide(admin, action: str, button: str, reason: str, note: str) -> None:
    admin.goto("/admin/datasets/llvip")
    row = admin.get_by_role("row").filter(has_text=VIC).filter(has_text=REASON)
    row.get_by_label(re.compile(f"Reason to {button.lower()}")).fill(reason)
    row.get_by_role("button", name=button).click()
    expect(admin.get_by_role("status")).to_contain_text(note)
    expect(admin.get_by_role("row").filter(has_text=VIC).filter(has_text=REASON)).to_contain_text(reason)


def test_a_revocation_sticks_until_the_curator_lifts_it(page, browser, live):
    with live.rt.session() as db:
        ds = catalog.dataset_by_slug(db, "llvip")
        vic = identity.create_user(db, email=VIC, name="Vic Vega", password=PASSWORD, verified=True)
        identity.create_user(
            db, email="cleo@lab.example", name="Cleo Curator", password=PASSWORD, roles=["curator"], verified=True
        )
        rex = identity.create_user(db, email="rex@lab.example", name="Rex Reviewer", password=PASSWORD, verified=True)
        identity.grant_role(db, rex, "reviewer", dataset_id=ds.id)
        with unit_of_work(db):
            entitlements.grant(
                db,
                dataset_id=ds.id,
                user_id=vic.id,
                actor="cli",
                policy_version=policies.current(db, ds.id).version,
                unit="Imaging Group",
            )
        contact = ds.custodian_contact.split(",")[0].strip() or f"/datasets/{ds.slug}"

    curating, admin = _second(browser, live, "cleo@lab.example")
    admin.goto("/admin/datasets/llvip")
    row = admin.get_by_role("row").filter(has_text=VIC)
    row.get_by_label(re.compile("Reason for revoking")).fill(REASON)
    row.get_by_role("button", name="Revoke").click()
    expect(admin.get_by_role("status")).to_contain_text("Access revoked.")

    # Applying again: LLVIP is click-through, but this one waits for a person.
    log_in(page, VIC)
    _apply_again(page)
    expect(page.locator("#app-status")).to_have_text("Submitted: waiting for a reviewer")
    app_id = page.url.split("?")[0].rstrip("/").rsplit("/", 1)[1]

    reviewing, review = _second(browser, live, "rex@lab.example")
    review.goto(f"/review/{app_id}")
    earlier = review.get_by_role("note").filter(has_text="Earlier access to this dataset was revoked")
    expect(earlier).to_contain_text(REASON)
    expect(earlier).to_contain_text("by Cleo Curator")
    expect(earlier).to_contain_text(re.compile(r"Revoked on \d{4}-\d\d-\d\d"))
    expect(earlier).to_contain_text("not approved automatically or in bulk")
    expect(review.get_by_role("button", name="Approve")).to_be_visible()  # a person still may
    review.screenshot(path=str(SCREENSHOTS / "review-after-revocation.png"), full_page=True)
    reviewing.close()

    page.get_by_role("button", name="Withdraw").click()
    expect(page.locator("#app-status")).to_have_text(re.compile("^Withdrawn"))

    # Permanent: no "Apply again", and the apply page says why and whom to write to.
    _decide(admin, "permanent", "Make permanent", "a second breach of the same clause", "Revocation made permanent.")
    page.goto("/datasets/llvip/download")
    expect(page.get_by_role("alert")).to_contain_text(REASON)
    expect(page.get_by_role("link", name="Apply again")).to_have_count(0)
    page.goto("/datasets/llvip")
    expect(page.locator("p.barred")).to_contain_text("You may not apply for LLVIP again")
    answer = page.goto("/datasets/llvip/apply")
    assert answer.status == 403
    refusal = page.get_by_role("alert")
    expect(refusal).to_contain_text("you may not apply for LLVIP again")
    expect(refusal).to_contain_text("made permanent")
    expect(refusal).to_contain_text(contact)

    # Lifted: applying is open again, and click-through approves it at once.
    _decide(admin, "lift", "Lift", "appeal upheld by the custodian", "Revocation lifted.")
    curating.close()
    _apply_again(page)
    expect(page.locator("#app-status")).to_have_text("Approved")
    expect(page.locator("ol.timeline li").last).to_contain_text("Approved by Accord")
