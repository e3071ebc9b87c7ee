"""Ingest from folders and archives: items, blobs, manifest, labels, and all-or-nothing behaviour."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from accord.audit.models import AuditEvent
from accord.catalog import manifest
from accord.catalog import service as catalog
from accord.catalog.models import DatasetVersion, Item
from accord.errors import IllegalTransition, InvalidInput, NotFound
from tests.catalog.conftest import dataset_and_draft, make_tree, tar_bytes


def _items(rt, version_id):
    with rt.session() as db:
        return {i.path: i for i in db.scalars(select(Item).where(Item.version_id == version_id))}


def _version(rt, version_id):
    with rt.session() as db:
        return db.get(DatasetVersion, version_id)


def _stored_blobs(rt) -> list[str]:
    return sorted(rt.store.list_blobs())


def assert_untouched(rt, version_id, blobs_before=None):
    version = _version(rt, version_id)
    assert (version.file_count, version.total_bytes, version.manifest_sha256) == (0, 0, None)
    assert _items(rt, version_id) == {}
    if blobs_before is not None:
        assert _stored_blobs(rt) == blobs_before
        assert list(Path(rt.store.tmp).iterdir()) == []


def _ingest(rt, version, source, **kw):
    return catalog.ingest(rt, version.id, source, actor="cli", **kw)


def test_a_folder_becomes_items_with_blobs_labels_and_a_sorted_manifest(db_rt, tree):
    with db_rt.session() as db:
        _, version = dataset_and_draft(db)
    result = _ingest(db_rt, version, tree)
    items = _items(db_rt, version.id)
    files = sorted(
        p.relative_to(tree).as_posix() for p in tree.rglob("*") if p.is_file() and p.name != "accord-labels.jsonl"
    )
    assert sorted(items) == files and result.file_count == len(files) == 14
    assert result.total_bytes == sum((tree / f).stat().st_size for f in files)
    labelled = items["visible/0001.jpg"]
    assert (labelled.subject, labelled.attributes, labelled.preview) == ("0042", {"scene": "street"}, True)
    assert items["infrared/0000.jpg"].subject == "7" and not items["infrared/0000.jpg"].preview
    assert items["visible/0003.jpg"].media_type == "image/jpeg"
    assert items["notes.txt"].media_type == "text/plain"
    assert items["big.bin"].media_type == "application/octet-stream"
    for path, item in items.items():
        data = (tree / path).read_bytes()
        assert item.sha256 == hashlib.sha256(data).hexdigest() and item.size == len(data)
        with db_rt.store.open(item.sha256) as blob:
            assert blob.read() == data
    version = _version(db_rt, version.id)
    raw = db_rt.store.open(version.manifest_sha256).read()
    assert version.root_hash == version.manifest_sha256 == hashlib.sha256(raw).hexdigest() == result.root_hash
    lines = raw.decode().splitlines()
    entries = [json.loads(line) for line in lines]
    assert [e["path"] for e in entries] == files
    assert lines[0] == json.dumps(entries[0], sort_keys=True, separators=(",", ":"))
    assert set(entries[0]) == {"path", "size", "sha256", "media_type", "subject", "attributes"}
    assert version.ingested_at is not None and version.file_count == 14
    assert result.new_blobs == 15  # 14 distinct files and the manifest
    with db_rt.session() as db:
        actions = list(db.scalars(select(AuditEvent.action)))
    assert actions.count("dataset_version.ingested") == 1


def test_identical_files_are_stored_once_and_a_second_version_adds_no_blobs(rt, tmp_path):
    source = tmp_path / "s"
    source.mkdir()
    for name in ("a.png", "b.png", "c/d.png"):
        (source / name).parent.mkdir(exist_ok=True)
        (source / name).write_bytes(b"\x89PNG\r\n\x1a\n same bytes")
    with rt.session() as db:
        ds, v1 = dataset_and_draft(db)
        v2 = catalog.create_version(db, ds.id, label="2.0", actor="cli")
    first = _ingest(rt, v1, source)
    second = _ingest(rt, v2, source)
    assert (first.file_count, first.new_blobs, second.new_blobs) == (3, 2, 0)  # the content and the manifest
    assert first.root_hash == second.root_hash
    assert len(_stored_blobs(rt)) == 2  # the content and the manifest


def test_worker_processes_and_threads_record_the_same_items(rt, tree, monkeypatch):
    from accord.catalog import folders

    with rt.session() as db:
        ds = catalog.create_dataset(db, slug="two-ways", title="T", custodian="C", actor="cli")
        by_thread, by_process = (catalog.create_version(db, ds.id, label=label, actor="cli") for label in "tp")
    first = _ingest(rt, by_thread, tree)
    monkeypatch.setattr(folders, "PROCESS_MIN_FILES", 1)  # the real pool, on a tree small enough for a test
    (tree / "visible" / "extra.jpg").write_bytes(b"\xff\xd8\xff only here")
    second = _ingest(rt, by_process, tree)
    assert (second.file_count, second.new_blobs) == (first.file_count + 1, 2)  # the new file and manifest
    items = _items(rt, by_process.id)
    assert items["visible/extra.jpg"].media_type == "image/jpeg"
    assert {p: i.sha256 for p, i in items.items() if p != "visible/extra.jpg"} == {
        p: i.sha256 for p, i in _items(rt, by_thread.id).items()
    }


def test_when_the_packed_blobs_cannot_be_indexed_the_version_stays_empty(rt, rt_draft, tree, monkeypatch):
    from accord.catalog import folders

    _, version = rt_draft
    monkeypatch.setattr(folders, "PROCESS_MIN_FILES", 1)  # worker processes: their index rows come back

    def disk_full(rows):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(rt.store, "add_index", disk_full)
    with pytest.raises(OSError, match="No space"):
        _ingest(rt, version, tree)
    assert_untouched(rt, version.id)


def _zip_of(tree: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as zf:
        for p in sorted(tree.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(tree).as_posix())
    return target


def test_zip_and_tar_gz_of_a_folder_give_the_same_manifest_as_the_folder(rt, tree, tmp_path):
    zipped = _zip_of(tree, tmp_path / "src.zip")
    tgz = tmp_path / "src.tar.gz"
    with tarfile.open(tgz, "w:gz") as tf:
        for p in sorted(tree.rglob("*")):
            tf.add(p, "./" + p.relative_to(tree).as_posix(), recursive=False)
    with rt.session() as db:
        ds = catalog.create_dataset(db, slug="three", title="T", custodian="C", actor="cli")
        versions = [catalog.create_version(db, ds.id, label=label, actor="cli") for label in ("f", "z", "t")]
    results = [_ingest(rt, v, src) for v, src in zip(versions, (tree, zipped, tgz), strict=False)]
    assert len({r.root_hash for r in results}) == 1
    assert _items(rt, versions[2].id)["visible/0001.jpg"].subject == "0042"


def test_progress_is_reported_and_ends_at_the_total(rt, rt_draft, tree):
    _, version = rt_draft
    calls = []
    _ingest(rt, version, tree, progress=lambda done, total, message: calls.append((done, total, message)))
    assert calls[-1] == (14, 14, "ingested 14 files")
    assert any("saving" in message for _, _, message in calls)


def test_ingesting_into_a_version_that_has_items_or_is_published_is_refused(rt, rt_draft, tree):
    _, version = rt_draft
    _ingest(rt, version, tree)
    with pytest.raises(IllegalTransition, match="already holds"):
        _ingest(rt, version, tree)
    with rt.session() as db:
        catalog.publish(db, version.id, actor="cli")
    with pytest.raises(IllegalTransition, match="never changes"):
        _ingest(rt, version, tree)
    assert len(_items(rt, version.id)) == 14


def test_an_unknown_version_is_not_found(rt, tree):
    with pytest.raises(NotFound):
        catalog.ingest(rt, 999, tree, actor="cli")


# --- bad input: a clear message, and nothing changed -------------------------------------------------------


def test_a_missing_path_is_refused(rt, rt_draft, tmp_path):
    _, version = rt_draft
    with pytest.raises(InvalidInput, match="no such file or folder"):
        _ingest(rt, version, tmp_path / "nope")
    assert_untouched(rt, version.id, [])


def test_an_empty_folder_and_an_unsupported_file_are_refused(rt, rt_draft, tmp_path):
    _, version = rt_draft
    (tmp_path / "empty").mkdir()
    (tmp_path / "data.rar").write_bytes(b"Rar!")
    with pytest.raises(InvalidInput, match="holds no files"):
        _ingest(rt, version, tmp_path / "empty")
    with pytest.raises(InvalidInput, match="neither a folder nor"):
        _ingest(rt, version, tmp_path / "data.rar")
    assert_untouched(rt, version.id, [])


def test_an_unreadable_file_is_named_leaves_the_version_empty_and_a_rerun_works(rt, rt_draft, tree, unreadable):
    _, version = rt_draft
    unreadable(tree / "visible" / "0005.jpg")
    with pytest.raises(InvalidInput, match="cannot read visible/0005.jpg"):
        _ingest(rt, version, tree)
    assert_untouched(rt, version.id)
    (tree / "visible" / "0005.jpg").chmod(0o644)
    assert _ingest(rt, version, tree).file_count == 14


def test_a_symlink_pointing_out_of_the_folder_is_refused_before_anything_is_stored(rt, rt_draft, tree, tmp_path):
    _, version = rt_draft
    (tmp_path / "secret.txt").write_text("outside")
    (tree / "visible" / "escape.jpg").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(InvalidInput, match="visible/escape.jpg is a symbolic link pointing outside"):
        _ingest(rt, version, tree)
    assert_untouched(rt, version.id, [])


def test_a_symlink_inside_the_folder_is_ingested_with_its_target_content(rt, rt_draft, tree):
    _, version = rt_draft
    (tree / "alias.jpg").symlink_to(tree / "visible" / "0001.jpg")
    _ingest(rt, version, tree)
    items = _items(rt, version.id)
    assert items["alias.jpg"].sha256 == items["visible/0001.jpg"].sha256


def test_a_pipe_in_the_folder_is_refused(rt, rt_draft, tree):
    _, version = rt_draft
    os.mkfifo(tree / "visible" / "pipe")
    with pytest.raises(InvalidInput, match="visible/pipe is not a regular file"):
        _ingest(rt, version, tree)
    assert_untouched(rt, version.id, [])


def _zip(tmp_path, entries, name="bad.zip") -> Path:
    target = tmp_path / name
    with zipfile.ZipFile(target, "w") as zf:
        for entry, data in entries:
            zf.writestr(entry, data)
    return target


@pytest.mark.parametrize(
    "entry,message",
    [
        ("../evil.jpg", "points outside the archive"),
        ("ok/../../evil.jpg", "points outside the archive"),
        ("/etc/evil.jpg", "absolute path"),
    ],
)
def test_a_zip_entry_escaping_the_root_is_refused_before_anything_is_written(rt, rt_draft, tmp_path, entry, message):
    _, version = rt_draft
    source = _zip(tmp_path, [("good.jpg", b"fine"), (entry, b"evil")])
    with pytest.raises(InvalidInput, match=message) as exc:
        _ingest(rt, version, source)
    assert entry in exc.value.message
    assert_untouched(rt, version.id, [])


def test_a_zip_symlink_entry_is_refused(rt, rt_draft, tmp_path):
    _, version = rt_draft
    info = zipfile.ZipInfo("link.jpg")
    info.external_attr = 0o120777 << 16
    target = tmp_path / "link.zip"
    with zipfile.ZipFile(target, "w") as zf:
        zf.writestr("good.jpg", b"fine")
        zf.writestr(info, "../../etc/passwd")
    with pytest.raises(InvalidInput, match="'link.jpg' is a symbolic link"):
        _ingest(rt, version, target)
    assert_untouched(rt, version.id, [])


@pytest.mark.parametrize(
    "entry,message",
    [
        ({"name": "../evil.jpg"}, "points outside the archive"),
        ({"name": "/abs/evil.jpg"}, "absolute path"),
        ({"name": "sub/link.jpg", "type": tarfile.SYMTYPE, "linkname": "../../etc/passwd"}, "link pointing outside"),
        ({"name": "hard.jpg", "type": tarfile.LNKTYPE, "linkname": "/etc/passwd"}, "link pointing outside"),
        ({"name": "dev0", "type": tarfile.CHRTYPE}, "device or special file"),
    ],
)
def test_a_bad_tar_entry_is_refused_and_staged_files_are_removed(rt, rt_draft, tmp_path, entry, message):
    _, version = rt_draft
    data = None if entry.get("type") in (tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE) else b"evil"
    source = tmp_path / "bad.tar"
    source.write_bytes(tar_bytes([({"name": "good.jpg"}, b"fine bytes"), (dict(entry), data)]))
    with pytest.raises(InvalidInput, match=message):
        _ingest(rt, version, source)
    assert_untouched(rt, version.id, [])


def test_a_malformed_zip_is_refused(rt, rt_draft, tmp_path):
    _, version = rt_draft
    source = tmp_path / "broken.zip"
    source.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    with pytest.raises(InvalidInput, match="broken.zip is not a readable zip archive"):
        _ingest(rt, version, source)
    assert_untouched(rt, version.id, [])


def test_a_truncated_tar_gz_is_refused_and_leaves_nothing(rt, rt_draft, tree, tmp_path):
    _, version = rt_draft
    full = io.BytesIO()
    with tarfile.open(fileobj=full, mode="w:gz") as tf:
        tf.add(tree, ".")
    source = tmp_path / "cut.tar.gz"
    source.write_bytes(full.getvalue()[: len(full.getvalue()) // 2])
    with pytest.raises(InvalidInput, match="cut.tar.gz is damaged or truncated"):
        _ingest(rt, version, source)
    assert_untouched(rt, version.id, [])


@pytest.mark.parametrize(
    "line,message",
    [
        ("{not json", "line 2 is not valid JSON"),
        ('{"subject": "1"}', 'line 2 needs an object with a "path"'),
        ('{"path": "visible/0001.jpg", "preview": "yes"}', '"preview" must be true or false'),
        ('{"path": "missing.jpg", "subject": "1"}', "labels 'missing.jpg', which is not in the source"),
    ],
)
def test_a_bad_labels_file_names_the_line_and_changes_nothing(rt, rt_draft, tree, line, message):
    _, version = rt_draft
    first = (tree / "accord-labels.jsonl").read_text().splitlines()[0]
    (tree / "accord-labels.jsonl").write_text(first + "\n" + line + "\n")
    with pytest.raises(InvalidInput, match=message):
        _ingest(rt, version, tree)
    assert_untouched(rt, version.id)


def test_a_progress_callback_failing_midway_leaves_the_version_empty_and_a_rerun_succeeds(rt, rt_draft, tmp_path):
    _, version = rt_draft
    source = make_tree(tmp_path / "many", n=600, size=500, labels=False)

    def explode(done, total, message):
        if "hashed" in message:
            raise RuntimeError("the job was cancelled")

    with pytest.raises(RuntimeError):
        _ingest(rt, version, source, progress=explode)
    assert_untouched(rt, version.id)
    result = _ingest(rt, version, source)
    assert result.file_count == 602 and _version(rt, version.id).file_count == 602


KILLED_INGEST = """
import sys
from pathlib import Path
from accord.config import Settings
from accord.runtime import build
from accord.catalog import service as catalog

rt = build(Settings(data_dir=Path(sys.argv[1]), secret_key=sys.argv[2], hash_workers=2))

def progress(done, total, message):
    if "hashed" in message:
        print("hashing", flush=True)
        sys.stdin.readline()  # hold here, mid-ingest, until the test kills us

catalog.ingest(rt, int(sys.argv[3]), Path(sys.argv[4]), actor="cli", progress=progress)
print("finished", flush=True)
"""


def test_an_ingest_killed_with_sigkill_leaves_no_rows_and_a_rerun_succeeds(rt, rt_draft, tmp_path):
    _, version = rt_draft
    source = make_tree(tmp_path / "big", n=400, size=4000)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            KILLED_INGEST,
            str(rt.settings.data_dir),
            rt.settings.secret(),
            str(version.id),
            str(source),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "hashing"
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -9
    version_row = _version(rt, version.id)
    assert version_row.file_count == 0 and _items(rt, version.id) == {}
    result = _ingest(rt, version, source)
    assert result.file_count == 402 and len(_items(rt, version.id)) == 402


def test_the_manifest_reader_yields_what_was_written():
    out = io.BytesIO()
    sha, size = manifest.write(
        [("a", 1, "0" * 64, "image/png", None, {}), ("b/ü", 2, "1" * 64, "x", "7", {"k": 1})], out
    )
    assert size == len(out.getvalue()) and sha == hashlib.sha256(out.getvalue()).hexdigest()
    out.seek(0)
    assert [e["path"] for e in manifest.read(out)] == ["a", "b/ü"]


@pytest.mark.parametrize(
    "row",
    [
        ("a/b.jpg", 0, "0" * 64, "image/jpeg", None, {}),
        ('q"uo\\te/ü 漢字\n.png', 12345678901, "f" * 64, "image/png", "0042", {"scene": "street", "n": [1, None]}),
        ("x", 1, "a" * 64, "text/plain", "\u2028", {"z": {"b": 1, "a": "é"}}),
    ],
)
def test_each_manifest_line_is_canonical_json(row):
    expected = (
        json.dumps(
            dict(zip(manifest.FIELDS, row, strict=False)), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        + "\n"
    )
    assert manifest.line(*row) == expected.encode()
