"""Requests for approval: what the terms leave room for, and an approval that widens the grant exactly as asked."""

from __future__ import annotations

import pytest

from accord.access import service as access
from accord.entitlements import service as entitlements
from accord.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from accord.identity import service as identity
from accord.obligations import service as obligations
from accord.policy.io import seed
from accord.policy.schema import Redistribution, Review, ReviewMode
from tests.access.helpers import answers
from tests.obligations.helpers import dataset_under, licensee

LAB, OTHER = "192.0.2.0/24", "198.51.100.0/24"
WHY = "Our second lab in Porto runs the same re-identification benchmark."


def _grant(rt, grant_id):
    with rt.session() as db:
        return entitlements.get(db, grant_id)


def test_cion_al_a_second_unit_joins_the_grant_with_its_networks_once_approved(
    db_rt, tmp_path
):  # on SQLite and PostgreSQL
    rt = db_rt
    ds, _version, reviewer = dataset_under(rt, tmp_path, "cion-al")
    ana, grant = licensee(rt, ds, "ana@uni.example.org", networks=[LAB])
    with rt.session() as db:
        assert entitlements.check(db, ana, ds.id, address="198.51.100.7").code == "network"
        with pytest.raises(InvalidInput, match="name the other unit's") as exc:  # a site-limited grant
            obligations.ask_approval(db, "cion-al", actor=ana, kind="unit", description=WHY, unit="Porto Lab")
        assert exc.value.field == "networks"
        with pytest.raises(InvalidInput, match="already covers"):
            obligations.ask_approval(
                db, "cion-al", actor=ana, kind="unit", description=WHY, unit="vision lab", networks=[OTHER]
            )
        ask = obligations.ask_approval(
            db, "cion-al", actor=ana, kind="unit", description=WHY, unit="Porto Lab", networks=[OTHER, "203.0.113.0/24"]
        )
        with pytest.raises(Conflict, match="already asked"):
            obligations.ask_approval(
                db, "cion-al", actor=ana, kind="unit", description=WHY, unit="Porto Lab", networks=[OTHER]
            )
        assert [r.id for r in obligations.queue(db, user=reviewer).requests] == [ask.id]
        # an approval may allow less than was asked, never more; refused, the grant is as it was
        with pytest.raises(InvalidInput, match="cannot allow more than was asked: 10.0.0.0/8"):
            obligations.decide_approval(db, ask.id, decision="approve", actor=reviewer, networks=[OTHER, "10.0.0.0/8"])
        assert _grant(rt, grant).networks == [LAB]
        assert obligations.approval_request(db, ask.id, user=reviewer).status == "pending"
        obligations.decide_approval(
            db, ask.id, decision="approve", actor=reviewer, networks=[OTHER], conditions="Porto keeps no copy"
        )
    after = _grant(rt, grant)
    assert after.networks == [LAB, OTHER] and [u["unit"] for u in after.added_units] == ["Porto Lab"]
    with rt.session() as db:
        assert entitlements.check(db, ana, ds.id, address="198.51.100.7").allowed  # the second unit downloads
        assert entitlements.check(db, ana, ds.id, address="203.0.113.9").code == "network"  # not what was left out
        row = obligations.approval_request(db, ask.id, user=ana)
        assert (row.status, row.granted_networks, row.conditions) == ("approved", [OTHER], "Porto keeps no copy")


def test_a_grant_open_to_any_address_stays_open_when_a_unit_joins(rt, tmp_path):
    ds, _version, reviewer = dataset_under(rt, tmp_path, "cion-al")
    ana, grant = licensee(rt, ds, "ana@uni.example.org")
    with rt.session() as db:
        ask = obligations.ask_approval(db, "cion-al", actor=ana, kind="unit", description=WHY, unit="Porto Lab")
        obligations.decide_approval(db, ask.id, decision="approve", actor=reviewer)
    assert _grant(rt, grant).networks == []  # adding ranges would have narrowed it
    assert _grant(rt, grant).added_units[0]["unit"] == "Porto Lab"


def test_a_revoked_grant_keeps_its_scope_and_a_refusal_changes_nothing(db_rt, tmp_path):  # on SQLite and PostgreSQL
    rt = db_rt
    ds, _version, reviewer = dataset_under(rt, tmp_path, "cion-al")
    ana, grant = licensee(rt, ds, "ana@uni.example.org", networks=[LAB])
    with rt.session() as db:
        first = obligations.ask_approval(
            db, "cion-al", actor=ana, kind="unit", description=WHY, unit="Porto Lab", networks=[OTHER]
        )
        second = obligations.ask_approval(db, "cion-al", actor=ana, kind="commercial", description=WHY)
        with pytest.raises(InvalidInput, match="say why"):
            obligations.decide_approval(db, second.id, decision="refuse", actor=reviewer)
        obligations.decide_approval(db, second.id, decision="refuse", actor=reviewer, note="no commercial use")
        entitlements.revoke(db, grant, actor="cli", reason="left the lab")
        with pytest.raises(Conflict, match="access has ended"):
            obligations.decide_approval(db, first.id, decision="approve", actor=reviewer)
        assert obligations.approval_request(db, first.id, user=reviewer).status == "pending"  # rolled back
        obligations.decide_approval(db, first.id, decision="refuse", actor=reviewer, note="access ended")
        with pytest.raises(IllegalTransition):
            obligations.decide_approval(db, first.id, decision="approve", actor=reviewer)
        with pytest.raises(PermissionDenied, match="has ended"):  # and nothing new is asked under it
            obligations.ask_approval(db, "cion-al", actor=ana, kind="modify", description=WHY)
    assert _grant(rt, grant).networks == [LAB] and _grant(rt, grant).added_units == []


@pytest.mark.parametrize(
    ("slug", "kind", "words"),
    [
        ("llvip", "modify", "allow modification without approval"),
        ("at-ustc", "modify", "forbid any modification"),
        ("llvip", "commercial", "forbid commercial use"),
        ("llvip", "redistribute", "forbid passing the data on"),
        ("at-ustc", "unit", "inside the approved unit, with no exception"),
        ("shhq", "unit", "inside one site"),
        ("llvip", "sell", "choose what you ask for"),
    ],
)
def test_requests_the_terms_leave_no_room_for_are_refused(rt, tmp_path, slug, kind, words):
    ds, _version, _reviewer = dataset_under(rt, tmp_path, slug)
    ana, _grant = licensee(rt, ds, "ana@uni.example.org")
    with rt.session() as db:
        with pytest.raises(InvalidInput, match=words):
            obligations.ask_approval(db, slug, actor=ana, kind=kind, description=WHY, party_name="X", unit="Y")
        assert obligations.standing(db, slug, user=ana).requests == []


def test_a_licensee_never_sees_another_licensees_request(rt, tmp_path):
    ds, _version, reviewer = dataset_under(rt, tmp_path, "cion-al")
    ana, _ = licensee(rt, ds, "ana@uni.example.org")
    eve, _ = licensee(rt, ds, "eve@uni.example.org")
    with rt.session() as db:
        ask = obligations.ask_approval(db, "cion-al", actor=ana, kind="modify", description=WHY)
        for nosy in (eve, None):
            with pytest.raises(NotFound):
                obligations.approval_request(db, ask.id, user=nosy)
        with pytest.raises(NotFound):  # nor decides it
            obligations.decide_approval(db, ask.id, decision="approve", actor=eve)
        with pytest.raises(NotFound):
            obligations.withdraw_approval(db, ask.id, actor=eve)
        obligations.withdraw_approval(db, ask.id, actor=ana)
        assert obligations.approval_request(db, ask.id, user=reviewer).status == "withdrawn"


def test_a_named_party_the_custodian_approved_is_approved_without_a_new_review_while_the_grant_holds(
    db_rt, tmp_path
):  # on SQLite and PostgreSQL
    rt = db_rt
    terms = seed("llvip").model_copy(  # a person reviews every application, and passing the data on is asked
        update={"redistribution": Redistribution.on_approval, "review": Review(mode=ReviewMode.single)}
    )
    ds, _version, reviewer = dataset_under(rt, tmp_path, "llvip", terms)
    ana, grant = licensee(rt, ds, "ana@uni.example.org")
    party_email = "rui@partner.example.org"
    with rt.session() as db:
        with pytest.raises(InvalidInput, match="e-mail address"):
            obligations.ask_approval(db, "llvip", actor=ana, kind="redistribute", description=WHY, party_name="Rui")
        ask = obligations.ask_approval(
            db, "llvip", actor=ana, kind="redistribute", description=WHY, party_name="Rui Sá", party_email=party_email
        )
        obligations.decide_approval(db, ask.id, decision="approve", actor=reviewer)
        rui = identity.create_user(db, email=party_email, name="Rui Sá", password="correct horse battery", roles=[])
        mo = identity.create_user(db, email="mo@partner.example.org", name="Mo", password="correct horse battery")

    def applies(user):
        with rt.session() as db:
            record = access.start(db, "llvip", actor=user, answers=answers("llvip", user.email))
            access.sign(rt, db, record.id, actor=user, full_name=user.name, consent=True)
            return access.submit(db, record.id, actor=user).state.status.value

    assert applies(rui) == "approved"  # no reviewer was asked
    assert applies(mo) == "submitted"  # anyone else waits for a person
    with rt.session() as db:
        assert obligations.preapproved(db, _application_of(db, rui)) is not None
        entitlements.revoke(db, grant, actor="cli", reason="ended")
    with rt.session() as db:  # the clearance hangs on the grant it came from: a new application waits for a person
        assert obligations.preapproved(db, _application_of(db, rui)) is None


def _application_of(db, user):
    from sqlalchemy import select

    from accord.access.models import Application

    return db.scalars(select(Application).where(Application.applicant_id == user.id)).one()
