"""What other domains may read of applications (through `access.service`, never the tables themselves)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.access.escalation import reviewers_of as reviewers_of
from accord.access.models import Application
from accord.access.scan import MAX_SCAN_BYTES as MAX_SCAN_BYTES
from accord.access.scan import sniff as sniff
from accord.access.workflow import TERMINAL as TERMINAL
from accord.access.workflow import Status as Status


@dataclass(frozen=True)
class Facts:
    id: int
    applicant_id: int
    dataset_id: int
    policy_version: int
    status: str
    organisation: str = ""  # as the applicant gave it (when the terms ask for it)


def facts(db: Session, app_id: int) -> Facts | None:
    row = db.get(Application, app_id)
    if row is None:
        return None
    return Facts(row.id, row.applicant_id, row.dataset_id, row.policy_version, row.status, row.organisation)


def datasets_applied_for(db: Session, user_id: int) -> list[int]:
    """The datasets a person ever applied for (drafts included), by id."""
    return list(db.scalars(select(Application.dataset_id).where(Application.applicant_id == user_id).distinct()))
