"""/api/docs is served from this install: no CDN, no inline script (a script-src 'self' policy allows it)."""

import re


def test_the_docs_page_loads_its_scripts_and_styles_from_this_server(client):
    page = client.get("/api/docs")
    assert page.status_code == 200 and 'data-openapi-url="/api/v1/openapi.json"' in page.text
    sources = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/static/") for s in sources), sources
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text)  # every script is a file
    for path in sources:
        asset = client.get(path)
        assert asset.status_code == 200 and len(asset.content) > 100, path
    assert "SwaggerUIBundle" in client.get("/static/swagger-ui/swagger-ui-bundle.js").text


def test_the_document_declares_the_bearer_token_and_the_routes_that_take_it(client):
    doc = client.get("/api/v1/openapi.json").json()
    assert doc["components"]["securitySchemes"]["APIToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": doc["components"]["securitySchemes"]["APIToken"]["description"],
    }
    mine = doc["paths"]["/api/v1/applications"]["get"]
    assert mine["security"] == [{"APIToken": []}]
