"""Reading a file named on the command line: never more than a limit, and an unreadable file is InvalidInput."""

from __future__ import annotations

from pathlib import Path

from accord.errors import InvalidInput


def read_limited(path: Path, *, limit: int, what: str) -> bytes:
    """The whole file, refused here when it is larger than `limit` (it cannot be what it claims to be)."""
    try:
        if path.stat().st_size > limit:
            raise InvalidInput(f"{path} is larger than {limit // (1024 * 1024)} MB; not a {what}")
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read the {what} {path}: {exc.strerror or exc}") from None


def read_capped(path: Path, *, limit: int, field: str) -> bytes:
    """At most limit + 1 bytes: one byte over is enough for the service to refuse the upload in its own words."""
    try:
        with path.open("rb") as fh:
            return fh.read(limit + 1)
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}", field=field) from None
