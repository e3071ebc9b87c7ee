"""Roles: global or per dataset. Part of the identity service (re-exported by identity.service).

Datasets are named here by id only; catalog turns slugs into ids and ids into labels (`catalog.role_labels`)."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accord.audit import service as audit
from accord.db import unit_of_work
from accord.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from accord.identity.models import ROLES, RoleGrant, User


def has_role(user: User | None, role: str, *, dataset_id: int | None = None) -> bool:
    """Admins can do everything; a global curator/reviewer covers every dataset."""
    if user is None:
        return False
    for grant in user.roles:
        if grant.role == "admin":
            return True
        if grant.role == role and (grant.dataset_id is None or grant.dataset_id == dataset_id):
            return True
    return False


def require_role(user: User | None, role: str, *, dataset_id: int | None = None) -> User:
    if user is None:
        raise NotAuthenticated("please log in")
    if not has_role(user, role, dataset_id=dataset_id):
        raise PermissionDenied(f"this needs the {role} role" + (" for this dataset" if dataset_id else ""))
    return user


def grant_role(
    db: Session, user: User, role: str, *, dataset_id: int | None = None, actor: User | str | None = None
) -> RoleGrant:
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}; choose from {', '.join(ROLES)}", field="role")
    if role in ("admin", "applicant") and dataset_id is not None:
        raise InvalidInput(f"the {role} role cannot be limited to one dataset", field="role")
    with unit_of_work(db):
        existing = next((g for g in user.roles if g.role == role and g.dataset_id == dataset_id), None)
        if existing:
            return existing
        grant = RoleGrant(role=role, dataset_id=dataset_id)
        user.roles.append(grant)
        try:
            db.flush()
        except IntegrityError as exc:  # the foreign key is the check: identity does not read catalog's tables
            db.rollback()
            raise NotFound(f"no dataset with the id {dataset_id}") from exc
        audit.record(
            db,
            actor=actor or "cli",
            action="role.granted",
            object=("user", user.id),
            data={"role": role, "dataset_id": dataset_id},
        )
    return grant


def revoke_role(
    db: Session, user: User, role: str, *, dataset_id: int | None = None, actor: User | str | None = None
) -> None:
    with unit_of_work(db):
        grant = next((g for g in user.roles if g.role == role and g.dataset_id == dataset_id), None)
        if grant is None:
            raise NotFound("the user does not have this role")
        user.roles.remove(grant)
        audit.record(
            db,
            actor=actor or "cli",
            action="role.revoked",
            object=("user", user.id),
            data={"role": role, "dataset_id": dataset_id},
        )


def admin_emails(db: Session) -> list[str]:
    """The addresses of every enabled admin (platform-wide notices, such as the audit checkpoint mail)."""
    return list(
        db.scalars(
            select(User.email)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(RoleGrant.role == "admin", User.disabled_at.is_(None))
            .distinct()
            .order_by(User.email)
        )
    )


def curator_emails(db: Session, dataset_id: int) -> list[str]:
    """Who answers for a dataset's privacy desk: its curators (its own grants and global ones) and the admins,
    enabled accounts only."""
    return list(
        db.scalars(
            select(User.email)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(
                User.disabled_at.is_(None),
                or_(
                    RoleGrant.role == "admin",
                    (RoleGrant.role == "curator")
                    & or_(RoleGrant.dataset_id == dataset_id, RoleGrant.dataset_id.is_(None)),
                ),
            )
            .distinct()
            .order_by(User.email)
        )
    )
