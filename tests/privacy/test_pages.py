"""The privacy desk in the browser's pages: the public request with its proof and follow links, the curators'
queue and request page, and a licensee's deletion notice with its attestation."""

from __future__ import annotations

import re

from sqlalchemy import select

from accord.privacy.models import DeletionNotice, RemovalRequest
from tests.identity.helpers import csrf, log_in, post_form
from tests.privacy.world import downloaded, last_mail, link_token, make_world, proven_request


def _ask(client, slug, **fields):
    token = csrf(client, f"/datasets/{slug}/privacy")
    return client.post(
        f"/datasets/{slug}/privacy",
        data={"csrf_token": token, **fields},
        files={"photo": ("", b"", "application/octet-stream")},
        follow_redirects=False,
    )


def test_a_person_asks_proves_and_follows_their_request_without_an_account(rt, client, tmp_path):
    world = make_world(rt, tmp_path, count=4)
    page = client.get(f"/datasets/{world.slug}")
    assert f'href="/datasets/{world.slug}/privacy"' in page.text and "Are you in this dataset?" in page.text
    form = client.get(f"/datasets/{world.slug}/privacy")
    assert "deleted as soon as that search has run" in form.text

    sent = _ask(client, world.slug, email="person@example.net", what="every picture of me", labels="00")
    assert sent.status_code == 200 and "Check your e-mail" in sent.text
    follow = re.search(r'id="follow-link" href="[^"]*/privacy/follow/([^"]+)"', sent.text).group(1)
    proof = link_token(last_mail(rt, "person@example.net", "removal-prove").text_body, "prove")

    assert "Confirm my request" in client.get(f"/privacy/prove/{proof}").text  # opening the link does nothing
    with rt.session() as db:
        assert db.scalars(select(RemovalRequest)).one().status == "unproven"
    done = post_form(client, f"/privacy/prove/{proof}", page=f"/privacy/prove/{proof}")
    assert done.status_code == 200 and "Your request is received" in done.text
    again = post_form(client, f"/privacy/prove/{proof}", page=f"/privacy/prove/{proof}")
    assert again.status_code == 403 and "cannot be used" in again.text

    mine = client.get(f"/privacy/follow/{follow}")
    assert mine.status_code == 200 and "Received" in mine.text and "answer due by" in mine.text
    forged = client.get(f"/privacy/follow/{follow[:-2]}xx")
    assert forged.status_code == 403 and "every picture of me" not in forged.text


def test_a_wrong_form_is_shown_again_with_the_error_and_stores_nothing(rt, client, tmp_path):
    world = make_world(rt, tmp_path, count=2)
    bad = _ask(client, world.slug, email="not an address", what="me", why="kept in the form")
    assert bad.status_code == 422 and "e-mail address" in bad.text and "kept in the form" in bad.text
    token = csrf(client, f"/datasets/{world.slug}/privacy")
    photo = client.post(
        f"/datasets/{world.slug}/privacy",
        data={"csrf_token": token, "email": "p@example.net", "what": "me"},
        files={"photo": ("me.jpg", b"this is not a picture", "image/jpeg")},
    )
    assert photo.status_code == 422 and "not an image" in photo.text
    with rt.session() as db:
        assert db.scalars(select(RemovalRequest)).all() == []
    assert client.get("/datasets/no-such-dataset/privacy").status_code == 404


def test_the_curator_finds_selects_and_removes_and_the_licensee_attests(rt, client, tmp_path):
    world = make_world(rt, tmp_path, count=6, licensees=1)
    licensee = next(iter(world.licensees.values()))
    downloaded(rt, world, licensee, sorted(world.items))
    sub = proven_request(rt, world, labels=())
    log_in(client, world.curator.email)

    queue = client.get("/privacy")
    assert queue.status_code == 200 and f'href="/privacy/requests/{sub.request.id}"' in queue.text
    assert "days left" in queue.text
    page = f"/privacy/requests/{sub.request.id}"
    found = post_form(client, f"{page}/search", {"labels": "00"}, page=page)
    assert found.status_code == 303
    shown = client.get(page)
    items = re.findall(r'name="item" value="(\d+)"', shown.text)
    assert len(items) == 3 and "label · 1.00" in shown.text
    thumb = client.get(f"{page}/items/{items[0]}/thumbnail")
    assert (
        thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg" and thumb.content[:2] == b"\xff\xd8"
    )
    assert "no-store" in thumb.headers["cache-control"]
    other = world.items["subject-01/img-001.jpg"][0]
    assert client.get(f"{page}/items/{other}/thumbnail").status_code == 404  # not found for this request

    nothing = post_form(client, f"{page}/accept", page=page)
    assert nothing.status_code == 422 and "select the files" in nothing.text
    chosen = post_form(client, f"{page}/select", {"label": "00"}, page=page)
    assert chosen.status_code == 303
    assert client.get(page).text.count(" checked") == 3
    removed = post_form(client, f"{page}/accept", {"note": "removed, thank you"}, page=page)
    assert removed.status_code == 303
    done = client.get(removed.headers["location"]).text
    assert "Done: the files are removed." in done and "version <strong>1.0-r1</strong> (3 files" in done
    diff = re.findall(r"<td>(subject-\d\d/[^<]+)</td>", done.split('id="manifest-diff"')[1])
    assert diff == sorted(p for p in world.items if p.startswith("subject-00/"))  # the manifests' whole difference

    client.cookies.clear()
    log_in(client, licensee.email)
    with rt.session() as db:
        notice = db.scalars(select(DeletionNotice).where(DeletionNotice.user_id == licensee.id)).one()
    listed = client.get("/privacy/notices")
    assert f'href="/privacy/notices/{notice.id}"' in listed.text and "waiting for you" in listed.text
    shown = client.get(f"/privacy/notices/{notice.id}")
    assert all(f["sha256"] in shown.text for f in notice.files) and len(notice.files) == 3
    unticked = post_form(client, f"/privacy/notices/{notice.id}/attest", page=f"/privacy/notices/{notice.id}")
    assert unticked.status_code == 422 and "tick the statement" in unticked.text
    ticked = post_form(
        client, f"/privacy/notices/{notice.id}/attest", {"confirm": "true"}, page=f"/privacy/notices/{notice.id}"
    )
    assert ticked.status_code == 303 and "attestation is recorded" in client.get(ticked.headers["location"]).text


def test_the_queue_is_for_curators_and_another_datasets_curator_sees_nothing(rt, client, tmp_path):
    world = make_world(rt, tmp_path, count=2)
    other = make_world(rt, tmp_path, slug="other", count=2)
    sub = proven_request(rt, world)
    log_in(client, other.curator.email)
    assert f"/privacy/requests/{sub.request.id}" not in client.get("/privacy").text
    assert client.get(f"/privacy/requests/{sub.request.id}").status_code == 404
    client.cookies.clear()
    licensee = make_world(rt, tmp_path, slug="third", count=1, licensees=1).licensees
    log_in(client, next(iter(licensee)))
    assert client.get("/privacy").status_code == 403


def test_a_photo_over_the_limit_is_refused_before_it_is_read_and_nothing_is_kept(rt, client, tmp_path):
    world = make_world(rt, tmp_path, count=2)
    token = csrf(client, f"/datasets/{world.slug}/privacy")
    big = b"\xff\xd8" + b"\0" * (50 * 1024 * 1024)  # 50 MB
    refused = client.post(
        f"/datasets/{world.slug}/privacy",
        data={"csrf_token": token, "email": "p@example.net", "what": "me"},
        files={"photo": ("me.jpg", big, "image/jpeg")},
    )
    assert refused.status_code == 413 and "larger than the limit" in refused.text
    with rt.session() as db:
        assert db.scalars(select(RemovalRequest)).all() == []
    for folder in ("uploads", "privacy-photos"):
        path = rt.settings.data_dir / folder
        assert not path.exists() or not any(path.iterdir()), folder
