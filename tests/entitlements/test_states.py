"""The state of an application's grant: active, revoked, expired, paused by new terms, not started; read for many
applications in a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, select

from accord.access import service as access
from accord.db import unit_of_work, utcnow
from accord.entitlements import service as entitlements
from accord.entitlements import states
from accord.entitlements.models import Entitlement
from accord.policy import service as policies
from accord.policy.io import seed
from tests.access.helpers import dataset_with_terms, person


def _applications(db, dataset, user, n):
    """n applications (started, so their rows exist), each with a grant as an approval would make."""
    ids = []
    for _ in range(n):
        app_id = access.start(db, "llvip", actor=user).id
        access.withdraw(db, app_id, actor=user)  # the next one may start; the grant below is what counts here
        with unit_of_work(db):
            entitlements.grant(
                db,
                dataset_id=dataset.id,
                user_id=user.id,
                policy_version=1,
                actor="cli",
                application_id=app_id,
                starts_at=utcnow() - timedelta(days=1),
            )
        ids.append(app_id)
    return ids


def test_each_state_in_the_order_downloads_are_refused(db_rt, db, tmp_path):
    ds = dataset_with_terms(db_rt, tmp_path, "llvip")
    ana = person(db, "ana@lab.example")
    active, revoked, expiring = _applications(db, ds, ana, 3)
    grants = {g.application_id: g for g in db.scalars(select(Entitlement))}
    entitlements.revoke(db, grants[revoked].id, actor="cli", reason="misuse")
    with unit_of_work(db):
        grants[expiring].expires_at = utcnow() + timedelta(days=10)
    now = states.for_applications(db, [active, revoked, expiring, 999_999])
    assert set(now) == {active, revoked, expiring}  # no grant: no state
    assert now[active].state == "active" and now[active].words == "Access active"
    assert now[revoked].state == "revoked" and now[revoked].reason == "misuse"
    assert now[revoked].words.startswith("Access revoked on ")
    assert now[expiring].words.startswith("Access active until ")
    later = states.for_applications(db, [expiring], at=utcnow() + timedelta(days=11))
    assert later[expiring].state == "expired" and later[expiring].words.startswith("Access expired on ")
    before = states.for_application(db, active, at=utcnow() - timedelta(days=2))
    assert before.state == "not_started"
    policies.set_policy(db, ds.id, seed("llvip").model_copy(update={"access_days": 90}), actor="cli", note="new terms")
    paused = states.for_application(db, active)
    assert paused.state == "paused" and "accept the new terms" in paused.reason
    assert states.for_application(db, revoked).state == "revoked"  # a revocation outweighs new terms


def test_many_applications_cost_two_queries_not_one_each(db_rt, db, tmp_path):
    ds = dataset_with_terms(db_rt, tmp_path, "llvip")
    ana = person(db, "ana@lab.example")
    ids = _applications(db, ds, ana, 5)
    statements = []

    def listener(conn, cursor, statement, *rest):
        statements.append(statement)

    event.listen(db.get_bind(), "before_cursor_execute", listener)
    try:
        found = states.for_applications(db, ids)
    finally:
        event.remove(db.get_bind(), "before_cursor_execute", listener)
    assert len(found) == 5
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2


def test_a_later_revocation_and_an_expiry_read_the_same_for_the_applicant_and_the_curators(db_rt, db, tmp_path):
    """One derivation for both paths: an application's grant state and the dataset's "who has access" row agree,
    before and after a revocation dated in the future, for a grant that expired and was revoked, and for one that
    expired with a revocation still to come (the order of entitlements.check: revoked, not started, expired)."""
    ds = dataset_with_terms(db_rt, tmp_path, "llvip")
    ana = person(db, "ana@lab.example")
    later, expired_revoked, expired_then_later = _applications(db, ds, ana, 3)
    grants = {g.application_id: g for g in db.scalars(select(Entitlement))}
    now = utcnow()
    with unit_of_work(db):
        grants[expired_revoked].expires_at = now - timedelta(hours=2)
        grants[expired_then_later].expires_at = now - timedelta(hours=2)
    entitlements.revoke(db, grants[later].id, actor="cli", reason="ends next week", at=now + timedelta(days=7))
    entitlements.revoke(db, grants[expired_revoked].id, actor="cli", reason="misuse", at=now - timedelta(hours=1))
    entitlements.revoke(db, grants[expired_then_later].id, actor="cli", reason="too", at=now + timedelta(days=7))
    apps = [later, expired_revoked, expired_then_later]

    def both(at):
        of_applications = {app: s.state for app, s in states.for_applications(db, apps, at=at).items()}
        rows = {h.grant.application_id: h for h in states.holders(db, ds.id, actor="cli", at=at)}
        return of_applications, {app: rows[app].state for app in apps}, {app: rows[app].decidable for app in apps}

    of_applications, of_holders, decidable = both(now)
    assert of_applications == {later: "active", expired_revoked: "revoked", expired_then_later: "expired"}
    assert of_holders == of_applications
    assert decidable == {later: False, expired_revoked: True, expired_then_later: False}  # not revoked yet
    assert states.for_application(db, expired_revoked, at=now).reason == "misuse"

    of_applications, of_holders, decidable = both(now + timedelta(days=8))
    assert of_applications == {later: "revoked", expired_revoked: "revoked", expired_then_later: "revoked"}
    assert of_holders == of_applications
    assert decidable == {later: True, expired_revoked: True, expired_then_later: True}  # a person revoked each
