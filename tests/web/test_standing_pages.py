"""The curator's access table: a revoked grant offers "Make permanent" and "Lift"; after a permanent revocation the
refused-download page no longer offers "Apply again" and the apply page says why and whom to write to."""

from __future__ import annotations

import re

from accord.entitlements import service as entitlements
from tests.identity.helpers import session_csrf
from tests.web.test_download_pages import as_user, revoke, world  # noqa: F401 (the fixture)
from tests.web.test_error_pages import contact, steps  # noqa: F401 (the fixture)


def decide(client, world, action: str, reason: str):  # noqa: F811
    return client.post(
        f"/admin/datasets/faces/access/{world.grant_id}/{action}",
        data={"csrf_token": session_csrf(client), "reason": reason},
        follow_redirects=False,
    )


def test_the_curator_makes_a_revocation_permanent_and_apply_again_goes(client, rt, contact):  # noqa: F811
    as_user(client, rt, contact.users["cora"])
    page = client.get("/admin/datasets/faces")
    assert "Make permanent" not in page.text  # nothing revoked yet
    revoke(client, contact, reason="breach of clause 4")
    page = client.get("/admin/datasets/faces")
    assert f'action="/admin/datasets/faces/access/{contact.grant_id}/permanent"' in page.text
    assert f'action="/admin/datasets/faces/access/{contact.grant_id}/lift"' in page.text
    assert "Undecided: a person reviews any new application." in page.text

    as_user(client, rt, contact.users["lee"])
    assert decide(client, contact, "permanent", "repeated breach").status_code == 403  # curators only

    as_user(client, rt, contact.users["cora"])
    done = decide(client, contact, "permanent", "repeated breach")
    assert done.status_code == 303 and done.headers["location"].endswith("?note=permanent#access-h")
    page = client.get("/admin/datasets/faces?note=permanent")
    assert "Revocation made permanent." in page.text and "repeated breach" in page.text
    assert re.search(r'data-standing="permanent"', page.text)
    assert f'/access/{contact.grant_id}/permanent"' not in page.text  # only "Lift" is left

    as_user(client, rt, contact.users["lee"])
    found = steps(client.get("/datasets/faces/download").text)
    assert "Apply again" not in found and "Contact FL (faces-custodian@example.org)" in found
    dataset_page = client.get("/datasets/faces").text
    assert 'class="flash error barred"' in dataset_page and "You may not apply for Faces again" in dataset_page
    refused = client.get("/datasets/faces/apply")
    assert refused.status_code == 403
    assert "you may not apply for Faces again" in refused.text and "faces-custodian@example.org" in refused.text

    as_user(client, rt, contact.users["cora"])
    assert decide(client, contact, "lift", "appeal upheld").headers["location"].endswith("?note=lifted#access-h")
    with rt.session() as db:
        assert entitlements.get(db, contact.grant_id).standing == "lifted"
    as_user(client, rt, contact.users["lee"])
    assert steps(client.get("/datasets/faces/download").text)["Apply again"] == "/datasets/faces/apply"
    assert client.get("/datasets/faces/apply").status_code == 200
    assert "barred" not in client.get("/datasets/faces").text


def test_a_grant_of_another_dataset_is_not_found_here(client, rt, world):  # noqa: F811
    as_user(client, rt, world.users["cora"])
    revoke(client, world)
    answer = client.post(
        f"/admin/datasets/nope/access/{world.grant_id}/lift",
        data={"csrf_token": session_csrf(client), "reason": "x"},
        follow_redirects=False,
    )
    assert answer.status_code == 404
