"""The privacy desk over /api/v1: the public request (no account, no CSRF cookie), the curators' calls with a
token, and a licensee's notices."""

from __future__ import annotations

from tests.identity.helpers import api_token
from tests.privacy.world import downloaded, last_mail, link_token, make_world


def _auth(rt, email):
    return {"Authorization": f"Bearer {api_token(rt, email)}"}


def test_request_prove_follow_decide_and_attest_over_the_api(rt, client, tmp_path):
    world = make_world(rt, tmp_path, count=4, licensees=1)
    licensee = next(iter(world.licensees.values()))
    downloaded(rt, world, licensee, ["subject-00/img-000.jpg"])
    fields = {"dataset": world.slug, "email": "p@example.net", "what": "all of me", "labels": "00"}
    sent = client.post("/api/v1/removal-requests", data=fields, files={"photo": ("", b"", "image/jpeg")})
    assert sent.status_code == 202, sent.text
    follow = sent.json()["follow_link"].rsplit("/", 1)[1]
    proof = link_token(last_mail(rt, "p@example.net", "removal-prove").text_body, "prove")
    proven = client.post("/api/v1/removal-requests/prove", json={"token": proof})
    assert proven.status_code == 200 and proven.json()["status"] == "received"
    assert client.post("/api/v1/removal-requests/prove", json={"token": proof}).status_code == 403
    view = client.post("/api/v1/removal-requests/follow", json={"token": follow}).json()
    assert view["dataset"] == world.slug and [s["name"] for s in view["stages"]][:2] == ["sent", "received"]
    assert "matches" not in view and "labels" not in view  # the requester learns nothing of the search

    curator = _auth(rt, world.curator.email)
    queue = client.get("/api/v1/privacy/requests", headers=curator).json()
    rid = queue[0]["request"]["id"]
    found = client.get(f"/api/v1/privacy/requests/{rid}/matches", headers=curator).json()
    assert len(found) == 2 and {m["method"] for m in found} == {"label"}  # searched at proof
    bad = client.post(f"/api/v1/privacy/requests/{rid}/select", json={"item_ids": [999999]}, headers=curator)
    assert bad.status_code == 422
    chosen = client.post(f"/api/v1/privacy/requests/{rid}/select", json={"labels": ["00"]}, headers=curator)
    assert chosen.json() == {"selected": 2}
    done = client.post(f"/api/v1/privacy/requests/{rid}/accept", json={"note": "done"}, headers=curator).json()
    assert done["status"] == "done" and done["removed_count"] == 2
    assert client.post("/api/v1/removal-requests/follow", json={"token": follow}).json()["status"] == "done"

    mine = _auth(rt, licensee.email)
    notices = client.get("/api/v1/privacy/notices", headers=mine).json()
    assert [(n["kind"], n["dataset"], [f["path"] for f in n["files"]]) for n in notices] == [
        ("delete", world.slug, ["subject-00/img-000.jpg"])
    ]
    nid = notices[0]["id"]
    unticked = client.post(f"/api/v1/privacy/notices/{nid}/attest", json={"confirm": False}, headers=mine)
    assert unticked.status_code == 422
    attested = client.post(f"/api/v1/privacy/notices/{nid}/attest", json={"confirm": True}, headers=mine)
    assert attested.status_code == 200 and attested.json()["attested_at"]
    again = client.post(f"/api/v1/privacy/notices/{nid}/attest", json={"confirm": True}, headers=mine)
    assert again.status_code == 409


def test_a_request_for_a_dataset_that_does_not_exist_or_a_forged_link_changes_nothing(rt, client, tmp_path):
    make_world(rt, tmp_path, count=1)
    fields = {"dataset": "nope", "email": "p@example.net", "what": "me"}
    missing = client.post("/api/v1/removal-requests", data=fields, files={"photo": ("", b"", "image/jpeg")})
    assert missing.status_code == 404
    not_multipart = client.post("/api/v1/removal-requests", json=fields)
    assert not_multipart.status_code == 422 and "multipart" in not_multipart.json()["detail"]
    forged = client.post("/api/v1/removal-requests/follow", json={"token": "1.forged"})
    assert forged.status_code == 403 and "not valid" in forged.json()["detail"]
