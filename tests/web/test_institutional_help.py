"""When the institutional e-mail check fails, the applicant's page says what they can do, with links: apply from
an institutional address, ask their institution's signatory, contact the custodian. Reviewers see the check only;
an address at a registered organisation passes and sees no such help."""

from __future__ import annotations

from datetime import timedelta

from accord.access import service as access
from accord.catalog import service as catalog
from accord.http.deps import SESSION_COOKIE
from accord.identity import organisations
from accord.identity import service as identity
from tests.access.helpers import SIGNATORY, answers, dataset_with_terms, person


def _submitted(rt, email, reviewer_of=None):
    with rt.session() as db:
        user = person(db, email)
        record = access.start(db, "cion-al", actor=user, answers=answers("cion-al", email), signatory=SIGNATORY)
        access.sign(rt, db, record.id, actor=user, full_name="Ana Lima", consent=True)
        access.submit(db, record.id, actor=user, base_url=rt.settings.base_url)
        return record.id, identity.start_session(db, user, ttl=timedelta(hours=1))


def _page(client, token, app_id):
    client.cookies.set(SESSION_COOKIE, token)
    return client.get(f"/applications/{app_id}").text


def test_a_free_mail_applicant_is_shown_the_ways_on_with_links(client, rt, tmp_path):
    ds = dataset_with_terms(rt, tmp_path, "cion-al")
    with rt.session() as db:
        catalog.update_dataset(
            db, ds.id, actor="cli", custodian_short="HUST", custodian_contact="cion-al-creators@example.org"
        )
    app_id, token = _submitted(rt, "fran@gmail.example")
    page = _page(client, token, app_id)
    assert 'id="institutional-help"' in page
    assert '<a href="/register">Create an account with it</a>' in page
    assert f'href="mailto:{SIGNATORY["email"]}?subject=' in page and SIGNATORY["name"] in page
    assert '<a href="mailto:cion-al-creators@example.org">HUST</a>' in page
    assert "accord applications" not in page  # links, not a command
    with rt.session() as db:
        reviewer = person(db, "rev@hust.edu.cn", reviewer_of=ds)
        client.cookies.set(SESSION_COOKIE, identity.start_session(db, reviewer, ttl=timedelta(hours=1)))
    review = client.get(f"/review/{app_id}").text
    assert "institutional email" in review and 'id="institutional-help"' not in review


def test_an_address_at_a_registered_organisation_passes_and_sees_no_help(client, rt, tmp_path):
    dataset_with_terms(rt, tmp_path, "cion-al")
    with rt.session() as db:
        organisations.register(db, name="Example Research Institute", domain="example.org", actor="cli")
    app_id, token = _submitted(rt, "researcher@example.org")
    page = _page(client, token, app_id)
    assert 'id="institutional-help"' not in page
    assert "example.org is a registered organisation domain" in page
