"""Dataset policies: set (a new version when the terms change), read, compare, export."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord import plugins
from accord.audit import service as audit
from accord.catalog import service as catalog
from accord.db import unit_of_work
from accord.errors import NotFound
from accord.identity.models import User

# The door's: other packages read these from here (`X as X` marks them re-exported for the type checker).
from accord.policy.clauses import Clause as Clause
from accord.policy.clauses import ClauseChange as ClauseChange
from accord.policy.clauses import clauses as clauses
from accord.policy.clauses import diff as diff
from accord.policy.clauses import review_words as review_words
from accord.policy.export import to_duo, to_odrl
from accord.policy.io import dump_yaml as dump_yaml
from accord.policy.io import parse as parse
from accord.policy.io import seed as seed
from accord.policy.models import PolicyVersion
from accord.policy.schema import Policy

if TYPE_CHECKING:
    from accord.catalog.models import Dataset


@dataclass(frozen=True)
class Terms:
    """A stored policy version with the dataset names its clauses are written with."""

    version: int
    policy: Policy
    custodian: str
    dataset: str
    row: PolicyVersion
    custodian_short: str = ""
    contact: str = ""  # the custodian's, where clauses send what Accord does not take in yet
    slug: str = ""

    @property
    def names(self) -> dict[str, str]:
        """What `clauses` and `diff` write the clauses with."""
        return {
            "custodian": self.custodian,
            "dataset": self.dataset,
            "custodian_short": self.custodian_short,
            "contact": self.contact,
            "slug": self.slug,
        }

    def clauses(self) -> list[Clause]:
        return clauses(self.policy, **self.names)


def clause_names(ds: Dataset) -> dict[str, str]:
    """How a dataset's clauses name it and its custodian. The dataset by its short name: "LLVIP" from "LLVIP:
    visible-infrared paired images ..."."""
    return {
        "custodian": ds.custodian,
        "dataset": ds.title.split(":")[0],
        "custodian_short": ds.custodian_short or "",
        "contact": ds.custodian_contact or "",
        "slug": ds.slug,
    }


def _terms(db: Session, row: PolicyVersion) -> Terms:
    names = clause_names(catalog.dataset_by_id(db, row.dataset_id))
    return Terms(
        row.version,
        Policy.model_validate(row.document),
        names["custodian"],
        names["dataset"],
        row,
        custodian_short=names["custodian_short"],
        contact=names["contact"],
        slug=names["slug"],
    )


def set_policy(
    db: Session, dataset_id: int, policy: Policy, *, actor: User | str, note: str = "", base_url: str = ""
) -> Terms:
    """Store the terms; identical terms keep the current version, different ones append the next, and every
    current licensee is told by e-mail that their access pauses until they accept it (links use `base_url`)."""
    catalog.require_curator(actor, dataset_id)
    document = json.loads(policy.model_dump_json())
    with unit_of_work(db):
        catalog.dataset_by_id(db, dataset_id)  # NotFound
        current = _current_row(db, dataset_id)
        if current is not None and current.document == document:
            return _terms(db, current)
        row = PolicyVersion(
            dataset_id=dataset_id,
            version=(current.version + 1) if current else 1,
            document=document,
            note=note.strip(),
            created_by_id=actor.id if isinstance(actor, User) else None,
        )
        db.add(row)
        db.flush()
        audit.record(
            db,
            actor=actor,
            action="policy.set",
            object=("dataset", dataset_id),
            data={"version": row.version, "note": row.note},
        )
        if current is not None:
            for tell in plugins.provided("policy.terms_changed"):  # entitlements pauses its grants and says so
                tell(db, dataset_id, version=row.version, note=row.note, base_url=base_url)
    return _terms(db, row)


def _current_row(db: Session, dataset_id: int) -> PolicyVersion | None:
    return db.scalar(
        select(PolicyVersion)
        .where(PolicyVersion.dataset_id == dataset_id)
        .order_by(PolicyVersion.version.desc())
        .limit(1)
    )


def current(db: Session, dataset_id: int) -> Terms | None:
    row = _current_row(db, dataset_id)
    return _terms(db, row) if row else None


def get(db: Session, dataset_id: int, version: int | None = None) -> Terms:
    """A given version, or the current one; NotFound when the dataset has no terms yet."""
    if version is None:
        terms = current(db, dataset_id)
        if terms is None:
            raise NotFound("this dataset has no licence terms yet")
        return terms
    row = db.scalar(
        select(PolicyVersion).where(PolicyVersion.dataset_id == dataset_id, PolicyVersion.version == version)
    )
    if row is None:
        raise NotFound(f"this dataset has no terms version {version}")
    return _terms(db, row)


def versions(db: Session, dataset_id: int) -> list[PolicyVersion]:
    return list(
        db.scalars(select(PolicyVersion).where(PolicyVersion.dataset_id == dataset_id).order_by(PolicyVersion.version))
    )


def current_versions(db: Session) -> dict[int, int]:
    """dataset id → its current terms version, for every dataset with terms."""
    return dict(
        db.execute(
            select(PolicyVersion.dataset_id, func.max(PolicyVersion.version)).group_by(PolicyVersion.dataset_id)
        ).all()
    )


def count(db: Session, dataset_id: int) -> int:
    return db.scalar(select(func.count()).where(PolicyVersion.dataset_id == dataset_id)) or 0


def compare(db: Session, dataset_id: int, old: int, new: int) -> list[ClauseChange]:
    """Clause by clause, what changed between two versions (shown to licensees asked to re-accept)."""
    a, b = get(db, dataset_id, old), get(db, dataset_id, new)
    return diff(a.policy, b.policy, **b.names)


def duo(terms: Terms) -> dict[str, Any]:
    return to_duo(terms.policy)


def odrl(terms: Terms, *, base_url: str, slug: str) -> dict[str, Any]:
    return to_odrl(
        terms.policy,
        uid=f"{base_url}/api/v1/datasets/{slug}/policy?version={terms.version}",
        target=f"{base_url}/datasets/{slug}",
        assigner=terms.custodian,
    )
