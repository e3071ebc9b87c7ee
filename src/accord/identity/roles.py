"""Roles: global or per dataset. Part of the identity service (re-exported by identity.service)."""
from __future__ import annotations

from sqlalchemy import select
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


def dataset_id_for_slug(db: Session, slug: str) -> int:
    """Roles name datasets by id; people (and the CLI) name them by slug."""
    from accord.catalog.models import Dataset

    dataset_id = db.scalar(select(Dataset.id).where(Dataset.slug == slug))
    if dataset_id is None:
        raise NotFound(f"no dataset with the slug {slug!r}")
    return dataset_id


def _require_dataset(db: Session, dataset_id: int) -> None:
    from accord.catalog.models import Dataset

    if db.get(Dataset, dataset_id) is None:
        raise NotFound(f"no dataset with the id {dataset_id}")


def role_labels(db: Session, user: User) -> list[str]:
    """'curator of llvip', 'admin': roles as people read them."""
    from accord.catalog.models import Dataset

    ids = {g.dataset_id for g in user.roles if g.dataset_id is not None}
    slugs = dict(db.execute(select(Dataset.id, Dataset.slug).where(Dataset.id.in_(ids))).all())
    return sorted(g.role if g.dataset_id is None else f"{g.role} of {slugs.get(g.dataset_id, g.dataset_id)}"
                  for g in user.roles)


def grant_role(db: Session, user: User, role: str, *, dataset_id: int | None = None, actor=None) -> RoleGrant:
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}; choose from {', '.join(ROLES)}", field="role")
    if role in ("admin", "applicant") and dataset_id is not None:
        raise InvalidInput(f"the {role} role cannot be limited to one dataset", field="role")
    if dataset_id is not None:
        _require_dataset(db, dataset_id)
    with unit_of_work(db):
        existing = next((g for g in user.roles if g.role == role and g.dataset_id == dataset_id), None)
        if existing:
            return existing
        grant = RoleGrant(role=role, dataset_id=dataset_id)
        user.roles.append(grant)
        db.flush()
        audit.record(db, actor=actor or "cli", action="role.granted", object=("user", user.id),
                     data={"role": role, "dataset_id": dataset_id})
    return grant


def revoke_role(db: Session, user: User, role: str, *, dataset_id: int | None = None, actor=None) -> None:
    with unit_of_work(db):
        grant = next((g for g in user.roles if g.role == role and g.dataset_id == dataset_id), None)
        if grant is None:
            raise NotFound("the user does not have this role")
        user.roles.remove(grant)
        audit.record(db, actor=actor or "cli", action="role.revoked", object=("user", user.id),
                     data={"role": role, "dataset_id": dataset_id})
