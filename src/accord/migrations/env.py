from alembic import context

import accord.models  # noqa: F401  (registers every table)
from accord.db import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from accord.config import Settings
        from accord.db import make_engine

        url = config.get_main_option("sqlalchemy.url") or Settings().sqlalchemy_url
        with make_engine(url).connect() as conn:
            _migrate(conn)
    else:
        _migrate(connection)


def _migrate(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
