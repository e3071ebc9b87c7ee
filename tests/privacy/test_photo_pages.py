"""The photo search from the curator's request page and from `accord privacy search --photo`: a photo of someone
finds their files by face, a photo with no face says so, a file that is not a photo is refused on the page."""

from __future__ import annotations

import re

import pytest

from accord.cli import main as cli
from accord.identity import service as identity
from accord.privacy import service as privacy
from tests.cli import run
from tests.identity.helpers import csrf, log_in, make_user
from tests.privacy.scenes import background, dataset, png, selfie
from tests.privacy.world import last_mail, link_token


@pytest.fixture
def desk(rt, tmp_path):
    ds_id, version_id, _items = dataset(rt, tmp_path)
    privacy.index_version(rt, version_id)
    curator = make_user(rt, "curator@people.example.org")
    with rt.session() as db:
        identity.grant_role(db, identity.user_by_id(db, curator.id), "curator", dataset_id=ds_id)
        sub = privacy.submit(rt, db, dataset="people", email="p@example.net", what="me", address="198.51.100.3")
    with rt.session() as db:
        privacy.prove(rt, db, link_token(last_mail(rt, "p@example.net", "removal-prove").text_body, "prove"))
    return {"curator": curator.email, "request_id": sub.request.id}


def _search(client, page, photo: bytes, name="me.jpg"):
    return client.post(
        f"{page}/photo-search",
        data={"csrf_token": csrf(client, page)},
        files={"photo": (name, photo, "image/jpeg")},
        follow_redirects=True,
    )


def test_a_curator_searches_by_face_from_the_request_page(rt, client, desk):
    log_in(client, desk["curator"])
    page = f"/privacy/requests/{desk['request_id']}"
    assert "Search with another photo" in client.get(page).text
    found = _search(client, page, selfie("astronaut"))
    assert found.status_code == 200 and "1 face found in the photo. 2 files found." in found.text
    assert sorted(re.findall(r"(astronaut/a\d\.jpg)</label>", found.text)) == ["astronaut/a1.jpg", "astronaut/a2.jpg"]
    assert "grace/" not in found.text and "face · 0.9" in found.text
    nobody = _search(client, page, png(background(9, (640, 480))), "field.png")
    assert "No face found in this photo" in nobody.text
    bad = _search(client, page, b"not a photo at all")
    assert bad.status_code == 422 and "not an image" in bad.text


def test_the_cli_searches_with_a_photo(rt, desk, tmp_path, capsys):
    photo = tmp_path / "selfie.jpg"
    photo.write_bytes(selfie("grace"))
    cli.use_runtime(rt)
    try:
        rid = str(desk["request_id"])
        assert run("privacy", "search", rid, "--photo", str(photo), "--as", desk["curator"]) == 0
        said = capsys.readouterr().out
        assert "1 face(s) in the photo; 2 file(s) found" in said and "grace/g1.jpg" in said
        assert run("privacy", "search", rid, "--their-photo", "--as", desk["curator"]) == 2  # none was sent
        assert run("privacy", "search", rid, "--photo", str(tmp_path / "missing.jpg"), "--as", desk["curator"]) == 2
    finally:
        cli.use_runtime(None)
