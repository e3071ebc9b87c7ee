"""The demo's privacy desk: real faces in LLVIP and SHHQ, indexed; the selfie finds the astronaut; AT-USTC's
consent records with one gap; the demo licensee's download log."""

import hashlib
from collections import Counter

from sqlalchemy import func, select

from accord.catalog import service as catalog
from accord.delivery import service as delivery
from accord.delivery.models import DownloadLog
from accord.demo import faces, load, privacy_flow
from accord.demo.images import FACE_LABELS, FACES, SMALL
from accord.identity import service as identity
from accord.privacy import service as privacy
from accord.privacy.models import BlobIndex, ConsentRecord
from tests.privacy.world import last_mail, link_token


def _items(db, slug):
    return catalog.list_items(db, catalog.version_by_label(db, slug, "1.0").id, limit=10_000)


def test_llvip_and_shhq_hold_the_face_images_under_one_label_per_person(rt):
    load.run(rt, scale=SMALL)
    with rt.session() as db:
        llvip = Counter((i.subject, i.attributes["modality"]) for i in _items(db, "llvip") if i.subject)
        shhq = Counter(i.subject for i in _items(db, "shhq") if i.subject)
        indexed = {r.sha256: r for r in db.scalars(select(BlobIndex))}
        face_items = [i for slug in ("llvip", "shhq") for i in _items(db, slug) if i.subject]
    people = {slug: Counter(who for who, _, _ in FACES[slug]) for slug in FACES}
    assert llvip == {
        (FACE_LABELS["llvip"][who], modality): n
        for who, n in people["llvip"].items()
        for modality in ("visible", "infrared")
    }
    assert shhq == {FACE_LABELS["shhq"][who]: n for who, n in people["shhq"].items()}
    assert people["llvip"]["astronaut"] == 3 and people["llvip"]["grace"] == 2
    # indexed by the demo itself, and the index found the real face in every one of them
    assert all(len(indexed[i.sha256].faces) >= 1 for i in face_items)


def test_the_selfie_is_no_copy_of_a_dataset_image_and_the_photo_search_finds_the_astronaut_first(rt):
    report = load.run(rt, scale=SMALL)
    selfie = report.privacy.selfie.read_bytes()
    assert selfie == faces.selfie("astronaut")
    with rt.session() as db:
        items = _items(db, "llvip")
        assert hashlib.sha256(selfie).hexdigest() not in {i.sha256 for i in items}
        sub = privacy.submit(
            rt,
            db,
            dataset="llvip",
            email="visitor@example.net",
            what="photos of me",
            photo=selfie,
            address="198.51.100.9",
        )
    token = link_token(last_mail(rt, "visitor@example.net", "removal-prove").text_body, "prove")
    with rt.session() as db:
        privacy.prove(rt, db, token)  # queues the photo search, which the tests' queue runs at once
        curator = identity.user_by_email(db, "curator@example.org")
        _ = list(curator.roles)
        req = privacy.get(db, sub.request.id, actor=curator)
        assert not req.photo_key  # searched over the whole version, so deleted
        matches = privacy.matches(db, req)
    astronaut = FACE_LABELS["llvip"]["astronaut"]
    face_matches = [m for m in matches if m.match.method == "face"]
    assert {m.subject for m in face_matches} == {astronaut}  # Grace Hopper is another person
    assert len(face_matches) == 2 * 3  # visible and infrared of the three astronaut frames
    assert matches[0].subject == astronaut


def test_at_ustc_consent_records_leave_exactly_one_volunteer_uncovered(rt):
    report = load.run(rt, scale=SMALL)
    with rt.session() as db:
        admin = identity.user_by_email(db, "admin@example.org")
        _ = list(admin.roles)
        ds = catalog.dataset_by_slug(db, "at-ustc")
        cover = privacy.coverage(db, ds.id, actor=admin)
    assert [label for label, _ in cover.missing] == [report.privacy.consent_gap] == [f"{SMALL.at_ustc_volunteers:04d}"]
    assert cover.covered == SMALL.at_ustc_volunteers - 1 and not cover.withdrawn


def test_the_demo_licensee_holds_llvip_and_shhq_and_their_log_lists_the_face_files(rt):
    load.run(rt, scale=SMALL)
    with rt.session() as db:
        lee = identity.user_by_email(db, privacy_flow.LICENSEE)
        for slug in ("llvip", "shhq"):
            version = catalog.version_by_label(db, slug, "1.0")
            items = _items(db, slug)
            assert identity.authenticate(db, email=lee.email, password="demo-licensee-pass")
            from accord.entitlements import service as entitlements

            assert entitlements.check(db, lee, version.dataset_id).allowed
            got = delivery.received(rt, db, version.id, {i.sha256 for i in items})[lee.id]
            faces_ = {i.sha256 for i in items if i.subject}
            assert faces_ <= got and len(got - faces_) == privacy_flow.OTHER_DOWNLOADS


def test_a_second_run_adds_no_index_rows_consent_records_or_downloads(rt):
    load.run(rt, scale=SMALL)

    def counts():
        with rt.session() as db:
            return [db.scalar(select(func.count()).select_from(t)) for t in (BlobIndex, ConsentRecord, DownloadLog)]

    before = counts()
    again = load.run(rt, scale=SMALL)
    assert not again.changed and not again.privacy.changed
    assert counts() == before and all(before)


def test_the_readme_lists_every_demo_login_with_its_password():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for user in load.DEMO_USERS:
        assert f"| {user.email} | {user.password} |" in readme, user.email
