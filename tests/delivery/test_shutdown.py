"""Download-log rows still in memory are written when the app shuts down."""

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from accord.db import unit_of_work
from accord.delivery import service as delivery
from accord.delivery.models import DownloadLog
from accord.entitlements import service as entitlements
from accord.identity import service as identity
from accord.policy import service as policies
from accord.policy.io import seed
from accord.web.app import create_app
from tests.jobs.catalogue import published_dataset


def test_the_download_log_is_flushed_at_shutdown(rt, tmp_path):
    dataset, version = published_dataset(rt, tmp_path, "shhq", title="SHHQ", count=1, previews=0)
    with rt.session() as db:
        policies.set_policy(db, dataset.id, seed("shhq"), actor="cli")
        ana = identity.create_user(db, email="ana@mit.edu", name="Ana", password="a long passphrase!")
        with unit_of_work(db):
            grant = entitlements.grant(db, dataset_id=dataset.id, user_id=ana.id, policy_version=1, actor="cli")
    with TestClient(create_app(rt)):
        writer = delivery.state(rt).log
        writer.every = 3600  # nothing is due on its own during the test
        writer.add(
            user_id=ana.id,
            entitlement_id=grant.id,
            version_id=version.id,
            object=f"manifest:{version.id}",
            offset=0,
            nbytes=10,
        )
        with rt.session() as db:
            assert db.scalar(select(func.count()).select_from(DownloadLog)) == 0
    with rt.session() as db:
        assert db.scalar(select(func.count()).select_from(DownloadLog)) == 1
