"""The consent registry: CSV import (all or nothing, every bad line named), the scanned form, coverage of the
published version's labels, and withdrawal by the subject's private link opening a removal request."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from accord.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RateLimited, TooLarge
from accord.privacy import service as privacy
from accord.privacy.models import ConsentRecord, RemovalRequest
from tests.identity.helpers import make_user
from tests.privacy.consent_world import consent_csv, consent_world, face_jpeg, face_pdf, face_png
from tests.privacy.world import last_mail, link_token

GOOD = consent_csv(
    "AT-001,2021-03-04,images for face recognition research,one@example.net",
    "AT-002,2021-03-05,images for face recognition research,",
)


def _count(rt, model=ConsentRecord) -> int:
    with rt.session() as db:
        return db.scalar(select(func.count()).select_from(model))


def _import(rt, world, data=GOOD):
    with rt.session() as db:
        return privacy.import_csv(rt, db, world.dataset_id, data, actor=world.curator)


def _token(link: str) -> str:
    return link.rsplit("/", 1)[1]


def test_a_good_file_makes_a_record_per_subject_and_mails_the_link_where_an_address_is_given(db_rt, tmp_path):
    rt = db_rt
    world = consent_world(rt, tmp_path)
    report = _import(rt, world)
    assert (report.created, report.updated, report.emailed) == (2, 0, 1)
    assert [s for s, _link in report.links] == ["AT-001", "AT-002"]
    with rt.session() as db:
        rows = privacy.records(db, world.dataset_id, actor=world.curator)
        assert [(r.subject, r.consented_at.isoformat(), r.scope) for r in rows] == [
            ("AT-001", "2021-03-04", "images for face recognition research"),
            ("AT-002", "2021-03-05", "images for face recognition research"),
        ]
        secret = _token(report.links[0][1]).split(".", 1)[1]
        assert secret not in {r.withdraw_hash for r in rows}  # only the hash is kept
    mail = last_mail(rt, "one@example.net", "consent-link")
    assert _token(report.links[0][1]) in mail.text_body and "AT-001" in mail.text_body


@pytest.mark.parametrize(
    ("data", "lines"),
    [
        (consent_csv("AT-001,2021-03-04,research,", "AT-002,2021-13-01,research,"), [3]),
        (consent_csv(",2021-03-04,research,", "AT-002,2021-03-04,research,"), [2]),
        (consent_csv("AT-001,2021-03-04,research,", "AT-002,2021-03-04,research,", "AT-001,2021-03-04,x,"), [4]),
        (consent_csv("AT-001,04/03/2021,research,", "AT-002,2021-03-04,,", "AT-003,2021-03-04,r,nobody"), [2, 3, 4]),
        (consent_csv("AT-001,2021-03-04,research", header="subject,date,scope"), [1]),
        (consent_csv("AT-001,2021-03-04,research,", "AT-002,2021-03-04"), [3]),
        ("subject,consented_at,scope\nAT-001,2021-03-04,caf\xe9\n".encode("latin-1"), [2]),
    ],
    ids=["bad-date", "no-subject", "duplicate", "several", "wrong-columns", "short-row", "not-utf8"],
)
def test_a_bad_file_names_every_bad_line_and_stores_nothing(rt, tmp_path, data, lines):
    world = consent_world(rt, tmp_path)
    with pytest.raises(InvalidInput) as caught:
        _import(rt, world, data)
    assert [x["line"] for x in caught.value.details["lines"]] == lines
    assert f"line {lines[0]}" in caught.value.message
    assert _count(rt) == 0


def test_a_duplicate_is_reported_against_its_first_line(rt, tmp_path):
    world = consent_world(rt, tmp_path)
    with pytest.raises(InvalidInput) as caught:
        _import(rt, world, consent_csv("AT-001,2021-03-04,a,", "AT-001,2021-03-04,b,"))
    assert caught.value.details["lines"] == [{"line": 3, "error": "subject AT-001 is already on line 2"}]


def test_too_big_or_too_many_rows_is_refused(rt, tmp_path, monkeypatch):
    world = consent_world(rt, tmp_path)
    with pytest.raises(TooLarge):
        _import(rt, world, GOOD + b"x" * privacy.MAX_CSV_BYTES)
    from accord.privacy import consent

    monkeypatch.setattr(consent, "MAX_ROWS", 1)
    with pytest.raises(TooLarge):
        _import(rt, world, GOOD)
    assert _count(rt) == 0


def test_reimporting_updates_scope_and_date_and_never_duplicates(db_rt, tmp_path):
    rt = db_rt
    world = consent_world(rt, tmp_path)
    _import(rt, world)
    again = _import(
        rt,
        world,
        consent_csv(
            "AT-001,2021-03-04,images for face recognition research,",
            "AT-002,2022-01-10,images and their use in publications,",
            "AT-003,2021-03-06,images for face recognition research,",
        ),
    )
    assert (again.created, again.updated, again.unchanged) == (1, 1, 1)
    assert [s for s, _ in again.links] == ["AT-003"]  # links only for new records
    with rt.session() as db:
        rows = {r.subject: r for r in privacy.records(db, world.dataset_id, actor=world.curator)}
    assert len(rows) == 3 and _count(rt) == 3
    assert (rows["AT-002"].consented_at.isoformat(), rows["AT-002"].scope) == (
        "2022-01-10",
        "images and their use in publications",
    )


def test_withdrawing_by_the_link_opens_a_received_request_for_the_label_once(db_rt, tmp_path):
    rt = db_rt
    world = consent_world(rt, tmp_path)
    token = _token(_import(rt, world).links[0][1])
    with rt.session() as db:
        done = privacy.withdraw(rt, db, token, email="One@Example.net", why="I changed my mind", address="192.0.2.9")
        req = db.get(RemovalRequest, done.request.id)
        assert (req.status, req.labels, req.email) == ("received", ["AT-001"], "One@example.net")
        assert req.proven_at is not None and (req.due_at - req.proven_at).days == 30
        record = privacy.record_of(db, world.dataset_id, "AT-001", actor=world.curator)
        assert record.withdrawn_at is not None and record.removal_request_id == req.id
        # the curators' desk has it, labelled, ready for the search by label
        assert [row.request.id for row in privacy.queue(db, actor=world.curator)] == [req.id]
        found = privacy.search(db, req.id, actor=world.curator)
        assert sorted(m.path for m in found) == ["AT-001/img-0.jpg", "AT-001/img-1.jpg"]
    follow = link_token(last_mail(rt, "One@example.net", "consent-withdrawn").text_body, "follow")
    with rt.session() as db:
        assert privacy.follow(db, follow).id == req.id
    assert "/privacy/requests/" in last_mail(rt, world.curator.email, "removal-to-review").text_body
    with rt.session() as db, pytest.raises(PermissionDenied, match="already withdrawn"):
        privacy.withdraw(rt, db, token, email="one@example.net")
    assert _count(rt, RemovalRequest) == 1


def test_a_forged_or_malformed_link_is_refused(rt, tmp_path):
    world = consent_world(rt, tmp_path)
    token = _token(_import(rt, world).links[0][1])
    rid = token.split(".")[0]
    for forged in (f"{rid}.{'A' * 32}", f"{int(rid) + 99}.{token.split('.')[1]}", "x.y", "", "1"):
        with rt.session() as db, pytest.raises(privacy.LinkInvalid):
            privacy.withdraw(rt, db, forged, email="one@example.net")
    assert _count(rt, RemovalRequest) == 0


def test_withdrawal_needs_an_address_and_is_rate_limited(rt, tmp_path):
    world = consent_world(rt, tmp_path)
    links = _import(
        rt,
        world,
        consent_csv(*(f"S-{n},2021-03-04,research," for n in range(5)), header="subject,consented_at,scope,email"),
    ).links
    with rt.session() as db, pytest.raises(InvalidInput):
        privacy.withdraw(rt, db, _token(links[0][1]), email="not an address")
    for _subject, link in links[:3]:
        with rt.session() as db:
            privacy.withdraw(rt, db, _token(link), email="same@example.net")
    with rt.session() as db, pytest.raises(RateLimited):
        privacy.withdraw(rt, db, _token(links[3][1]), email="same@example.net")
    with rt.session() as db:
        assert privacy.consent_by_link(db, _token(links[3][1])).withdrawn_at is None


def test_a_curator_records_a_withdrawal_received_on_paper(rt, tmp_path):
    world = consent_world(rt, tmp_path)
    _import(rt, world)
    with rt.session() as db:
        done = privacy.withdraw_for(
            rt, db, world.dataset_id, "AT-002", actor=world.curator, email="two@example.net", why="letter of 3 May"
        )
        assert (done.request.status, done.request.labels) == ("received", ["AT-002"])
    assert last_mail(rt, "two@example.net", "consent-withdrawn")
    with rt.session() as db, pytest.raises(Conflict):
        privacy.withdraw_for(rt, db, world.dataset_id, "AT-002", actor=world.curator, email="two@example.net")
    with rt.session() as db, pytest.raises(NotFound):
        privacy.withdraw_for(rt, db, world.dataset_id, "AT-404", actor=world.curator, email="two@example.net")
    again = _import(rt, world, consent_csv("AT-002,2023-01-01,everything,"))
    assert again.withdrawn == ["AT-002"] and again.updated == 0  # a withdrawn record is not revived by an import


def test_coverage_lists_labels_without_consent_and_unlabelled_items(db_rt, tmp_path):
    rt = db_rt
    world = consent_world(rt, tmp_path)
    with rt.session() as db:
        before = privacy.coverage(db, world.dataset_id, actor=world.curator)
    assert (before.version, before.missing, before.unlabelled, before.covered) == (
        "1.0",
        [("AT-001", 2), ("AT-002", 2), ("AT-003", 2)],
        1,
        0,
    )
    _import(rt, world)
    with rt.session() as db:
        privacy.withdraw_for(rt, db, world.dataset_id, "AT-002", actor=world.curator, email="two@example.net")
        after = privacy.coverage(db, world.dataset_id, actor=world.curator)
    assert (after.missing, after.withdrawn, after.unlabelled, after.covered) == ([("AT-003", 2)], [("AT-002", 2)], 1, 1)


def test_curators_of_another_dataset_and_strangers_are_refused(rt, tmp_path):
    world = consent_world(rt, tmp_path)
    other = consent_world(rt, tmp_path, slug="other")
    _import(rt, world)
    stranger = make_user(rt, "stranger@example.org")
    for actor in (other.curator, stranger):
        with rt.session() as db:
            with pytest.raises(PermissionDenied):
                privacy.records(db, world.dataset_id, actor=actor)
            with pytest.raises(PermissionDenied):
                privacy.coverage(db, world.dataset_id, actor=actor)
            with pytest.raises(PermissionDenied):
                privacy.import_csv(rt, db, world.dataset_id, GOOD, actor=actor)
            with pytest.raises(PermissionDenied):
                privacy.attach_form(rt, db, world.dataset_id, "AT-001", face_pdf(), "f.pdf", actor=actor)
            with pytest.raises(PermissionDenied):
                privacy.withdraw_for(rt, db, world.dataset_id, "AT-001", actor=actor, email="x@example.net")
    with rt.session() as db:
        assert all(
            r.withdrawn_at is None and r.form_sha256 is None for r in privacy.records(db, world.dataset_id, actor="cli")
        )


@pytest.mark.parametrize("make", [face_pdf, face_png, face_jpeg], ids=["pdf", "png", "jpeg"])
def test_the_scanned_form_is_stored_by_hash(rt, tmp_path, make):
    world = consent_world(rt, tmp_path)
    _import(rt, world)
    data = make(1) if make is face_jpeg else make()
    with rt.session() as db:
        record = privacy.attach_form(
            rt, db, world.dataset_id, "AT-001", data, "C:\\scans\\at-001.bin", actor=world.curator
        )
        assert record.form_size == len(data) and record.form_name == "at-001.bin"
        got, kind, name = privacy.form_of(rt, db, world.dataset_id, "AT-001", actor=world.curator)
    assert got == data and rt.store.exists(record.form_sha256)
    assert kind == {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg"}[make.__name__[5:]]
    assert name.startswith("consent-AT-001.")


def test_a_form_that_is_not_a_pdf_or_image_is_refused(rt, tmp_path):
    world = consent_world(rt, tmp_path)
    _import(rt, world)
    bad = [b"", b"<html>not a scan</html>", b"%PDF-1.4 broken", b"\x89PNG\r\n\x1a\n" + b"\0" * 40]
    for data in bad:
        with rt.session() as db, pytest.raises(InvalidInput):
            privacy.attach_form(rt, db, world.dataset_id, "AT-001", data, "form.pdf", actor=world.curator)
    with rt.session() as db, pytest.raises(TooLarge):
        privacy.attach_form(
            rt, db, world.dataset_id, "AT-001", face_pdf() + b"\0" * privacy.MAX_FORM_BYTES, "f.pdf", actor="cli"
        )
    with rt.session() as db, pytest.raises(NotFound):
        privacy.attach_form(rt, db, world.dataset_id, "AT-404", face_pdf(), "f.pdf", actor=world.curator)
    with rt.session() as db:
        assert privacy.record_of(db, world.dataset_id, "AT-001", actor="cli").form_sha256 is None
