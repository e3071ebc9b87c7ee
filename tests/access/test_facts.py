"""What other domains read of applications through the access door (training asks these, never the table)."""

from __future__ import annotations

from accord.access import service as access
from tests.access.helpers import dataset_with_terms, person
from tests.access.test_service import signed


def test_facts_and_datasets_applied_for(db_rt, db, tmp_path):
    llvip = dataset_with_terms(db_rt, tmp_path, "llvip")
    shhq = dataset_with_terms(db_rt, tmp_path, "shhq")
    ana, bea = person(db, "ana@lab.example"), person(db, "bea@lab.example")
    one = signed(db_rt, db, "llvip", ana)
    signed(db_rt, db, "shhq", ana)
    got = access.facts(db, one.id)
    assert (got.id, got.applicant_id, got.dataset_id, got.policy_version, got.status) == (
        one.id,
        ana.id,
        llvip.id,
        1,
        "draft",
    )
    assert access.facts(db, one.id + 1000) is None
    assert sorted(access.datasets_applied_for(db, ana.id)) == sorted([llvip.id, shhq.id])
    assert access.datasets_applied_for(db, bea.id) == []
