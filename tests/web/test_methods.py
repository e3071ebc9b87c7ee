"""Methods are settled before the CSRF check: 405 with Allow for a method no route at the address takes, HEAD like
GET without a body, 404 for a form posted to an address that has no route."""

from __future__ import annotations

import re

from accord.web.methods import allowed, route_table

OTHER = ("GET", "POST", "PUT", "PATCH", "DELETE", "TRACE")
# Put in the path so that each address resolves; what matters is routing, not whether the row exists.
SAMPLE = {"slug": "demo", "label": "1.0", "link": "x", "name": "x", "token": "x", "path": "x"}


def _addresses(app) -> dict[str, set[str]]:
    """Every route's address with its parameters filled in, and the methods the routes there take."""
    table = route_table(app.routes)
    found = {}
    for regex, _ in table:
        pattern = regex.pattern
        if "(/.*)?" in pattern:
            continue  # the static mount
        path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: SAMPLE.get(m.group(1), "1"), pattern).strip("^$")
        path = re.sub(r"\\(.)", r"\1", path)  # compile_path escapes dots and dashes
        found[path] = allowed(table, path)
    return found


def test_a_method_no_route_takes_is_405_with_allow_not_a_forged_form(client):
    client.get("/login")  # the CSRF cookie is set: the check would run, and used to answer 403
    addresses = _addresses(client.app)
    assert "/api/v1/users/me" in addresses and len(addresses) > 50
    tried = 0
    for path, methods in addresses.items():
        for method in OTHER:
            if method in methods:
                continue
            response = client.request(method, path, follow_redirects=False)
            assert response.status_code == 405, (method, path, response.status_code, response.text[:200])
            allow = set(response.headers["allow"].split(", "))
            assert allow == methods | ({"HEAD"} if "GET" in methods else set()), (method, path, allow)
            tried += 1
    assert tried > 200


def test_the_allow_header_lists_every_route_at_the_address(client):
    response = client.request("PATCH", "/api/v1/tokens/1")
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, HEAD"  # two routes: GET and DELETE /tokens/{id}
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 405


def test_head_answers_like_get_without_a_body(client):
    for path in ("/", "/datasets", "/login", "/api/v1/datasets", "/api/v1/openapi.json", "/api/v1/users/me"):
        get, head = client.get(path, follow_redirects=False), client.head(path, follow_redirects=False)
        assert head.status_code == get.status_code, path
        assert head.content == b"", path
        assert head.headers["content-type"] == get.headers["content-type"], path
    assert client.head("/").status_code == 200
    assert client.head("/").headers["content-length"] == str(len(client.get("/").content))


def test_a_form_posted_where_no_route_is_answers_404(client):
    client.get("/login")
    assert client.post("/no/such/page", data={"a": "b"}).status_code == 404
    assert client.post("/static/nothing.css").status_code == 405


def test_the_csrf_check_still_guards_the_routes_that_take_the_method(client):
    client.get("/login")
    response = client.post("/logout", follow_redirects=False)
    assert response.status_code == 403
    assert "forged" in response.text.lower() or "expired" in response.text.lower()
