"""Every rule and form field in the four seed documents is encoded in that dataset's policy."""

import pytest

from accord.policy.io import seed
from accord.policy.schema import ApplicantField as F
from accord.policy.schema import Commercial, Modification, Purpose, Redistribution, ReviewMode, Signatory

# (dataset, rule as the seed document states it, check on the policy)
RULES = [
    ("llvip", "non-commercial purposes only", lambda p: p.commercial_use is Commercial.forbidden),
    (
        "llvip",
        "academic research, teaching, scientific publications, personal experimentation",
        lambda p: (
            set(p.purposes)
            == {Purpose.research, Purpose.teaching, Purpose.publication, Purpose.personal_experimentation}
        ),
    ),
    (
        "llvip",
        "reference LLVIP in any work; other media may link to the website",
        lambda p: p.citations and p.link_allowed_instead_of_citation,
    ),
    (
        "llvip",
        "new annotations: state their relationship to LLVIP on their homepage",
        lambda p: p.derivatives.must_declare and p.derivatives.state_relationship,
    ),
    ("llvip", "users of new annotations must also cite LLVIP", lambda p: p.derivatives.users_must_cite_original),
    ("llvip", "custodian may publish new annotations on its homepage", lambda p: p.derivatives.custodian_may_list),
    ("llvip", "all rights not expressly granted are reserved", lambda p: p.rights_reserved),
    ("llvip", "no use to identify or invade the privacy of any person", lambda p: p.privacy.no_identification),
    ("llvip", "people may ask to have their information removed", lambda p: p.privacy.removal_requests),
    ("llvip", "freely available: no manual review", lambda p: p.review.mode is ReviewMode.automatic),
    (
        "cion-al",
        "no redistribution without the creators' prior approval",
        lambda p: p.redistribution is Redistribution.on_approval,
    ),
    ("cion-al", "no commercial use without prior approval", lambda p: p.commercial_use is Commercial.on_approval),
    ("cion-al", "no modification without prior approval", lambda p: p.modification is Modification.on_approval),
    (
        "cion-al",
        "cite the paper or any of its upgraded versions",
        lambda p: p.citations and p.citations[0].include_upgraded_versions,
    ),
    ("cion-al", "users protect the subjects' privacy", lambda p: p.privacy.protect_subjects),
    (
        "cion-al",
        "users bear responsibility for losses caused by misuse",
        lambda p: p.privacy.licensee_liable_for_misuse,
    ),
    (
        "cion-al",
        "signatory must have legal authority for the licensee",
        lambda p: p.signatory is Signatory.legal_authority,
    ),
    (
        "cion-al",
        "form: name and title, job title, nationality, organisation, department, address, e-mail, phone",
        lambda p: (
            {
                F.name,
                F.honorific,
                F.job_title,
                F.nationality,
                F.organisation,
                F.department,
                F.address,
                F.email,
                F.telephone,
            }
            <= set(p.applicant_fields)
        ),
    ),
    (
        "cion-al",
        "applicant is notified and download authorised after approval",
        lambda p: p.review.mode is ReviewMode.single,
    ),
    (
        "at-ustc",
        "requests are submitted in writing (an application on record)",
        lambda p: p.review.mode is not ReviewMode.automatic,
    ),
    (
        "at-ustc",
        "no redistribution, not even to another unit of the requesting organisation",
        lambda p: p.redistribution is Redistribution.approved_unit_only and F.unit in p.applicant_fields,
    ),
    ("at-ustc", "no modification", lambda p: p.modification is Modification.forbidden),
    ("at-ustc", "research purposes only", lambda p: p.purposes == [Purpose.research]),
    ("at-ustc", "no commercial activity", lambda p: p.commercial_use is Commercial.forbidden),
    ("at-ustc", "may not be used to promote any product or technology", lambda p: p.no_promotion),
    ("at-ustc", "cite the IJCAI 2025 paper", lambda p: "IJCAI 2025" in p.citations[0].text),
    (
        "at-ustc",
        "form: name, organisation, mailing address, telephone, e-mail",
        lambda p: {F.name, F.organisation, F.address, F.telephone, F.email} <= set(p.applicant_fields),
    ),
    (
        "shhq",
        "non-commercial research purposes only",
        lambda p: p.purposes == [Purpose.research] and p.commercial_use is Commercial.forbidden,
    ),
    (
        "shhq",
        "no copies to third parties; internal copies at a single site allowed",
        lambda p: p.redistribution is Redistribution.single_site_internal and F.unit in p.applicant_fields,
    ),
    ("shhq", "request sent from an institutional e-mail address", lambda p: p.institutional_email),
    ("shhq", "requests are verified by the custodian", lambda p: p.review.mode is ReviewMode.single),
    ("shhq", "the custodian may terminate access at any time", lambda p: p.custodian_may_terminate),
]


@pytest.mark.parametrize(("slug", "rule", "check"), RULES, ids=[f"{s}: {r}" for s, r, _ in RULES])
def test_seed_rule_is_encoded_in_the_policy(slug, rule, check):
    assert check(seed(slug)), f"{slug} policy does not encode: {rule}"


@pytest.mark.parametrize("slug", ["llvip", "cion-al", "at-ustc", "shhq"])
def test_every_seed_policy_protects_the_people_in_it(slug):
    p = seed(slug)  # Accord's own duties for human-subject data, whatever the seed says (SHHQ asks no citation)
    assert p.privacy.no_identification and p.privacy.removal_requests
