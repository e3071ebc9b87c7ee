"""The consent registry over /api/v1: curators list and import records and read the coverage; a subject withdraws
with the token of their private link, once; a curator records a withdrawal on paper."""

from __future__ import annotations

from tests.identity.helpers import api_token
from tests.privacy.consent_world import consent_csv, consent_world

GOOD = consent_csv("AT-001,2021-03-04,face recognition research,", "AT-002,2021-03-05,research,")


def _setup(rt, tmp_path):
    world = consent_world(rt, tmp_path)
    other = consent_world(rt, tmp_path, slug="other")
    auth = {w.slug: {"Authorization": f"Bearer {api_token(rt, w.curator.email)}"} for w in (world, other)}
    return world, other, auth


def test_import_list_coverage_and_withdraw_over_the_api(client, rt, tmp_path):
    world, _other, auth = _setup(rt, tmp_path)
    base = f"/api/v1/datasets/{world.slug}/consent"
    sent = client.post(base, headers=auth[world.slug], files={"file": ("c.csv", GOOD, "text/csv")})
    assert sent.status_code == 200, sent.text
    report = sent.json()
    assert (report["created"], report["updated"]) == (2, 0) and [x["subject"] for x in report["links"]] == [
        "AT-001",
        "AT-002",
    ]
    listed = client.get(base, headers=auth[world.slug]).json()
    assert [(r["subject"], r["consented_at"], r["withdrawn_at"]) for r in listed] == [
        ("AT-001", "2021-03-04", None),
        ("AT-002", "2021-03-05", None),
    ]
    cover = client.get(f"{base}/coverage", headers=auth[world.slug]).json()
    assert cover["missing"] == [{"label": "AT-003", "items": 2}] and cover["unlabelled"] == 1

    token = report["links"][0]["link"].rsplit("/", 1)[1]
    body = {"token": token, "email": "one@example.net", "why": "changed my mind"}
    done = client.post("/api/v1/consent/withdraw", json=body)
    assert done.status_code == 201, done.text
    assert done.json()["subject"] == "AT-001" and done.json()["status"] == "received"
    assert "/privacy/follow/" in done.json()["follow_link"]
    again = client.post("/api/v1/consent/withdraw", json=body)
    assert again.status_code == 403 and "already withdrawn" in again.json()["detail"]
    forged = client.post("/api/v1/consent/withdraw", json={**body, "token": token[:-4] + "AAAA"})
    assert forged.status_code == 403

    paper = client.post(
        f"{base}/withdrawals", headers=auth[world.slug], json={"subject": "AT-002", "email": "two@example.net"}
    )
    assert paper.status_code == 201 and paper.json()["subject"] == "AT-002"
    assert [r["withdrawn_at"] is not None for r in client.get(base, headers=auth[world.slug]).json()] == [True, True]


def test_a_bad_file_answers_422_with_every_bad_line(client, rt, tmp_path):
    world, _other, auth = _setup(rt, tmp_path)
    bad = consent_csv("AT-001,yesterday,research,", "AT-002,2021-03-05,research,", "AT-002,2021-03-05,research,")
    sent = client.post(
        f"/api/v1/datasets/{world.slug}/consent", headers=auth[world.slug], files={"file": ("c.csv", bad)}
    )
    assert sent.status_code == 422
    assert [x["line"] for x in sent.json()["lines"]] == [2, 4]
    assert client.get(f"/api/v1/datasets/{world.slug}/consent", headers=auth[world.slug]).json() == []


def test_the_curator_of_another_dataset_is_refused(client, rt, tmp_path):
    world, other, auth = _setup(rt, tmp_path)
    base = f"/api/v1/datasets/{world.slug}/consent"
    theirs = auth[other.slug]
    assert client.get(base, headers=theirs).status_code == 403
    assert client.get(f"{base}/coverage", headers=theirs).status_code == 403
    assert client.post(base, headers=theirs, files={"file": ("c.csv", GOOD)}).status_code == 403
    paper = client.post(f"{base}/withdrawals", headers=theirs, json={"subject": "AT-001", "email": "x@example.net"})
    assert paper.status_code == 403
    assert client.get(base, headers=auth[world.slug]).json() == []
