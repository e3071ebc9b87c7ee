"""What the obligations' services share: whose grant an obligation hangs on, who answers it, who is told."""

from __future__ import annotations

from sqlalchemy.orm import Session

from accord.access import service as access
from accord.catalog import service as catalog
from accord.catalog.models import Dataset, DatasetVersion
from accord.entitlements import service as entitlements
from accord.entitlements.models import Entitlement
from accord.errors import InvalidInput, NotFound, PermissionDenied
from accord.identity.models import User
from accord.notify import service as notify
from accord.policy import service as policies
from accord.policy.schema import Policy


def holding(db: Session, user: User, dataset: Dataset) -> tuple[Entitlement, Policy]:
    """The user's grant of the dataset in force, and the terms it was given under; refused without one."""
    ent = entitlements.in_force(db, user.id, dataset.id)
    if ent is None:
        if entitlements.ever_held(db, user.id, dataset.id):
            raise PermissionDenied(
                "your access to this dataset has ended (revoked or expired); nothing can be declared or asked under it"
            )
        raise PermissionDenied("you hold no access to this dataset; apply for it on the dataset page")
    return ent, policies.get(db, dataset.id, ent.policy_version).policy


def version_of(db: Session, dataset: Dataset, ent: Entitlement, label: str | None) -> DatasetVersion:
    """The published version named (default: the grant's, or the newest) that the grant covers."""
    if label:
        try:
            version = catalog.version_by_label(db, dataset.slug, label)
        except NotFound:
            raise InvalidInput(f"{dataset.title} has no version {label}", field="version") from None
    elif ent.version_id is not None:
        version = db.get_one(DatasetVersion, ent.version_id)
    else:
        latest = catalog.latest_published(db, dataset.id)
        if latest is None:
            raise InvalidInput("this dataset has no published version", field="version")
        version = latest
    if version.status == "draft":
        raise InvalidInput(f"version {version.label} is not published", field="version")
    if ent.version_id is not None and version.id != ent.version_id:
        raise InvalidInput(f"your access covers another version, not {version.label}", field="version")
    return version


def answers(user: User | str, dataset_id: int) -> bool:
    """The dataset's reviewers and curators answer for its custodian (the server's shell does too)."""
    return isinstance(user, str) or access.is_reviewer(user, dataset_id)


def require_answers(user: User | str, dataset_id: int) -> None:
    if not answers(user, dataset_id):
        raise PermissionDenied("only the dataset's reviewers and curators answer these")


def tell_reviewers(db: Session, dataset: Dataset, *, holder: User, what: str, path: str, base_url: str) -> None:
    for reviewer in access.reviewers_of(db, dataset.id):
        if reviewer.id != holder.id:
            notify.enqueue(
                db,
                "obligation-to-review",
                to=reviewer.email,
                name=reviewer.name,
                dataset=dataset.title,
                holder=holder.name or holder.email,
                what=what,
                base_url=base_url.rstrip("/"),
                path=path,
            )


def tell_holder(
    db: Session, holder_id: int | None, dataset: Dataset, *, what: str, outcome: str, note: str, base_url: str
) -> None:
    holder = db.get(User, holder_id) if holder_id else None
    if holder is None:
        return
    notify.enqueue(
        db,
        "obligation-decided",
        to=holder.email,
        name=holder.name,
        dataset=dataset.title,
        what=what,
        outcome=outcome,
        note=note,
        base_url=base_url.rstrip("/"),
        path=f"/datasets/{dataset.slug}/obligations",
    )


def text(value: object, field: str, *, limit: int, required: bool = False, label: str = "") -> str:
    out = " ".join(str(value or "").split()) if limit <= 500 else str(value or "").strip()
    if required and len(out) < 2:
        raise InvalidInput(f"say {label or field}", field=field)
    if len(out) > limit:
        raise InvalidInput(f"{label or field} is too long (at most {limit} characters)", field=field)
    return out
