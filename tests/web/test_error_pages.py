"""Error pages speak words, not class names, and say what to do next: a refused download names the dataset,
when and why access ended, and links to applying again and to the custodian."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from accord import errors
from accord.catalog import service as catalog
from accord.delivery import links
from accord.delivery import service as delivery
from accord.web import error_pages
from tests.identity.helpers import make_user
from tests.web.test_download_pages import as_user, revoke, world  # noqa: F401 (the fixture)

CLASS_NAMES = re.compile(
    r"<h1[^>]*>\s*(NotFound|PermissionDenied|GrantRevoked|InvalidInput|Conflict|"
    r"IllegalTransition|AccordError|TooLarge|RateLimited|Refused)\s*</h1>"
)


def h1(html: str) -> str:
    return re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1).strip()


def steps(html: str) -> dict[str, str]:
    block = re.search(r'<ul class="next-steps">(.*?)</ul>', html, re.S).group(1)
    return {label: href for href, label in re.findall(r'<a href="([^"]+)">([^<]+)</a>', block)}


@pytest.fixture
def contact(rt, world):  # noqa: F811
    with rt.session() as db:
        catalog.update_dataset(
            db, world.ds.id, actor="cli", custodian_short="FL", custodian_contact="faces-custodian@example.org"
        )
    return world


@pytest.mark.parametrize(
    "cls",
    [
        errors.NotFound,
        errors.PermissionDenied,
        errors.InvalidInput,
        errors.TooLarge,
        errors.Conflict,
        errors.IllegalTransition,
        errors.AccordError,
        links.GrantRevoked,
        links.LinkExpired,
    ],
)
def test_no_error_page_is_headed_by_a_class_name(app, cls):
    app.add_api_route("/_boom", lambda: (_ for _ in ()).throw(cls("it happened")), methods=["GET"])
    with TestClient(app) as client:
        page = client.get("/_boom")
    assert not CLASS_NAMES.search(page.text)
    assert h1(page.text) == error_pages.heading(cls("x")) and cls.__name__ not in h1(page.text)
    assert "it happened" in page.text and steps(page.text)


def test_an_unknown_dataset_says_not_found_and_offers_the_catalogue(client):
    page = client.get("/datasets/nope")
    assert page.status_code == 404 and h1(page.text) == "Not found"
    assert steps(page.text)["Browse the datasets"] == "/datasets"


def test_a_refused_page_offers_a_signed_in_user_their_applications(client, rt, world):  # noqa: F811
    as_user(client, rt, world.users["lee"])
    page = client.get("/admin")
    assert page.status_code == 403 and h1(page.text) == "You are not allowed to do this"
    assert steps(page.text)["Your applications"] == "/applications"


def test_a_revoked_download_link_says_when_and_why_and_how_to_go_on(client, rt, contact):
    as_user(client, rt, contact.users["lee"])
    link = re.search(r'<a href="(/dl/[^"]+)">', client.get("/datasets/faces/download").text).group(1)
    as_user(client, rt, contact.users["cora"])
    assert revoke(client, contact, reason="Breach of clause 4.").status_code == 303
    delivery.state(rt).revocations.refresh()
    as_user(client, rt, contact.users["lee"])
    page = client.get(link, headers={"accept": "text/html"})
    assert page.status_code == 403
    assert h1(page.text) == "Your access to Faces was ended"
    assert re.search(r"Your access to Faces was ended on \d{4}-\d\d-\d\d because breach of clause 4\.", page.text)
    found = steps(page.text)
    assert found["Apply again"] == "/datasets/faces/apply"
    assert found["Contact FL (faces-custodian@example.org)"] == "mailto:faces-custodian@example.org"
    assert found["Open the dataset page"] == "/datasets/faces"


def test_the_download_page_of_a_revoked_licensee_says_the_same(client, rt, contact):
    as_user(client, rt, contact.users["cora"])
    revoke(client, contact, reason="breach of clause 4")
    as_user(client, rt, contact.users["lee"])
    page = client.get("/datasets/faces/download")
    assert page.status_code == 403 and "Your access to Faces was ended on" in page.text
    assert "because breach of clause 4." in page.text
    assert steps(page.text)["Apply again"] == "/datasets/faces/apply"


def test_apply_again_is_left_out_when_applying_is_not_possible(client, rt, contact, monkeypatch):
    monkeypatch.setattr(error_pages, "may_apply_again", lambda db, user, dataset_id: False)
    as_user(client, rt, contact.users["cora"])
    revoke(client, contact)
    as_user(client, rt, contact.users["lee"])
    found = steps(client.get("/datasets/faces/download").text)
    assert "Apply again" not in found and "Contact FL (faces-custodian@example.org)" in found


def test_an_expired_link_sends_to_the_download_page_for_fresh_ones(app):
    app.add_api_route(
        "/_old", lambda: (_ for _ in ()).throw(links.LinkExpired("this link has expired")), methods=["GET"]
    )
    with TestClient(app) as client:
        page = client.get("/_old")
    assert h1(page.text) == "This download link has expired"


def test_programs_still_get_problem_json(client):
    answer = client.get("/api/v1/datasets/nope")
    assert answer.headers["content-type"].startswith("application/problem+json") and answer.json()["detail"]


def test_an_htmx_fragment_also_speaks_words(app):
    app.add_api_route("/_frag", lambda: (_ for _ in ()).throw(errors.Conflict("already there")), methods=["GET"])
    with TestClient(app) as client:
        fragment = client.get("/_frag", headers={"hx-request": "true"}).text
    assert fragment.startswith(
        '<div class="flash error" role="alert"><strong>This clashes with what is already there:</strong> already there'
    )
    assert "Conflict" not in fragment


def test_someone_who_never_held_access_is_offered_to_apply_not_to_apply_again(client, rt, contact):
    stranger = make_user(rt, "never@uni.example")
    as_user(client, rt, stranger)
    found = steps(client.get("/datasets/faces/download").text)
    assert found.get("Apply for access") == "/datasets/faces/apply" and "Apply again" not in found


def test_an_unknown_address_says_so_in_words_and_offers_one_way_back(client):
    page = client.get("/no/such/page", headers={"accept": "text/html"})
    assert page.status_code == 404 and "There is nothing at this address." in page.text
    assert ">Not Found<" not in page.text and page.text.count(">Go back<") <= 1


def test_every_page_names_an_icon_that_is_served_so_the_browser_asks_for_no_missing_favicon(client):
    for path in ("/", "/datasets", "/api/docs", "/no-such-page"):
        assert '<link rel="icon" href="/static/favicon.svg"' in client.get(path).text, path
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
