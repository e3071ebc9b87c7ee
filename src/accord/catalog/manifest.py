"""The manifest of a dataset version: what a licensee can check a download against.

Format: JSON Lines, one object per item, sorted by path (Python string order, i.e. by code point):

    {"attributes":{"scene":"street"},"media_type":"image/jpeg","path":"a/0001.jpg","sha256":"…","size":20480,"subject":"0042"}

Each line is canonical JSON (keys sorted, no spaces, UTF-8, non-ASCII kept as is) followed by "\\n".
The version's root hash is the SHA-256 of the manifest's bytes, so it is also the manifest blob's address
(`manifest_sha256`): anyone holding the manifest can recompute the root hash with `sha256sum`, and the same
files with the same labels always give the same root hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

if TYPE_CHECKING:
    from accord.storage import BlobStore

FIELDS = ("path", "size", "sha256", "media_type", "subject", "attributes")
Entry = tuple[str, int, str, str, str | None, dict[str, Any]]  # one file, in FIELDS order

_encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
_string = json.encoder.encode_basestring  # what _encode uses for strings (the C version when available)


def line(path: str, size: int, sha256: str, media_type: str, subject: str | None, attributes: dict[str, Any]) -> bytes:
    """One canonical line. Spelled out with the keys in sorted order: three times faster than encoding a dict
    (millions of lines for CION-AL); tests check it against json.dumps(sort_keys=True)."""
    subject_json = "null" if subject is None else _string(str(subject))
    attributes_json = _encode(attributes) if attributes else "{}"
    return (
        f'{{"attributes":{attributes_json},"media_type":{_string(media_type)},"path":{_string(path)},'
        f'"sha256":{_string(sha256)},"size":{int(size)},"subject":{subject_json}}}\n'
    ).encode()


def write(rows: Iterable[Entry], out: BinaryIO) -> tuple[str, int]:
    """Write rows (path, size, sha256, media_type, subject, attributes) already sorted by path.

    Returns (sha256 of the bytes written, byte count)."""
    digest = hashlib.sha256()
    total = 0
    buf: list[bytes] = []
    for row in rows:
        buf.append(line(*row))
        if len(buf) >= 4096:
            chunk = b"".join(buf)
            digest.update(chunk)
            out.write(chunk)
            total += len(chunk)
            buf.clear()
    chunk = b"".join(buf)
    digest.update(chunk)
    out.write(chunk)
    return digest.hexdigest(), total + len(chunk)


def store(blobs: BlobStore, rows: Iterable[Entry]) -> str:
    """Write the manifest of `rows` (sorted by path) into the blob store under its own hash; returns the hash."""
    tmp = blobs.temp_path()
    try:
        with open(tmp, "wb") as out:
            sha, _ = write(rows, out)
        blobs.put_temp(tmp, sha)
    finally:
        tmp.unlink(missing_ok=True)
    return sha


def read(stream: BinaryIO) -> Iterator[dict[str, Any]]:
    """The manifest's entries, one dict per line, streamed."""
    for raw in stream:
        if raw.strip():
            yield json.loads(raw)
