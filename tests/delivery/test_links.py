import pytest

from accord.delivery import links

SECRET = "s" * 40
LINK = links.Link(user_id=5, grant_id=9, object="item:" + "a" * 64, expires=1_000)


def test_a_fresh_link_checks_out():
    token = links.sign(SECRET, LINK)
    assert links.check(SECRET, token, object=LINK.object, now=999, user_id=5) == LINK


def test_an_altered_link_is_refused():
    token = links.sign(SECRET, LINK)
    forged = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(links.LinkInvalid):
        links.check(SECRET, forged, object=LINK.object, now=0)


def test_a_link_signed_with_another_secret_is_refused():
    with pytest.raises(links.LinkInvalid):
        links.check(SECRET, links.sign("x" * 40, LINK), object=LINK.object, now=0)


def test_a_link_for_another_object_is_refused():
    with pytest.raises(links.LinkInvalid, match="another file"):
        links.check(SECRET, links.sign(SECRET, LINK), object="item:" + "b" * 64, now=0)


def test_an_expired_link_is_refused():
    with pytest.raises(links.LinkExpired):
        links.check(SECRET, links.sign(SECRET, LINK), object=LINK.object, now=1_000)


def test_a_link_used_by_another_account_is_refused():
    with pytest.raises(links.LinkForeign):
        links.check(SECRET, links.sign(SECRET, LINK), object=LINK.object, now=0, user_id=6)


def test_a_revoked_grant_stops_a_live_link():
    with pytest.raises(links.GrantRevoked):
        links.check(SECRET, links.sign(SECRET, LINK), object=LINK.object, now=0, revoked=lambda g: g == 9)


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "W10.xyz"])
def test_garbage_tokens_are_refused(token):
    with pytest.raises(links.LinkInvalid):
        links.check(SECRET, token, object=LINK.object, now=0)


SITE = links.Link(
    user_id=5, grant_id=9, object="item:" + "a" * 64, expires=1_000, dataset_id=3, terms=2, networks=("10.0.0.0/8",)
)


def test_a_link_carries_its_grants_terms_and_site_and_is_paused_by_newer_terms():
    token = links.sign(SECRET, SITE)
    assert links.check(SECRET, token, object=SITE.object, now=0, address="10.1.2.3", terms_now={3: 2}.get) == SITE
    with pytest.raises(links.TermsChanged) as refused:
        links.check(SECRET, token, object=SITE.object, now=0, address="10.1.2.3", terms_now={3: 3}.get)
    assert refused.value.link == SITE and refused.value.details["code"] == "terms_changed"


@pytest.mark.parametrize("address", ["192.168.1.5", "", "testclient", None])
def test_a_site_licence_link_is_refused_outside_the_sites_networks(address):
    with pytest.raises(links.OutsideNetwork):
        links.check(SECRET, links.sign(SECRET, SITE), object=SITE.object, now=0, address=address)


def test_a_link_from_before_links_carried_terms_still_checks_out():
    from itsdangerous import URLSafeSerializer

    old = URLSafeSerializer(SECRET, salt=links.SALT).dumps([5, 9, LINK.object, 1_000])
    assert links.check(SECRET, old, object=LINK.object, now=0, terms_now=lambda _d: 7) == LINK


def test_a_link_stops_at_the_moment_its_grant_stops_counting_not_a_moment_before():
    ends = links.Link(user_id=5, grant_id=9, object="item:" + "a" * 64, expires=1_000, until=900.25)
    token = links.sign(SECRET, ends)
    assert links.check(SECRET, token, object=ends.object, now=900.24) == ends
    for now in (900.25, 999):
        with pytest.raises(links.GrantEnded) as refused:
            links.check(SECRET, token, object=ends.object, now=now)
        assert refused.value.link == ends and refused.value.details["code"] == "ended"


def test_a_link_from_before_links_carried_their_grants_end_still_checks_out():
    from itsdangerous import URLSafeSerializer

    old = URLSafeSerializer(SECRET, salt=links.SALT).dumps([5, 9, SITE.object, 1_000, 3, 2, ["10.0.0.0/8"]])
    assert links.check(SECRET, old, object=SITE.object, now=999, address="10.1.2.3") == SITE
