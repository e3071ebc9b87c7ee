"""SQL expressions that SQLite and PostgreSQL spell differently, for aggregates that GROUP BY in the database:
the week or month a moment falls in (UTC), the seconds between two moments, the part of an address after '@'.

Constant arguments are written into the SQL text (literal_column), not bound: PostgreSQL matches a GROUP BY
expression to its SELECT column by text, and two bound parameters holding the same value do not match."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Float, SQLColumnExpression, String, cast, extract, func, literal_column
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement


def _name(db: Session) -> str:
    return db.get_bind().dialect.name


def _sql(text: str) -> ColumnElement[Any]:
    return literal_column(f"'{text}'")


def week(db: Session, moment: SQLColumnExpression[Any]) -> ColumnElement[str]:
    """The Monday of the ISO week `moment` falls in (UTC), as 'YYYY-MM-DD'."""
    if _name(db) == "postgresql":
        utc = func.timezone(_sql("UTC"), moment)
        return func.to_char(func.date_trunc(_sql("week"), utc), _sql("YYYY-MM-DD"), type_=String)
    # SQLite keeps UTC text; 'weekday 0' moves on to the Sunday ending the week (or stays on it), six days back
    # is its Monday.
    return func.date(moment, _sql("weekday 0"), _sql("-6 days"), type_=String)


def month(db: Session, moment: SQLColumnExpression[Any]) -> ColumnElement[str]:
    """The first day of the month `moment` falls in (UTC), as 'YYYY-MM-DD'."""
    if _name(db) == "postgresql":
        utc = func.timezone(_sql("UTC"), moment)
        return func.to_char(func.date_trunc(_sql("month"), utc), _sql("YYYY-MM-DD"), type_=String)
    return func.date(moment, _sql("start of month"), type_=String)


def seconds_between(
    db: Session, start: SQLColumnExpression[Any], end: SQLColumnExpression[Any]
) -> ColumnElement[float]:
    """`end - start` in seconds."""
    if _name(db) == "postgresql":
        return cast(extract("epoch", end - start), Float)
    return (func.julianday(end, type_=Float) - func.julianday(start, type_=Float)) * 86400.0


def after_at(db: Session, address: SQLColumnExpression[str]) -> ColumnElement[str]:
    """The domain of an e-mail address (what follows its '@'), lower-cased."""
    if _name(db) == "postgresql":
        return func.lower(func.split_part(address, _sql("@"), 2, type_=String), type_=String)
    return func.lower(func.substr(address, func.instr(address, _sql("@")) + 1, type_=String), type_=String)


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weeks(first: date, last: date) -> list[date]:
    """The Mondays of the weeks from `first`'s to `last`'s, both included."""
    start, end = monday(first), monday(last)
    return [start + timedelta(weeks=i) for i in range((end - start).days // 7 + 1)]


def months(first: date, last: date) -> list[date]:
    """The first days of the months from `first`'s to `last`'s, both included."""
    out, at = [], first.replace(day=1)
    while at <= last:
        out.append(at)
        at = (at + timedelta(days=32)).replace(day=1)
    return out
