import pytest

from accord.identity import service as identity
from accord.policy import service as policies
from accord.policy.io import dump_yaml, seed
from tests.identity.helpers import make_user
from tests.jobs.catalogue import published_dataset


@pytest.fixture
def world(rt, tmp_path):
    dataset, _ = published_dataset(rt, tmp_path, "shhq", title="SHHQ: full-body images", count=2, previews=1)
    curator = make_user(rt, "curator@lab.example", "curator")
    applicant = make_user(rt, "someone@uni.example")
    with rt.session() as db:
        tokens = {
            name: identity.create_api_token(db, user, name="t").secret
            for name, user in (("curator", curator), ("applicant", applicant))
        }
    return dataset, tokens


def put(client, token, text, **params):
    return client.put(
        "/api/v1/datasets/shhq/policy",
        content=text,
        params=params,
        headers={"Authorization": f"Bearer {token}", "content-type": "application/yaml"},
    )


def test_a_curator_sets_terms_and_anyone_reads_them_with_their_clauses(client, world):
    _, tokens = world
    response = put(client, tokens["curator"], dump_yaml(seed("shhq")), note="first terms")
    assert response.status_code == 200 and response.json()["version"] == 1
    body = client.get("/api/v1/datasets/shhq/policy").json()
    assert body["policy"]["redistribution"] == "single_site_internal" and body["note"] == "first terms"
    assert any(c["key"] == "termination" for c in body["clauses"])


def test_json_documents_are_accepted_too(client, world):
    _, tokens = world
    response = put(client, tokens["curator"], seed("llvip").model_dump_json())
    assert response.status_code == 200 and response.json()["policy"]["review"]["mode"] == "automatic"


def test_an_invalid_policy_is_a_422_naming_the_field_and_changes_nothing(client, rt, world):
    dataset, tokens = world
    response = put(client, tokens["curator"], "purposes: [trading]\n")
    assert response.status_code == 422 and "purposes.0" in response.json()["detail"]
    with rt.session() as db:
        assert policies.current(db, dataset.id) is None


def test_a_huge_policy_document_is_refused(client, world):
    _, tokens = world
    response = put(client, tokens["curator"], "purposes: [research]\n#" + "x" * 300_000)
    assert response.status_code == 413


def test_an_applicant_cannot_set_terms(client, world):
    _, tokens = world
    assert put(client, tokens["applicant"], dump_yaml(seed("shhq"))).status_code == 403


def test_diff_and_exports(client, world):
    _, tokens = world
    put(client, tokens["curator"], dump_yaml(seed("shhq")))
    put(client, tokens["curator"], dump_yaml(seed("shhq").model_copy(update={"custodian_may_terminate": False})))
    diff = client.get("/api/v1/datasets/shhq/policy/diff", params={"from": 1, "to": 2}).json()
    assert [(c["key"], c["change"]) for c in diff] == [("termination", "removed")]
    assert client.get("/api/v1/datasets/shhq/policy", params={"version": 1}).json()["version"] == 1
    duo = client.get("/api/v1/datasets/shhq/policy/duo").json()
    assert "NCU" in {c["shorthand"] for c in duo["codes"]}
    odrl = client.get("/api/v1/datasets/shhq/policy/odrl")
    assert odrl.headers["content-type"].startswith("application/ld+json") and odrl.json()["@type"] == "Offer"


def test_a_dataset_without_terms_answers_404(client, world):
    assert client.get("/api/v1/datasets/shhq/policy").status_code == 404
