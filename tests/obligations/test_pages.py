"""Obligations in the browser: a licensee's page with its three forms (a refusal shows in the form it came from,
with what was typed), the reviewers' queue, the public listing with credit and the original's citation."""

from __future__ import annotations

import re

from sqlalchemy import select

from accord.db import unit_of_work
from accord.entitlements import service as entitlements
from accord.obligations.models import ApprovalRequest, Derivative
from tests.identity.helpers import log_in, post_form
from tests.obligations.helpers import dataset_under, licensee

RELATION = "Boxes for each pedestrian in the infrared frames of the original pairs."


def test_a_licensee_declares_llvip_annotations_and_the_reviewer_lists_them(client, rt, tmp_path):
    ds, _version, reviewer = dataset_under(rt, tmp_path, "llvip", title="LLVIP")
    ana, _ = licensee(rt, ds, "ana@uni.example.org")
    log_in(client, ana.email)
    page = client.get("/datasets/llvip")
    assert 'href="/datasets/llvip/obligations"' in page.text  # the licensee's way in
    form = {"kind": "annotations", "title": "Night boxes", "relation": "", "wants_listing": "on"}
    refused = post_form(client, "/datasets/llvip/derivatives", form, page="/datasets/llvip/obligations")
    assert refused.status_code == 422
    assert re.search(r'id="e-derivatives-relation"[^>]*>these terms ask you to say how it relates', refused.text)
    assert 'value="Night boxes"' in refused.text  # what was typed stays
    assert "e-publications-title" not in refused.text  # and the other forms show no error
    done = post_form(
        client, "/datasets/llvip/derivatives", {**form, "relation": RELATION, "authors": "Ana Lima"},
        page="/datasets/llvip/obligations",
    )  # fmt: skip
    assert done.status_code == 303 and done.headers["location"].startswith("/datasets/llvip/obligations?notice=")
    assert "Night boxes" in client.get(done.headers["location"]).text
    paper = post_form(
        client, "/datasets/llvip/publications", {"doi": "10.1000/bad doi"}, page="/datasets/llvip/obligations"
    )
    assert paper.status_code == 422 and 'id="e-publications-doi"' in paper.text

    client.cookies.clear()
    log_in(client, reviewer.email)
    queue = client.get("/review/obligations")
    assert "Night boxes" in queue.text and "Its authors ask to be listed" in queue.text
    with rt.session() as db:
        row = db.scalars(select(Derivative)).one()
    listed = post_form(client, f"/review/derivatives/{row.id}/listing", {"listed": "yes"}, page="/review/obligations")
    assert listed.status_code == 303
    assert "Nothing is waiting" in client.get("/review/obligations").text

    client.cookies.clear()  # a visitor
    public = client.get("/datasets/llvip")
    assert "Built on this dataset" in public.text and "by Ana Lima" in public.text
    one = client.get(f"/datasets/llvip/derivatives/{row.id}")
    assert one.status_code == 200 and "Cite the original" in one.text and "LLVIP" in one.text


def test_a_cion_al_unit_request_is_approved_in_the_queue_with_fewer_networks_than_asked(client, rt, tmp_path):
    ds, _version, reviewer = dataset_under(rt, tmp_path, "cion-al", title="CION-AL")
    ana, _ = licensee(rt, ds, "ana@uni.example.org", networks=["192.0.2.0/24"])
    log_in(client, ana.email)
    mine = client.get("/datasets/cion-al/obligations")
    assert "Use the data in another unit of your organisation" in mine.text
    asked = post_form(
        client, "/datasets/cion-al/approval-requests",
        {"kind": "unit", "description": "Our Porto lab runs the same benchmark.", "unit": "Porto Lab",
         "networks": "198.51.100.0/24\n203.0.113.0/24"},
        page="/datasets/cion-al/obligations",
    )  # fmt: skip
    assert asked.status_code == 303
    client.cookies.clear()
    log_in(client, reviewer.email)
    with rt.session() as db:
        req = db.scalars(select(ApprovalRequest)).one()
    beyond = post_form(
        client, f"/review/approval-requests/{req.id}", {"decision": "approve", "networks": "10.0.0.0/8"},
        page="/review/obligations",
    )  # fmt: skip
    assert beyond.status_code == 422 and "cannot allow more than was asked" in beyond.text
    ok = post_form(
        client, f"/review/approval-requests/{req.id}",
        {"decision": "approve", "networks": "198.51.100.0/24", "conditions": "No copy leaves Porto"},
        page="/review/obligations",
    )  # fmt: skip
    assert ok.status_code == 303
    client.cookies.clear()
    log_in(client, ana.email)
    mine = client.get("/datasets/cion-al/obligations")
    assert "and for <strong>Porto Lab</strong> (approved)" in mine.text
    assert "On these conditions: No copy leaves Porto" in mine.text


def test_the_queue_is_for_reviewers_and_a_licensee_without_access_is_told_so(client, rt, tmp_path):
    dataset_under(rt, tmp_path, "llvip", title="LLVIP")
    ds2, _v, _r = dataset_under(rt, tmp_path, "shhq", title="SHHQ")
    bo, _ = licensee(rt, ds2, "bo@else.example.org")
    log_in(client, bo.email)
    assert client.get("/review/obligations").status_code == 403
    page = client.get("/datasets/llvip/obligations")
    assert page.status_code == 200 and "You hold no access to this dataset" in page.text
    assert "Declare a derivative" not in page.text


def test_a_download_refused_for_the_sites_networks_points_to_asking_for_another_unit(client, rt, tmp_path):
    cion, _v, _r = dataset_under(rt, tmp_path, "cion-al", title="CION-AL")
    llvip, _v, _r = dataset_under(rt, tmp_path, "llvip", title="LLVIP")  # passing the data on: forbidden
    ana, _ = licensee(rt, cion, "ana@uni.example.org", networks=["192.0.2.0/24"])
    with rt.session() as db, unit_of_work(db):
        entitlements.grant(
            db, dataset_id=llvip.id, user_id=ana.id, policy_version=1, actor=None, networks=["192.0.2.0/24"]
        )
    log_in(client, ana.email)
    refused = client.get("/datasets/cion-al/download")  # the test client's address is outside the site's
    assert refused.status_code == 403 and "only from the site named in the application" in refused.text
    assert '<a href="/datasets/cion-al/obligations#requests">Ask to add another unit and its networks</a>' in (
        refused.text
    )
    other = client.get("/datasets/llvip/download")
    assert other.status_code == 403 and "only from the site named in the application" in other.text
    assert "/obligations#requests" not in other.text  # nothing to ask under these terms
