"""Reading what a curator hands us: folders, zip and tar archives, and the optional labels sidecar.

Every entry name is checked before we trust it: archive entries that escape the root (`../`, absolute paths,
links pointing outside) and special files are refused with a message naming the entry.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from accord.catalog.checks import check_name, extension_type
from accord.errors import InvalidInput

Staged = tuple[str, int, str, str]  # a file stored from a source: path, size, sha256, media type
Label = tuple[str | None, dict[str, Any], bool]  # its subject, attributes and preview flag (the sidecar's)
Report = Callable[[int, "int | None", str], None]  # (done, total, message): progress while staging

SIDECAR = "accord-labels.jsonl"  # optional labels at the source root; not itself an item

_IMAGE_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"BM", "image/bmp"),
)


def media_type(path: str, head: bytes) -> str:
    """From the content for images (a PNG named .jpg is a PNG; a .jpg that is no image is not image/jpeg),
    from the extension for other files. head is the file's first 16 bytes or more."""
    claimed = extension_type(path)
    if claimed is None or claimed.startswith("image/"):
        if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
            return "image/webp"
        for magic, kind in _IMAGE_MAGIC:
            if head.startswith(magic):
                return kind
        if pillow_kind := _pillow_type(head[:16]):
            return pillow_kind
        if claimed is not None:
            return "application/octet-stream"  # flagged by checks.content_problem
    return claimed or "application/octet-stream"


def _pillow_type(prefix: bytes) -> str | None:
    """The rarer image formats, by Pillow's own header tests (the ones Image.open runs)."""
    from PIL import Image

    Image.init()
    for name, (_, accept) in Image.OPEN.items():
        kind = Image.MIME.get(name)
        if accept is None or kind is None:
            continue
        try:
            if accept(prefix):
                return kind
        except Exception:
            continue
    return None


def member_path(name: str) -> str:
    """An archive entry name as a POSIX path relative to the root; '' for the root itself."""
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        raise InvalidInput(f"archive entry {name!r} has an absolute path; the archive was refused")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if any(p == ".." for part in parts for p in part.split("\\")):
        raise InvalidInput(f"archive entry {name!r} points outside the archive (../); the archive was refused")
    path = "/".join(parts)
    _check_utf8(path)
    check_name(path)
    return path


def _check_utf8(path: str) -> None:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(
            f"the file name {path.encode('utf-8', 'replace').decode()!r} is not valid UTF-8; rename it and try again"
        ) from None


def link_escapes(path: str, target: str, *, hard: bool = False) -> bool:
    """Whether a link stored at path (relative to the root) points outside the root."""
    if target.startswith("/"):
        return True
    base = "" if hard else posixpath.dirname(path)
    resolved = posixpath.normpath(posixpath.join(base, target))
    return resolved == ".." or resolved.startswith("../")


# --- folders ---------------------------------------------------------------------------------------------


def walk_folder(root: str) -> Iterator[str]:
    """The relative POSIX path of every regular file under root, the sidecar included (no stat per file)."""
    real_root = os.path.realpath(root)
    stack = [("", root)]
    while stack:
        rel_dir, dir_path = stack.pop()
        try:
            entries = os.scandir(dir_path)
        except OSError as exc:
            raise InvalidInput(f"cannot read the folder {rel_dir or root}: {exc.strerror}") from None
        with entries:
            for entry in entries:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                if entry.is_symlink():
                    _check_symlink(rel, entry.path, real_root)
                    yield rel
                elif entry.is_dir(follow_symlinks=False):
                    stack.append((rel, entry.path))
                elif entry.is_file(follow_symlinks=False):
                    _check_utf8(rel)
                    check_name(rel)
                    yield rel
                else:
                    raise InvalidInput(
                        f"{rel} is not a regular file (a device, socket or pipe); "
                        "remove it from the folder and try again"
                    )


def _check_symlink(rel: str, path: str, real_root: str) -> None:
    target = os.path.realpath(path)
    if not (target == real_root or target.startswith(real_root.rstrip(os.sep) + os.sep)):
        raise InvalidInput(f"{rel} is a symbolic link pointing outside the source folder; it was refused")
    if os.path.isdir(target):
        raise InvalidInput(
            f"{rel} is a symbolic link to a folder; such links are not followed "
            "(they can loop); copy the folder instead"
        )
    if not os.path.isfile(target):
        raise InvalidInput(f"{rel} is a broken symbolic link or points to a special file")
    _check_utf8(rel)
    check_name(rel)


# --- the labels sidecar ----------------------------------------------------------------------------------


def read_labels(lines: Iterable[bytes]) -> dict[str, Label]:
    """path -> (subject, attributes, preview) from accord-labels.jsonl; a bad line names its number."""
    labels: dict[str, Label] = {}
    for n, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        where = f"{SIDECAR} line {n}"
        try:
            entry = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"{where} is not valid JSON: {exc}") from None
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            raise InvalidInput(f'{where} needs an object with a "path", e.g. {{"path": "a/1.jpg", "subject": "7"}}')
        path = member_path(entry["path"]).removeprefix("./")
        subject = entry.get("subject")
        if subject is not None and not isinstance(subject, (str, int)):
            raise InvalidInput(f'{where}: "subject" must be a string or a number')
        attributes = entry.get("attributes") or {}
        if not isinstance(attributes, dict):
            raise InvalidInput(f'{where}: "attributes" must be an object, e.g. {{"scene": "street"}}')
        preview = entry.get("preview", False)
        if not isinstance(preview, bool):
            raise InvalidInput(f'{where}: "preview" must be true or false')
        if path in labels:
            raise InvalidInput(f"{where} labels {path} a second time")
        labels[path] = (None if subject is None else str(subject), attributes, preview)
    return labels
