"""A policy in plain words: one clause per rule. The form asks one acknowledgement per clause, the agreement
prints them, and a new policy version is shown to licensees as a clause-by-clause diff."""
from __future__ import annotations

from dataclasses import dataclass

from accord.policy.schema import (Commercial, Modification, Policy, Purpose, Redistribution, ReviewMode,
                                  Signatory)

PURPOSE_WORDS = {
    Purpose.research: "research",
    Purpose.teaching: "teaching",
    Purpose.publication: "scientific publications",
    Purpose.personal_experimentation: "personal experimentation",
}


@dataclass(frozen=True)
class Clause:
    key: str
    title: str
    text: str


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def clauses(p: Policy, *, custodian: str = "the custodian", dataset: str = "the dataset") -> list[Clause]:
    out: list[Clause] = []
    add = lambda key, title, text: out.append(Clause(key, title, text))  # noqa: E731

    add("purpose", "Permitted use",
        f"You may use {dataset} only for {_join([PURPOSE_WORDS[x] for x in p.purposes])}, "
        "as described in your application.")
    if p.commercial_use is Commercial.forbidden:
        text = (f"You may not use {dataset}, any part of it or anything derived from it for commercial purposes, "
                "such as selling or licensing it or using it to make money.")
    else:
        text = (f"Commercial use of {dataset} or anything derived from it needs {custodian}'s written approval "
                "first, requested through Accord.")
    if p.no_promotion:
        text += " It may not be used to advertise or promote any product or technology."
    add("commercial", "Commercial use", text)
    add("redistribution", "Sharing copies", {
        Redistribution.forbidden: f"You may not give, publish or copy {dataset} or any part of it to anyone else.",
        Redistribution.on_approval: (f"You may not give, publish or copy {dataset} or any part of it to anyone else "
                                     f"without {custodian}'s prior approval, requested through Accord."),
        Redistribution.single_site_internal: (
            "You may make copies for internal use at the single site of your organisation named in your "
            "application, and nowhere else; no copies to any third party."),
        Redistribution.approved_unit_only: (
            "The data stays within the unit named in your application. You may not pass it on to anyone, "
            "including other units or facilities of your own organisation."),
    }[p.redistribution])
    if p.modification is Modification.on_approval:
        add("modification", "Changing the data",
            f"You may not modify {dataset} or any part of it without {custodian}'s prior approval.")
    if p.derivatives.must_declare:
        text = "If you release new annotations or other data derived from it, you must declare them in Accord"
        if p.derivatives.state_relationship:
            text += " and explain on their homepage how they relate to the original"
        text += "."
        if p.derivatives.users_must_cite_original:
            text += " You must ask everyone who uses your release to cite the original dataset as well."
        if p.derivatives.custodian_may_list:
            text += f" You agree that {custodian} may list your release on the dataset's page, crediting you."
        add("derivatives", "New annotations and derived data", text)
    if p.citations:
        refs = "; ".join(c.text for c in p.citations)
        text = f"Every document or paper that uses the data must cite: {refs}"
        if any(c.include_upgraded_versions for c in p.citations):
            text += " (or a later version of that paper)"
        text += "."
        if p.link_allowed_instead_of_citation:
            text += " Media other than papers may link to the dataset's homepage instead."
        add("citation", "Citation", text)
    privacy = []
    if p.privacy.no_identification:
        privacy.append("You may not use the data to identify, contact or track any person shown in it.")
    if p.privacy.protect_subjects:
        privacy.append("You must keep the data secure and protect the privacy of the people in it.")
    if p.privacy.removal_requests:
        privacy.append("When a person asks to be removed, you will be told which files to delete and must "
                       "delete them and confirm it.")
    if privacy:
        add("privacy", "Privacy of the people in the images", " ".join(privacy))
    if p.privacy.licensee_liable_for_misuse:
        add("liability", "Responsibility for misuse",
            "You bear all responsibility for any loss caused by misuse of the data by you or your staff.")
    if p.signatory is Signatory.legal_authority:
        add("signatory", "Who signs",
            "This agreement must be signed by a person with legal authority to enter licence agreements on "
            "behalf of your institution. An agreement signed without that authority is void.")
    if p.access_days:
        add("duration", "Duration", f"Access lasts {p.access_days} days from approval, unless renewed.")
    if p.training:
        add("training", "Training",
            f"You must hold a valid certificate of {p.training.name}; access "
            f"{'pauses' if p.training.on_expiry == 'pause' else 'ends'} when it expires.")
    if p.custodian_may_terminate:
        add("termination", "Ending access", f"{custodian} may end your access at any time.")
    if p.rights_reserved:
        add("rights", "Rights reserved", f"All rights not expressly granted here remain with {custodian}.")
    for c in p.custom_clauses:
        add(f"custom_{c.key}", c.title, c.text)
    return out


def review_words(p: Policy) -> str:
    match p.review.mode:
        case ReviewMode.automatic:
            return "approved automatically once every check passes"
        case ReviewMode.single:
            return "decided by one reviewer"
        case ReviewMode.quorum:
            return f"needs {p.review.approvals_needed} reviewer approvals"
    return ""


@dataclass(frozen=True)
class ClauseChange:
    key: str
    change: str  # added | removed | changed
    title: str
    old: str | None
    new: str | None


def diff(old: Policy, new: Policy, **names) -> list[ClauseChange]:
    """What a licensee of the old version must re-read before accepting the new one."""
    before = {c.key: c for c in clauses(old, **names)}
    after = {c.key: c for c in clauses(new, **names)}
    changes = []
    for key in list(before) + [k for k in after if k not in before]:
        a, b = before.get(key), after.get(key)
        if a and not b:
            changes.append(ClauseChange(key, "removed", a.title, a.text, None))
        elif b and not a:
            changes.append(ClauseChange(key, "added", b.title, None, b.text))
        elif a.text != b.text:
            changes.append(ClauseChange(key, "changed", b.title, a.text, b.text))
    return changes
