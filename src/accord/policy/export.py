"""Exports for other systems: GA4GH Data Use Ontology codes and a W3C ODRL policy (JSON-LD)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from accord.policy.schema import Commercial, Modification, Policy, Redistribution


@dataclass(frozen=True)
class DuoTerm:
    id: str
    shorthand: str
    label: str


GRU = DuoTerm("DUO:0000042", "GRU", "general research use")
NCU = DuoTerm("DUO:0000046", "NCU", "non-commercial use only")
US = DuoTerm("DUO:0000026", "US", "user specific restriction")
IS = DuoTerm("DUO:0000028", "IS", "institution specific restriction")
TS = DuoTerm("DUO:0000025", "TS", "time limit on use")
RTN = DuoTerm("DUO:0000029", "RTN", "return to database or resource")


def to_duo(p: Policy) -> dict[str, Any]:
    """DUO codes plus the rules DUO has no term for, so nothing is silently dropped."""
    terms = [GRU, US]  # every Accord dataset is for approved users only
    if p.commercial_use is Commercial.forbidden:
        terms.append(NCU)
    if p.redistribution in (Redistribution.single_site_internal, Redistribution.approved_unit_only):
        terms.append(IS)
    if p.access_days:
        terms.append(TS)
    if p.derivatives.must_declare:
        terms.append(RTN)
    unmapped: list[str] = []
    if p.citations:
        unmapped.append("citation required")
    if p.modification is Modification.on_approval:
        unmapped.append("modification needs approval")
    elif p.modification is Modification.forbidden:
        unmapped.append("no modification")
    if p.redistribution is not Redistribution.single_site_internal:
        unmapped.append(f"redistribution: {p.redistribution.value}")
    if p.privacy.no_identification:
        unmapped.append("no identification of data subjects")
    return {"codes": [asdict(t) for t in terms], "unmapped": unmapped}


def _constraint(left: str, op: str, right: object) -> dict[str, Any]:
    return {"leftOperand": left, "operator": op, "rightOperand": right}


def to_odrl(p: Policy, *, uid: str, target: str, assigner: str) -> dict[str, Any]:
    """An ODRL 2.2 Offer: what a licensee may do, must do, and must not do."""
    duties: list[dict[str, Any]] = []
    if p.citations:
        duties.append(
            {
                "action": "attribute",
                "refinement": [_constraint("media", "eq", "publication")],
                "accord:citations": [c.text for c in p.citations],
            }
        )
    if p.derivatives.must_declare:
        duties.append({"action": "inform", "accord:about": "derivatives and new annotations"})
    if p.privacy.removal_requests:
        duties.append({"action": "delete", "accord:when": "a data subject's removal is notified"})
    constraints = [_constraint("purpose", "isAnyOf", [x.value for x in p.purposes])]
    permission: dict[str, Any] = {"target": target, "action": "use", "constraint": constraints, "duty": duties}
    if p.access_days:
        constraints.append(_constraint("elapsedTime", "lteq", f"P{p.access_days}D"))
    prohibitions: list[dict[str, Any]] = []
    if p.commercial_use is Commercial.forbidden:
        prohibitions.append({"target": target, "action": "commercialize"})
    if p.redistribution is not Redistribution.single_site_internal:
        prohibitions.append({"target": target, "action": "distribute"})
    if p.modification is not Modification.allowed:
        prohibitions.append({"target": target, "action": "modify"})
    if p.privacy.no_identification:
        prohibitions.append(
            {
                "target": target,
                "action": "use",
                "constraint": [_constraint("purpose", "eq", "identification of persons")],
            }
        )
    permissions = [permission]
    if p.redistribution is Redistribution.single_site_internal:
        permissions.append(
            {
                "target": target,
                "action": "reproduce",
                "constraint": [_constraint("spatial", "eq", "the licensee's named site")],
            }
        )
    return {
        "@context": ["http://www.w3.org/ns/odrl.jsonld", {"accord": "https://accord.example.org/ns#"}],
        "@type": "Offer",
        "uid": uid,
        "assigner": assigner,
        "permission": permissions,
        "prohibition": prohibitions,
    }
