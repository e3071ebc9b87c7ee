"""Datasets, versions and their life cycle, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from accord.audit.models import AuditEvent
from accord.catalog import service as catalog
from accord.catalog.models import Dataset, DatasetVersion, Item
from accord.errors import Conflict, IllegalTransition, InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from accord.identity import service as identity
from tests.catalog.conftest import dataset_and_draft


def _count(db, model):
    return db.scalar(select(func.count()).select_from(model))


def _user(db, email, roles=(), dataset_id=None):
    user = identity.create_user(db, email=email, name=email, password="a long password 1", roles=list(roles))
    if dataset_id:
        identity.grant_role(db, user, "curator", dataset_id=dataset_id)
    return user


def test_creating_a_dataset_stores_it_and_writes_one_audit_event(db):
    before = _count(db, AuditEvent)
    ds = catalog.create_dataset(
        db,
        slug="cion-al",
        title="CION-AL",
        custodian="Lab",
        modalities=["Infrared", "visible"],
        image_count=3_900_000,
        actor="cli",
    )
    assert catalog.dataset_by_slug(db, "cion-al").id == ds.id
    assert ds.modalities == ["infrared", "visible"]
    assert _count(db, AuditEvent) == before + 1


@pytest.mark.parametrize("slug", ["A", "x", "has space", "-lead", "trail-", "ü-umlaut", "a" * 65])
def test_a_bad_slug_is_refused_and_nothing_is_stored(db, slug):
    with pytest.raises(InvalidInput) as exc:
        catalog.create_dataset(db, slug=slug, title="T", custodian="C", actor="cli")
    assert exc.value.field == "slug"
    assert _count(db, Dataset) == 0


@pytest.mark.parametrize(
    "field,value",
    [("title", " "), ("custodian", ""), ("homepage", "ftp://x"), ("image_count", -1), ("subject_count", "many")],
)
def test_bad_dataset_fields_name_the_field(db, field, value):
    values = {"slug": "ok", "title": "T", "custodian": "C", "actor": "cli"}
    values[field] = value
    with pytest.raises(InvalidInput) as exc:
        catalog.create_dataset(db, **values)
    assert exc.value.field == field
    assert _count(db, Dataset) == 0


def test_a_duplicate_slug_is_a_conflict_and_changes_nothing(db):
    catalog.create_dataset(db, slug="shhq", title="SHHQ", custodian="A", actor="cli")
    events = _count(db, AuditEvent)
    with pytest.raises(Conflict) as exc:
        catalog.create_dataset(db, slug="shhq", title="Other", custodian="B", actor="cli")
    assert exc.value.field == "slug" and "shhq" in exc.value.message
    assert _count(db, Dataset) == 1 and _count(db, AuditEvent) == events
    assert catalog.dataset_by_slug(db, "shhq").title == "SHHQ"


def test_a_missing_dataset_is_not_found(db):
    with pytest.raises(NotFound):
        catalog.dataset_by_slug(db, "nope")


def test_updating_a_dataset_changes_only_the_given_fields(db):
    ds = catalog.create_dataset(db, slug="llvip", title="LLVIP", custodian="BUPT", summary="old", actor="cli")
    catalog.update_dataset(db, ds.id, actor="cli", summary="new", homepage="https://bupt-ai-cz.github.io/LLVIP/")
    db.expire_all()
    ds = catalog.dataset_by_slug(db, "llvip")
    assert (ds.title, ds.summary, ds.homepage) == ("LLVIP", "new", "https://bupt-ai-cz.github.io/LLVIP/")


def test_a_duplicate_version_label_is_a_conflict(db, draft):
    ds, _ = draft
    with pytest.raises(Conflict) as exc:
        catalog.create_version(db, ds.id, label="1.0", actor="cli")
    assert exc.value.field == "label"
    assert _count(db, DatasetVersion) == 1


def test_a_bad_version_label_is_refused(db, draft):
    ds, _ = draft
    with pytest.raises(InvalidInput):
        catalog.create_version(db, ds.id, label="../1", actor="cli")


def test_publishing_an_empty_version_is_refused_and_it_stays_a_draft(db, draft):
    _, version = draft
    with pytest.raises(InvalidInput, match="no files"):
        catalog.publish(db, version.id, actor="cli")
    db.expire_all()
    assert db.get(DatasetVersion, version.id).status == "draft"


def test_a_user_without_the_curator_role_cannot_create_or_publish(db, draft):
    ds, version = draft
    applicant = _user(db, "app@example.org")
    with pytest.raises(PermissionDenied):
        catalog.create_dataset(db, slug="new", title="T", custodian="C", actor=applicant)
    with pytest.raises(PermissionDenied):
        catalog.create_version(db, ds.id, label="2.0", actor=applicant)
    with pytest.raises(NotAuthenticated):
        catalog.publish(db, version.id, actor=None)
    assert _count(db, Dataset) == 1 and _count(db, DatasetVersion) == 1


def test_a_curator_of_one_dataset_can_manage_it_but_cannot_create_datasets(db, draft):
    ds, _ = draft
    curator = _user(db, "cur@example.org", dataset_id=ds.id)
    assert catalog.create_version(db, ds.id, label="2.0", actor=curator).status == "draft"
    with pytest.raises(PermissionDenied):
        catalog.create_dataset(db, slug="other", title="T", custodian="C", actor=curator)


def test_search_lists_only_datasets_with_a_published_version_unless_drafts_are_asked_for(db, draft):
    assert catalog.search_datasets(db) == []
    cards = catalog.search_datasets(db, include_drafts=True)
    assert [c.slug for c in cards] == ["llvip"] and cards[0].latest_version == "1.0"


def _publish_with_items(db, version, items=(("a.jpg", True), ("b.jpg", False))):
    """Rows written directly stand in for an ingest here; tests/catalog/test_ingest.py covers the real one."""
    for path, preview in items:
        db.add(
            Item(version_id=version.id, path=path, size=10, sha256="0" * 64, media_type="image/jpeg", preview=preview)
        )
    version.file_count, version.total_bytes, version.manifest_sha256 = len(items), 10 * len(items), "0" * 64
    db.commit()
    return catalog.publish(db, version.id, actor="cli")


def test_search_matches_words_case_insensitively_and_filters_by_modality_and_custodian(db):
    for slug, custodian, mods, summary in [
        ("llvip", "BUPT", ["visible", "infrared"], "Low-light pairs"),
        ("shhq", "Shanghai AI Lab", ["visible"], "Full-body humans"),
    ]:
        ds, version = dataset_and_draft(db, slug)
        catalog.update_dataset(db, ds.id, actor="cli", custodian=custodian, modalities=mods, summary=summary)
        _publish_with_items(db, version)
    assert [c.slug for c in catalog.search_datasets(db, q="FULL-body")] == ["shhq"]
    assert [c.slug for c in catalog.search_datasets(db, modality="infrared")] == ["llvip"]
    assert [c.slug for c in catalog.search_datasets(db, custodian="BUPT")] == ["llvip"]
    card = catalog.search_datasets(db, q="llvip")[0]
    assert (card.latest_version, card.file_count, card.has_preview) == ("1.0", 2, True)
    assert catalog.facets(db) == (["BUPT", "Shanghai AI Lab"], ["infrared", "visible"])


def test_publish_then_withdraw_follows_the_life_cycle(db, draft):
    ds, version = draft
    _publish_with_items(db, version)
    assert catalog.latest_published(db, ds.id).id == version.id
    assert [i.path for i in catalog.preview_items(db, ds.id)] == ["a.jpg"]
    with pytest.raises(IllegalTransition):
        catalog.publish(db, version.id, actor="cli")
    with pytest.raises(InvalidInput):
        catalog.withdraw(db, version.id, actor="cli", reason=" ")
    withdrawn = catalog.withdraw(db, version.id, actor="cli", reason="a subject asked to be removed")
    assert withdrawn.status == "withdrawn" and withdrawn.withdrawn_reason.startswith("a subject")
    assert catalog.latest_published(db, ds.id) is None
    with pytest.raises(IllegalTransition):
        catalog.withdraw(db, version.id, actor="cli", reason="again")


def test_a_published_version_cannot_be_edited_or_deleted(db, draft):
    _, version = draft
    _publish_with_items(db, version)
    with pytest.raises(IllegalTransition, match="never changes"):
        catalog.update_version(db, version.id, actor="cli", notes="changed")
    with pytest.raises(IllegalTransition):
        catalog.delete_draft(db, version.id, actor="cli")
    db.expire_all()
    assert db.get(DatasetVersion, version.id).notes == "" and _count(db, Item) == 2


def test_deleting_a_draft_removes_it_and_its_items(db, draft):
    _, version = draft
    db.add(Item(version_id=version.id, path="x", size=1, sha256="0" * 64))
    db.commit()
    catalog.delete_draft(db, version.id, actor="cli")
    assert _count(db, DatasetVersion) == 0 and _count(db, Item) == 0


def test_list_items_pages_in_path_order_and_filters_by_subject(db, draft):
    _, version = draft
    for i in range(5):
        db.add(Item(version_id=version.id, path=f"p{4 - i}", size=1, sha256="0" * 64, subject=str(i % 2)))
    db.commit()
    assert [i.path for i in catalog.list_items(db, version.id, offset=1, limit=2)] == ["p1", "p2"]
    assert {i.subject for i in catalog.list_items(db, version.id, subject="1")} == {"1"}
    first = catalog.list_items(db, version.id)[0]
    assert catalog.item_by_id(db, first.id).path == "p0"
    with pytest.raises(NotFound):
        catalog.item_by_id(db, 10_000)
