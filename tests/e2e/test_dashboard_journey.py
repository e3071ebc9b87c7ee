"""The custodian's dashboard in headless Chromium, over half a year of made-up life on the demo's four datasets
(tests/insights/demo_world.py) in a server of its own, so the other journeys' queues stay as they expect: the
administrator opens it from /admin, reads the charts and their numbers, and the README's picture is taken
(docs/screenshots/dashboard.png with ACCORD_SCREENSHOTS=1)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accord import dbmigrate
from accord.db import utcnow
from accord.identity import service as identity
from accord.runtime import build
from accord.web.app import create_app
from tests.conftest import make_settings
from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, SCREENSHOTS
from tests.insights import demo_world
from tests.live import serving

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def custodian_server(tmp_path_factory):
    rt = build(make_settings(tmp_path_factory.mktemp("dashboard")))
    dbmigrate.upgrade(rt.engine)
    with rt.session() as db:
        identity.create_user(
            db, email=ADMIN_EMAIL, name="Ada Admin", password=ADMIN_PASSWORD, roles=["admin"], actor="cli"
        )
        demo_world.build(db, utcnow())
    with serving(create_app(rt)) as url:
        yield url
    rt.engine.dispose()


def test_the_admin_reads_the_dashboard_across_the_demo_datasets(browser, custodian_server):
    context = browser.new_context(base_url=custodian_server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("E-mail address").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.goto("/admin")
    page.locator("#dashboard-link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard: All datasets")
    for key in ("applications", "decision-time", "grants", "downloads", "bytes", "organisations", "countries"):
        expect(page.locator(f"#chart-{key} svg[role=img]")).to_be_visible()
    expect(page.get_by_role("img", name="Applications per week, by outcome")).to_be_visible()
    expect(page.locator("#figure-applications .figure-value")).not_to_have_text("0")
    expect(page.locator("#chart-organisations")).to_contain_text("Example College London")
    expect(page.locator("#chart-countries")).to_contain_text("Germany")
    page.locator("#chart-grants summary").click()
    expect(page.locator("#chart-grants table")).to_contain_text("Revoked")
    page.locator("#chart-grants summary").click()  # closed again for the picture
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)
    with page.expect_download() as got:
        page.locator("#csv-applications").click()
    assert got.value.suggested_filename.startswith("accord-applications-")
    page.goto("/admin/datasets/cion-al/dashboard?weeks=13")
    expect(page.get_by_role("heading", level=1)).to_contain_text("CION-AL")
    expect(page.locator("#chart-obligations")).to_contain_text("Approval requests to answer")
    context.close()
