"""Signed checkpoints of the audit chain, kept outside the database.

The chain alone cannot show its own end: whoever can write the database can delete the newest events, or edit
one and recompute every hash after it, and the chain still verifies. A checkpoint is (event count, hash of the
event at that count, time), signed with the platform key (accord.signing) and written as a small JSON object
into the blob store, under PREFIX beside the blobs (a separate folder or bucket the database host need not
reach). `verify` then checks the chain against every checkpoint: fewer events than a checkpoint counts means
the log was cut; another hash at a checkpoint's position means it was rewritten; a signature that does not
verify means the checkpoint itself was forged or altered.

The signed bytes are the checkpoint object as canonical JSON (sorted keys, no spaces), so a copy kept from the
daily mail can be checked without Accord as well.

Whoever can write both the database and the store can cut the log and delete the newer checkpoints with it;
the mailed copies (`accord audit verify --checkpoint FILE`) are the answer to that. A replaced platform key
makes the older checkpoints read as forged, naming their key: move them out of PREFIX once checked.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import signing
from accord.audit import chain as audit
from accord.audit.models import AuditEvent
from accord.db import utcnow
from accord.errors import InvalidInput
from accord.storage import BlobStore, LocalBlobStore, S3BlobStore

if TYPE_CHECKING:
    from accord.runtime import Runtime

PREFIX = "audit-checkpoints"


def events(n: int) -> str:
    return f"{n} event" if n == 1 else f"{n} events"


@dataclass(frozen=True)
class Checkpoint:
    count: int
    hash: str
    at: datetime
    key: str  # the signing certificate's SHA-256 fingerprint, to tell "another key" from "altered"

    def body(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "hash": self.hash,
            "at": self.at.isoformat(timespec="microseconds"),
            "key": self.key,
        }

    def payload(self) -> bytes:
        return json.dumps(self.body(), sort_keys=True, separators=(",", ":")).encode()

    @property
    def name(self) -> str:
        """Sorts by count, then time: the listing order is the chain's order."""
        return f"{self.count:012d}-{self.at.astimezone(UTC):%Y%m%dT%H%M%S%f}Z.json"


@dataclass
class Stored:
    """One checkpoint document as found: `problem` says why it cannot be trusted (empty: it can)."""

    name: str
    checkpoint: Checkpoint | None
    raw: bytes
    problem: str = ""


@dataclass
class Mismatch:
    name: str
    reason: str


@dataclass
class Report:
    chain: audit.Verification
    checked: int = 0  # checkpoints compared with the chain
    failures: list[Mismatch] = field(default_factory=list)
    written: Stored | None = None

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.failures


def document(cp: Checkpoint, signature: bytes) -> bytes:
    return (
        json.dumps({"checkpoint": cp.body(), "signature": base64.b64encode(signature).decode()}, indent=2) + "\n"
    ).encode()


def parse(name: str, raw: bytes, cert: x509.Certificate) -> Stored:
    """Read one document and check its signature against the platform certificate."""
    try:
        doc = json.loads(raw)
        body, signature = doc["checkpoint"], base64.b64decode(doc["signature"], validate=True)
        cp = Checkpoint(
            count=int(body["count"]),
            hash=str(body["hash"]),
            at=datetime.fromisoformat(body["at"]),
            key=str(body.get("key", "")),
        )
    except (ValueError, KeyError, TypeError) as exc:
        return Stored(name, None, raw, f"unreadable ({type(exc).__name__}): not a checkpoint this platform wrote")
    mine = signing.fingerprint(cert)
    # Re-serialising must give the signed bytes: a document with extra or reformatted fields fails here too.
    if set(body) != {"count", "hash", "at", "key"} or not signing.verifies(cp.payload(), signature, cert):
        other = f" (it names the key {cp.key})" if cp.key != mine else ""
        return Stored(
            name, cp, raw, f"forged: its signature does not verify with the platform certificate {mine}{other}"
        )
    return Stored(name, cp, raw)


class _Folder:
    """Checkpoints in a local blob store: root/PREFIX/<name>, never overwritten."""

    def __init__(self, root: Path):
        self.dir = root / PREFIX

    def put(self, name: str, data: bytes) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.dir / f".{uuid.uuid4().hex}.part"
        tmp.write_bytes(data)
        os.link(tmp, self.dir / name)  # fails rather than replace an existing checkpoint
        tmp.unlink()

    def names(self) -> list[str]:
        if not self.dir.is_dir():
            return []
        return sorted(p.name for p in self.dir.iterdir() if p.name.endswith(".json"))

    def get(self, name: str) -> bytes:
        return (self.dir / name).read_bytes()


class _Bucket:
    """Checkpoints in an S3 blob store: s3://bucket/prefix/PREFIX/<name>."""

    def __init__(self, store: S3BlobStore):
        self.client, self.bucket = store.client, store.bucket
        self.prefix = f"{store.prefix}/{PREFIX}/" if store.prefix else f"{PREFIX}/"

    def put(self, name: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + name, Body=data, ContentType="application/json")

    def names(self) -> list[str]:
        found: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix):
            found += [o["Key"][len(self.prefix) :] for o in page.get("Contents", [])]
        return sorted(n for n in found if n.endswith(".json") and "/" not in n)

    def get(self, name: str) -> bytes:
        body: bytes = self.client.get_object(Bucket=self.bucket, Key=self.prefix + name)["Body"].read()
        return body


def shelf(store: BlobStore) -> _Folder | _Bucket:
    if isinstance(store, LocalBlobStore):
        return _Folder(store.root)
    if isinstance(store, S3BlobStore):
        return _Bucket(store)
    raise InvalidInput(f"audit checkpoints cannot be kept in a {type(store).__name__}")


def _cert(rt: Runtime) -> x509.Certificate:
    return signing.load_cert(signing.platform_keys(rt.settings.data_dir).cert.read_bytes())


def stored(rt: Runtime, extra: Sequence[tuple[str, bytes]] = ()) -> list[Stored]:
    """Every checkpoint in the blob store, oldest position first, then `extra` (name, document) pairs, each
    with its signature checked."""
    place, cert = shelf(rt.store), _cert(rt)
    return [parse(name, raw, cert) for name, raw in [*((n, place.get(n)) for n in place.names()), *extra]]


def write(rt: Runtime, count: int, last_hash: str, *, at: datetime | None = None) -> Stored:
    """Sign (count, last_hash, now) with the platform key and store it."""
    keys = signing.platform_keys(rt.settings.data_dir)
    cert = signing.load_cert(keys.cert.read_bytes())
    cp = Checkpoint(count, last_hash, (at or utcnow()).astimezone(UTC), signing.fingerprint(cert))
    raw = document(cp, signing.sign(cp.payload(), keys))
    shelf(rt.store).put(cp.name, raw)
    return Stored(cp.name, cp, raw)


def compare(db: Session, checkpoints: list[Stored]) -> tuple[int, str, list[Mismatch]]:
    """Walk the chain's hashes once: (events, last hash, checkpoints that do not match), in chain order."""
    failures = {s.name: Mismatch(s.name, s.problem) for s in checkpoints if s.problem}
    wanted: dict[int, list[tuple[str, Checkpoint]]] = {}  # (a readable checkpoint has no problem)
    for s in checkpoints:
        if not s.problem and s.checkpoint is not None:
            wanted.setdefault(s.checkpoint.count, []).append((s.name, s.checkpoint))
    n, last = 0, audit.GENESIS
    for last in db.scalars(select(AuditEvent.hash).order_by(AuditEvent.id).execution_options(yield_per=5000)):
        n += 1
        for name, cp in wanted.pop(n, ()):
            if cp.hash != last:
                failures[name] = Mismatch(
                    name,
                    f"rewritten: the event at position {n} has another hash "
                    f"than the checkpoint signed ({cp.hash[:16]}...)",
                )
    for count, cut in wanted.items():
        if count == 0 and n == 0:
            continue  # a checkpoint of the empty log
        for name, _ in cut:
            failures[name] = Mismatch(
                name,
                f"cut: the checkpoint counted {events(count)}, the log now has {n} (events were deleted from the end)",
            )
    return n, last, [failures[k] for k in sorted(failures)]


def verify(
    rt: Runtime, db: Session, *, extra: Sequence[tuple[str, bytes]] = (), write_checkpoint: bool = True
) -> Report:
    """The chain, then every stored checkpoint (and `extra` documents, e.g. one kept from a mail). A new
    checkpoint is written only when all of it verifies: signing a damaged log would vouch for it."""
    report = Report(audit.verify(db))
    checkpoints = stored(rt, extra)
    n, last, report.failures = compare(db, checkpoints)
    report.checked = len(checkpoints)
    if write_checkpoint and report.ok and n:
        report.written = write(rt, n, last)
    return report
