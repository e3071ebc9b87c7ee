"""What a dataset's terms say of each obligation: which derivatives need the custodian's approval, which
requests may be made at all. Pure functions of a policy, so the pages can say it before anyone asks."""

from __future__ import annotations

from accord.errors import InvalidInput
from accord.policy.schema import Commercial, Modification, Policy, Redistribution

DERIVATIVE_KINDS = {
    "annotations": "New annotations or labels",
    "subset": "A subset of the files",
    "processed": "A processed or modified copy of the images",
    "model": "A model trained on the data",
    "other": "Something else derived from the data",
}
# Kinds that copy the images themselves (changed or not): modifying or passing on the data
COPIES = {"subset", "processed"}

REQUEST_KINDS = {
    "modify": "Modify the data",
    "redistribute": "Give the data to a named party outside your organisation",
    "unit": "Use the data in another unit of your organisation",
    "commercial": "Use the data commercially",
}


def derivative_needs_approval(policy: Policy, kind: str) -> bool:
    """A copy of the images needs approval where the terms make modification subject to it; annotations and
    models are new work, declared but not approved (unless the custodian is to list them: see `listing`)."""
    check_kind(kind)
    if kind in COPIES and policy.modification is Modification.forbidden:
        raise InvalidInput(
            "these terms forbid any modified or partial copy of the data; only the custodian may make one", field="kind"
        )
    return kind in COPIES and policy.modification is Modification.on_approval


def check_kind(kind: str) -> None:
    if kind not in DERIVATIVE_KINDS:
        raise InvalidInput(f"choose what it is: {', '.join(DERIVATIVE_KINDS)}", field="kind")


def may_list(policy: Policy) -> bool:
    """Whether the custodian may list declared derivatives on the dataset's page (with credit)."""
    return policy.derivatives.custodian_may_list


def request_allowed(policy: Policy, kind: str) -> None:
    """Refuse a request the terms leave no room for: forbidden outright, or allowed without asking."""
    if kind not in REQUEST_KINDS:
        raise InvalidInput(f"choose what you ask for: {', '.join(REQUEST_KINDS)}", field="kind")
    if kind == "modify":
        if policy.modification is Modification.allowed:
            raise InvalidInput("these terms allow modification without approval: nothing to ask", field="kind")
        if policy.modification is Modification.forbidden:
            raise InvalidInput("these terms forbid any modification of the data", field="kind")
    elif kind == "commercial":
        if policy.commercial_use is Commercial.forbidden:
            raise InvalidInput("these terms forbid commercial use", field="kind")
    elif policy.redistribution is not Redistribution.on_approval:
        words = {
            Redistribution.forbidden: "these terms forbid passing the data on",
            Redistribution.approved_unit_only: "these terms keep the data inside the approved unit, with no exception",
            Redistribution.single_site_internal: "these terms keep the data inside one site of your organisation",
        }
        raise InvalidInput(words[policy.redistribution], field="kind")


def askable(policy: Policy) -> dict[str, str]:
    """The requests these terms leave room for, with their labels (for the form)."""
    out = {}
    for kind, label in REQUEST_KINDS.items():
        try:
            request_allowed(policy, kind)
        except InvalidInput:
            continue
        out[kind] = label
    return out
