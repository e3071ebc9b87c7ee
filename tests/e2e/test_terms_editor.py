"""The terms editor in headless Chromium: changing a control updates the preview (htmx) without saving, and
saving makes a new version that a licensee then re-accepts clause by clause."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accord.catalog import service as catalog
from accord.db import unit_of_work
from accord.entitlements import service as entitlements
from accord.identity import service as identity
from accord.policy import service as policies
from tests.access.helpers import PASSWORD
from tests.e2e.test_access_journey import log_in

pytestmark = pytest.mark.e2e


def test_the_preview_follows_the_form_and_a_licensee_reaccepts_the_saved_change(page, browser, live):
    with live.rt.session() as db:
        dataset_id = catalog.dataset_by_slug(db, "llvip").id
        curator = identity.create_user(
            db, email="cur@llvip.example", name="Cy Curator", password=PASSWORD, verified=True
        )
        identity.grant_role(db, curator, "curator", dataset_id=dataset_id)
        li = identity.create_user(db, email="li@uni.example", name="Li Wei", password=PASSWORD, verified=True)
        before = policies.get(db, dataset_id).version
        with unit_of_work(db):
            entitlements.grant(db, dataset_id=dataset_id, user_id=li.id, policy_version=before, actor="cli")

    log_in(page, "cur@llvip.example")
    page.goto("/admin/datasets/llvip/terms")
    page.locator("#f-commercial_use").select_option("on_approval")
    preview = page.locator("#preview")
    expect(preview).to_contain_text(f"Compared with the current version {before}")
    expect(preview).to_contain_text("Commercial use (changed)")
    page.locator("#f-access_days").fill("0")
    page.locator("#f-access_days").blur()
    expect(preview).to_contain_text("greater than or equal to 1")
    with live.rt.session() as db:
        assert policies.get(db, dataset_id).version == before  # previewing saves nothing
    page.locator("#f-access_days").fill("365")
    page.locator("#f-note").fill("commercial use on approval; one-year access")
    page.get_by_role("button", name="Save the terms").click()
    expect(page.get_by_role("status")).to_contain_text("saved as a new version")
    with live.rt.session() as db:
        assert policies.get(db, dataset_id).version == before + 1

    other = browser.new_context(base_url=live.url, viewport={"width": 1280, "height": 900})
    other.set_default_timeout(15_000)
    licensee = other.new_page()
    log_in(licensee, "li@uni.example")
    licensee.goto("/datasets/llvip/terms/accept")
    for box in licensee.locator('input[name="ack"]').all():
        box.check()
    licensee.get_by_label("Your full name, typed as your signature").fill("Li Wei")
    licensee.get_by_role("button", name=f"Accept version {before + 1}").click()
    expect(licensee.get_by_role("status")).to_contain_text("your access has resumed")
    other.close()
    with live.rt.session() as db:
        assert entitlements.check(db, identity.user_by_email(db, "li@uni.example"), dataset_id).allowed
