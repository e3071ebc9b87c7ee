"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import accord.models  # noqa: F401
from accord.db import Base


def test_migrations_match_the_models(db_rt):
    with db_rt.engine.connect() as conn:
        changes = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert changes == [], f"the models and the migrations differ; write a migration for: {changes}"
