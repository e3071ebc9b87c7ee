"""Catalogue fixtures: a dataset with a draft version, and small source trees to ingest."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from accord.catalog import service as catalog

JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF"
PNG = b"\x89PNG\r\n\x1a\n"


def make_tree(root: Path, n: int = 12, *, size: int = 2000, labels: bool = True) -> Path:
    """n small images in two folders, a text file, one 5 MiB file (takes the large-file path) and
    an accord-labels.jsonl for two of the images."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        folder = root / ("visible" if i % 2 else "infrared")
        folder.mkdir(exist_ok=True)
        (folder / f"{i:04d}.jpg").write_bytes(JPEG + i.to_bytes(4, "big") + os.urandom(size))
    (root / "notes.txt").write_bytes(b"plain text\n")
    (root / "big.bin").write_bytes(os.urandom(5 * 1024 * 1024))
    if labels:
        lines = [
            {"path": "visible/0001.jpg", "subject": "0042", "attributes": {"scene": "street"}, "preview": True},
            {"path": "infrared/0000.jpg", "subject": 7, "attributes": {"modality": "infrared"}},
        ]
        (root / "accord-labels.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    return root


def dataset_and_draft(db, slug: str = "llvip", label: str = "1.0"):
    ds = catalog.create_dataset(
        db,
        slug=slug,
        title=slug.upper(),
        custodian="Beijing University of Posts",
        summary="Visible-infrared pairs",
        modalities=["visible", "infrared"],
        actor="cli",
    )
    return ds, catalog.create_version(db, ds.id, label=label, actor="cli")


@pytest.fixture
def draft(db):
    return dataset_and_draft(db)


@pytest.fixture
def rt_draft(rt):
    with rt.session() as db:
        return dataset_and_draft(db)


@pytest.fixture
def tree(tmp_path) -> Path:
    return make_tree(tmp_path / "source")


def tar_bytes(entries) -> bytes:
    """entries: (TarInfo-like kwargs, data or None)."""
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for kwargs, data in entries:
            info = tarfile.TarInfo(kwargs.pop("name"))
            for k, v in kwargs.items():
                setattr(info, k, v)
            if data is not None:
                info.size = len(data)
            tf.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


@pytest.fixture
def unreadable(tmp_path):
    """Make a file unreadable for this process, even when the tests run as root.

    Root ignores file modes through CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH, so those two capabilities are
    dropped from this thread's effective set (threads started meanwhile inherit it) and restored afterwards.
    """
    import ctypes

    made: list[Path] = []
    restore = None
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)

        class Header(ctypes.Structure):
            _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

        class Data(ctypes.Structure):
            _fields_ = [
                ("effective", ctypes.c_uint32),
                ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32),
            ]

        header = Header(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
        saved = (Data * 2)()
        if libc.capget(ctypes.byref(header), saved) != 0:
            pytest.skip("cannot read capabilities")
        reduced = (Data * 2)()
        ctypes.memmove(reduced, saved, ctypes.sizeof(saved))
        reduced[0].effective &= ~((1 << 1) | (1 << 2))
        if libc.capset(ctypes.byref(header), reduced) != 0:
            pytest.skip("cannot drop CAP_DAC_OVERRIDE here")
        restore = lambda: libc.capset(ctypes.byref(header), saved)  # noqa: E731

    def make(path: Path) -> Path:
        path.chmod(0)
        made.append(path)
        return path

    try:
        yield make
    finally:
        if restore:
            restore()
        for path in made:
            path.chmod(0o644)
