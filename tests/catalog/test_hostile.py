"""Hostile archives and names: refused or flagged with a message naming the entry; failures leave no litter."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import zipfile
from datetime import timedelta

import pytest

from accord import storage_gc
from accord.catalog import service as catalog
from accord.catalog.models import DatasetVersion
from accord.errors import InvalidInput, NotFound
from tests.catalog.conftest import JPEG, dataset_and_draft
from tests.test_storage import s3_bucket, s3_endpoint  # noqa: F401  (the moto server fixtures)


def _zip(path, entries):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            z.writestr(name, data)
    return path


def _tar(path, entries):
    with tarfile.open(path, "w") as t:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return path


def _draft(rt):
    with rt.session() as db:
        return dataset_and_draft(db)[1]


def _packs(rt):
    folder = rt.store.root / "packs"
    return {p.name: p.stat().st_size for p in folder.glob("*.pack")} if folder.exists() else {}


def test_a_jpg_that_is_no_image_is_not_image_jpeg_and_is_flagged(rt, tmp_path):
    version = _draft(rt)
    source = _zip(tmp_path / "a.zip", [("b.jpg", b"just some text, not a picture"), ("real.png", JPEG + b"x" * 100)])
    result = catalog.ingest(rt, version.id, source, actor="cli")
    with rt.session() as db:
        items = {i.path: i for i in catalog.list_items(db, version.id)}
        stored = db.get(DatasetVersion, version.id)
    assert items["b.jpg"].media_type == "application/octet-stream"
    assert items["real.png"].media_type == "image/jpeg"
    problems = {f["path"]: f["problem"] for f in stored.ingest_flags}
    assert "not an image" in problems["b.jpg"] and "image/jpeg" in problems["real.png"]
    assert result.flag_count == stored.ingest_flag_count == 2


def test_zeros_named_png_are_refused_as_a_bomb_before_anything_is_written(rt, tmp_path):
    version = _draft(rt)
    source = tmp_path / "bomb.zip"
    with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as z, z.open("zeros.png", "w", force_zip64=True) as out:
        chunk = bytes(1024 * 1024)
        for _ in range(64):  # 64 MiB of zeros, about 64 KB compressed
            out.write(chunk)
    with pytest.raises(InvalidInput, match=r"'zeros.png' expands .* past 200:1"):
        catalog.ingest(rt, version.id, source, actor="cli")
    assert list(rt.store.list_blobs()) == [] and list(rt.store.tmp.iterdir()) == []


@pytest.mark.parametrize("overrides", [{"ingest_max_entry_bytes": 2 * 1024 * 1024}])
def test_an_entry_past_the_size_limit_is_refused(tmp_path, overrides):
    from accord import dbmigrate
    from accord.runtime import build
    from tests.conftest import make_settings

    rt = build(make_settings(tmp_path, **overrides))
    dbmigrate.upgrade(rt.engine)
    version = _draft(rt)
    source = _tar(tmp_path / "big.tar", [("big.tif", os.urandom(3 * 1024 * 1024))])
    with pytest.raises(InvalidInput, match=r"'big.tif' expands past .*ACCORD_INGEST_MAX_ENTRY_BYTES"):
        catalog.ingest(rt, version.id, source, actor="cli")
    assert list(rt.store.tmp.iterdir()) == []
    rt.engine.dispose()


def test_a_header_that_understates_the_size_is_refused_while_streaming(rt):
    from accord.catalog.archives import Limits, _Staging

    staging = _Staging(rt.store, lambda *a: None, Limits(), 10 * 1024 * 1024)
    with pytest.raises(InvalidInput, match="more than the 2,097,152 bytes its header declares"):
        staging.add("lie.png", io.BytesIO(os.urandom(3 * 1024 * 1024)), None, 2 * 1024 * 1024)
    assert list(rt.store.tmp.iterdir()) == []


def test_too_little_free_space_is_refused_before_writing(tmp_path):
    from accord import dbmigrate
    from accord.runtime import build
    from tests.conftest import make_settings

    rt = build(make_settings(tmp_path, storage_min_free_bytes=10**18))
    dbmigrate.upgrade(rt.engine)
    version = _draft(rt)
    source = _zip(tmp_path / "a.zip", [("a.jpg", JPEG)])
    with pytest.raises(InvalidInput, match="the blob store has .* free"):
        catalog.ingest(rt, version.id, source, actor="cli")
    assert list(rt.store.list_blobs()) == []
    rt.engine.dispose()


@pytest.mark.parametrize(
    "name, message",
    [
        ("ok/nul\x01name.png", "control character"),
        ("ok/" + "n" * 300 + ".png", "longer than 255 bytes"),
        ("/".join(["d" * 200] * 6) + "/x.png", "paths may be at most 1,024 bytes"),
    ],
)
@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_names_no_licensee_can_write_are_refused(rt, tmp_path, name, message, kind):
    version = _draft(rt)
    entries = [("good.jpg", JPEG), (name, JPEG)]
    source = _zip(tmp_path / "a.zip", entries) if kind == "zip" else _tar(tmp_path / "a.tar", entries)
    with pytest.raises(InvalidInput, match=message):
        catalog.ingest(rt, version.id, source, actor="cli")
    assert sum(_packs(rt).values()) == 0  # the tar's first entry was packed, then cut off again


def test_names_windows_cannot_create_or_that_collide_by_case_are_flagged(rt, tmp_path):
    version = _draft(rt)
    names = ["CON", "docs/aux.txt", "trail.", "a<b.jpg", "Face.jpg", "face.jpg", "fine.jpg"]
    source = _zip(tmp_path / "a.zip", [(n, JPEG + n.encode()) for n in names])
    result = catalog.ingest(rt, version.id, source, actor="cli")
    flagged = {f["path"] for f in result.flags}
    assert flagged == {"CON", "docs/aux.txt", "trail.", "a<b.jpg", "face.jpg"}


def test_a_refused_archive_leaves_no_draft_the_ingest_opened(rt, tmp_path):
    with rt.session() as db:
        dataset_and_draft(db)
    source = _zip(tmp_path / "a.zip", [("ok/nul\x01name.png", JPEG)])
    with pytest.raises(InvalidInput):
        catalog.ingest_version(rt, "llvip", "2.0", source, actor="cli")
    with rt.session() as db, pytest.raises(NotFound):
        catalog.version_by_label(db, "llvip", "2.0")
        assert catalog.version_by_label(db, "llvip", "1.0")  # the existing draft stays


@pytest.fixture(params=["file", "s3"])
def gc_rt(request, tmp_path):
    from accord import dbmigrate
    from accord.runtime import build
    from tests.conftest import make_settings

    extra = {}
    if request.param == "s3":
        endpoint, bucket = request.getfixturevalue("s3_endpoint"), request.getfixturevalue("s3_bucket")
        extra = {"storage_url": f"s3://{bucket}/accord", "s3_endpoint_url": endpoint}
    rt = build(make_settings(tmp_path, **extra))
    dbmigrate.upgrade(rt.engine)
    yield rt
    rt.engine.dispose()


def test_gc_lists_then_removes_what_a_failed_ingest_left_and_keeps_what_is_used(gc_rt, tmp_path):
    rt = gc_rt
    version = _draft(rt)
    kept = catalog.ingest(rt, version.id, _zip(tmp_path / "ok.zip", [("a.jpg", JPEG + b"kept")]), actor="cli")
    with rt.session() as db:
        other = catalog.create_version(db, version.dataset_id, label="2.0", actor="cli")
    # refused after every blob was stored: the labels name a file the archive does not hold
    bad = _zip(
        tmp_path / "bad.zip", [("b.jpg", JPEG + b"litter"), ("accord-labels.jsonl", b'{"path": "missing.jpg"}\n')]
    )
    with pytest.raises(InvalidInput, match="missing.jpg"):
        catalog.ingest(rt, other.id, bad, actor="cli")
    assert storage_gc.find(rt).found == []  # within the grace period: an ingest may be running
    sweep = storage_gc.find(rt, grace=timedelta(0))
    litter = {g.name for g in sweep.found if g.kind == "blob"}
    assert litter == {hashlib.sha256(JPEG + b"litter").hexdigest()}  # b.jpg's blob; its manifest was never written
    assert sweep.total == len(JPEG + b"litter")
    storage_gc.remove(rt, sweep)
    assert not any(rt.store.exists(sha) for sha in litter)
    assert storage_gc.find(rt, grace=timedelta(0)).found == []
    with rt.session() as db:
        for item in catalog.list_items(db, version.id):
            assert rt.store.open(item.sha256).read().endswith(b"kept")
    assert rt.store.exists(kept.root_hash)


def test_gc_from_the_command_line_lists_by_default_and_removes_with_delete(rt, tmp_path, capsys):
    from sqlalchemy import select

    from accord.audit.models import AuditEvent
    from accord.cli import main as cli
    from tests.cli import run

    version = _draft(rt)
    bad = _zip(tmp_path / "bad.zip", [("b.jpg", JPEG + b"litter"), ("accord-labels.jsonl", b'{"path": "nope.jpg"}\n')])
    with pytest.raises(InvalidInput):
        catalog.ingest(rt, version.id, bad, actor="cli")
    litter = hashlib.sha256(JPEG + b"litter").hexdigest()
    cli.use_runtime(rt)
    try:
        assert run("storage", "gc") == 0  # within the grace period: nothing is old enough
        assert "nothing to collect" in capsys.readouterr().out
        assert run("storage", "gc", "--grace-hours", "0") == 0
        listed = capsys.readouterr().out
        assert litter[:12] in listed and "run again with --delete" in listed
        assert rt.store.exists(litter)  # a dry run removes nothing
        assert run("storage", "gc", "--grace-hours", "0", "--delete") == 0
        assert "removed 1 entries" in capsys.readouterr().out
        assert not rt.store.exists(litter)
        assert run("storage", "gc", "--grace-hours", "-1") == 2  # refused by the option's minimum
    finally:
        cli.use_runtime(None)
    with rt.session() as db:
        event = db.scalars(select(AuditEvent).where(AuditEvent.action == "storage.collected")).one()
    assert event.data == {"entries": 1, "bytes": len(JPEG + b"litter"), "kinds": ["blob"]}


KILLED_INGEST = """
import os, sys
from accord.catalog import service as catalog
from accord.config import Settings
from accord.runtime import build
rt = build(Settings(data_dir=sys.argv[1], secret_key="k" * 43, hash_workers=2))
rt.store.add_index = lambda rows: os._exit(9)  # dies where the worker processes' packs would be indexed
catalog.ingest(rt, int(sys.argv[3]), sys.argv[2], actor="cli")
"""


def test_gc_removes_the_packs_of_a_killed_ingest(rt, tmp_path):
    import subprocess
    import sys

    from accord.catalog.folders import PROCESS_MIN_FILES

    version = _draft(rt)
    source = tmp_path / "many"
    source.mkdir()
    for i in range(PROCESS_MIN_FILES):
        (source / f"{i:05d}.jpg").write_bytes(JPEG + i.to_bytes(4, "big"))
    done = subprocess.run(
        [sys.executable, "-c", KILLED_INGEST, str(rt.settings.data_dir), str(source), str(version.id)],
        capture_output=True,
    )
    assert done.returncode == 9, done.stderr.decode()
    left = {name for name, size in _packs(rt).items() if size}
    assert left  # what the killed ingest left and nothing indexes
    sweep = storage_gc.find(rt, grace=timedelta(0))
    assert {g.name for g in sweep.found if g.kind == "pack"} >= left and sweep.total > 0
    storage_gc.remove(rt, sweep)
    assert not {name for name, size in _packs(rt).items() if size} & left
