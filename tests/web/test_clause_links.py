"""Clauses that send the licensee to the custodian link the custodian's contact on every page showing them."""

from __future__ import annotations

from accord.catalog import service as catalog
from tests.web.test_download_pages import as_user, world  # noqa: F401 (the fixture)


def test_the_dataset_page_links_the_custodians_contact_inside_the_clause(client, rt, world):  # noqa: F811
    with rt.session() as db:
        catalog.update_dataset(
            db, world.ds.id, actor="cli", custodian_short="FL", custodian_contact="faces-custodian@example.org"
        )
    page = client.get("/datasets/faces").text
    privacy = next(li for li in page.split("<li>") if li.startswith("<strong>Privacy of the people"))
    assert (
        'confirm it to FL by writing to <a href="mailto:faces-custodian@example.org">faces-custodian@example.org</a>.'
    ) in privacy


def test_a_contact_that_is_not_an_address_or_a_page_is_refused(rt, world):  # noqa: F811
    import pytest

    from accord.errors import InvalidInput

    with rt.session() as db, pytest.raises(InvalidInput) as info:
        catalog.update_dataset(db, world.ds.id, actor="cli", custodian_contact="javascript:alert(1)")
    assert info.value.field == "custodian_contact"


def test_the_dataset_page_says_how_to_reach_the_custodian(client, rt, world):  # noqa: F811
    with rt.session() as db:
        catalog.update_dataset(
            db,
            world.ds.id,
            actor="cli",
            custodian_short="FL",
            custodian_contact="faces-custodian@example.org, https://faces.example.org/contact",
        )
    page = client.get("/datasets/faces").text
    assert "Contact FL:" in page
    assert '<a href="mailto:faces-custodian@example.org">faces-custodian@example.org</a>' in page
    assert '<a href="https://faces.example.org/contact">https://faces.example.org/contact</a>' in page


def test_the_api_gives_each_clause_its_links(client, rt, world):  # noqa: F811
    with rt.session() as db:
        catalog.update_dataset(db, world.ds.id, actor="cli", custodian_contact="faces-custodian@example.org")
    clauses = {c["key"]: c for c in client.get("/api/v1/datasets/faces/policy").json()["clauses"]}
    assert clauses["privacy"]["links"] == [
        {"label": "faces-custodian@example.org", "href": "mailto:faces-custodian@example.org"}
    ]
    assert clauses["purpose"]["links"] == []
