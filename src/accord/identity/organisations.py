"""Organisations registered with this instance. An applicant's address at a registered domain passes the
institutional e-mail check (access/checks.py) as an academic one does: how a company lab or a research
institute that is not in swot's list of schools gets its people through."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.audit import service as audit
from accord.db import unit_of_work
from accord.errors import Conflict, InvalidInput
from accord.identity.models import Organisation, User
from accord.identity.roles import require_role

# A host name: dot-separated labels of letters, digits and inner hyphens, with at least one dot.
DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$")


def clean_domain(domain: str) -> str:
    value = domain.strip().lower().lstrip("@").removeprefix(".").rstrip(".")
    if not DOMAIN.match(value):
        raise InvalidInput(f"{domain!r} is not a domain name such as lab.example.com", field="domain")
    return value


def register(db: Session, *, name: str, domain: str, actor: User | str) -> Organisation:
    """Register an organisation by its mail domain (admins; string actors are the server's shell)."""
    if not isinstance(actor, str):
        require_role(actor, "admin")
    if not name.strip():
        raise InvalidInput("give the organisation's name", field="name")
    value = clean_domain(domain)
    with unit_of_work(db):
        if by_domain(db, value) is not None:
            raise Conflict(f"{value} is already registered", field="domain")
        org = Organisation(name=name.strip()[:300], domain=value)
        db.add(org)
        db.flush()
        audit.record(
            db,
            actor=actor,
            action="organisation.registered",
            object=("organisation", org.id),
            data={"name": org.name, "domain": value},
        )
    return org


def by_domain(db: Session, domain: str) -> Organisation | None:
    return db.scalar(select(Organisation).where(Organisation.domain == domain.strip().lower()))


def listed(db: Session) -> list[Organisation]:
    return list(db.scalars(select(Organisation).order_by(Organisation.domain)))


def domains(db: Session) -> set[str]:
    """Every registered domain, for the applicant checks (one small query at each submission)."""
    return set(db.scalars(select(Organisation.domain)))
