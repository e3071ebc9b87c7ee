"""The public catalogue: listing, search and filters, the dataset page, and the preview image guard."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from accord.catalog import service as catalog
from accord.catalog.models import Item
from tests.jobs.catalogue import published_dataset


@pytest.fixture
def shelf(rt, tmp_path):
    """Two published datasets and one that only has a draft."""
    published_dataset(
        rt,
        tmp_path,
        "llvip",
        title="LLVIP",
        custodian="Beijing University of Posts and Telecommunications",
        modalities=("visible", "infrared"),
        summary="Paired visible and infrared street images at night.",
        terms_summary="Academic research only.\n\nNo redistribution.",
        homepage="https://example.org/llvip",
        description="Pedestrians at night.\n\nCaptured by a binocular camera.",
    )
    published_dataset(
        rt,
        tmp_path,
        "cion-al",
        title="CION-AL",
        custodian="Chongqing Lab",
        modalities=("visible",),
        summary="Person re-identification crops.",
        previews=0,
    )
    published_dataset(rt, tmp_path, "secret", title="Secret draft", custodian="Hidden Lab", publish=False)


def titles(html: str) -> list[str]:
    return re.findall(r'<h2 class="card-title"><a href="/datasets/[^"]+">([^<]+)</a>', html)


def test_the_catalogue_lists_only_published_datasets(client, shelf):
    for path in ("/", "/datasets"):
        page = client.get(path)
        assert page.status_code == 200
        assert titles(page.text) == ["CION-AL", "LLVIP"]
        assert "Secret draft" not in page.text


def test_cards_show_custodian_modalities_counts_and_a_preview_strip(client, shelf):
    page = client.get("/datasets").text
    assert "Beijing University of Posts and Telecommunications" in page
    assert '<span class="tag">infrared</span>' in page
    assert "4 files" in page
    strip = re.findall(r'<img src="/datasets/llvip/preview/(\d+)"', page)
    assert len(strip) == 2  # only LLVIP has preview items
    assert "/datasets/cion-al/preview/" not in page


def test_search_matches_words_in_title_summary_and_custodian(client, shelf):
    assert titles(client.get("/datasets", params={"q": "infrared"}).text) == ["LLVIP"]
    assert titles(client.get("/datasets", params={"q": "chongqing"}).text) == ["CION-AL"]
    assert titles(client.get("/datasets", params={"q": "secret"}).text) == []
    assert "No datasets found" in client.get("/datasets", params={"q": "zebra"}).text


def test_filters_by_modality_and_custodian(client, shelf):
    assert titles(client.get("/datasets", params={"modality": "infrared"}).text) == ["LLVIP"]
    assert titles(client.get("/datasets", params={"custodian": "Chongqing Lab"}).text) == ["CION-AL"]
    page = client.get("/datasets").text
    assert '<option value="infrared"' in page and '<option value="Chongqing Lab"' in page
    assert '<option value="Hidden Lab"' not in page  # drafts do not leak through the filter lists


def test_live_search_returns_only_the_results_fragment(client, shelf):
    page = client.get(
        "/datasets", params={"q": "re-identification"}, headers={"HX-Request": "true", "HX-Target": "results"}
    )
    assert titles(page.text) == ["CION-AL"]
    assert "<html" not in page.text and 'role="search"' not in page.text


def test_the_dataset_page_shows_versions_terms_preview_and_citation(client, shelf, rt):
    page = client.get("/datasets/llvip")
    assert page.status_code == 200
    html = page.text
    assert "<h1>LLVIP</h1>" in html and "Beijing University" in html
    assert 'href="https://example.org/llvip"' in html
    assert "<p>Pedestrians at night.</p>" in html and "<p>Captured by a binocular camera.</p>" in html
    assert "Terms in brief" in html and "No redistribution." in html
    assert re.search(r'<th scope="row">1.0</th>\s*<td><span class="badge published">published</span>', html)
    with rt.session() as db:
        version = catalog.version_by_label(db, "llvip", "1.0")
        previews = list(db.scalars(select(Item.id).where(Item.version_id == version.id, Item.preview.is_(True))))
    assert f'<code title="{version.root_hash}">{version.root_hash[:12]}</code>' in html
    gallery = re.findall(r'<img src="/datasets/llvip/preview/(\d+)" loading="\w+"\s+alt="Preview image', html)
    assert sorted(map(int, gallery)) == sorted(previews) and len(previews) == 2
    assert '<pre class="citation" id="citation" tabindex="0">@inproceedings{llvip,' in html
    assert 'id="copy-citation"' in html and '<script src="/static/accord.js" defer>' in html


def test_an_unknown_dataset_is_a_404_page(client):
    page = client.get("/datasets/nope")
    assert page.status_code == 404 and "no dataset called" in page.text


def test_a_draft_only_dataset_is_hidden_from_visitors_as_in_the_api(client, shelf):
    assert client.get("/datasets/secret").status_code == 404
    assert client.get("/api/v1/datasets/secret").status_code == 404


def test_preview_images_are_served_for_preview_items(client, shelf, rt):
    with rt.session() as db:
        item = catalog.preview_items(db, catalog.dataset_by_slug(db, "llvip").id)[0]
    response = client.get(f"/datasets/llvip/preview/{item.id}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg" and response.content[:3] == b"\xff\xd8\xff"


def test_the_preview_route_refuses_every_item_outside_the_published_preview(client, shelf, rt):
    with rt.session() as db:
        llvip = catalog.version_by_label(db, "llvip", "1.0")
        secret = catalog.version_by_label(db, "secret", "1.0")
        not_preview = db.scalar(select(Item.id).where(Item.version_id == llvip.id, Item.preview.is_(False)))
        draft_preview = db.scalar(select(Item.id).where(Item.version_id == secret.id, Item.preview.is_(True)))
        llvip_preview = db.scalar(select(Item.id).where(Item.version_id == llvip.id, Item.preview.is_(True)))
    assert not_preview and draft_preview and llvip_preview
    assert client.get(f"/datasets/llvip/preview/{not_preview}").status_code == 404  # not flagged preview
    assert client.get(f"/datasets/secret/preview/{draft_preview}").status_code == 404  # draft version
    assert client.get(f"/datasets/cion-al/preview/{llvip_preview}").status_code == 404  # another dataset
    assert client.get("/datasets/llvip/preview/999999").status_code == 404


def test_a_withdrawn_versions_preview_is_no_longer_served(client, shelf, rt):
    with rt.session() as db:
        version = catalog.version_by_label(db, "llvip", "1.0")
        item_id = catalog.preview_items(db, version.dataset_id)[0].id
        catalog.withdraw(db, version.id, actor="cli", reason="a subject asked to be removed")
    assert client.get(f"/datasets/llvip/preview/{item_id}").status_code == 404
    assert "LLVIP" not in titles(client.get("/datasets").text)


def test_the_dataset_page_lists_the_licence_clauses_of_the_current_terms(client, rt, tmp_path):
    from accord.policy import service as policies
    from accord.policy.io import seed
    from tests.jobs.catalogue import published_dataset

    dataset, _ = published_dataset(rt, tmp_path, "terms-ds", title="Terms: a dataset", count=2, previews=1)
    assert "Licence terms" not in client.get("/datasets/terms-ds").text
    with rt.session() as db:
        policies.set_policy(db, dataset.id, seed("at-ustc"), actor="cli")
    page = client.get("/datasets/terms-ds").text
    assert "Licence terms" in page and "That includes other units or facilities of your own organisation" in page


def test_previews_past_the_first_rows_are_folded_so_the_terms_stay_near_the_top(client, shelf, monkeypatch):
    from accord.web.routes import catalog as catalog_pages

    monkeypatch.setattr(catalog_pages, "SHOWN", 1)  # the page shows 12; the fixture publishes 2 previews
    html = client.get("/datasets/llvip").text
    before, folded = html.split('<details class="more-preview">', 1)
    assert before.count('alt="Preview image') == 1 and 'loading="eager"' in before
    assert "<summary>Show all 2 preview images</summary>" in folded
    assert folded.split("</details>")[0].count('alt="Preview image 2 of LLVIP') == 1
    assert 'loading="lazy"' in folded
