"""Anonymisation in the curator's pages and the API: start from the dataset's admin page, read the report and
the contact sheet, review a flagged file (a box typed without script, a wrong box refused with nothing saved),
publish, and find only the numbers on the public page and in the public report."""

from __future__ import annotations

import io
import re

from PIL import Image

from accord.privacy import service as privacy
from accord.privacy.models import AnonymisedFile
from tests.identity.helpers import api_token, log_in, make_user, post_form
from tests.privacy.scenes import dataset, files


def _curated(rt, tmp_path):
    ds_id, version_id, _items = dataset(rt, tmp_path, contents=files())
    make_user(rt, "curator@people.example.org", "curator")
    return ds_id, version_id


def _run_page(client, slug="people", label="1.0", **form):
    admin = f"/admin/datasets/{slug}"
    started = post_form(client, f"{admin}/versions/{label}/anonymise", {"blur": "pixelate", **form}, page=admin)
    assert started.status_code == 303, started.text
    return started.headers["location"]


def test_a_curator_anonymises_reviews_and_publishes_in_the_pages(rt, client, tmp_path):
    _curated(rt, tmp_path)
    log_in(client, "curator@people.example.org")
    admin = client.get("/admin/datasets/people")
    assert "Anonymise 1.0" in admin.text and 'name="second_pass"' in admin.text
    where = _run_page(client)
    page = client.get(where)
    assert page.status_code == 200 and "Waiting for your look" in page.text
    assert re.search(r"<dt>Faces blurred</dt><dd>4</dd>", page.text) and "pixelate" in page.text
    assert "broken/cut.jpg" in page.text and "Blur these boxes too" not in page.text  # unreadable: no boxes
    run_id = int(where.rsplit("/", 1)[1])

    sheet = client.get(f"{where}/contact-sheet.png")
    assert sheet.headers["content-type"] == "image/png" and "no-store" in sheet.headers["cache-control"]
    assert Image.open(io.BytesIO(sheet.content)).width > 500

    with rt.session() as db:
        rows = {f.path: f for f in privacy.anonymised_files(db, run_id, limit=100)}
    field = rows["empty/field.png"]
    assert client.get(f"{where}/files/{field.id}/before").content.startswith(b"\x89PNG")
    assert client.get(f"{where}/files/{field.id}/sideways").status_code == 404
    # a box typed by hand (the form without script); a wrong one is refused and nothing changes
    bad = post_form(
        client, f"{where}/files/{field.id}/review", {"decision": "boxes", "boxes": "10, 20, 30"}, page=where
    )
    assert bad.status_code == 422 and "four numbers" in bad.text
    ok = post_form(
        client, f"{where}/files/{field.id}/review", {"decision": "boxes", "boxes": "10, 20, 110, 140\n"}, page=where
    )
    assert ok.status_code == 303
    with rt.session() as db:
        assert db.get(AnonymisedFile, field.id).boxes == [[10.0, 20.0, 110.0, 140.0]]
    publish_refused = post_form(client, "/admin/datasets/people/versions/1.0-anon/publish", page=where)
    assert publish_refused.status_code == 409 and "wait for a look" in publish_refused.text
    fine = post_form(client, f"{where}/files/{rows['broken/cut.jpg'].id}/review", {"decision": "fine"}, page=where)
    assert fine.status_code == 303 and "Ready to publish" in client.get(where).text
    assert post_form(client, "/admin/datasets/people/versions/1.0-anon/publish", page=where).status_code == 303

    public = client.get("/datasets/people")
    assert "Privacy report of version 1.0-anon" in public.text
    assert re.search(r"<dt>Faces blurred</dt><dd>5</dd>", public.text)  # 4 found and 1 drawn
    assert "field.png" not in public.text and "cut.jpg" not in public.text
    post_form(client, "/logout", page="/account")
    assert client.get(where, follow_redirects=False).status_code == 303  # to the login page
    report = client.get("/api/v1/datasets/people/versions/1.0-anon/privacy-report").json()
    assert (
        report["faces_blurred"] == 5 and report["reviewed_by_a_person"] == 1 and report["options"]["blur"] == "pixelate"
    )
    assert client.get("/api/v1/datasets/people/versions/1.0/privacy-report").status_code == 404


def test_the_api_starts_lists_reviews_and_cancels_a_run(rt, client, tmp_path):
    _curated(rt, tmp_path)
    make_user(rt, "stranger@elsewhere.example.org")
    auth = {"Authorization": f"Bearer {api_token(rt, 'curator@people.example.org')}"}
    stranger = {"Authorization": f"Bearer {api_token(rt, 'stranger@elsewhere.example.org')}"}
    bad = client.post("/api/v1/datasets/people/versions/1.0/anonymise", json={"threshold": 2}, headers=auth)
    assert bad.status_code == 422
    started = client.post("/api/v1/datasets/people/versions/1.0/anonymise", json={"second_pass": True}, headers=auth)
    assert started.status_code == 202, started.text
    run_ = started.json()
    assert run_["status"] == "review" and run_["draft_version"] == "1.0-anon" and run_["report"]["faces_blurred"] == 4
    assert "twice the scale" in run_["report"]["detector"]
    assert client.get(f"/api/v1/anonymisations/{run_['id']}", headers=stranger).status_code == 404
    flagged = client.get(f"/api/v1/anonymisations/{run_['id']}/files?flagged=true", headers=auth).json()
    assert [f["path"] for f in flagged] == ["broken/cut.jpg"] and flagged[0]["look"] is True
    page = client.get(f"/api/v1/anonymisations/{run_['id']}/files?limit=2&after=astronaut/a2.jpg", headers=auth).json()
    assert [f["path"] for f in page] == ["broken/cut.jpg", "empty/field.png"]
    dropped = client.post(
        f"/api/v1/anonymisations/{run_['id']}/files/{flagged[0]['id']}/review", json={"decision": "drop"}, headers=auth
    )
    assert dropped.status_code == 200 and dropped.json()["decision"] == "drop"
    shown = client.get(f"/api/v1/anonymisations/{run_['id']}", headers=auth).json()
    assert shown["status"] == "ready" and shown["report"]["left_out"] == 1
    cancelled = client.post(f"/api/v1/anonymisations/{run_['id']}/cancel", headers=auth).json()
    assert cancelled["status"] == "cancelled" and cancelled["draft_version"] is None
    versions = [v["label"] for v in client.get("/api/v1/datasets/people/versions", headers=auth).json()]
    assert versions == ["1.0"]
