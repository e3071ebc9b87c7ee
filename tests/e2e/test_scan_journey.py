"""Signing by hand in headless Chromium: the applicant downloads the agreement, uploads a wrong file (told why
next to the field), then the signed scan; the reviewer sees the scan on the application's page."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from accord.catalog import service as catalog
from accord.identity import service as identity
from tests.access.helpers import PASSWORD, answers
from tests.e2e.test_access_journey import log_in

pytestmark = pytest.mark.e2e


def scan_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 420), "white").save(out, format="PNG")
    return out.getvalue()


def test_an_applicant_signs_by_uploading_a_scan_and_the_reviewer_sees_it(page, browser, live, tmp_path):
    with live.rt.session() as db:
        identity.create_user(db, email="ines@ucl.ac.uk", name="Ines Costa", password=PASSWORD, verified=True)
        reviewer = identity.create_user(
            db, email="scan-rev@ustc.edu.cn", name="Sun Reviewer", password=PASSWORD, verified=True
        )
        identity.grant_role(db, reviewer, "reviewer", dataset_id=catalog.dataset_by_slug(db, "at-ustc").id)

    log_in(page, "ines@ucl.ac.uk")
    page.goto("/datasets/at-ustc/apply")
    for name, value in answers("at-ustc", "ines@ucl.ac.uk").items():
        page.locator(f"#f-{name}").fill(value)
    page.get_by_role("button", name="Save the draft").click()
    expect(page.locator("#app-status")).to_have_text("Draft: not sent yet")
    application_url = page.url.split("?")[0]

    page.get_by_text("Or download the agreement, sign it by hand, and upload the scan").click()
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download the agreement (PDF)").click(modifiers=["Alt"])
    agreement = tmp_path / "agreement.pdf"
    waiting.value.save_as(agreement)
    assert agreement.read_bytes().startswith(b"%PDF-")

    wrong = tmp_path / "agreement.gif"
    wrong.write_bytes(b"GIF89a not what the form asks for")
    page.get_by_label("The signed agreement").set_input_files(str(wrong))
    page.get_by_label("Your full name, as you signed it").fill("Ines Costa")
    page.get_by_label(re.compile("I signed this agreement by hand")).check()
    page.get_by_role("button", name="Upload the signed agreement").click()
    expect(page.locator("#e-scan")).to_contain_text("must be a PDF, PNG or JPEG file")

    signed = tmp_path / "signed.png"
    signed.write_bytes(scan_png())
    page.get_by_label("The signed agreement").set_input_files(str(signed))
    page.get_by_label(re.compile("I signed this agreement by hand")).check()
    page.get_by_role("button", name="Upload the signed agreement").click()
    expect(page.get_by_role("status")).to_have_text("Your signed agreement was uploaded; it counts as your signature.")
    expect(page.get_by_text("Signed by hand by Ines Costa.")).to_be_visible()
    page.get_by_role("button", name="Submit the application").click()
    expect(page.locator("#app-status")).to_have_text("Submitted: waiting for a reviewer")

    context = browser.new_context(base_url=live.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    review = context.new_page()
    log_in(review, "scan-rev@ustc.edu.cn")
    review.goto(application_url.replace("/applications/", "/review/"))
    scan = review.get_by_role("img", name="The uploaded scan of the signed agreement")
    expect(scan).to_be_visible()
    assert scan.evaluate("img => img.naturalWidth") == 300  # the image really loaded
    context.close()
