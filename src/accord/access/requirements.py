"""What an application needs besides its form and signatures, provided by other domains for a policy.

Each requirement (a training certificate today; institutional sign-in, consent and attestations next) is an
object registered under the `access.requirements` hook in `accord.plugins`. Access folds over them: the
applicant's "still needed" list, the refusal to submit or approve, and whether a click-through application may
be approved automatically. Access never imports the domains that provide them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.orm import Session

from accord import plugins
from accord.policy.schema import Policy

if TYPE_CHECKING:
    from accord.access.models import Application


class Requirement(Protocol):
    name: str  # short, for ids and queue badges: "certificate"

    def applies(self, policy: Policy) -> bool:
        """Whether these terms ask for it at all."""

    def still_needed(self, db: Session, app_id: int, policy: Policy) -> str | None:
        """What is missing, in words for the applicant; None once it is met."""

    def before_submit(self, db: Session, app_id: int, policy: Policy) -> None:
        """Raise InvalidInput when the application may not be sent yet."""

    def met(self, db: Session, app_id: int, policy: Policy) -> bool:
        """Whether the application may be approved as far as this requirement goes."""

    def before_approval(self, db: Session, app_id: int, policy: Policy) -> None:
        """Raise IllegalTransition, saying what the reviewer must do first, when it is not met."""

    def stages(
        self, db: Session, apps: Sequence[Application], policies: dict[int, Policy], today: date
    ) -> dict[int, str]:
        """Where each listed application stands, in a word or two, for the review queue (one query per page)."""


@dataclass(frozen=True)
class Need:
    name: str
    words: str


def registered() -> tuple[Requirement, ...]:
    return plugins.provided("access.requirements")


def _applying(policy: Policy) -> list[Requirement]:
    return [r for r in registered() if r.applies(policy)]


def still_needed(db: Session, app_id: int, policy: Policy) -> list[Need]:
    return [Need(r.name, words) for r in _applying(policy) if (words := r.still_needed(db, app_id, policy)) is not None]


def before_submit(db: Session, app_id: int, policy: Policy) -> None:
    for requirement in _applying(policy):
        requirement.before_submit(db, app_id, policy)


def met(db: Session, app_id: int, policy: Policy) -> bool:
    return all(r.met(db, app_id, policy) for r in _applying(policy))


def before_approval(db: Session, app_id: int, policy: Policy) -> None:
    for requirement in _applying(policy):
        requirement.before_approval(db, app_id, policy)


def stages(
    db: Session, apps: Sequence[Application], policies: dict[int, Policy], today: date
) -> dict[int, dict[str, str]]:
    """{application id: {requirement name: stage}} for the applications whose terms ask for something."""
    out: dict[int, dict[str, str]] = {a.id: {} for a in apps}
    for requirement in registered():
        asking = [a for a in apps if a.id in policies and requirement.applies(policies[a.id])]
        if asking:
            for app_id, where in requirement.stages(db, asking, policies, today).items():
                out[app_id][requirement.name] = where
    return out
