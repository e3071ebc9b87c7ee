"""The catalogue's pages cost a fixed number of SQL statements, for 10 datasets as for 1,000 (issue 16): the
datasets, their newest published versions, the preview strips and the filters' choices, one query each."""

from __future__ import annotations

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


PAGES = ["/", "/datasets", "/datasets?q=dataset", "/datasets?modality=infrared", "/api/v1/datasets"]


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
                out[page] = (len(statements), response.text.count("dataset-card") or len(response.json()))
        rt.engine.dispose()
        return out

    return cost_of


def test_each_catalogue_page_costs_the_same_for_10_and_1000_datasets(costs):
    small, large = costs(10), costs(1000)
    for page in PAGES:
        assert small[page][0] == large[page][0], (page, small[page], large[page])
        assert small[page][0] <= 5, (page, small[page])  # the goal for the home page, met by them all
    assert large["/api/v1/datasets"][1] == 800  # the drafts-only fifth is not listed
