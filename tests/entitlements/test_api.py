from accord.cli import main as cli
from accord.db import unit_of_work
from accord.entitlements import service as entitlements
from accord.identity import service as identity
from accord.notify.models import OutboxMessage
from accord.policy import service as policies
from accord.policy.io import seed
from tests.jobs.catalogue import published_dataset


def setup(rt, tmp_path):
    dataset, _ = published_dataset(rt, tmp_path, "shhq", title="SHHQ", count=1, previews=0)
    with rt.session() as db:
        policies.set_policy(db, dataset.id, seed("shhq"), actor="cli")
        ana = identity.create_user(db, email="ana@mit.edu", name="Ana", password="a long passphrase!")
        curator = identity.create_user(
            db, email="cur@lab.example", name="Cur", password="a long passphrase!", roles=["curator"]
        )
        with unit_of_work(db):
            grant = entitlements.grant(
                db, dataset_id=dataset.id, user_id=ana.id, policy_version=1, actor="cli", unit="Vision Lab"
            )
        tokens = {u.email: identity.create_api_token(db, u, name="t").secret for u in (ana, curator)}
    return grant.id, tokens


def test_a_licensee_sees_their_grant_and_a_curator_revokes_it_with_a_reason(client, rt, tmp_path):
    grant_id, tokens = setup(rt, tmp_path)
    ana = {"Authorization": f"Bearer {tokens['ana@mit.edu']}"}
    cur = {"Authorization": f"Bearer {tokens['cur@lab.example']}"}
    assert [g["unit"] for g in client.get("/api/v1/entitlements", headers=ana).json()] == ["Vision Lab"]
    assert client.get("/api/v1/datasets/shhq/entitlements", headers=ana).status_code == 403
    assert len(client.get("/api/v1/datasets/shhq/entitlements", headers=cur).json()) == 1
    assert client.post(f"/api/v1/entitlements/{grant_id}/revoke", json={"reason": "x"}, headers=ana).status_code == 403
    assert client.post(f"/api/v1/entitlements/{grant_id}/revoke", json={"reason": ""}, headers=cur).status_code == 422
    done = client.post(
        f"/api/v1/entitlements/{grant_id}/revoke", json={"reason": "custodian ends SHHQ access"}, headers=cur
    )
    assert done.status_code == 200 and done.json()["revoke_reason"] == "custodian ends SHHQ access"
    with rt.session() as db:
        assert db.query(OutboxMessage).filter_by(to="ana@mit.edu", template="access-revoked").count() == 1


def test_the_cli_lists_and_revokes_grants(rt, tmp_path, capsys):
    grant_id, _ = setup(rt, tmp_path)
    cli.use_runtime(rt)
    try:
        cli.main(["grants", "list", "shhq"])
        assert "ana@mit.edu" in capsys.readouterr().out
        try:
            cli.main(["grants", "revoke", str(grant_id)])
        except SystemExit as exc:
            assert exc.code == 2  # a reason is required
        cli.main(["grants", "revoke", str(grant_id), "--reason", "terminated by the custodian"])
        cli.main(["grants", "list", "shhq"])
        assert "revoked:" in capsys.readouterr().out
        with rt.session() as db:
            assert entitlements.get(db, grant_id).revoke_reason == "terminated by the custodian"
    finally:
        cli.use_runtime(None)
