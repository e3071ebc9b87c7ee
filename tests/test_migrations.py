"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import accord.models  # noqa: F401
from accord.db import Base


def test_migrations_match_the_models(db_rt):
    with db_rt.engine.connect() as conn:
        changes = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert changes == [], f"the models and the migrations differ; write a migration for: {changes}"


def test_accord_db_revision_writes_a_migration_from_the_models(rt, tmp_path, monkeypatch):
    """The command CONTRIBUTING.md gives: on a migrated database whose models match, an empty revision named
    after its message, chained to the newest one."""
    import shutil

    from accord import dbmigrate
    from accord.cli import main as cli
    from tests.cli import run

    copy = tmp_path / "migrations"
    shutil.copytree(dbmigrate.MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(dbmigrate, "MIGRATIONS", copy)
    before = set((copy / "versions").glob("*.py"))
    cli.use_runtime(rt)
    try:
        assert run("db", "revision", "grant standing") == 0
    finally:
        cli.use_runtime(None)
    [new] = set((copy / "versions").glob("*.py")) - before
    assert new.name.endswith("_grant_standing.py")
    text = new.read_text()
    assert "def upgrade" in text and "down_revision" in text


OBLIGATIONS = {"derivative", "approval_request", "publication", "publication_ask"}
OIDC = {"oidc_identity", "oidc_login_request"}


@pytest.mark.parametrize(
    ("before_it", "tables"),
    [
        ("8c41d2e7a915", {"anonymisation", "anonymised_file", *OBLIGATIONS, *OIDC}),  # anonymisation runs and on
        ("48c9766443c9", {*OBLIGATIONS, *OIDC}),  # derivatives, approval requests, publications and on
        ("2f6b8e0c4d17", OIDC),  # accounts at OIDC providers, pending sign-ins
    ],
)
def test_the_latest_revisions_go_down_and_up_again(db_rt, before_it, tables):
    """Downgrading drops exactly the revisions' tables and the upgrade builds them again (rolled back after)."""
    from alembic import command
    from sqlalchemy import inspect

    from accord import dbmigrate

    with db_rt.engine.connect() as conn:
        outer = conn.begin()
        cfg = dbmigrate.alembic_config(connection=conn)
        before = set(inspect(conn).get_table_names())
        command.downgrade(cfg, before_it)
        assert before - set(inspect(conn).get_table_names()) == tables
        command.upgrade(cfg, "head")
        assert set(inspect(conn).get_table_names()) == before
        outer.rollback()
