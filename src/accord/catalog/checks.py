"""What an ingest refuses or flags in file names and contents, before a licensee meets it on their own disk.

Refused: names no filesystem a licensee uses can hold (control characters, a component over 255 bytes, a path
over 1,024 bytes). Flagged, in the version's ingest report and on the curator's page: names Windows cannot
create, names that differ only in case, and files whose content is not what their extension says.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Sequence
from functools import lru_cache

from accord.errors import InvalidInput

MAX_COMPONENT_BYTES = 255  # NAME_MAX on ext4, NTFS, APFS
MAX_PATH_BYTES = 1024  # PATH_MAX on macOS; Linux allows 4,096
MAX_PATH_CHARS = 1000  # the item.path column
MAX_FLAGS = 500  # flags kept in a version's report (the count is kept in full)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?$", re.IGNORECASE)
_WINDOWS_CHARS = re.compile(r'[<>:"|?*\\]')


def check_name(path: str) -> None:
    """Refuse a path no licensee could write to disk; the message names the entry."""
    if _CONTROL.search(path):
        raise InvalidInput(f"the file name {path!r} holds a control character; rename it and try again")
    size = len(path.encode("utf-8", "surrogateescape"))
    if size > MAX_PATH_BYTES or len(path) > MAX_PATH_CHARS:
        raise InvalidInput(
            f"the path {path[:60]!r}... is {size:,} bytes long; paths may be at most "
            f"{MAX_PATH_BYTES:,} bytes ({MAX_PATH_CHARS:,} characters)"
        )
    for part in path.split("/"):
        if len(part.encode("utf-8", "surrogateescape")) > MAX_COMPONENT_BYTES:
            raise InvalidInput(
                f"the name {part[:60]!r}... in {path[:120]!r} is longer than "
                f"{MAX_COMPONENT_BYTES} bytes, which no common filesystem can hold; shorten it"
            )


def name_problems(path: str) -> list[str]:
    """Why Windows cannot create this path ([] when it can)."""
    problems = []
    for part in path.split("/"):
        if _WINDOWS_RESERVED.match(part):
            problems.append(f"{part!r} is a name Windows reserves for a device")
        elif part.endswith((".", " ")):
            problems.append(f"{part!r} ends with a dot or a space, which Windows drops")
        if found := sorted(set(_WINDOWS_CHARS.findall(part))):
            problems.append(f"{part!r} holds {' '.join(found)}, which Windows does not allow in names")
    return problems


@lru_cache(maxsize=1024)
def extension_type(path: str) -> str | None:
    dot = path.rfind(".")
    if dot <= path.rfind("/"):
        return None
    return mimetypes.guess_type("x" + path[dot:].lower(), strict=False)[0]


def content_problem(path: str, media_type: str) -> str | None:
    """A message when an image extension does not match the content's type (taken from the bytes)."""
    claimed = extension_type(path)
    if claimed is None or not claimed.startswith("image/") or claimed == media_type:
        return None
    if media_type.startswith("image/"):
        return f"named as {claimed} but its content is {media_type}"
    return f"named as {claimed} but its content is not an image of a known kind; stored as {media_type}"


def flags(rows: Sequence[tuple[str, int, str, str, *tuple[object, ...]]]) -> tuple[list[dict[str, str]], int]:
    """The report's flags for (path, size, sha256, media_type, ...) rows: at most MAX_FLAGS, and the count."""
    found: list[dict[str, str]] = []
    count = 0

    def flag(path: str, problem: str) -> None:
        nonlocal count
        count += 1
        if len(found) < MAX_FLAGS:
            found.append({"path": path, "problem": problem})

    folded: dict[str, str] = {}
    for row in rows:
        path, media_type = row[0], row[3]
        if problem := content_problem(path, media_type):
            flag(path, problem)
        for problem in name_problems(path):
            flag(path, problem)
        key = path.casefold()
        if key in folded:
            flag(path, f"differs from {folded[key]!r} only in case; on Windows and macOS one overwrites the other")
        else:
            folded[key] = path
    return found, count
