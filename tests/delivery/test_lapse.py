"""A download link stops the moment its grant stops counting, with the grant's reason: when the training
certificate its terms need runs out, and when the grant itself expires. The link carries that moment, so serving
it before then still asks the database nothing. The clock is moved by passing `now`, as elsewhere."""

from __future__ import annotations

import math
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import event

from accord.catalog import service as catalog
from accord.db import utcnow
from accord.delivery import links
from accord.delivery import service as delivery
from accord.entitlements import service as entitlements
from accord.identity import service as identity
from accord.policy import service as policies
from accord.policy.io import seed
from accord.training import service as training
from accord.training.models import TrainingCertificate
from tests.delivery.world import SMALL, make_world, sha
from tests.training.helpers import TRAINING, days, person, upload

JSON = {"Accept": "application/json"}


@pytest.fixture
def world(rt, tmp_path):
    """The delivery world, its terms now asking for training (accepted by the licensee, as if granted two days
    ago), and a reviewer of the dataset."""
    world = make_world(rt, tmp_path)
    with rt.session() as db:
        grant = entitlements.get(db, world.grant_id)
        policies.set_policy(db, grant.dataset_id, seed("llvip").model_copy(update={"training": TRAINING}), actor="cli")
        entitlements.reaccept(db, world.grant_id, actor=identity.user_by_id(db, world.licensee_id), version=2)
        grant = entitlements.get(db, world.grant_id)
        grant.starts_at = utcnow() - timedelta(days=2)
        db.commit()
        person(db, "rev@faces.example", reviewer_of=catalog.dataset_by_id(db, grant.dataset_id))
    return world


def certified(rt, world, *, expires_in: int) -> TrainingCertificate:
    """The licensee uploads a certificate running out in `expires_in` days and the reviewer accepts it."""
    with rt.session() as db:
        licensee = identity.user_by_id(db, world.licensee_id)
        cert = upload(rt, db, licensee, dataset_slug=world.slug, expires_in=expires_in)
        return training.accept(db, cert.id, actor=identity.user_by_email(db, "rev@faces.example"))


def small_link(rt, world, *, now: datetime) -> str:
    """The token of the small file's link, from the licensee's listing at `now`."""
    with rt.session() as db:
        listed = delivery.listing(rt, db, identity.user_by_id(db, world.licensee_id), world.slug, world.label, now=now)
    url = next(f.url for f in listed.files if f.path == "a/small.txt")
    return url.split("/")[2]


def midnight(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def test_a_link_issued_just_before_the_certificate_runs_out_stops_with_it_and_says_why(rt, world):
    certified(rt, world, expires_in=1)
    end = midnight(days(1))  # the certificate counts through today, UTC
    token = small_link(rt, world, now=end - timedelta(minutes=5))  # links live 15 minutes
    link = links.check(rt.secret, token, object=f"item:{world.version_id}:{sha(SMALL)}", now=0)
    assert link.until == end.timestamp() and link.expires == end.timestamp()

    delivery.resolve(rt, token, now=end.timestamp() - 60)  # warm the revocation cache
    st = delivery.state(rt)
    st.revocations.interval = 3600.0
    statements = []
    event.listen(rt.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    assert delivery.resolve(rt, token, now=end.timestamp() - 0.001).link == link
    assert statements == []  # still served without asking the database

    for moment in (end.timestamp(), end.timestamp() + 1, end.timestamp() + 3600):
        with pytest.raises(links.GrantEnded) as refused:
            delivery.resolve(rt, token, now=moment)
        assert refused.value.details["code"] == "ended"
        assert refused.value.message == (
            f"your access is paused: your training certificate expired on {days(1)}; "
            f"upload a new one on the download page, /datasets/{world.slug}/download"
        )
    with rt.session() as db:  # the same words the listing gives from that moment
        listed = entitlements.check(db, identity.user_by_id(db, world.licensee_id), link.dataset_id, at=end)
    assert not listed.allowed and listed.reason == refused.value.message


def test_over_http_the_lapsed_link_is_refused_with_the_certificates_date_for_programs_and_curl(client, rt, world):
    cert = certified(rt, world, expires_in=1)
    with rt.session() as db:  # as if it had run out at midnight, and the link had been issued just before
        row = db.get(TrainingCertificate, cert.id)
        row.expires_on = days(0)
        db.commit()
    token = small_link(rt, world, now=midnight(days(0)) - timedelta(minutes=1))
    refused = client.get(f"/dl/{token}", headers=JSON)
    assert refused.status_code == 403 and refused.json()["code"] == "ended"
    assert f"your training certificate expired on {days(0)}" in refused.json()["detail"]
    assert f"/datasets/{world.slug}/download" in refused.json()["detail"]
    plain = client.get(f"/dl/{token}/small.txt", headers={"Accept": "*/*"})
    assert plain.status_code == 403 and plain.headers["x-accord-refusal"] == "ended"
    assert f"expired on {days(0)}" in plain.text


def test_a_renewed_certificate_means_a_fresh_link_not_the_old_one(rt, world):
    certified(rt, world, expires_in=1)
    end = midnight(days(1))
    old = small_link(rt, world, now=end - timedelta(minutes=5))
    certified(rt, world, expires_in=300)
    later = end + timedelta(minutes=1)
    with pytest.raises(links.LinkExpired):  # the client fetches a fresh listing
        delivery.resolve(rt, old, now=later.timestamp())
    fresh = small_link(rt, world, now=later)
    assert delivery.resolve(rt, fresh, now=later.timestamp()).link.until == midnight(days(300)).timestamp()


def test_the_grants_own_expiry_refuses_exactly_on_time_with_its_date(rt, world):
    certified(rt, world, expires_in=300)
    expires_at = utcnow() + timedelta(minutes=10, microseconds=345_678)  # not on a whole second
    with rt.session() as db:
        entitlements.get(db, world.grant_id).expires_at = expires_at
        db.commit()
    now = expires_at - timedelta(minutes=5)
    token = small_link(rt, world, now=now)
    link = links.check(rt.secret, token, object=f"item:{world.version_id}:{sha(SMALL)}", now=0)
    assert link.until == expires_at.timestamp() and link.expires == math.ceil(expires_at.timestamp())
    assert delivery.resolve(rt, token, now=expires_at.timestamp() - 0.001).link == link
    for moment in (expires_at.timestamp(), link.expires, expires_at.timestamp() + 3600):
        with pytest.raises(links.GrantEnded) as refused:
            delivery.resolve(rt, token, now=moment)
        assert refused.value.details["code"] == "ended"
        assert refused.value.message == (
            f"your access expired on {expires_at:%Y-%m-%d}; renew it from the dataset page"
        )


def test_without_an_end_in_sight_a_link_carries_none_and_lives_its_usual_time(rt, tmp_path):
    world = make_world(rt, tmp_path)  # seed terms: no expiry, no training
    now = utcnow()
    token = small_link(rt, world, now=now)
    link = links.check(rt.secret, token, object=f"item:{world.version_id}:{sha(SMALL)}", now=0)
    assert link.until is None and link.expires == math.ceil((now + rt.settings.link_ttl).timestamp())
