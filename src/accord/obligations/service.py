"""Obligations: what a licensee owes after access and what the custodian answered. This module is the door:
the derivatives registry (obligations/derivatives.py), requests for approval (obligations/approvals.py) and
publications (obligations/publications.py), re-exported under plain names; what the pages show at once
(a licensee's obligations for a dataset, a reviewer's queue) is assembled here."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.access import service as access
from accord.catalog import service as catalog
from accord.catalog.models import Dataset
from accord.entitlements import service as entitlements
from accord.entitlements.models import Entitlement
from accord.errors import PermissionDenied
from accord.identity import service as identity
from accord.identity.models import User
from accord.obligations import approvals, derivatives, publications, rules, tallies
from accord.obligations.models import ApprovalRequest, Derivative, Publication
from accord.policy import service as policies
from accord.policy.schema import Policy

DERIVATIVE_KINDS = rules.DERIVATIVE_KINDS
REQUEST_KINDS = rules.REQUEST_KINDS
askable = rules.askable
derivative_needs_approval = rules.derivative_needs_approval

declare_derivative = derivatives.declare
derivative = derivatives.get
decide_derivative = derivatives.decide
list_derivative = derivatives.set_listed
withdraw_derivative = derivatives.withdraw
listed_derivatives = derivatives.listed_for
derivatives_of = derivatives.of_user

ask_approval = approvals.ask
approval_request = approvals.get
decide_approval = approvals.decide
withdraw_approval = approvals.withdraw
preapproved = approvals.preapproved
approvals_of = approvals.of_user

register_publication = publications.register
remove_publication = publications.remove
publications_of_dataset = publications.for_dataset
publications_of = publications.of_user
ask_for_publications = publications.ask
ask_for_publications_on_schedule = publications.ask_on_schedule
check_doi = publications.doi
check_arxiv = publications.arxiv
# Counted for the custodian's dashboard (obligations/tallies.py)
OBLIGATION_KINDS = tallies.KINDS
obligation_counts = tallies.counts


@dataclass
class Standing:
    """A licensee's obligations for one dataset: their grant in force (if any), its terms, what they declared,
    asked and registered, and what the terms let them ask."""

    dataset: Dataset
    grant: Entitlement | None
    policy: Policy | None
    derivatives: list[Derivative] = field(default_factory=list)
    requests: list[ApprovalRequest] = field(default_factory=list)
    publications: list[Publication] = field(default_factory=list)
    askable: dict[str, str] = field(default_factory=dict)
    ever_held: bool = False


def standing(db: Session, dataset_slug: str, *, user: User) -> Standing:
    dataset = catalog.visible_dataset(db, dataset_slug, user)
    grant = entitlements.in_force(db, user.id, dataset.id)
    policy = policies.get(db, dataset.id, grant.policy_version).policy if grant else None
    return Standing(
        dataset=dataset,
        grant=grant,
        policy=policy,
        derivatives=derivatives.of_user(db, user, dataset),
        requests=approvals.of_user(db, user, dataset),
        publications=publications.of_user(db, user, dataset),
        askable=rules.askable(policy) if policy else {},
        ever_held=entitlements.ever_held(db, user.id, dataset.id),
    )


@dataclass
class Queue:
    """What a reviewer has to answer across the datasets they review, oldest first."""

    derivatives: list[Derivative]
    requests: list[ApprovalRequest]
    datasets: dict[int, Dataset]
    people: dict[int, User]


def queue(db: Session, *, user: User | str) -> Queue:
    """(The server's shell sees every dataset's.)"""
    mine = None if isinstance(user, str) else access.reviewed_datasets(user)
    ids = sorted(mine) if mine is not None else list(db.scalars(select(Dataset.id)))
    found_d = derivatives.to_answer(db, ids)
    found_r = approvals.to_answer(db, ids)
    people_ids = {r.declared_by_id for r in found_d} | {r.requested_by_id for r in found_r}
    people = {i: identity.user_by_id(db, i) for i in people_ids if i is not None}
    datasets = {
        i: catalog.dataset_by_id(db, i) for i in {r.dataset_id for r in found_d} | {r.dataset_id for r in found_r}
    }
    return Queue(found_d, found_r, datasets, people)


def reviewed_datasets(db: Session, *, user: User | str) -> list[Dataset]:
    """The datasets whose obligations `user` answers, by title."""
    mine = None if isinstance(user, str) else access.reviewed_datasets(user)
    query = select(Dataset).order_by(Dataset.title)
    if mine is not None:
        query = query.where(Dataset.id.in_(sorted(mine)))
    return list(db.scalars(query))


def require_reviews_any(user: User) -> None:
    if not access.reviews_any(user):
        raise PermissionDenied("this page is for the reviewers and curators of a dataset")
