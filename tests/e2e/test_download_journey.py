"""The download journey in headless Chromium: a licensee opens the download page and downloads a file (its
sha256 matches the catalogue's); a curator revokes the grant in their browser; the licensee's next click on a
download link is refused, and the download page says why."""

from __future__ import annotations

import hashlib
import re

import pytest
from playwright.sync_api import expect

from accord.catalog import service as catalog
from accord.db import unit_of_work
from accord.delivery import service as delivery
from accord.entitlements import service as entitlements
from accord.identity import service as identity
from accord.policy import service as policies
from tests.access.helpers import PASSWORD
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.test_access_journey import log_in

pytestmark = pytest.mark.e2e
REASON = "the site's ethics approval lapsed"


def test_a_licensee_downloads_a_verified_file_and_after_a_curator_revokes_is_told_why(page, browser, live):
    with live.rt.session() as db:
        ds = catalog.dataset_by_slug(db, "llvip")
        version = catalog.latest_published(db, ds.id)
        items = {i.path: i.sha256 for i in catalog.list_items(db, version.id, offset=0, limit=1000)}
        licensee = identity.create_user(db, email="lena@uni.example", name="Lena Licensee", password=PASSWORD)
        identity.create_user(db, email="carl@lab.example", name="Carl Curator", password=PASSWORD, roles=["curator"])
        with unit_of_work(db):
            entitlements.grant(
                db,
                dataset_id=ds.id,
                user_id=licensee.id,
                actor="cli",
                policy_version=policies.current(db, ds.id).version,
                unit="Imaging Group",
            )

    log_in(page, "lena@uni.example")
    page.goto("/datasets/llvip")
    page.get_by_role("link", name="Download the data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^Download "))
    expect(page.locator("#one-command")).to_have_text(re.compile(r"^accord download llvip --server "))
    first = page.locator("table.files tbody th a").first
    path = first.inner_text()
    with page.expect_download() as waiting:
        first.click()
    saved = waiting.value.path()
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == items[path]
    page.screenshot(path=str(SCREENSHOTS / "download.png"), full_page=True)

    context = browser.new_context(base_url=live.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    admin = context.new_page()
    log_in(admin, "carl@lab.example")
    admin.goto("/admin/datasets/llvip")
    row = admin.get_by_role("row").filter(has_text="lena@uni.example")
    row.get_by_label(re.compile("Reason for revoking")).fill(REASON)
    row.get_by_role("button", name="Revoke").click()
    expect(admin.get_by_role("status")).to_contain_text("Access revoked.")
    expect(admin.get_by_role("row").filter(has_text="lena@uni.example")).to_contain_text(REASON)
    context.close()

    delivery.state(live.rt).revocations.refresh()  # the link server's look at revocations, due within seconds
    page.locator("table.files tbody th a").nth(1).click()
    expect(page).to_have_url(re.compile("/dl/"))
    expect(page.get_by_role("alert")).to_contain_text(REASON)  # the link's refusal gives the curator's reason
    page.goto("/datasets/llvip/download")
    expect(page.get_by_role("alert")).to_contain_text(REASON)
