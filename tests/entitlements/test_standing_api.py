"""Revocations that stick through the REST API and `accord grants`: curators make a revocation permanent or lift
it; reviewers read earlier revocations in the application view; applying after a permanent one is refused."""

from sqlalchemy import select

from accord.access import service as access
from accord.audit.models import AuditEvent
from accord.cli import main as cli
from accord.entitlements import service as entitlements
from accord.identity import service as identity
from tests.access.helpers import answers, dataset_with_terms, person
from tests.cli import run


def world(rt, tmp_path):
    """Ana's LLVIP grant revoked by Cora (a curator); Rui reviews LLVIP; an API token each."""
    llvip = dataset_with_terms(rt, tmp_path, "llvip")
    with rt.session() as db:
        cora = person(db, "cora@lab.example", "curator")
        rui = person(db, "rui@lab.example", reviewer_of=llvip)
        ana = person(db, "ana@lab.example")
        _apply(rt, db, ana)
        grant = entitlements.newest(db, ana, llvip.id)
        entitlements.revoke(db, grant.id, actor=cora, reason="shared the images")
        tokens = {
            u.email.split("@")[0]: {"Authorization": f"Bearer {identity.create_api_token(db, u, name='t').secret}"}
            for u in (ana, cora, rui)
        }
    return grant.id, tokens


def _apply(rt, db, ana):
    record = access.start(db, "llvip", actor=ana, answers=answers("llvip", ana.email))
    access.sign(rt, db, record.id, actor=ana, full_name="Ana Lima", consent=True)
    return access.submit(db, record.id, actor=ana)


def test_reviewers_read_the_revocation_and_curators_make_it_permanent_then_lift_it(client, rt, tmp_path):
    grant_id, tok = world(rt, tmp_path)
    with rt.session() as db:
        held = _apply(rt, db, identity.user_by_email(db, "ana@lab.example"))
    view = client.get(f"/api/v1/applications/{held.id}", headers=tok["rui"]).json()
    assert view["status"] == "submitted"
    [earlier] = view["earlier_revocations"]
    assert (earlier["grant_id"], earlier["reason"], earlier["revoked_by"], earlier["standing"]) == (
        grant_id,
        "shared the images",
        "Cora",
        None,
    )
    assert earlier["revoked_at"]
    mine = client.get(f"/api/v1/applications/{held.id}", headers=tok["ana"]).json()
    assert mine["earlier_revocations"] == []  # who revoked is for the reviewers
    client.post(f"/api/v1/applications/{held.id}/withdraw", headers=tok["ana"])

    assert (
        client.post(f"/api/v1/entitlements/{grant_id}/permanent", json={"reason": "x"}, headers=tok["rui"]).status_code
        == 403
    )
    assert (
        client.post(f"/api/v1/entitlements/{grant_id}/permanent", json={"reason": ""}, headers=tok["cora"]).status_code
        == 422
    )
    done = client.post(
        f"/api/v1/entitlements/{grant_id}/permanent", json={"reason": "second breach"}, headers=tok["cora"]
    )
    assert done.status_code == 200
    assert (done.json()["standing"], done.json()["standing_reason"]) == ("permanent", "second breach")
    refused = client.post("/api/v1/datasets/llvip/applications", json={"answers": {}}, headers=tok["ana"])
    assert refused.status_code == 403
    assert "may not apply for LLVIP again" in refused.json()["detail"]
    assert "write to" in refused.json()["detail"]

    lifted = client.post(f"/api/v1/entitlements/{grant_id}/lift", json={"reason": "appeal upheld"}, headers=tok["cora"])
    assert lifted.status_code == 200 and lifted.json()["standing"] == "lifted"
    assert (
        client.post("/api/v1/datasets/llvip/applications", json={"answers": {}}, headers=tok["ana"]).status_code == 201
    )


def test_a_grant_in_force_cannot_be_made_permanent_over_the_api(client, rt, tmp_path):
    _grant_id, tok = world(rt, tmp_path)
    with rt.session() as db:
        ana = identity.user_by_email(db, "ana@lab.example")
        record = _apply(rt, db, ana)
        access.approve(db, record.id, actor=identity.user_by_email(db, "rui@lab.example"))
        current = entitlements.newest(db, ana, record.state.dataset_id).id
    answer = client.post(f"/api/v1/entitlements/{current}/permanent", json={"reason": "x"}, headers=tok["cora"])
    assert answer.status_code == 409 and "not been revoked" in answer.json()["detail"]


def test_accord_grants_permanent_and_lift(rt, tmp_path, capsys):
    grant_id, _ = world(rt, tmp_path)
    cli.use_runtime(rt)
    try:
        assert run("grants", "permanent", str(grant_id), "--reason", "second breach", "--as", "cora@lab.example") == 0
        assert "is permanent" in capsys.readouterr().out
        assert run("grants", "list", "llvip", "--as", "cora@lab.example") == 0
        assert "(permanent:" in capsys.readouterr().out
        assert run("grants", "lift", str(grant_id), "--as", "cora@lab.example") != 0  # a reason is needed
        assert "say why" in capsys.readouterr().err
        assert run("grants", "lift", str(grant_id), "--reason", "x", "--as", "rui@lab.example") != 0
        assert run("grants", "lift", str(grant_id), "--reason", "appeal upheld", "--as", "cora@lab.example") == 0
        assert "is lifted" in capsys.readouterr().out
        with rt.session() as db:
            assert entitlements.get(db, grant_id).standing == "lifted"
            actions = list(
                db.scalars(
                    select(AuditEvent.action).where(
                        AuditEvent.object_id == str(grant_id), AuditEvent.object_type == "entitlement"
                    )
                )
            )
        assert actions[-2:] == ["entitlement.revocation_permanent", "entitlement.revocation_lifted"]
    finally:
        cli.use_runtime(None)
