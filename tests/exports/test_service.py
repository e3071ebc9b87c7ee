"""The exports through the service on SQLite and PostgreSQL: made of published versions only, and the Croissant
with the file manifest only for those who may read the file list; both Croissant documents valid by mlcroissant."""

from __future__ import annotations

import json
import re

import mlcroissant as mlc
import pytest

from accord.catalog import service as catalog
from accord.entitlements import service as entitlements
from accord.errors import IllegalTransition, InvalidInput, NotFound
from accord.exports import service as exports
from tests.exports.helpers import TITLE, make_world, user, version

BASE = "http://testserver"
HEX64 = re.compile(r"[0-9a-f]{64}")


@pytest.fixture
def world(db_rt, tmp_path):
    return make_world(db_rt, tmp_path)


def croissant(db, who, label="1.0") -> dict:
    doc = exports.croissant_document(db, "llvip", label, actor=who, base_url=BASE)
    assert doc.media_type == "application/ld+json"
    return json.loads(doc.body)


def validated(doc: dict) -> mlc.Dataset:
    """mlcroissant raises ValidationError on any error; the documents have no warnings either."""
    dataset = mlc.Dataset(jsonld=doc)
    assert not dataset.metadata.ctx.issues.errors
    assert not dataset.metadata.ctx.issues.warnings, dataset.metadata.ctx.issues.report()
    return dataset


@pytest.mark.parametrize("what", exports.FORMATS)
def test_every_export_of_a_published_version_names_it(db_rt, db, world, what):
    doc = exports.export(db, "llvip", "1.0", what, actor=None, base_url=BASE)
    text = doc.body.decode()
    assert "1.0" in text and f"{BASE}/datasets/llvip" in text
    assert "LLVIP" in text and "Beijing University of Posts and Telecommunications" in text
    assert doc.media_type in (
        "application/x-bibtex",
        "application/x-research-info-systems",
        "application/x-yaml",
        "application/ld+json",
    )


def test_an_unknown_format_is_refused_with_the_choices(db, world):
    with pytest.raises(InvalidInput) as err:
        exports.export(db, "llvip", "1.0", "endnote", actor=None, base_url=BASE)
    assert err.value.field == "format" and "bibtex, ris, cff, croissant" in err.value.message


@pytest.mark.parametrize("what", exports.FORMATS)
def test_a_withdrawn_version_is_not_exported_and_the_current_one_is_named(db_rt, db, world, what):
    catalog.withdraw(db, world.version_id, actor="cli", reason="removed at a data subject's request")
    with pytest.raises(IllegalTransition) as err:
        exports.export(db, "llvip", "1.0", what, actor=None, base_url=BASE)
    assert "withdrawn (removed at a data subject's request)" in err.value.message
    assert "version 2.0 is the current one" in err.value.message


def test_a_draft_is_hidden_from_the_public_and_curators_are_told_to_publish_it(db_rt, db, world, tmp_path):
    version(db_rt, tmp_path, world.dataset_id, "3.0", publish=False)
    with pytest.raises(NotFound, match="llvip has no version '3.0'"):
        exports.bibtex(db, "llvip", "3.0", actor=user(db_rt, "ana@lab.example"), base_url=BASE)
    with pytest.raises(IllegalTransition, match="is a draft: .* publish it first"):
        exports.bibtex(db, "llvip", "3.0", actor=user(db_rt, "cur@lab.example"), base_url=BASE)


def test_unknown_datasets_and_versions_are_not_found(db, world):
    with pytest.raises(NotFound, match="no dataset called 'nope'"):
        exports.ris(db, "nope", "1.0", actor=None, base_url=BASE)
    with pytest.raises(NotFound, match="llvip has no version '9.9'"):
        exports.cff(db, "llvip", "9.9", actor=None, base_url=BASE)


def test_the_public_croissant_describes_the_access_and_lists_no_file_and_no_hash(db_rt, db, world):
    for who in (None, user(db_rt, "cy@lab.example"), user(db_rt, "dee@lab.example")):  # Dee: 2.0's licensee
        doc = croissant(db, who)
        text = json.dumps(doc)
        assert "distribution" not in doc and "recordSet" not in doc
        assert not HEX64.search(text), "a hash in the public Croissant"
        assert "manifest" not in text and ".jpg" not in text
        metadata = validated(doc).metadata
        assert metadata.version == "1.0" and metadata.url == f"{BASE}/datasets/llvip"
    assert doc["name"] == TITLE and doc["conformsTo"] == "http://mlcommons.org/croissant/1.1"
    assert doc["license"]["url"] == f"{BASE}/datasets/llvip#licence-h"
    assert doc["license"]["sameAs"] == f"{BASE}/api/v1/datasets/llvip/policy/odrl?version=1"
    assert "Access is by agreement" in doc["conditionsOfAccess"] and "version 1" in doc["conditionsOfAccess"]
    assert "GRU" in doc["conditionsOfAccess"] and "NCU" in doc["conditionsOfAccess"]
    assert doc["citeAs"].startswith("@inproceedings{jia2021llvip")


def test_licensees_and_curators_get_the_croissant_with_the_signed_manifest(db_rt, db, world):
    v = catalog.version_by_id(db, world.version_id)
    for who in (user(db_rt, "ana@lab.example"), user(db_rt, "cur@lab.example"), "cli"):
        doc = croissant(db, who)
        manifest, files = doc["distribution"]
        assert manifest["sha256"] == v.manifest_sha256 == v.root_hash
        assert manifest["contentUrl"] == f"{BASE}/api/v1/datasets/llvip/versions/1.0/manifest"
        assert files["@type"] == "cr:FileSet" and files["encodingFormat"] == ["image/jpeg"]
        assert f"The {v.file_count} files" in files["description"]
        fields = [f["name"] for f in doc["recordSet"][0]["field"]]
        assert fields == ["path", "size", "sha256", "media_type"]
        dataset = validated(doc)
        assert [d.name for d in dataset.metadata.distribution] == ["manifest", "files"]


def test_a_revoked_licensee_gets_the_public_croissant_again(db_rt, db, world):
    entitlements.revoke(db, world.grants["ana"], actor="cli", reason="breach")
    assert "distribution" not in croissant(db, user(db_rt, "ana@lab.example"))


def test_a_licensee_of_another_version_sees_that_versions_manifest(db_rt, db, world):
    doc = croissant(db, user(db_rt, "dee@lab.example"), "2.0")
    assert doc["distribution"][0]["sha256"] == catalog.version_by_label(db, "llvip", "2.0").root_hash


def test_the_page_offers_the_public_exports_to_all_and_the_licence_record_to_holders(db_rt, db, world):
    v = catalog.version_by_label(db, "llvip", "2.0")  # the page's: the newest published
    public = exports.offered(db, None, v)
    assert [link.label for link in public.links] == ["BibTeX", "RIS", "CITATION.cff", "Croissant"]
    assert public.links[3].note == "public: no file list" and not public.records_of_others
    dee = exports.offered(db, user(db_rt, "dee@lab.example"), v)
    assert dee.links[3].note == "with the file manifest"
    assert [link.href for link in dee.links[4:]] == ["/api/v1/datasets/llvip/versions/2.0/licence-record"]
    assert not dee.records_of_others
    ana = exports.offered(db, user(db_rt, "ana@lab.example"), v)  # holds 1.0: its record, not 2.0's
    assert [link.label for link in ana.links[4:]] == ["Your licence record of version 1.0"]
    assert exports.offered(db, user(db_rt, "cur@lab.example"), v).records_of_others
    assert exports.offered(db, None, None) is None
