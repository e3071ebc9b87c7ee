"""/api/v1 obligations: the same flows as the pages, with tokens; the public sees listed derivatives and papers
only."""

from __future__ import annotations

from tests.identity.helpers import api_token
from tests.obligations.helpers import dataset_under, licensee

RELATION = "Per-frame pedestrian boxes on the infrared half of each original pair."


def _auth(rt, email):
    return {"Authorization": f"Bearer {api_token(rt, email)}"}


def test_derivatives_requests_and_papers_through_the_api(client, rt, tmp_path):
    ds, _version, reviewer = dataset_under(rt, tmp_path, "llvip")
    ana, _ = licensee(rt, ds, "ana@uni.example.org")
    me, rev = _auth(rt, ana.email), _auth(rt, reviewer.email)
    body = {"kind": "annotations", "title": "Night boxes", "relation": RELATION, "wants_listing": True}
    made = client.post("/api/v1/datasets/llvip/derivatives", json=body, headers=me)
    assert made.status_code == 201 and made.json()["status"] == "recorded"
    refused = client.post("/api/v1/datasets/llvip/derivatives", json={**body, "relation": ""}, headers=me)
    assert refused.status_code == 422 and refused.json()["field"] == "relation"
    assert client.get("/api/v1/datasets/llvip/derivatives").json() == []  # not listed yet
    queue = client.get("/api/v1/review-queue/obligations", headers=rev).json()
    assert [d["title"] for d in queue["derivatives"]] == ["Night boxes"]
    assert client.get("/api/v1/review-queue/obligations", headers=me).status_code == 403
    d_id = made.json()["id"]
    assert client.put(f"/api/v1/derivatives/{d_id}/listing", json={"listed": True}, headers=me).status_code == 403
    assert client.put(f"/api/v1/derivatives/{d_id}/listing", json={"listed": True}, headers=rev).json()["listed"]
    public = client.get("/api/v1/datasets/llvip/derivatives").json()
    assert [d["title"] for d in public] == ["Night boxes"] and "status" not in public[0]  # no internal fields

    asked = client.post(
        "/api/v1/datasets/llvip/approval-requests", json={"kind": "modify", "description": "Crop every frame."},
        headers=me,
    )  # fmt: skip
    assert asked.status_code == 422 and "without approval" in asked.json()["detail"]
    mine = client.get("/api/v1/datasets/llvip/obligations", headers=me).json()
    assert mine["grant_in_force"] and mine["may_ask"] == {} and [d["id"] for d in mine["derivatives"]] == [d_id]

    paper = client.post("/api/v1/datasets/llvip/publications", json={"arxiv": "arXiv:2108.10831"}, headers=me)
    assert paper.status_code == 201 and paper.json()["arxiv"] == "2108.10831"
    bad = client.post("/api/v1/datasets/llvip/publications", json={"doi": "11.1/x"}, headers=me)
    assert bad.status_code == 422 and bad.json()["field"] == "doi"
    assert [p["arxiv"] for p in client.get("/api/v1/datasets/llvip/publications").json()] == ["2108.10831"]
    assert client.post("/api/v1/datasets/llvip/publications/ask", headers=rev).json() == {"asked": 1}
    assert client.delete(f"/api/v1/publications/{paper.json()['id']}", headers=me).status_code == 204
    assert client.get("/api/v1/datasets/llvip/publications").json() == []


def test_a_unit_request_and_its_answer_through_the_api(client, rt, tmp_path):
    ds, _version, reviewer = dataset_under(rt, tmp_path, "cion-al")
    ana, _grant = licensee(rt, ds, "ana@uni.example.org", networks=["192.0.2.0/24"])
    eve, _ = licensee(rt, ds, "eve@uni.example.org")
    me, rev = _auth(rt, ana.email), _auth(rt, reviewer.email)
    asked = client.post(
        "/api/v1/datasets/cion-al/approval-requests",
        json={"kind": "unit", "description": "The Porto lab joins the benchmark.", "unit": "Porto Lab",
              "networks": ["198.51.100.0/24"]},
        headers=me,
    )  # fmt: skip
    assert asked.status_code == 201, asked.text
    r_id = asked.json()["id"]
    assert client.get(f"/api/v1/approval-requests/{r_id}", headers=_auth(rt, eve.email)).status_code == 404
    beyond = client.post(
        f"/api/v1/approval-requests/{r_id}/decision", json={"decision": "approve", "networks": ["0.0.0.0/0"]},
        headers=rev,
    )  # fmt: skip
    assert beyond.status_code == 422 and beyond.json()["field"] == "networks"
    done = client.post(f"/api/v1/approval-requests/{r_id}/decision", json={"decision": "approve"}, headers=rev)
    assert done.json()["status"] == "approved" and done.json()["granted_networks"] == ["198.51.100.0/24"]
    grant_now = client.get("/api/v1/datasets/cion-al/entitlement", headers=me).json()
    assert grant_now["networks"] == ["192.0.2.0/24", "198.51.100.0/24"]
    assert [(u["unit"], u["request_id"]) for u in grant_now["added_units"]] == [("Porto Lab", r_id)]
