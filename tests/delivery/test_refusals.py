"""A refused download link says why, in the grant's own words: revoked (with the curator's reason), expired (the
date), paused for new terms (where to accept them), outside the site's networks. JSON for programs, plain text
for curl/wget, and `accord download` prints it and exits non-zero. The reason is looked up only when refusing."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from sqlalchemy import event

from accord.cli import main as cli
from accord.db import utcnow
from accord.delivery import links
from accord.delivery import service as delivery
from accord.delivery.links import Link
from accord.entitlements import service as entitlements
from accord.identity import service as identity
from accord.policy import service as policies
from accord.policy.io import seed
from accord.web.app import create_app
from tests.delivery.world import SMALL, make_world, sha
from tests.live import serving

JSON = {"Accept": "application/json"}


@pytest.fixture
def world(rt, tmp_path):
    return make_world(rt, tmp_path)


def _listing(client, world) -> dict:
    response = client.get(
        f"/api/v1/datasets/{world.slug}/versions/{world.label}/files",
        headers={"Authorization": f"Bearer {world.token}"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def _small(listing: dict) -> str:
    return next(f["url"] for f in listing["files"] if f["path"] == "a/small.txt")


def _new_terms(rt, world) -> None:
    with rt.session() as db:
        ds_id = entitlements.get(db, world.grant_id).dataset_id
        policies.set_policy(db, ds_id, seed("llvip").model_copy(update={"access_days": 30}), actor="cli")


def test_a_revoked_grant_gives_plain_clients_the_curators_reason(client, rt, world):
    url = _small(_listing(client, world))
    with rt.session() as db:
        entitlements.revoke(db, world.grant_id, actor="cli", reason="consent withdrawn by a subject")
    delivery.state(rt).revocations.refresh()
    plain = client.get(url, headers={"Accept": "*/*"})  # as curl and wget ask
    assert plain.status_code == 403 and plain.headers["content-type"].startswith("text/plain")
    assert "consent withdrawn by a subject" in plain.text and plain.headers["x-accord-refusal"] == "revoked"
    page = client.get(url, headers={"Accept": "text/html"})
    assert page.status_code == 403 and "consent withdrawn by a subject" in page.text


def test_a_link_that_ran_out_with_its_grant_says_the_access_expired_and_when(client, rt, world):
    ended = (utcnow() - timedelta(minutes=1)).replace(microsecond=0)
    with rt.session() as db:
        entitlements.get(db, world.grant_id).expires_at = ended
        db.commit()
    # What the listing handed out before the grant ran out: a link that expires with it.
    token = links.sign(
        rt.secret,
        Link(
            world.licensee_id, world.grant_id, f"item:{world.version_id}:{sha(SMALL)}", int(ended.timestamp()), None, 1
        ),
    )
    response = client.get(f"/dl/{token}", headers=JSON)
    assert response.status_code == 403 and response.json()["code"] == "ended"
    assert f"your access expired on {ended:%Y-%m-%d}" in response.json()["detail"]


def test_an_expired_link_under_a_standing_grant_only_asks_for_a_fresh_link(client, rt, world):
    token = links.sign(
        rt.secret,
        Link(world.licensee_id, world.grant_id, f"item:{world.version_id}:{sha(SMALL)}", int(time.time()) - 1, None, 1),
    )
    response = client.get(f"/dl/{token}", headers=JSON)
    assert response.status_code == 403 and response.json()["code"] == "link_expired"
    assert "open the dataset page for a fresh one" in response.json()["detail"]


def test_new_terms_pause_a_live_link_until_accepted_and_the_refusal_links_to_them(client, rt, world):
    url = _small(_listing(client, world))
    assert client.get(url).status_code == 200
    _new_terms(rt, world)
    delivery.state(rt).revocations.refresh()  # the link server's next look, within seconds
    refused = client.get(url, headers=JSON)
    assert refused.status_code == 403
    body = refused.json()
    assert body["code"] == "terms_changed" and body["terms_url"] == "http://testserver/datasets/faces/terms/accept"
    assert "version 1 → 2" in body["detail"] and body["terms_url"] in body["detail"]
    plain = client.get(url, headers={"Accept": "*/*"})
    assert plain.status_code == 403 and "http://testserver/datasets/faces/terms/accept" in plain.text
    listing = client.get(
        f"/api/v1/datasets/{world.slug}/versions/{world.label}/files",
        headers={"Authorization": f"Bearer {world.token}"},
    )
    assert listing.status_code == 403 and listing.json()["terms_url"] == body["terms_url"]

    with rt.session() as db:
        entitlements.reaccept(db, world.grant_id, actor=identity.user_by_id(db, world.licensee_id), version=2)
    assert client.get(url).content == SMALL  # the older link: the refusal path finds the grant accepted, serves
    assert client.get(_small(_listing(client, world))).content == SMALL


def test_a_site_licence_link_is_refused_elsewhere_with_the_address(client, rt, world):
    with rt.session() as db:
        entitlements.get(db, world.grant_id).networks = ["10.0.0.0/8"]
        db.commit()
    obj = f"item:{world.version_id}:{sha(SMALL)}"
    token = links.sign(
        rt.secret, Link(world.licensee_id, world.grant_id, obj, int(time.time()) + 600, None, 1, ("10.0.0.0/8",))
    )
    response = client.get(f"/dl/{token}", headers=JSON)  # the test client's address is "testclient"
    assert response.status_code == 403 and response.json()["code"] == "network"
    assert "only from the site named in the application, not from testclient" in response.json()["detail"]
    target = delivery.resolve(rt, token, address="10.20.30.40")  # from inside the site's network
    assert target.link.grant_id == world.grant_id


def test_only_a_refusal_asks_the_database(client, rt, world):
    url = _small(_listing(client, world))
    client.get(url)  # warm up: the first look at revocations and terms
    delivery.state(rt).revocations.interval = 3600.0  # no periodic look falls inside what is measured
    statements = []
    event.listen(rt.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    for _ in range(5):
        assert client.get(url, headers={"Range": "bytes=0-9"}).status_code == 206
    assert statements == []
    _new_terms(rt, world)
    delivery.state(rt).revocations.refresh()
    statements.clear()
    assert client.get(url, headers=JSON).json()["code"] == "terms_changed"
    assert statements  # the reason was looked up, on the refusal path


# --- accord download, against a live server, when access ends in the middle of a run ----------------------


class CuratorActsMidDownload:
    """Test-only ASGI wrapper: before the first file's bytes are sent, `act` runs (a curator revokes, or new
    terms are set) and the link server learns it, as it would within seconds."""

    def __init__(self, app, rt, act):
        self.app, self.rt, self.act, self.done = app, rt, act, False

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "")
        if scope["type"] == "http" and path.startswith("/dl/") and not path.endswith(".jsonl") and not self.done:
            self.done = True
            await asyncio.to_thread(self._act)
        await self.app(scope, receive, send)

    def _act(self) -> None:
        self.act()
        delivery.state(self.rt).revocations.refresh()


def _run(*args) -> int:
    try:
        cli.main(list(args))
    except SystemExit as exc:
        return exc.code
    return 0


def _revoke(rt, world):
    with rt.session() as db:
        entitlements.revoke(db, world.grant_id, actor="cli", reason="the custodian terminated the licence")


@pytest.mark.parametrize(
    "act, words", [(_revoke, "the custodian terminated the licence"), (_new_terms, "/datasets/faces/terms/accept")]
)
def test_accord_download_stops_mid_run_with_the_reason_and_exit_code_4(rt, world, tmp_path, capsys, act, words):
    app = CuratorActsMidDownload(create_app(rt), rt, lambda: act(rt, world))
    with serving(app) as url:
        code = _run(
            "download",
            world.slug,
            "--to",
            str(tmp_path / "out"),
            "--server",
            url,
            "--token",
            world.token,
            "--workers",
            "1",
        )
    assert app.done  # the listing succeeded and the refusal came from a file link
    err = capsys.readouterr().err
    assert code == 4 and "access refused" in err and words in err.replace("\n", "")
