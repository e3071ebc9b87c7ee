import pytest

from accord.errors import InvalidInput
from accord.policy.clauses import clauses, diff
from accord.policy.export import to_duo, to_odrl
from accord.policy.io import dump_yaml, parse, seed


def test_a_policy_round_trips_through_yaml():
    p = seed("cion-al")
    assert parse(dump_yaml(p)) == p


def test_json_is_accepted_too():
    assert parse('{"purposes": ["research"]}').purposes[0].value == "research"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("purposes: [trading]", "purposes.0"),
        ("purposes: []", "purposes"),
        ("purposes: [research]\ncommercial_use: sometimes", "commercial_use"),
        ("purposes: [research]\nunknown_rule: true", "unknown_rule"),
        ("purposes: [research]\napplicant_fields: [name]", "email"),
        ("purposes: [research]\nredistribution: approved_unit_only", "unit"),
        ("purposes: [research]\nsignatory: legal_authority\nreview: {mode: automatic}", "automatic"),
        ("purposes: [research]\nreview: {mode: single, approvals_needed: 2}", "quorum"),
    ],
)
def test_invalid_policies_are_refused_with_the_field_named(text, where):
    with pytest.raises(InvalidInput) as info:
        parse(text)
    assert where in info.value.message


@pytest.mark.parametrize("text", ["- just\n- a list", ":: not yaml ::\n  - [", ""])
def test_malformed_documents_get_a_clear_error(text):
    with pytest.raises(InvalidInput):
        parse(text)


def test_clauses_are_plain_words_one_per_rule():
    keys = [c.key for c in clauses(seed("cion-al"), custodian="HUST", dataset="CION-AL")]
    assert keys == [
        "purpose",
        "commercial",
        "redistribution",
        "modification",
        "citation",
        "privacy",
        "liability",
        "signatory",
    ]


def test_a_changed_rule_shows_up_in_the_clause_diff():
    old = seed("shhq")
    new = old.model_copy(update={"access_days": 365, "custodian_may_terminate": False})
    changes = {c.key: c.change for c in diff(old, new)}
    assert changes == {"duration": "added", "termination": "removed"}


def test_unchanged_policy_has_an_empty_diff():
    assert diff(seed("llvip"), seed("llvip")) == []


def test_duo_codes_follow_the_rules():
    shhq = {c["shorthand"] for c in to_duo(seed("shhq"))["codes"]}
    assert shhq == {"GRU", "US", "NCU", "IS"}
    cion = to_duo(seed("cion-al"))
    assert "NCU" not in {c["shorthand"] for c in cion["codes"]}  # commercial use possible on approval
    assert "modification needs approval" in cion["unmapped"]
    assert "RTN" in {c["shorthand"] for c in to_duo(seed("llvip"))["codes"]}


def test_odrl_offer_prohibits_what_the_policy_forbids():
    odrl = to_odrl(
        seed("at-ustc"), uid="urn:accord:policy:at-ustc:1", target="urn:accord:dataset:at-ustc", assigner="USTC"
    )
    assert odrl["@type"] == "Offer"
    actions = {x["action"] for x in odrl["prohibition"]}
    assert {"commercialize", "distribute", "modify"} <= actions
    assert odrl["permission"][0]["constraint"][0]["rightOperand"] == ["research"]
    shhq = to_odrl(seed("shhq"), uid="u", target="t", assigner="a")
    assert "distribute" not in {x["action"] for x in shhq["prohibition"]}
    assert shhq["permission"][1]["action"] == "reproduce"
