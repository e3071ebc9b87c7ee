"""The catalogue's pages cost a fixed number of SQL statements, for 10 datasets as for 1,000 (issue 16): the
datasets, their newest published versions, the preview strips and the filters' choices, one query each."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event, insert

from accord.catalog.models import Dataset, DatasetVersion, Item
from accord.db import utcnow


def _catalogue(rt, n: int) -> None:
    """`n` datasets in bulk, each with an older and a newer published version and 6 preview items in the newer;
    every fifth dataset a draft only (not listed)."""
    now = utcnow()
    with rt.session() as db:
        db.execute(
            insert(Dataset),
            [
                {"slug": f"ds-{i:05d}", "title": f"Dataset {i:05d}", "custodian": f"Lab {i % 7}",
                 "modalities": ["visible", "infrared"][: 1 + i % 2], "summary": "", "description": ""}
                for i in range(n)
            ],
        )  # fmt: skip
        ids = [row.id for row in db.query(Dataset.id).order_by(Dataset.id)]
        versions = []
        for k, ds_id in enumerate(ids):
            status = "draft" if k % 5 == 4 else "published"
            for label in ("1.0", "2.0"):
                versions.append(
                    {"dataset_id": ds_id, "label": label, "status": status,
                     "published_at": now if status == "published" else None, "file_count": 6, "total_bytes": 60}
                )  # fmt: skip
        db.execute(insert(DatasetVersion), versions)
        newer = [v.id for v in db.query(DatasetVersion.id).filter(DatasetVersion.label == "2.0")]
        db.execute(
            insert(Item),
            [
                {"version_id": v, "path": f"p/{j}.jpg", "size": 10, "sha256": f"{v:032x}{j:032x}",
                 "media_type": "image/jpeg", "preview": True, "attributes": {}}
                for v in newer
                for j in range(6)
            ],
        )  # fmt: skip
        db.commit()


@contextmanager
def counted(rt):
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(rt.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(rt.engine, "before_cursor_execute", count)


BEYOND_TEN = {"/datasets?page=3&modality=visible", "/api/v1/datasets?modality=infrared&offset=50"}
COUNT = re.compile(r"result-count[^>]*>\s*([\d,]+) dataset")
PAGES = [
    "/",
    "/datasets",
    "/datasets?q=dataset",
    "/datasets?modality=infrared",
    "/datasets?page=3&modality=visible",
    "/api/v1/datasets",
    "/api/v1/datasets?modality=infrared&offset=50",
]


@pytest.fixture
def costs(tmp_path):
    from fastapi.testclient import TestClient

    from accord import dbmigrate
    from accord.runtime import build
    from accord.web.app import create_app
    from tests.conftest import make_settings

    def cost_of(n: int) -> dict[str, tuple[int, int]]:
        rt = build(make_settings(tmp_path / str(n)))
        dbmigrate.upgrade(rt.engine)
        _catalogue(rt, n)
        out = {}
        with TestClient(create_app(rt), base_url="http://testserver") as client:
            client.get("/")  # warm: the app's first request reads settings from the database once
            for page in PAGES:
                with counted(rt) as statements:
                    response = client.get(page)
                assert response.status_code == 200, (page, response.text[:300])
                shown = (
                    response.text.count('class="card dataset-card"') if "/api/" not in page else len(response.json())
                )
                total = response.headers.get("x-total-count") or re.search(COUNT, response.text).group(1)
                out[page] = (len(statements), shown, int(total.replace(",", "")))
        rt.engine.dispose()
        return out

    return cost_of


def test_each_catalogue_page_costs_the_same_for_10_and_1000_datasets(costs):
    small, large = costs(10), costs(1000)
    for page in PAGES:
        if page not in BEYOND_TEN:  # (10 datasets have no such page: less to read)
            assert small[page][0] == large[page][0], (page, small[page], large[page])
        assert large[page][0] <= 5, (page, large[page])  # the goal for the home page, met by them all
    # (statements, cards shown, how many match): a page of 24 (the API's of 100), and the count of them all;
    # the fifth of the datasets with a draft only is not listed, and half have the infrared modality
    assert large["/"][1:] == (24, 800) and small["/"][1:] == (8, 8)
    assert large["/datasets?modality=infrared"][1:] == (24, 400)
    assert large["/datasets?page=3&modality=visible"][1:] == (24, 800)
    assert large["/api/v1/datasets"][1:] == (100, 800)
    assert large["/api/v1/datasets?modality=infrared&offset=50"][1:] == (100, 400)


def test_the_pages_link_to_each_other_with_the_search_kept(client, rt):
    _catalogue(rt, 60)  # 48 listed: two pages of 24
    first = client.get("/datasets?modality=visible")
    assert "page 1 of 2" in first.text and 'href="/datasets?modality=visible&amp;page=2" rel="next"' in first.text
    second = client.get("/datasets?modality=visible&page=2")
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text
    assert second.text.count('class="card dataset-card"') == 24
    beyond = client.get("/datasets?page=9")
    assert beyond.status_code == 200 and "No datasets found" in beyond.text
    assert client.get("/datasets?page=0").status_code == 422
