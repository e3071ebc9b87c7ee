"""A person's own record (GDPR Art. 15): everything held about them, and nothing about anyone else, by any route."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.access import service as access
from accord.db import unit_of_work
from accord.entitlements import service as entitlements
from accord.identity import service as identity
from accord.notify import service as notify
from accord.privacy import service as privacy
from accord.privacy.models import DeletionNotice
from accord.record import service as record
from tests.identity.helpers import api_token, log_in, make_user
from tests.privacy.world import downloaded, make_world, proven_request
from tests.training.helpers import dataset_needing_training, upload


@pytest.fixture
def two(db_rt, tmp_path):
    """Ana and Ben hold grants of `faces` and downloaded different files; Ben, also one of its subjects, asked for
    his pictures to be removed and the curator did so (a deletion notice to each); both applied for `at-ustc`
    with a certificate of their own. Ana curates `faces` too, so she got the curators' mail about Ben's request."""
    rt = db_rt
    world = make_world(rt, tmp_path, count=4, licensees=2)
    ana, ben = world.licensees.values()
    with rt.session() as db:
        identity.grant_role(db, identity.user_by_id(db, ana.id), "curator", dataset_id=world.dataset_id)
    downloaded(rt, world, ana, [p for p in world.items if p.startswith("subject-00/")])
    downloaded(rt, world, ben, [p for p in world.items if p.startswith("subject-01/")][:1])
    sub = proven_request(rt, world, email=ben.email, labels=("00",))
    training_ds = dataset_needing_training(rt, tmp_path)
    with rt.session() as db:
        found = privacy.search(db, sub.request.id, actor=world.curator)
        privacy.select_matches(db, sub.request.id, {m.match.item_id for m in found}, actor=world.curator)
        privacy.accept(rt, db, sub.request.id, actor=world.curator)
        apps = {}
        for user, course in ((ana, "Ana's ethics course"), (ben, "Ben's ethics course")):
            person = identity.user_by_id(db, user.id)
            apps[user.email] = access.start(db, training_ds.slug, actor=person).id
            upload(rt, db, person, application_id=apps[user.email], course=course)
        notices = {n.user_id: n.id for n in db.scalars(select(DeletionNotice))}
    return {"rt": rt, "world": world, "ana": ana, "ben": ben, "apps": apps, "notices": notices, "request": sub}


def record_of(rt, user):
    with rt.session() as db:
        return record.of(db, identity.user_by_id(db, user.id))


def test_each_licensee_finds_all_of_their_own_record(two):
    rt, ana, ben = two["rt"], two["ana"], two["ben"]
    mine = record_of(rt, ben)
    assert mine.account.email == ben.email and mine.address_confirmed
    assert {a.dataset for a in mine.applications} == {"at-ustc"} and mine.applications[0].status == "draft"
    assert [(g.dataset, g.state.state) for g in mine.grants] == [("faces", "active")]
    assert [(d.dataset, d.version, d.responses) for d in mine.downloads_by_version] == [("faces", "1.0", 1)]
    assert len(mine.downloads) == 1 and mine.downloads[0].object.startswith("item:")
    assert [(n.id, n.kind) for n in mine.deletion_notices] == [(two["notices"][ben.id], "changed")]
    assert [(r.dataset, r.status, r.what) for r in mine.removal_requests] == [("faces", "done", "every picture of me")]
    assert [c.course for c in mine.training_certificates] == ["Ben's ethics course"]
    templates = {m.template for m in mine.mail}
    assert {"removal-prove", "removal-received", "removal-decided", "removal-changed"} <= templates
    assert "user.created" in {e.action for e in mine.account_history}
    hers = record_of(rt, ana)
    assert [(n.id, n.kind) for n in hers.deletion_notices] == [(two["notices"][ana.id], "delete")]
    assert hers.downloads_by_version[0].responses == 2 and hers.removal_requests == []
    assert "curator of faces" in hers.account.roles


def test_no_record_holds_anything_of_the_other_licensee(two):
    rt, ana, ben = two["rt"], two["ana"], two["ben"]
    hers = record_of(rt, ana).model_dump_json()
    his = record_of(rt, ben).model_dump_json()
    for theirs, text in ((ben, hers), (ana, his)):
        assert theirs.email not in text and theirs.name not in text
    assert "Ben's ethics course" not in hers and "Ana's ethics course" not in his
    assert "every picture of me" not in hers  # Ben's request: the curators' mail to Ana says it came, no more
    to_review = [m for m in record_of(rt, ana).mail if m.template == "removal-to-review"]
    assert to_review and all(m.subject is None and m.text is None for m in to_review)
    seen = record_of(rt, ana)
    assert two["apps"][ben.email] not in {a.id for a in seen.applications}
    assert two["notices"][ben.id] not in {n.id for n in seen.deletion_notices}


def test_what_an_address_received_waits_until_the_address_is_confirmed(db_rt, tmp_path):
    """Someone who registers with a data subject's address, without confirming it, learns nothing of them."""
    world = make_world(db_rt, tmp_path, count=2)
    proven_request(db_rt, world, email="person@example.net", labels=("00",))
    squatter = make_user(db_rt, "person@example.net", verified=False)
    early = record_of(db_rt, squatter)
    assert not early.address_confirmed and early.mail == [] and early.removal_requests == []
    with db_rt.session() as db, unit_of_work(db):
        identity.user_by_id(db, squatter.id).email_verified_at = early.generated_at  # confirmed: it is theirs
    later = record_of(db_rt, squatter)
    assert [r.what for r in later.removal_requests] == ["every picture of me"]
    assert {"removal-prove", "removal-received"} <= {m.template for m in later.mail}


def test_an_unproven_request_is_not_in_the_addresses_record(db_rt, tmp_path):
    world = make_world(db_rt, tmp_path, count=2)
    with db_rt.session() as db:
        privacy.submit(
            db_rt, db, dataset=world.slug, email="li@example.net", what="typed by anyone", address="192.0.2.1"
        )
    owner = make_user(db_rt, "li@example.net")
    assert record_of(db_rt, owner).removal_requests == []


@pytest.fixture
def web(two):
    from accord.web.app import create_app

    with TestClient(create_app(two["rt"]), base_url="http://testserver") as c:
        yield c


def test_the_page_the_download_and_the_api_give_the_same_own_record(web, two):
    rt, ana, ben = two["rt"], two["ana"], two["ben"]
    log_in(web, ben.email)
    page = web.get("/account/record")
    assert page.status_code == 200 and 'id="record-json"' in page.text and "Ben&#39;s ethics course" in page.text
    assert ana.email not in page.text and "Ana&#39;s ethics course" not in page.text
    assert f'href="/privacy/notices/{two["notices"][ben.id]}"' in page.text
    assert 'href="/account/record"' in web.get("/account").text
    download = web.get("/account/record.json")
    assert download.headers["content-disposition"].startswith('attachment; filename="accord-record-')
    body = download.json()
    assert body["account"]["email"] == ben.email and ana.email not in download.text
    token = {"Authorization": f"Bearer {api_token(rt, ana.email)}"}
    api = web.get("/api/v1/me/record", headers=token).json()
    assert api["account"]["email"] == ana.email and ben.email not in json.dumps(api)
    assert {a["id"] for a in api["applications"]} == {two["apps"][ana.email]}


def test_no_route_gives_another_persons_record(web, two):
    rt, ana, ben = two["rt"], two["ana"], two["ben"]
    token = {"Authorization": f"Bearer {api_token(rt, ana.email)}"}
    for asked in ({"user_id": ben.id}, {"email": ben.email}, {"user": ben.email}):
        got = web.get("/api/v1/me/record", params=asked, headers=token)
        assert got.status_code == 200 and got.json()["account"]["email"] == ana.email
        assert ben.email not in got.text
    log_in(web, ana.email)
    for path in (f"/account/record?user_id={ben.id}", f"/account/record.json?email={ben.email}"):
        got = web.get(path)
        assert got.status_code == 200 and ben.email not in got.text
    web.cookies.clear()
    assert web.get("/api/v1/me/record").status_code == 401
    assert web.get("/account/record", follow_redirects=False).headers["location"].startswith("/login")
    assert web.get("/account/record.json", follow_redirects=False).headers["location"].startswith("/login")


def test_a_later_domain_adds_its_section_through_the_hook(two, monkeypatch):
    from accord import plugins
    from accord.record.schemas import Section

    def requests(db, user):
        return Section(key="approvals", title="Approval requests", rows=[{"asked": "modify", "by": user.email}])

    monkeypatch.setattr(plugins, "provided", lambda hook: (requests,) if hook == "record.sections" else ())
    mine = record_of(two["rt"], two["ana"])
    assert [(s.key, s.rows) for s in mine.more] == [("approvals", [{"asked": "modify", "by": two["ana"].email}])]


def test_mail_to_someone_else_is_not_in_the_record(db_rt):
    ana = make_user(db_rt, "ana@lab.example")
    with db_rt.session() as db, unit_of_work(db):
        for to, link in (("ANA@lab.example", "http://x/1"), ("anna@lab.example", "http://x/2")):
            notify.enqueue(db, "verify-email", to=to, name="A", email=to, link=link, valid_days=3, site="x")
    mail = record_of(db_rt, ana).mail
    assert [m.text.count("http://x/1") for m in mail if m.template == "verify-email"] == [1]


def test_requests_for_approval_derivatives_and_papers_are_each_their_own(two, web, tmp_path):
    from accord.obligations import service as obligations
    from tests.obligations.helpers import dataset_under

    rt, ana, ben = two["rt"], two["ana"], two["ben"]
    cion, _, _ = dataset_under(rt, tmp_path, "cion-al")
    with rt.session() as db:
        with unit_of_work(db):
            for user in (ana, ben):
                entitlements.grant(db, dataset_id=cion.id, user_id=user.id, policy_version=1, actor=None)
        her = identity.user_by_id(db, ana.id)
        obligations.ask_approval(
            db,
            cion.slug,
            actor=her,
            kind="redistribute",
            description="Ana's plan: share the crops with our partner",
            party_name="Partner Lab",
            party_email="partner@other.example",
        )
        obligations.declare_derivative(
            db, "faces", actor=her, kind="annotations", title="Ana's boxes", relation="bounding boxes on every image"
        )
        obligations.register_publication(
            db, "faces", actor=identity.user_by_id(db, ben.id), title="Ben's paper", doi_="10.1234/ben.1"
        )
    hers, his = record_of(rt, ana), record_of(rt, ben)
    assert [(a.dataset, a.kind, a.status) for a in hers.approval_requests] == [("cion-al", "redistribute", "pending")]
    assert [d.title for d in hers.derivatives] == ["Ana's boxes"] and hers.publications == []
    assert [(p.title, p.doi) for p in his.publications] == [("Ben's paper", "10.1234/ben.1")]
    assert his.approval_requests == [] and his.derivatives == []
    assert "partner@other.example" not in hers.model_dump_json()  # the named party's address is theirs
    assert "Ana's plan" not in his.model_dump_json() and "Ben's paper" not in hers.model_dump_json()
    log_in(web, ana.email)
    page = web.get("/account/record").text
    assert 'id="record-approvals"' in page and "Ana&#39;s boxes" in page and "Ben&#39;s paper" not in page
