"""factory-boy factories for rows a test needs as a given, not as what it tests: a person, a dataset, a grant.
Each writes straight to the session the test binds (`bind(db)`); the services under test are still the only way
state changes in the test's own steps."""

from __future__ import annotations

from datetime import timedelta

import factory
from factory.alchemy import SQLAlchemyModelFactory

from accord.catalog.models import Dataset
from accord.db import utcnow
from accord.entitlements.models import Entitlement
from accord.identity.models import User


class _Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_persistence = "flush"


class UserFactory(_Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@uni.example")
    name = factory.Sequence(lambda n: f"Person {n}")
    password_hash = None  # signs in by link or token only
    email_verified_at = factory.LazyFunction(utcnow)


class DatasetFactory(_Base):
    class Meta:
        model = Dataset

    slug = factory.Sequence(lambda n: f"set-{n}")
    title = factory.LazyAttribute(lambda d: f"{d.slug.upper()}: person images")
    custodian = "Example University"


class EntitlementFactory(_Base):
    class Meta:
        model = Entitlement

    dataset_id = factory.LazyFunction(lambda: DatasetFactory().id)
    user_id = factory.LazyFunction(lambda: UserFactory().id)
    policy_version = 1
    starts_at = factory.LazyFunction(lambda: utcnow() - timedelta(days=1))
    expires_at = None


FACTORIES = (UserFactory, DatasetFactory, EntitlementFactory)


def bind(db) -> None:
    """Point every factory at the test's session."""
    for f in FACTORIES:
        f._meta.sqlalchemy_session = db
