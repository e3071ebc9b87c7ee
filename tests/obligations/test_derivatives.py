"""The derivatives registry: what the terms make of each kind, the custodian's answer, the public listing."""

from __future__ import annotations

import pytest

from accord.db import utcnow
from accord.entitlements import service as entitlements
from accord.errors import IllegalTransition, InvalidInput, NotFound, PermissionDenied
from accord.notify.models import OutboxMessage
from accord.obligations import service as obligations
from tests.obligations.helpers import dataset_under, licensee

RELATION = "Bounding boxes for every pedestrian in the infrared frames of the original pairs."


def _mails(db, template):
    return [m.to for m in db.query(OutboxMessage).filter(OutboxMessage.template == template)]


def test_llvip_annotations_are_recorded_listed_with_credit_and_show_the_original_citation(
    db_rt, tmp_path
):  # on SQLite and PostgreSQL
    rt = db_rt
    ds, version, reviewer = dataset_under(rt, tmp_path, "llvip")
    ana, _grant = licensee(rt, ds, "ana@uni.example.org")
    with rt.session() as db:
        with pytest.raises(InvalidInput, match="how it relates") as exc:  # LLVIP asks for the relationship
            obligations.declare_derivative(db, "llvip", actor=ana, kind="annotations", title="Boxes", relation="")
        assert exc.value.field == "relation"
        row = obligations.declare_derivative(
            db, "llvip", actor=ana, kind="annotations", title="LLVIP pedestrian boxes v2", relation=RELATION,
            location="https://example.org/boxes", licence="CC BY 4.0", authors="Ana Lima, Rui Sá", wants_listing=True,
        )  # fmt: skip
        assert (row.status, row.listed, row.version_id) == ("recorded", False, version.id)
        assert "LLVIP" in row.citation  # how its users must cite the original, from the terms
        assert _mails(db, "obligation-to-review") == [reviewer.email]  # they asked to be listed
        assert obligations.listed_derivatives(db, ds.id) == []
        with pytest.raises(NotFound):  # not listed yet: the public does not see it
            obligations.derivative(db, row.id, user=None)
        assert [d.id for d in obligations.queue(db, user=reviewer).derivatives] == [row.id]
        with pytest.raises(PermissionDenied):
            obligations.list_derivative(db, row.id, listed=True, actor=ana)  # the licensee cannot list it
        obligations.list_derivative(db, row.id, listed=True, actor=reviewer)
        assert [d.title for d in obligations.listed_derivatives(db, ds.id)] == ["LLVIP pedestrian boxes v2"]
        assert obligations.derivative(db, row.id, user=None).authors == "Ana Lima, Rui Sá"
        assert obligations.queue(db, user=reviewer).derivatives == []  # answered


def test_a_derivative_not_offered_for_listing_is_never_listed(rt, tmp_path):
    ds, _version, reviewer = dataset_under(rt, tmp_path, "llvip")
    ana, _grant = licensee(rt, ds, "ana@uni.example.org")
    with rt.session() as db:
        row = obligations.declare_derivative(
            db, "llvip", actor=ana, kind="model", title="A detector", relation=RELATION
        )
        assert row.status == "recorded" and _mails(db, "obligation-to-review") == []  # nothing to answer
        with pytest.raises(InvalidInput, match="did not ask to be listed"):
            obligations.list_derivative(db, row.id, listed=True, actor=reviewer)
        assert obligations.listed_derivatives(db, ds.id) == []


def test_cion_al_copies_wait_for_approval_and_a_refusal_needs_a_reason(db_rt, tmp_path):  # on SQLite and PostgreSQL
    rt = db_rt
    ds, _version, reviewer = dataset_under(rt, tmp_path, "cion-al")
    ana, _grant = licensee(rt, ds, "ana@uni.example.org")
    with rt.session() as db:
        crops = obligations.declare_derivative(db, "cion-al", actor=ana, kind="processed", title="Face-blurred crops")
        subset = obligations.declare_derivative(db, "cion-al", actor=ana, kind="subset", title="Night subset")
        labels = obligations.declare_derivative(db, "cion-al", actor=ana, kind="annotations", title="Pose keypoints")
        assert (crops.status, subset.status, labels.status) == ("pending", "pending", "recorded")
        with pytest.raises(InvalidInput, match="do not let the custodian list"):
            obligations.declare_derivative(
                db, "cion-al", actor=ana, kind="annotations", title="More", wants_listing=True
            )
        with pytest.raises(InvalidInput, match="say why"):
            obligations.decide_derivative(db, crops.id, decision="refuse", actor=reviewer, note="")
        assert obligations.derivative(db, crops.id, user=reviewer).status == "pending"  # nothing changed
        obligations.decide_derivative(db, crops.id, decision="approve", actor=reviewer, note="fine, blur kept")
        obligations.decide_derivative(db, subset.id, decision="refuse", actor=reviewer, note="covers every subject")
        with pytest.raises(IllegalTransition):
            obligations.decide_derivative(db, subset.id, decision="approve", actor=reviewer)
        assert _mails(db, "obligation-decided") == [ana.email, ana.email]
        assert obligations.derivative(db, subset.id, user=ana).decision_note == "covers every subject"


def test_at_ustc_forbids_copies_outright(rt, tmp_path):
    ds, _version, _reviewer = dataset_under(rt, tmp_path, "at-ustc")
    ana, _grant = licensee(rt, ds, "ana@uni.example.org")
    with rt.session() as db, pytest.raises(InvalidInput, match="forbid any modified or partial copy"):
        obligations.declare_derivative(db, "at-ustc", actor=ana, kind="processed", title="Crops")


def test_no_declaration_without_a_grant_in_force(rt, tmp_path):
    ds, _version, _reviewer = dataset_under(rt, tmp_path, "llvip")
    ana, grant = licensee(rt, ds, "ana@uni.example.org")
    eve, eve_grant = licensee(rt, ds, "eve@uni.example.org")
    stranger, _ = licensee(rt, dataset_under(rt, tmp_path, "shhq")[0], "bo@else.example.org")
    with rt.session() as db:
        with pytest.raises(PermissionDenied, match="you hold no access"):
            obligations.declare_derivative(db, "llvip", actor=stranger, kind="model", title="X", relation=RELATION)
        entitlements.revoke(db, grant, actor="cli", reason="misuse")
        with pytest.raises(PermissionDenied, match="has ended"):
            obligations.declare_derivative(db, "llvip", actor=ana, kind="model", title="X", relation=RELATION)
        entitlements.get(db, eve_grant).expires_at = utcnow()
        db.commit()
        with pytest.raises(PermissionDenied, match="has ended"):
            obligations.declare_derivative(db, "llvip", actor=eve, kind="model", title="X", relation=RELATION)
        assert obligations.standing(db, "llvip", user=ana).derivatives == []  # nothing was recorded


def test_an_unknown_kind_is_refused_by_name(rt, tmp_path):
    ds, _version, _reviewer = dataset_under(rt, tmp_path, "llvip")
    ana, _grant = licensee(rt, ds, "ana@uni.example.org")
    with rt.session() as db, pytest.raises(InvalidInput, match="choose what it is: annotations, subset") as exc:
        obligations.declare_derivative(db, "llvip", actor=ana, kind="poster", title="X", relation=RELATION)
    assert exc.value.field == "kind"
