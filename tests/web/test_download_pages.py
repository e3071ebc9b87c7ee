"""The download page (files, shards, manifest, commands, or why not) and the curators' revoke form."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest

from accord.catalog import service as catalog
from accord.db import unit_of_work
from accord.delivery import service as delivery
from accord.entitlements import service as entitlements
from accord.entitlements.models import Entitlement
from accord.http.deps import SESSION_COOKIE
from accord.identity import service as identity
from accord.policy import service as policies
from accord.policy.io import seed
from accord.web.routes import downloads
from tests.identity.helpers import session_csrf
from tests.jobs.catalogue import published_dataset

PASSWORD = "a long test passphrase"


@pytest.fixture
def world(rt, tmp_path):
    ds, version = published_dataset(rt, tmp_path, "faces", title="Faces", count=4, previews=2)
    with rt.session() as db:
        policies.set_policy(db, ds.id, seed("shhq"), actor="cli")
        users = {
            name: identity.create_user(
                db, email=f"{name}@example.org", name=name.title(), password=PASSWORD, roles=roles, actor="cli"
            )
            for name, roles in (("lee", []), ("stranger", []), ("cora", ["curator"]))
        }
        with unit_of_work(db):
            grant = entitlements.grant(
                db,
                dataset_id=ds.id,
                user_id=users["lee"].id,
                policy_version=1,
                actor="cli",
                unit="Vision Lab, Example University",
            )
        items = {i.path: i.sha256 for i in catalog.list_items(db, version.id, offset=0, limit=100)}
    return SimpleNamespace(ds=ds, version=version, users=users, grant_id=grant.id, items=items)


def as_user(client, rt, user) -> None:
    with rt.session() as db:
        client.cookies.set(SESSION_COOKIE, identity.start_session(db, user, ttl=timedelta(hours=1)))


def grant_row(rt, grant_id) -> Entitlement:
    with rt.session() as db:
        return db.get(Entitlement, grant_id)


def revoke(client, world, *, reason="breach of clause 4", csrf=None):
    return client.post(
        f"/admin/datasets/faces/access/{world.grant_id}/revoke",
        data={"csrf_token": csrf or session_csrf(client), "reason": reason},
        follow_redirects=False,
    )


def test_a_licensee_sees_every_file_the_shards_the_manifest_and_ready_commands(client, rt, world):
    as_user(client, rt, world.users["lee"])
    page = client.get("/datasets/faces/download")
    assert page.status_code == 200
    for path in world.items:
        assert path in page.text
    assert "accord download faces --server http://testserver --token &lt;your token&gt;" in page.text
    assert re.search(r"curl -C - -o faces-1\.0-0000\.tar 'http://testserver/dl/[^']+/faces-1\.0-0000\.tar'", page.text)
    assert re.search(r"aria2c -x16 'http://testserver/dl/[^']+'", page.text)
    assert ">Manifest (JSON Lines)</a>" in page.text and ">SHA256SUMS</a>" in page.text
    assert "Vision Lab, Example University" in page.text

    # A file link on the page serves that file's bytes.
    path, sha = next(iter(world.items.items()))
    href = re.search(rf'<a href="(/dl/[^"]+)">{re.escape(path)}</a>', page.text).group(1)
    body = client.get(href)
    assert body.status_code == 200 and hashlib.sha256(body.content).hexdigest() == sha
    sums = client.get(re.search(r'<a href="(/dl/[^"]+)">SHA256SUMS</a>', page.text).group(1))
    assert sums.text.count("\n") == len(world.items) and f"{sha}  {path}\n" in sums.text


def rows(page: str) -> list[str]:
    """The file paths in the page's file table, in order."""
    table = page.split('<table class="files">', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<th scope="row"><a href="/dl/[^"]+">([^<]+)</a></th>', table)


def test_a_large_version_is_listed_a_page_at_a_time_after_the_one_command_and_the_shards(client, rt, tmp_path):
    ds, version = published_dataset(rt, tmp_path, "crowd", title="Crowd", count=450, previews=0)
    with rt.session() as db:
        policies.set_policy(db, ds.id, seed("shhq"), actor="cli")
        lee = identity.create_user(db, email="lee@example.org", name="Lee", password=PASSWORD, actor="cli")
        with unit_of_work(db):
            entitlements.grant(db, dataset_id=ds.id, user_id=lee.id, policy_version=1, actor="cli")
        paths = [i.path for i in catalog.list_items(db, version.id, limit=1000)]
    assert len(paths) == 450
    as_user(client, rt, lee)
    first = client.get("/datasets/crowd/download")
    assert rows(first.text) == paths[: downloads.PER_PAGE]
    assert "1–100 of 450" in first.text and "Page 1 of 5" in first.text
    assert 'href="?version=1.0&amp;per_page=100&amp;page=2" rel="next"' in first.text and 'rel="prev"' not in first.text
    # The page leads with the one command and the shards; the file list comes last.
    text = first.text
    assert text.index('id="one-command"') < text.index('id="shards-h"') < text.index('id="files-h"')
    second = client.get("/datasets/crowd/download?version=1.0&per_page=100&page=2")
    assert rows(second.text) == paths[100:200] and "101–200 of 450" in second.text
    assert 'page=1" rel="prev"' in second.text and 'page=3" rel="next"' in second.text
    last = client.get("/datasets/crowd/download?per_page=250&page=2")
    assert rows(last.text) == paths[250:] and "Page 2 of 2" in last.text and 'rel="next"' not in last.text
    beyond = client.get("/datasets/crowd/download?page=99")  # past the end: the last page
    assert rows(beyond.text) == paths[400:] and "Page 5 of 5" in beyond.text
    too_many = client.get(f"/datasets/crowd/download?per_page={downloads.MAX_PER_PAGE + 1}")
    assert too_many.status_code == 422 and "per_page" in too_many.text and "/dl/" not in too_many.text


def test_the_dataset_page_links_to_the_download_page_only_for_a_licensee(client, rt, world):
    as_user(client, rt, world.users["lee"])
    assert 'href="/datasets/faces/download"' in client.get("/datasets/faces").text
    as_user(client, rt, world.users["stranger"])
    assert 'href="/datasets/faces/download"' not in client.get("/datasets/faces").text


def test_a_stranger_is_told_why_not_instead_of_a_bare_refusal(client, rt, world):
    as_user(client, rt, world.users["stranger"])
    page = client.get("/datasets/faces/download")
    assert page.status_code == 403
    assert "You have no access to this dataset; apply for it on the dataset page." in page.text
    assert "/dl/" not in page.text


def test_an_unknown_version_is_not_found(client, rt, world):
    as_user(client, rt, world.users["lee"])
    assert client.get("/datasets/faces/download?version=9.9").status_code == 404


def test_when_the_terms_changed_the_page_links_to_accepting_them(client, rt, world):
    with rt.session() as db:
        policies.set_policy(db, world.ds.id, seed("llvip"), actor="cli")
    as_user(client, rt, world.users["lee"])
    page = client.get("/datasets/faces/download")
    assert page.status_code == 403
    assert "The terms changed (version 1 → 2)" in page.text
    assert 'href="/datasets/faces/terms/accept"' in page.text
    assert "Accept version 2" in client.get("/datasets/faces/terms/accept").text


def test_the_admin_page_lists_who_has_access(client, rt, world):
    as_user(client, rt, world.users["cora"])
    page = client.get("/admin/datasets/faces")
    assert "Who has access" in page.text and "lee@example.org" in page.text
    assert "Vision Lab, Example University" in page.text
    assert f'action="/admin/datasets/faces/access/{world.grant_id}/revoke"' in page.text


def test_a_curator_revokes_and_the_licensee_page_shows_the_reason(client, rt, world):
    as_user(client, rt, world.users["lee"])
    link = re.search(r'<a href="(/dl/[^"]+)">', client.get("/datasets/faces/download").text).group(1)
    as_user(client, rt, world.users["cora"])
    answer = revoke(client, world)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/admin/datasets/faces?note=revoked")
    admin = client.get(answer.headers["location"])
    assert "Access revoked." in admin.text and "breach of clause 4" in admin.text and ">revoked</span>" in admin.text
    assert f"/access/{world.grant_id}/revoke" not in admin.text  # nothing left to revoke

    as_user(client, rt, world.users["lee"])
    page = client.get("/datasets/faces/download")
    assert page.status_code == 403 and "breach of clause 4" in page.text and "/dl/" not in page.text
    delivery.state(rt).revocations.refresh()  # what the link server learns within seconds
    assert client.get(link).status_code == 403


def test_revoking_without_a_reason_is_refused_and_changes_nothing(client, rt, world):
    as_user(client, rt, world.users["cora"])
    answer = revoke(client, world, reason="  ")
    assert answer.status_code == 422 and "say why access ends" in answer.text
    assert grant_row(rt, world.grant_id).revoked_at is None


def test_a_licensee_cannot_revoke_a_grant(client, rt, world):
    as_user(client, rt, world.users["lee"])
    assert revoke(client, world).status_code == 403
    assert grant_row(rt, world.grant_id).revoked_at is None


def test_a_forged_csrf_token_is_refused_and_changes_nothing(client, rt, world):
    as_user(client, rt, world.users["cora"])
    assert revoke(client, world, csrf="forged").status_code == 403
    assert grant_row(rt, world.grant_id).revoked_at is None
