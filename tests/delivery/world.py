"""A published version with a small (packed) and a large (loose) file, and a licensee holding a grant."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from accord.catalog import service as catalog
from accord.db import unit_of_work
from accord.entitlements import service as entitlements
from accord.policy import service as policies
from accord.policy.io import seed
from tests.identity.helpers import api_token, make_user

SMALL = b"small file, kept in a pack\n" * 40
LARGE = os.urandom(1536 * 1024)  # above the 1 MiB pack limit: a loose file
OTHER = b"\x89PNG not really\n" * 3


@dataclass
class World:
    slug: str
    label: str
    version_id: int
    grant_id: int
    licensee_id: int
    token: str  # the licensee's API token
    files: dict[str, bytes]


def make_world(rt, tmp_path: Path, slug: str = "faces", files: dict[str, bytes] | None = None) -> World:
    files = files or {"a/small.txt": SMALL, "b/large.bin": LARGE, "c/other.png": OTHER}
    src = tmp_path / f"{slug}-src"
    for path, data in files.items():
        (src / path).parent.mkdir(parents=True, exist_ok=True)
        (src / path).write_bytes(data)
    with rt.session() as db:
        ds = catalog.create_dataset(db, slug=slug, title="Faces", custodian="Example Lab", actor="cli")
        version = catalog.create_version(db, ds.id, label="1.0", actor="cli")
    catalog.ingest(rt, version.id, src, actor="cli")
    licensee = make_user(rt, f"li@{slug}.example")
    with rt.session() as db:
        catalog.publish(db, version.id, actor="cli")
        policies.set_policy(db, ds.id, seed("llvip"), actor="cli")
        with unit_of_work(db):
            grant = entitlements.grant(db, dataset_id=ds.id, user_id=licensee.id, policy_version=1, actor="cli")
    return World(slug, "1.0", version.id, grant.id, licensee.id, api_token(rt, licensee.email), files)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
