from __future__ import annotations

import pytest

from accord.catalog import service as catalog
from accord.identity import service as identity


@pytest.fixture
def rt(db_rt):
    """Job rows live in the database: these tests run on SQLite and on PostgreSQL."""
    return db_rt


@pytest.fixture
def draft(rt):
    """A dataset with an empty draft version 1.0: (slug, label, version id)."""
    with rt.session() as db:
        ds = catalog.create_dataset(db, slug="faces", title="Faces", custodian="Lab", actor="cli")
        version = catalog.create_version(db, ds.id, label="1.0", actor="cli")
    return "faces", "1.0", version.id


@pytest.fixture
def admin(rt):
    with rt.session() as db:
        return identity.create_user(
            db,
            email="admin@example.org",
            name="Ada Admin",
            password="a long admin passphrase",
            roles=["admin"],
            actor="cli",
        )


@pytest.fixture
def curator(rt):
    with rt.session() as db:
        return identity.create_user(
            db,
            email="curator@example.org",
            name="Cy Curator",
            password="a long curator passphrase",
            roles=["curator"],
            actor="cli",
        )
