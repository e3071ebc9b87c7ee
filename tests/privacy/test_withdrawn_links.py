"""After a removal the old version is withdrawn: links issued before it stop working, with the reason, and no
new link is issued for it; the new version downloads as before."""

from __future__ import annotations

from accord.catalog import service as catalog
from accord.delivery import service as delivery
from accord.privacy import service as privacy
from tests.privacy.world import make_world, proven_request


def _remove_subject(rt, world, subject: str) -> None:
    sub = proven_request(rt, world, labels=(subject,))
    with rt.session() as db:
        found = privacy.search(db, sub.request.id, actor=world.curator)
        privacy.select_matches(db, sub.request.id, {m.match.item_id for m in found}, actor=world.curator)
        privacy.accept(rt, db, sub.request.id, actor=world.curator)


def test_a_link_issued_before_the_removal_is_refused_with_its_reason(rt, tmp_path, client):
    world = make_world(rt, tmp_path, count=4, licensees=1)
    user = next(iter(world.licensees.values()))
    with rt.session() as db:
        before = delivery.listing(rt, db, user, world.slug, "1.0")
    removed = next(f for f in before.files if f.path.startswith("subject-00/"))
    kept = next(f for f in before.files if f.path.startswith("subject-01/"))
    assert client.get(removed.url).status_code == 200  # the link works until the removal

    _remove_subject(rt, world, "00")
    delivery.state(rt).revocations.refresh()  # what the next look (every few seconds) would learn
    for link in (removed, kept):  # every file of the withdrawn version, not only the removed ones
        refused = client.get(link.url, headers={"Accept": "application/json"})
        assert refused.status_code == 403, link.path
        body = refused.json()
        assert body["code"] == "withdrawn" and privacy.REMOVED in body["detail"], body
    manifest = client.get(before.manifest_url, headers={"Accept": "application/json"})
    assert manifest.status_code == 403 and manifest.json()["code"] == "withdrawn"

    with rt.session() as db:
        try:
            delivery.listing(rt, db, user, world.slug, "1.0")
            raise AssertionError("a withdrawn version must not be listed")
        except Exception as exc:  # NotFound, saying why
            assert privacy.REMOVED in str(exc)
        new = catalog.latest_published(db, world.dataset_id)
        after = delivery.listing(rt, db, user, world.slug, new.label)
    assert {f.path for f in after.files} == {f.path for f in before.files if not f.path.startswith("subject-00/")}
    again = next(f for f in after.files if f.sha256 == kept.sha256)
    assert client.get(again.url).status_code == 200  # the same blob, through the new version
