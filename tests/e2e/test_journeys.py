"""Two journeys through the real app in headless Chromium: a visitor browsing, an admin publishing."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, SCREENSHOTS
from tests.jobs.archives import image_zip

pytestmark = pytest.mark.e2e


def test_a_visitor_browses_searches_and_reads_a_dataset_page(page, browser, live_server):
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Research image datasets, shared on agreed terms")
    cards = page.locator("li.dataset-card")
    expect(cards).to_have_count(4)
    expect(page.locator(".result-count")).to_contain_text("4 datasets")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "catalogue.png"), full_page=True)

    # Live search (htmx): typing narrows the list without a page load, and the address follows.
    page.get_by_role("searchbox", name="Search").press_sequentially("infrared")
    expect(page.locator(".result-count")).to_contain_text("2 datasets match your search")
    expect(page).to_have_url(re.compile(r"q=infrared"))
    page.get_by_label("Custodian").select_option("Shanghai AI Laboratory")
    expect(page.locator(".result-count")).to_contain_text("0 datasets match")
    page.goto("/datasets?modality=infrared")
    expect(cards).to_have_count(2)

    page.goto("/")
    page.get_by_role("link", name=re.compile("^SHHQ")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^SHHQ"))
    expect(page.get_by_role("heading", name=re.compile("^Preview"))).to_contain_text("12 public images")
    gallery = page.locator("ul.gallery img")
    expect(gallery).to_have_count(12)
    expect(gallery.first).to_have_attribute("alt", re.compile("^Preview image 1 of SHHQ"))
    first_src = gallery.first.get_attribute("src")
    image = page.request.get(live_server + first_src)
    assert image.ok and image.headers["content-type"].startswith("image/")
    expect(page.locator("pre.citation")).to_contain_text("@")
    expect(page.get_by_role("heading", name="Terms in brief")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"^1\.0 published"))).to_be_visible()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy BibTeX").click()
    expect(page.locator(".copied")).to_have_text("Copied")
    page.screenshot(path=str(SCREENSHOTS / "dataset.png"), full_page=True)

    # Without JavaScript the search is a plain form and still works.
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    plain = context.new_page()
    plain.goto("/datasets")
    plain.get_by_role("searchbox", name="Search").fill("re-identification")
    plain.get_by_role("button", name="Search").click()
    expect(plain).to_have_url(re.compile(r"/datasets\?q=re-identification"))
    expect(plain.locator("li.dataset-card h2")).to_have_text([re.compile("^AT-USTC"), re.compile("^CION-AL")])
    context.close()


def test_an_admin_creates_ingests_and_publishes_a_dataset(page, live_server, tmp_path):
    page.goto("/login?next=/admin")
    page.get_by_label("E-mail address").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Curation")
    page.get_by_role("button", name="Create dataset").click()  # empty form: errors next to the fields
    expect(page.locator("#f-slug-note")).to_have_text(re.compile("slug needs"))
    page.screenshot(path=str(tmp_path / "admin.png"), full_page=True)

    page.get_by_label("Slug").fill("night-walkers")
    page.get_by_label("Title").fill("Night Walkers")
    page.get_by_label("Custodian organisation").fill("Example Vision Lab")
    page.get_by_label("Modalities").fill("visible, thermal")
    page.get_by_label("Summary").fill("Walkers at night, seen by two cameras.")
    page.get_by_label("Terms in brief").fill("Non-commercial research only.")
    page.get_by_label("Citation (BibTeX)").fill("@misc{walkers, title={Night Walkers}, year={2026}}")
    page.get_by_role("button", name="Create dataset").click()
    expect(page.locator(".flash.ok")).to_have_text(re.compile("Dataset created"))

    page.get_by_label("Label").fill("1.0")
    page.get_by_role("button", name="Create draft version").click()
    expect(page.get_by_role("heading", name="Version 1.0")).to_be_visible()
    expect(page.locator(".version .badge")).to_have_text("draft")

    archive = image_zip(tmp_path / "walkers.zip", count=9, previews=3, size=(160, 120))
    page.get_by_label("Upload an archive").set_input_files(str(archive))
    page.get_by_role("button", name="Upload and ingest").click()
    expect(page).to_have_url(re.compile(r"/jobs/\d+$"))
    expect(page.locator("#job-state")).to_have_text("done")
    expect(page.locator("#job-status")).to_contain_text("Ingested 9 files")
    page.screenshot(path=str(tmp_path / "job.png"), full_page=True)

    page.get_by_role("link", name="Back to night-walkers").click()
    page.get_by_role("button", name="Publish version 1.0").click()
    expect(page.locator(".flash.ok")).to_have_text(re.compile("Version published"))
    expect(page.locator(".version .badge")).to_have_text("published")
    page.screenshot(path=str(tmp_path / "admin-dataset.png"), full_page=True)

    page.goto("/")
    expect(page.locator("li.dataset-card h2")).to_contain_text(["Night Walkers"])
    page.get_by_role("link", name="Night Walkers").click()
    expect(page.locator("ul.gallery img")).to_have_count(3)
    expect(page.locator("pre.citation")).to_have_text("@misc{walkers, title={Night Walkers}, year={2026}}")


def test_the_job_page_follows_a_running_job_until_it_is_done(page, live):
    """htmx polls the status fragment each second; the test moves the job on and the page follows."""
    from accord.identity import service as identity
    from accord.jobs import service as jobs

    rt = live.rt
    with rt.session() as db:
        admin = identity.user_by_email(db, ADMIN_EMAIL)
        job = jobs.create(db, "ingest", {"dataset": "llvip", "label": "1.0"}, actor=admin)
    page.goto("/login")
    page.get_by_label("E-mail address").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Log out").or_(page.get_by_role("button", name="Log out"))).to_be_visible()

    page.goto(f"/jobs/{job.id}")
    expect(page.locator("#job-state")).to_have_text("queued")
    jobs.mark_running(rt, job.id)
    jobs.report(rt, job.id, 40, 100, "hashing files")
    expect(page.locator("#job-message")).to_have_text("hashing files")
    expect(page.locator("#job-progress")).to_have_attribute("value", "40")
    jobs.mark_done(
        rt,
        job.id,
        result={"file_count": 3, "total_bytes": 100, "new_blobs": 3, "seconds": 0.1, "root_hash": "ab" * 32},
        message="ingested 3 files",
    )
    expect(page.locator("#job-state")).to_have_text("done")
    expect(page.get_by_role("link", name="Back to llvip")).to_be_visible()
    expect(page.locator("#job-status")).not_to_have_attribute("hx-trigger", "every 1s")  # polling stopped
