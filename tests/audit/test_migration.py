"""The migration that adds the audit log's dataset_id fills it in for the events written before it, from what
they name, and leaves the chain as it was."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, select, text, update
from sqlalchemy.orm import Session

from accord import dbmigrate
from accord.access.models import Application
from accord.audit import service as audit
from accord.audit.models import AuditEvent
from accord.catalog import service as catalog
from accord.db import unit_of_work
from accord.entitlements import service as entitlements
from accord.identity import service as identity
from accord.policy import service as policies
from accord.policy.io import seed

BEFORE = "84367fa6d981"  # obligations, the revision before this one


def older_events(db) -> dict[str, int]:
    """A dataset with a version, an application and a grant, and events naming each the way events did before
    the column (no dataset in their data); returns what each event's dataset should be."""
    ds = catalog.create_dataset(db, slug="old-ds", title="Old", custodian="Lab", actor="cli")
    other = catalog.create_dataset(db, slug="other-ds", title="Other", custodian="Lab", actor="cli")
    version = catalog.create_version(db, ds.id, label="1.0", actor="cli")
    policies.set_policy(db, ds.id, seed("shhq"), actor="cli")
    user = identity.create_user(db, email="old@lab.example", name="Old", password="correct horse battery")
    with unit_of_work(db):
        app = Application(dataset_id=ds.id, applicant_id=user.id, policy_version=1, status="draft")
        db.add(app)
        grant = entitlements.grant(db, dataset_id=ds.id, user_id=user.id, policy_version=1, actor=None)
    named = {
        "version": ("dataset_version", version.id, {}),
        "application": ("application", app.id, {}),
        "grant": ("entitlement", grant.id, {}),
        "dataset": ("dataset", other.id, {}),
        "role": ("user", user.id, {"role": "curator", "dataset_id": other.id}),
        "mail": ("outbox_message", 1, {"to": "old@lab.example"}),
        "gone": ("application", 999_999, {}),
    }
    with unit_of_work(db):
        for action, (kind, oid, data) in named.items():
            audit.record(db, actor="cli", action=f"old.{action}", object=(kind, oid), data=data)
        db.execute(update(AuditEvent).values(dataset_id=None))  # as the log was before the column
    return {
        "old.version": ds.id,
        "old.application": ds.id,
        "old.grant": ds.id,
        "old.dataset": other.id,
        "old.role": other.id,
        "old.mail": None,
        "old.gone": None,
    }


def test_the_upgrade_fills_in_each_older_events_dataset_and_the_chain_still_verifies(db_rt):
    with db_rt.engine.connect() as conn:
        outer = conn.begin()
        db = Session(bind=conn, join_transaction_mode="create_savepoint")
        wanted = older_events(db)
        cfg = dbmigrate.alembic_config(connection=conn)
        command.downgrade(cfg, BEFORE)
        assert "dataset_id" not in {c["name"] for c in inspect(conn).get_columns("audit_event")}
        command.upgrade(cfg, "head")
        db.expire_all()
        rows = db.execute(select(AuditEvent.action, AuditEvent.dataset_id).where(AuditEvent.action.like("old.%")))
        found = {action: dataset for action, dataset in rows}  # noqa: C416
        assert found == wanted
        assert audit.verify(db).ok
        assert conn.execute(text("SELECT count(*) FROM audit_event WHERE dataset_id IS NOT NULL")).scalar() >= 5
        db.close()
        outer.rollback()
