"""Engine, sessions and the unit of work. SQLite by default, PostgreSQL at scale."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData, create_engine, event
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.expression import Executable
from sqlalchemy.types import TypeDecorator

from accord.errors import Conflict

# The largest integer taken as input (ids, offsets, versions): one every JSON reader holds exactly (RFC 7493),
# well inside SQLite's INTEGER and PostgreSQL's BIGINT (2^63-1, past which the SQLite driver raises
# OverflowError). And the largest for a plain int column, PostgreSQL's INTEGER.
MAX_INT = 2**53 - 1
MAX_INT32 = 2**31 - 1

# Stable constraint names, so Alembic (and SQLite batch mode) can find them again.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both SQLite (which stores none) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    # JSON documents: `dict[str, Any]` is how the strictly typed packages spell `dict`.
    type_annotation_map = {datetime: UTCDateTime(), dict: JSON(), dict[str, Any]: JSON(), list: JSON()}  # noqa: RUF012 (SQLAlchemy reads it as a ClassVar)


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def unit_of_work(db: Session) -> Iterator[Session]:
    """One command, one transaction: commit at the end or roll everything back."""
    try:
        yield db
        db.commit()
    except IntegrityError as exc:
        db.rollback()
        raise Conflict("a concurrent change conflicted with this one; please retry") from exc
    except BaseException:
        db.rollback()
        raise


def rows_matched(db: Session, statement: Executable) -> int:
    """Run an UPDATE or DELETE and say how many rows it matched: the check of a conditional update. (The
    session's `execute` is typed as giving any Result; for these statements it is a CursorResult.)"""
    result = db.execute(statement)
    if not isinstance(result, CursorResult):
        raise TypeError(f"expected an UPDATE or DELETE, got {type(statement).__name__}")
    return result.rowcount
