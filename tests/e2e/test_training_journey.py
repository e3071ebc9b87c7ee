"""A training certificate in headless Chromium: the applicant is told next to the field that one is needed, uploads
a wrong file (told why), then the certificate with its dates; the reviewer cannot approve before accepting it,
accepts it on the review page and approves."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image
from playwright.sync_api import expect

from accord.db import utcnow
from accord.identity import service as identity
from accord.policy import service as policies
from accord.policy.io import seed
from accord.policy.schema import Training
from tests.access.helpers import PASSWORD, answers
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.test_access_journey import log_in
from tests.jobs.catalogue import published_dataset

pytestmark = pytest.mark.e2e
SLUG = "trained-set"  # its own dataset: the demo's seed terms ask for no training


def certificate_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (420, 300), "white").save(out, format="PNG")
    return out.getvalue()


def test_an_application_waits_for_its_training_certificate_to_be_accepted(page, browser, live, tmp_path):
    dataset, _ = published_dataset(
        live.rt, tmp_path, SLUG, title="Trained set: images that need training", count=1, previews=0
    )
    with live.rt.session() as db:
        policies.set_policy(
            db,
            dataset.id,
            seed("at-ustc").model_copy(update={"training": Training(name="CITI human-subjects research course")}),
            actor="cli",
        )
        identity.create_user(db, email="tomas@ucl.ac.uk", name="Tomas Berg", password=PASSWORD, verified=True)
        reviewer = identity.create_user(
            db, email="train-rev@ucl.ac.uk", name="Rae Reviewer", password=PASSWORD, verified=True
        )
        identity.grant_role(db, reviewer, "reviewer", dataset_id=dataset.id)

    log_in(page, "tomas@ucl.ac.uk")
    page.goto(f"/datasets/{SLUG}/apply")
    for name, value in answers("at-ustc", "tomas@ucl.ac.uk").items():
        page.locator(f"#f-{name}").fill(value)
    page.get_by_role("button", name="Save the draft").click()
    expect(page.locator("#app-status")).to_have_text("Draft: not sent yet")  # the URL and .all() do not wait
    application_url = page.url.split("?")[0]
    for box in page.locator("input[name=ack]").all():
        box.check()
    page.locator("#f-full_name").fill("Tomas Berg")
    page.get_by_role("button", name="Sign the agreement").click()
    page.get_by_role("button", name="Submit the application").click()
    expect(page.locator("#e-certificate")).to_contain_text("upload your certificate of CITI human-subjects")

    wrong = tmp_path / "certificate.gif"
    wrong.write_bytes(b"GIF89a not a certificate")
    page.locator("#f-certificate").set_input_files(str(wrong))
    page.locator("#f-course").fill("CITI Program: Social-Behavioral-Educational Researchers")
    page.locator("#f-completed_on").fill(str((utcnow() - timedelta(days=40)).date()))
    page.locator("#f-expires_on").fill(str((utcnow() + timedelta(days=325)).date()))
    page.get_by_role("button", name="Upload the certificate").click()
    expect(page.locator("#e-certificate")).to_contain_text("must be a PDF, PNG or JPEG file")
    expect(page.locator("#f-course")).to_have_value("CITI Program: Social-Behavioral-Educational Researchers")

    good = tmp_path / "certificate.png"
    good.write_bytes(certificate_png())
    page.locator("#f-certificate").set_input_files(str(good))
    page.get_by_role("button", name="Upload the certificate").click()
    expect(page.get_by_role("status")).to_have_text(
        "Your training certificate was uploaded; a reviewer will look at it."
    )
    expect(page.locator("#training-status")).to_have_text("waiting for a reviewer")
    page.get_by_role("button", name="Submit the application").click()
    expect(page.locator("#app-status")).to_have_text("Submitted: waiting for a reviewer")

    context = browser.new_context(base_url=live.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    review = context.new_page()
    log_in(review, "train-rev@ucl.ac.uk")
    review.goto(application_url.replace("/applications/", "/review/"))
    link = review.get_by_role("link", name="Open the certificate")
    shown = review.request.get(link.get_attribute("href"))
    assert shown.status == 200 and shown.body() == certificate_png()
    review.get_by_role("button", name="Approve").click()
    expect(review.get_by_role("alert")).to_contain_text("until the applicant's training certificate is accepted")
    review.screenshot(path=str(SCREENSHOTS / "training-review.png"), full_page=True)
    review.get_by_role("button", name="Accept the certificate").click()
    expect(review.get_by_role("status")).to_have_text("The training certificate was accepted.")
    review.get_by_role("button", name="Approve").click()
    expect(review.locator("#app-status")).to_have_text("Approved")
    context.close()

    page.goto(f"/datasets/{SLUG}/download")
    expect(page.locator("#training-note")).to_contain_text(str((utcnow() + timedelta(days=325)).date()))
