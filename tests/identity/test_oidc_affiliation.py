"""A trusted provider's affiliation claim as evidence: an applicant signed in through their institution passes
the institutional check with a webmail address, and the check's reason names the claim."""

from __future__ import annotations

import pytest

from accord.identity import service as identity
from tests.access.helpers import answers, dataset_with_terms
from tests.conftest import make_settings
from tests.identity.test_oidc_web import person


@pytest.fixture
def settings(tmp_path, oidc_provider):
    trusted = oidc_provider.settings("uni", trusted=True, trusted_affiliations=["staff", "faculty"])
    return make_settings(tmp_path, oidc_providers=[trusted, oidc_provider.settings("other", display_name="Other")])


def _checks_of_llvip_application(client, rt, email: str) -> dict:
    with rt.session() as db:
        token = identity.create_api_token(db, identity.user_by_email(db, email), name="t").secret
    who = {"Authorization": f"Bearer {token}"}
    client.cookies.clear()  # the API with the token alone
    made = client.post("/api/v1/datasets/llvip/applications", headers=who)
    assert made.status_code == 201, made.text
    app_id = made.json()["id"]
    saved = client.put(f"/api/v1/applications/{app_id}/answers", headers=who, json={"answers": answers("llvip", email)})
    assert saved.status_code == 200, saved.text
    client.post(f"/api/v1/applications/{app_id}/sign", headers=who, json={"full_name": "Ana Lima", "consent": True})
    body = client.post(f"/api/v1/applications/{app_id}/submit", headers=who).json()
    return {c["name"]: c for c in body["checks"]}


@pytest.mark.parametrize(
    ("provider", "affiliation", "passes"),
    [
        ("uni", ["staff@uni.example"], True),
        ("uni", ["affiliate@uni.example"], False),  # a kind the provider's settings do not allow
        ("other", ["staff@uni.example"], False),  # a provider that is not trusted
    ],
)
def test_a_trusted_affiliation_passes_the_institutional_check(
    client, rt, tmp_path, oidc_provider, provider, affiliation, passes
):
    dataset_with_terms(rt, tmp_path, "llvip")
    email = f"{tmp_path.name[-20:]}.x@gmail.com"  # a webmail address: not institutional by its domain
    username = person(oidc_provider, email=email, affiliation=affiliation)
    response = client.get(
        oidc_provider.sign_in(
            client.get(f"/login/oidc/{provider}", follow_redirects=False).headers["location"], username
        ),
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    check = _checks_of_llvip_application(client, rt, email)["institutional_email"]
    assert check["passed"] is passes
    if passes:
        assert (
            check["detail"]
            == "Example University asserts eduperson_scoped_affiliation staff@uni.example (at the latest sign-in)"
        )


def test_the_institutional_check_counts_a_given_affiliation_before_the_domain():
    from accord.access import checks

    result = checks.institutional_email(
        "a@gmail.com", affiliations=[("Uni", "eduperson_scoped_affiliation", "staff@u")]
    )
    assert result.passed and "eduperson_scoped_affiliation staff@u" in result.detail
    assert not checks.institutional_email("a@gmail.com").passed
