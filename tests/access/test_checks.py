import pytest

from accord.access import checks
from accord.policy.io import seed


@pytest.mark.parametrize(
    ("email", "passed"),
    [
        ("ada@hust.edu.cn", True),
        ("ada@cs.mit.edu", True),
        ("ada@ox.ac.uk", True),
        ("ada@gmail.com", False),
        ("ada@pjlab.org.cn", False),
    ],
)
def test_institutional_email_uses_the_academic_domain_list(email, passed):
    assert checks.institutional_email(email).passed is passed


def test_a_registered_organisation_domain_counts_as_institutional_including_subdomains():
    result = checks.institutional_email("li@ai.pjlab.org.cn", organisation_domains={"pjlab.org.cn"})
    assert result.passed and "registered organisation" in result.detail


def test_disposable_providers_block_and_free_mail_only_warns():
    disposable = checks.free_or_disposable("x@mailinator.com")
    free = checks.free_or_disposable("x@gmail.com")
    assert not disposable.passed and disposable.blocking
    assert not free.passed and not free.blocking
    assert checks.free_or_disposable("x@hust.edu.cn").passed


def test_malformed_addresses_fail_the_syntax_check():
    assert not checks.email_syntax("not-an-address").passed
    assert checks.email_syntax("ada@example.org").passed


def test_blocklist_matches_addresses_and_domains():
    assert not checks.blocklist("Eve@Bad.example", {"bad.example"}).passed
    assert not checks.blocklist("eve@ok.example", {"eve@ok.example"}).passed
    assert checks.blocklist("ada@ok.example", {"bad.example"}).passed


def test_history_informs_without_blocking():
    result = checks.history(previous_rejections=1, revoked_grants=0)
    assert not result.passed and not result.blocking


def test_institutional_email_blocks_only_when_the_policy_requires_it():
    shhq = {r.name: r for r in checks.run_all(seed("shhq"), email="a@gmail.com", email_verified=True)}
    llvip = {r.name: r for r in checks.run_all(seed("llvip"), email="a@gmail.com", email_verified=True)}
    assert not shhq["institutional_email"].passed and shhq["institutional_email"].blocking
    assert not llvip["institutional_email"].passed and not llvip["institutional_email"].blocking
