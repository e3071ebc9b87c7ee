from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from accord.policy.schema import Policy


class ClauseLinkOut(BaseModel):
    label: str  # words of the clause's text that lead there
    href: str


class ClauseOut(BaseModel):
    key: str
    title: str
    text: str
    links: list[ClauseLinkOut] = []


class TermsOut(BaseModel):
    dataset: str
    version: int
    created_at: datetime
    note: str
    policy: Policy
    clauses: list[ClauseOut]


class ClauseChangeOut(BaseModel):
    key: str
    change: str
    title: str
    old: str | None
    new: str | None
