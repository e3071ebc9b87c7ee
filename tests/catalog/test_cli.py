"""accord dataset ...: the same services from the shell, with exit codes that say what went wrong."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from accord.catalog import service as catalog
from accord.catalog.models import Dataset, Item
from accord.cli import main as cli
from accord.identity import service as identity
from tests.catalog.conftest import make_tree


@pytest.fixture
def run(rt, capsys):
    """Run `accord ...` in-process against the test runtime; returns (exit code, stdout + stderr as one line)."""
    cli.use_runtime(rt)

    def invoke(*args: str) -> tuple[int, str]:
        code = 0
        try:
            cli.main(list(args))
        except SystemExit as exc:
            code = exc.code or 0
        captured = capsys.readouterr()
        return code, " ".join((captured.out + captured.err).split())

    yield invoke
    cli.use_runtime(None)


def _count(rt, model):
    with rt.session() as db:
        return db.scalar(select(func.count()).select_from(model))


def test_create_ingest_publish_list_and_show(run, rt, tmp_path):
    source = make_tree(tmp_path / "src", n=6)
    code, text = run(
        "dataset",
        "create",
        "llvip",
        "--title",
        "LLVIP",
        "--custodian",
        "BUPT",
        "--modality",
        "visible",
        "--modality",
        "infrared",
    )
    assert code == 0 and "created dataset llvip" in text
    code, text = run("dataset", "ingest", "llvip", "1.0", str(source))
    assert code == 0 and "created draft llvip 1.0" in text and "ingested 8 files" in text
    code, text = run("dataset", "publish", "llvip", "1.0")
    assert code == 0 and "published llvip 1.0: 8 files" in text
    code, text = run("dataset", "list")
    assert code == 0 and "llvip" in text and "visible, infrared" in text
    code, text = run("dataset", "show", "llvip")
    assert code == 0 and "published" in text and "BUPT" in text
    code, text = run("dataset", "withdraw", "llvip", "1.0", "--reason", "removal request")
    assert code == 0 and "withdrawn llvip 1.0" in text
    with rt.session() as db:
        assert catalog.version_by_label(db, "llvip", "1.0").withdrawn_reason == "removal request"


def test_a_duplicate_slug_exits_5_with_the_message(run, rt):
    run("dataset", "create", "shhq", "--title", "SHHQ", "--custodian", "A")
    code, text = run("dataset", "create", "shhq", "--title", "Other", "--custodian", "B")
    assert code == 5 and "error: a dataset with the slug 'shhq' already exists" in text
    assert _count(rt, Dataset) == 1


def test_a_missing_source_exits_2_and_leaves_the_draft_empty(run, rt, tmp_path):
    run("dataset", "create", "shhq", "--title", "SHHQ", "--custodian", "A")
    code, text = run("dataset", "ingest", "shhq", "1.0", str(tmp_path / "nowhere"))
    assert code == 2 and "no such file or folder" in text
    assert _count(rt, Item) == 0


def test_an_archive_escaping_its_root_exits_2_naming_the_entry(run, rt, tmp_path):
    import zipfile

    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as zf:
        zf.writestr("../../etc/cron.d/evil", b"* * * * * root true")
    run("dataset", "create", "shhq", "--title", "SHHQ", "--custodian", "A")
    code, text = run("dataset", "ingest", "shhq", "1.0", str(tmp_path / "evil.zip"))
    assert code == 2 and "'../../etc/cron.d/evil' points outside the archive" in text
    assert _count(rt, Item) == 0


def test_publishing_an_empty_version_exits_2_and_an_unknown_dataset_exits_3(run, rt):
    run("dataset", "create", "shhq", "--title", "SHHQ", "--custodian", "A")
    with rt.session() as db:
        catalog.create_version(db, catalog.dataset_by_slug(db, "shhq").id, label="1.0", actor="cli")
    code, text = run("dataset", "publish", "shhq", "1.0")
    assert code == 2 and "has no files yet" in text
    code, text = run("dataset", "show", "nope")
    assert code == 3 and "no dataset called 'nope'" in text


def test_ingesting_into_a_published_version_exits_5(run, rt, tmp_path):
    source = make_tree(tmp_path / "src", n=2)
    run("dataset", "create", "shhq", "--title", "SHHQ", "--custodian", "A")
    run("dataset", "ingest", "shhq", "1.0", str(source))
    run("dataset", "publish", "shhq", "1.0")
    code, text = run("dataset", "ingest", "shhq", "1.0", str(source))
    assert code == 5 and "never changes" in text
    assert _count(rt, Item) == 4


def test_acting_as_a_user_without_the_curator_role_exits_4(run, rt):
    with rt.session() as db:
        identity.create_user(db, email="app@example.org", name="A", password="a long password 1")
    code, text = run("dataset", "create", "x1", "--title", "X", "--custodian", "C", "--as", "app@example.org")
    assert code == 4 and "curator" in text
    assert _count(rt, Dataset) == 0


def test_create_takes_the_custodians_short_name_and_contact(run, rt):
    code, _ = run(
        "dataset",
        "create",
        "cion-al",
        "--title",
        "CION-AL",
        "--custodian",
        "National Key Laboratory, Huazhong University of Science and Technology (HUST)",
        "--custodian-short",
        "HUST",
        "--contact",
        "creators@hust.example.org",
    )
    assert code == 0
    with rt.session() as db:
        ds = catalog.dataset_by_slug(db, "cion-al")
        assert (ds.custodian_short, ds.custodian_contact) == ("HUST", "creators@hust.example.org")
    code, text = run("dataset", "create", "other", "--title", "O", "--custodian", "C", "--contact", "not an address")
    assert code == 2 and "not an e-mail address or http(s) page" in text
