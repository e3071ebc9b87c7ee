"""/api/docs in headless Chromium with no internet: every request that is not to the test server is refused,
and Swagger UI must still render the API's operations from the files Accord serves itself."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_the_api_explorer_renders_offline(page, live):
    outside: list[str] = []

    def only_the_server(route):
        if route.request.url.startswith(live.url + "/"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_server)
    page.goto("/api/docs")
    expect(page.locator(".swagger-ui .information-container")).to_contain_text("Accord")
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    assert operations.count() > 20
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/datasets").first).to_be_visible()
    assert outside == []  # nothing was even asked of a CDN
    # The bearer-token scheme is in the document, so the explorer offers "Authorize" and locks the routes.
    page.get_by_role("button", name="Authorize").first.click()
    expect(page.locator(".auth-container")).to_contain_text("APIToken")
    expect(page.locator(".auth-container")).to_contain_text("Authorization: Bearer")
