from collections import Counter

import pytest
from sqlalchemy import func, select

from accord import dbmigrate
from accord.audit.models import AuditEvent
from accord.catalog import service as catalog
from accord.catalog.models import Dataset, Item
from accord.demo import facts, load
from accord.demo.images import FACES, FULL, SMALL
from accord.errors import InvalidInput
from accord.identity import service as identity
from accord.runtime import build
from tests.conftest import make_settings


def _counts(rt) -> tuple[int, int, int]:
    with rt.session() as db:
        return (
            db.scalar(select(func.count()).select_from(AuditEvent)),
            db.scalar(select(func.count()).select_from(Dataset)),
            db.scalar(select(func.count()).select_from(Item)),
        )


def test_loading_the_demo_publishes_the_four_datasets_with_their_facts_and_items(db_rt):
    report = load.run(db_rt, scale=SMALL)
    assert [d.slug for d in report.datasets] == ["llvip", "cion-al", "at-ustc", "shhq"]
    with db_rt.session() as db:
        cards = catalog.search_datasets(db)
        assert sorted(c.slug for c in cards) == sorted(f.slug for f in facts.ALL)
        for f in facts.ALL:
            ds = catalog.dataset_by_slug(db, f.slug)
            for field, value in f.as_fields().items():
                assert getattr(ds, field) == value, (f.slug, field)
            version = catalog.latest_published(db, ds.id)
            assert version.label == "1.0" and version.status == "published" and version.root_hash
            items = catalog.list_items(db, version.id, limit=10_000)
            assert len(items) == version.file_count > 0
            assert all(i.media_type == "image/jpeg" for i in items)
        llvip = catalog.list_items(db, catalog.version_by_label(db, "llvip", "1.0").id, limit=10_000)
        assert Counter(i.attributes["modality"] for i in llvip) == {
            "visible": SMALL.llvip_pairs + len(FACES["llvip"]),
            "infrared": SMALL.llvip_pairs + len(FACES["llvip"]),
        }
        cion = catalog.list_items(db, catalog.version_by_label(db, "cion-al", "1.0").id, limit=10_000)
        assert all(i.subject == i.path.split("/")[0] for i in cion)
        assert len({i.subject for i in cion}) == SMALL.cion_identities
        shhq = catalog.dataset_by_slug(db, "shhq")
        assert len(catalog.preview_items(db, shhq.id)) == SMALL.shhq_preview
    assert not (db_rt.settings.data_dir / "demo").exists()  # the generated source folders are cleaned up


def test_running_the_demo_twice_changes_nothing_the_second_time(rt):
    first = load.run(rt, scale=SMALL)
    before = _counts(rt)
    second = load.run(rt, scale=SMALL)
    assert first.changed and not second.changed
    assert not any(u.created for u in second.users) and not any(d.changed for d in second.datasets)
    assert _counts(rt) == before
    assert [(d.file_count, d.total_bytes, d.preview_count) for d in second.datasets] == [
        (d.file_count, d.total_bytes, d.preview_count) for d in first.datasets
    ]


def test_the_demo_accounts_can_sign_in_with_the_printed_passwords_and_hold_their_roles(rt):
    load.run(rt, scale=SMALL)
    with rt.session() as db:
        for demo_user in load.DEMO_USERS:
            user = identity.authenticate(db, email=demo_user.email, password=demo_user.password)
            assert user.email_verified_at is not None
            assert identity.has_role(user, demo_user.role)
        researcher = identity.user_by_email(db, "researcher@example.org")
        assert not identity.has_role(researcher, "curator")
        assert not identity.has_role(researcher, "reviewer")


def test_an_existing_demo_account_keeps_its_own_password(rt):
    with rt.session() as db:
        identity.create_user(
            db, email="admin@example.org", name="Real Admin", password="a-private-password", roles=["admin"]
        )
    report = load.run(rt, scale=SMALL)
    assert [u.created for u in report.users] == [False, True, True, True, True, True]
    with rt.session() as db:
        assert identity.authenticate(db, email="admin@example.org", password="a-private-password")


def test_a_run_interrupted_after_ingest_is_finished_by_the_next_run(rt):
    with rt.session() as db:
        load.ensure_users(db, rt.settings)
        ds = catalog.create_dataset(db, **facts.SHHQ.as_fields(), actor="demo")
        draft = catalog.create_version(db, ds.id, label="1.0", actor="demo")
    load.generate_and_ingest(rt, draft.id, "shhq", actor="demo", scale=SMALL)
    report = load.run(rt, scale=SMALL)
    shhq = next(d for d in report.datasets if d.slug == "shhq")
    assert shhq.changed and shhq.status == "published" and shhq.file_count == SMALL.shhq_images + len(FACES["shhq"])
    with rt.session() as db:
        assert [v.label for v in catalog.dataset_by_slug(db, "shhq").versions] == ["1.0"]


def test_a_dataset_whose_version_was_withdrawn_is_left_alone(rt):
    load.run(rt, scale=SMALL)
    with rt.session() as db:
        version = catalog.version_by_label(db, "llvip", "1.0")
        catalog.withdraw(db, version.id, actor="demo", reason="removal request")
    before = _counts(rt)
    report = load.run(rt, scale=SMALL)
    llvip = next(d for d in report.datasets if d.slug == "llvip")
    assert llvip.status == "withdrawn" and not llvip.changed
    assert _counts(rt) == before


def test_the_demo_refuses_to_run_outside_demo_mode_and_creates_nothing(tmp_path):
    rt = build(make_settings(tmp_path, demo=False))
    dbmigrate.upgrade(rt.engine)
    with pytest.raises(InvalidInput, match="ACCORD_DEMO=true"):
        load.run(rt, scale=SMALL)
    assert _counts(rt) == (0, 0, 0)
    rt.engine.dispose()


def test_progress_is_reported_for_each_dataset(rt):
    seen = Counter()
    load.run(rt, scale=SMALL, progress=lambda slug, done, total, message: seen.update([slug]))
    assert set(seen) == {f.slug for f in facts.ALL}
    assert all(n >= 3 for n in seen.values())  # generating, ingesting, published


def test_reset_removes_the_embedded_database_and_blobs_so_the_demo_loads_afresh(rt):
    load.run(rt, scale=SMALL)
    rt.engine.dispose()
    (rt.settings.data_dir / "jobs.db").write_bytes(b"")  # the SQLite job queue of a served demo
    (rt.settings.data_dir / "secret.key").write_text("generated-on-first-run")
    gone = load.reset(rt.settings)
    assert {rt.settings.data_dir / "accord.db", rt.settings.data_dir / "jobs.db", rt.settings.blob_dir} <= set(gone)
    assert (rt.settings.data_dir / "secret.key").read_text() == "generated-on-first-run"  # sessions stay valid
    assert not (rt.settings.data_dir / "accord.db").exists() and not rt.settings.blob_dir.exists()
    fresh = build(rt.settings)
    dbmigrate.upgrade(fresh.engine)
    assert load.run(fresh, scale=SMALL).changed
    fresh.engine.dispose()


def test_reset_refuses_a_configured_database_and_deletes_nothing(tmp_path):
    settings = make_settings(tmp_path, demo=True, database_url="postgresql://postgres@127.0.0.1:5432/test")
    settings.data_dir.mkdir(parents=True)
    (settings.data_dir / "accord.db").write_text("not ours to delete")
    with pytest.raises(InvalidInput, match="configured database"):
        load.reset(settings)
    assert (settings.data_dir / "accord.db").read_text() == "not ours to delete"


def test_the_full_demo_loads_461_images_with_exactly_100_shhq_previews(rt):
    report = load.run(rt, scale=FULL)
    by_slug = {d.slug: d for d in report.datasets}
    assert {s: d.file_count for s, d in by_slug.items()} == {"llvip": 90, "cion-al": 150, "at-ustc": 96, "shhq": 125}
    assert by_slug["shhq"].preview_count == 100
    assert all(8 <= by_slug[s].preview_count <= 12 for s in ("llvip", "cion-al", "at-ustc"))
    assert all(d.status == "published" for d in report.datasets)


def test_every_demo_dataset_gets_the_terms_of_its_seed_document(rt):
    from accord.policy import service as policies
    from accord.policy.io import seed

    load.run(rt, scale=SMALL)
    with rt.session() as db:
        for slug in ("llvip", "cion-al", "at-ustc", "shhq"):
            ds = catalog.dataset_by_slug(db, slug)
            assert policies.get(db, ds.id).policy == seed(slug)


def test_a_demo_made_before_custodians_had_short_names_gets_them_on_the_next_run(rt):
    load.run(rt, scale=SMALL)
    with rt.session() as db:
        for f in facts.ALL:
            catalog.update_dataset(
                db, catalog.dataset_by_slug(db, f.slug).id, actor="cli", custodian_short="", custodian_contact=""
            )
    again = load.run(rt, scale=SMALL)
    assert all(d.changed for d in again.datasets)
    with rt.session() as db:
        assert [
            (catalog.dataset_by_slug(db, f.slug).custodian_short, catalog.dataset_by_slug(db, f.slug).custodian_contact)
            for f in facts.ALL
        ] == [(f.custodian_short, f.custodian_contact) for f in facts.ALL]


def _demo_cion_application(rt, db, email):
    """The demo account `email` applies for CION-AL, signs, and submits (its signatory is a demo address)."""
    from accord.access import service as access
    from tests.access.helpers import answers

    user = identity.user_by_email(db, email)
    record = access.start(
        db,
        "cion-al",
        actor=user,
        answers=answers("cion-al", email),
        signatory={"name": "Sam Signatory", "title": "Director", "email": "signatory@example.org"},
    )
    access.sign(rt, db, record.id, actor=user, full_name=user.name, consent=True)
    return access.submit(db, record.id, actor=user, base_url=rt.settings.base_url)


def test_the_demo_researcher_passes_cion_als_institutional_check_and_the_demo_reviewer_approves(rt):
    from sqlalchemy import select as select_

    from accord.access import service as access
    from accord.access import signatory
    from accord.identity import organisations
    from accord.notify.models import OutboxMessage

    report = load.run(rt, scale=SMALL)
    assert report.organisation_created and not load.run(rt, scale=SMALL).organisation_created
    with rt.session() as db:
        assert organisations.by_domain(db, "example.org").name == load.DEMO_ORGANISATION[0]
        submitted = _demo_cion_application(rt, db, "researcher@example.org")
        assert submitted.state.checks["institutional_email"]["passed"] and not submitted.state.failed_checks
        invite = db.scalars(select_(OutboxMessage).where(OutboxMessage.template == "signatory-invited")).one()
        token = invite.text_body.split("/signatory/")[1].split()[0]
        signatory.decide(rt, db, token, sign=True, full_name="Sam Signatory", consent=True)
        reviewer = identity.user_by_email(db, "reviewer@example.org")
        assert access.approve(db, submitted.id, actor=reviewer).state.status.value == "approved"


def test_the_demo_free_mail_applicant_fails_the_institutional_check_and_is_told_what_to_do(rt):
    from sqlalchemy import select as select_

    from accord.notify.models import OutboxMessage

    load.run(rt, scale=SMALL)
    free = next(u for u in load.DEMO_USERS if "institutional e-mail check fails" in u.story)
    with rt.session() as db:
        submitted = _demo_cion_application(rt, db, free.email)
        assert submitted.state.failed_checks == ["institutional_email"]
        mail = db.scalars(
            select_(OutboxMessage).where(
                OutboxMessage.to == free.email, OutboxMessage.template == "application-submitted"
            )
        ).one()
    assert f"{rt.settings.base_url}/register" in mail.text_body
    assert "signatory@example.org" in mail.text_body and "cion-al-creators@example.org" in mail.text_body
    assert f"{rt.settings.base_url}/applications/{submitted.id}" in mail.text_body
    assert "accord applications" not in mail.text_body  # a link, not a command
    assert 'href="mailto:cion-al-creators@example.org"' in mail.html_body
