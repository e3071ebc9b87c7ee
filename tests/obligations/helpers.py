"""Datasets under each seed's terms (or variants), licensees holding grants, and a reviewer."""

from __future__ import annotations

from accord.db import unit_of_work
from accord.entitlements import service as entitlements
from accord.identity import service as identity
from accord.policy import service as policies
from accord.policy.io import seed
from tests.identity.helpers import make_user
from tests.jobs.catalogue import published_dataset


def dataset_under(rt, tmp_path, slug: str, policy=None, *, title: str | None = None):
    """A published dataset (one image) with `policy` (default: the seed of `slug`) as terms version 1, and a
    reviewer of it."""
    ds, version = published_dataset(rt, tmp_path, slug, title=title or slug.upper(), count=1, previews=0)
    reviewer = make_user(rt, f"reviewer@{slug}.example.org")
    with rt.session() as db:
        policies.set_policy(db, ds.id, policy or seed(slug), actor="cli")
        identity.grant_role(db, identity.user_by_id(db, reviewer.id), "reviewer", dataset_id=ds.id)
    return ds, version, loaded(rt, reviewer.id)


def licensee(rt, dataset, email: str, *, unit: str = "Vision Lab", networks=()):
    user = make_user(rt, email)
    with rt.session() as db, unit_of_work(db):
        ent = entitlements.grant(
            db, dataset_id=dataset.id, user_id=user.id, policy_version=1, actor=None, unit=unit, networks=networks
        )
    return user, ent.id


def loaded(rt, user_id: int):
    """A user with their roles loaded, for use after the session closes."""
    with rt.session() as db:
        user = identity.user_by_id(db, user_id)
        _ = list(user.roles)
    return user
