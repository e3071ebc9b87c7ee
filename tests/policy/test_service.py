import pytest

from accord.audit.models import AuditEvent
from accord.catalog import service as catalog
from accord.errors import NotFound, PermissionDenied
from accord.identity import service as identity
from accord.policy import service as policies
from accord.policy.io import seed


@pytest.fixture
def dataset(db):
    return catalog.create_dataset(
        db, slug="shhq", title="SHHQ: full-body images", custodian="Shanghai AI Lab", actor="cli"
    )


def test_the_first_policy_is_version_one_and_reads_back_equal(db, dataset):
    terms = policies.set_policy(db, dataset.id, seed("shhq"), actor="cli", note="initial")
    assert terms.version == 1 and policies.get(db, dataset.id).policy == seed("shhq")
    assert terms.clauses()[0].text.startswith("You may use SHHQ only for research")


def test_changed_terms_append_a_version_and_identical_terms_do_not(db, dataset):
    policies.set_policy(db, dataset.id, seed("shhq"), actor="cli")
    same = policies.set_policy(db, dataset.id, seed("shhq"), actor="cli")
    assert same.version == 1
    changed = policies.set_policy(
        db, dataset.id, seed("shhq").model_copy(update={"access_days": 365}), actor="cli", note="one-year licences"
    )
    assert changed.version == 2 and [v.version for v in policies.versions(db, dataset.id)] == [1, 2]
    assert policies.get(db, dataset.id, 1).policy.access_days is None  # old versions never change
    assert [(c.key, c.change) for c in policies.compare(db, dataset.id, 1, 2)] == [("duration", "added")]
    assert db.query(AuditEvent).filter_by(action="policy.set").count() == 2


def test_only_curators_of_the_dataset_may_set_terms(db, dataset):
    applicant = identity.create_user(db, email="a@uni.example", name="A", password="a long passphrase!")
    with pytest.raises(PermissionDenied):
        policies.set_policy(db, dataset.id, seed("shhq"), actor=applicant)
    assert policies.current(db, dataset.id) is None
    curator = identity.create_user(db, email="c@uni.example", name="C", password="a long passphrase!")
    identity.grant_role(db, curator, "curator", dataset_id=dataset.id)
    assert policies.set_policy(db, dataset.id, seed("shhq"), actor=curator).version == 1


def test_a_dataset_without_terms_or_an_unknown_version_is_not_found(db, dataset):
    with pytest.raises(NotFound, match="no licence terms"):
        policies.get(db, dataset.id)
    policies.set_policy(db, dataset.id, seed("shhq"), actor="cli")
    with pytest.raises(NotFound, match="version 7"):
        policies.get(db, dataset.id, 7)


def test_exports_name_the_dataset_and_its_custodian(db, dataset):
    terms = policies.set_policy(db, dataset.id, seed("shhq"), actor="cli")
    odrl = policies.odrl(terms, base_url="https://data.lab.example", slug="shhq")
    assert odrl["assigner"] == "Shanghai AI Lab" and odrl["uid"].endswith("/shhq/policy?version=1")
    assert {"GRU", "NCU", "IS", "US"} == {c["shorthand"] for c in policies.duo(terms)["codes"]}
