"""A policy in plain words: one clause per rule. The form asks one acknowledgement per clause, the agreement
prints them, and a new policy version is shown to licensees as a clause-by-clause diff.

Clauses name the custodian in full once and by its short name after that. A clause that asks the licensee to
tell the custodian something (a derivative, a request for approval, a deletion) says where: the Accord page
that takes it, once one exists (`FEATURE_PAGES`), else the custodian's own contact from the dataset. Each such
place is also a `ClauseLink`, which pages turn into a link; the PDF and the CLI print the plain text."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from accord.policy.schema import Commercial, Modification, Policy, Purpose, Redistribution, ReviewMode, Signatory

PURPOSE_WORDS = {
    Purpose.research: "research",
    Purpose.teaching: "teaching",
    Purpose.publication: "scientific publications",
    Purpose.personal_experimentation: "personal experimentation",
}

# The Accord page where a licensee does each of these, "{slug}" filled in; None until that feature exists, and
# meanwhile the clause sends the licensee to the custodian's contact. (Set by the domain that adds the page.)
FEATURE_PAGES: dict[str, str | None] = {
    "declare_derivative": None,  # obligations: declare new annotations and derived data
    "request_approval": None,  # obligations: ask to modify, redistribute or use commercially
    "removal_notices": None,  # privacy: the notices naming files to delete, and their confirmation
}


@dataclass(frozen=True)
class ClauseLink:
    label: str  # words that appear in the clause's text
    href: str


@dataclass(frozen=True)
class Clause:
    key: str
    title: str
    text: str
    links: tuple[ClauseLink, ...] = field(default=())


@dataclass
class _Names:
    """The dataset's and custodian's names as the clauses use them; the custodian in full on first mention."""

    dataset: str
    full: str
    short: str
    contact: str
    slug: str
    said: bool = False

    @property
    def who(self) -> str:
        if self.said:
            return self.short or self.full
        self.said = True
        if self.short and self.short != self.full and not self.full.endswith(f"({self.short})"):
            return f"{self.full} ({self.short})"
        return self.full

    def reach(self, feature: str, in_accord: str, by_contact: str) -> tuple[str, list[ClauseLink]]:
        """How the licensee does something: `in_accord` ("ask for it in Accord", linked to the feature's page)
        once that page exists, else `by_contact` ("ask {name} for it") and the custodian's contact."""
        page = FEATURE_PAGES.get(feature)
        if page and self.slug:
            return in_accord, [ClauseLink(in_accord, page.format(slug=self.slug))]
        text = by_contact.format(name=self.who)
        addresses = [a.strip() for a in self.contact.split(",") if a.strip()]
        if not addresses:
            return text, []
        links = [ClauseLink(a, a if a.startswith("http") else f"mailto:{a}") for a in addresses]
        return f"{text} by writing to {_join(addresses, 'or')}", links


def _join(words: list[str], last: str = "and") -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + f" {last} " + words[-1]


def _sentence(text: str) -> str:
    """End with exactly one full stop: a citation that brings its own does not get a second."""
    text = text.rstrip()
    return text if text.endswith((".", "?", "!")) else text + "."


def _bare(text: str) -> str:
    return text.rstrip().rstrip(".")


def clauses(
    p: Policy,
    *,
    custodian: str = "the custodian",
    dataset: str = "the dataset",
    custodian_short: str = "",
    contact: str = "",
    slug: str = "",
) -> list[Clause]:
    out: list[Clause] = []
    names = _Names(dataset, custodian, custodian_short, contact, slug)

    def add(key: str, title: str, text: str, links: Iterable[ClauseLink] = ()) -> None:
        out.append(Clause(key, title, text, tuple(links)))

    def approval(feature: str = "request_approval") -> tuple[str, list[ClauseLink]]:
        """ "… without prior approval from X; ask X for it by writing to …"."""
        who = names.who
        how, links = names.reach(feature, "ask for it in Accord", "ask {name} for it")
        return f"without prior approval from {who}; {how}.", links

    add(
        "purpose",
        "Permitted use",
        f"You may use {dataset} only for {_join([PURPOSE_WORDS[x] for x in p.purposes])}, "
        "as described in your application.",
    )
    links: list[ClauseLink] = []
    if p.commercial_use is Commercial.forbidden:
        text = (
            f"You may not use {dataset}, any part of it or anything derived from it for commercial purposes, "
            "such as selling, trading or licensing it, or using it to make money."
        )
    else:
        tail, links = approval()
        text = f"You may not use {dataset}, any part of it or anything derived from it commercially {tail}"
    if p.no_promotion:
        text += " It may not be used to advertise or promote any product or technology."
    add("commercial", "Commercial use", text, links)
    if p.redistribution is Redistribution.forbidden:
        add(
            "redistribution",
            "Sharing copies",
            f"You may not give, publish or copy {dataset} or any part of it to anyone else.",
        )
    elif p.redistribution is Redistribution.on_approval:
        tail, links = approval()
        add(
            "redistribution",
            "Sharing copies",
            f"You may not pass on, publish, copy or spread {dataset} or any part of it in any way, whether for "
            f"profit or not, {tail}",
            links,
        )
    elif p.redistribution is Redistribution.single_site_internal:
        add(
            "redistribution",
            "Sharing copies",
            f"You may not copy, publish or give {dataset} or any part of it to any third party, for any purpose. "
            "Copies for internal use are allowed only at the single site of your organisation named in your "
            "application.",
        )
    else:  # approved_unit_only
        add(
            "redistribution",
            "Sharing copies",
            f"You may not copy, publish, pass on or spread {dataset} or any part of it in any way, whether for "
            "profit or not. That includes other units or facilities of your own organisation: only the unit "
            "named in your application may hold and use it.",
        )
    if p.modification is Modification.forbidden:
        add("modification", "Changing the data", f"You may not modify {dataset} or any part of it.")
    elif p.modification is Modification.on_approval:
        tail, links = approval()
        add("modification", "Changing the data", f"You may not modify {dataset} or any part of it {tail}", links)
    if p.derivatives.must_declare:
        how, links = names.reach("declare_derivative", "declare them in Accord", "tell {name} about them")
        text = f"If you release new annotations built on {dataset}, {how}"
        if p.derivatives.state_relationship:
            text += ", and explain on their homepage how they relate to the original"
        text += "."
        if p.derivatives.users_must_cite_original:
            text += f" You must ask everyone who uses your annotations to cite {dataset} as well."
        if p.derivatives.custodian_may_list:
            text += f" You agree that {names.who} may publish them on {dataset}'s homepage, crediting you."
        add("derivatives", "New annotations", text, links)
    if p.citations:
        refs = "; ".join(_bare(c.text) for c in p.citations)
        if any(c.include_upgraded_versions for c in p.citations):
            refs += " (or a later version of that paper)"
        if p.link_allowed_instead_of_citation:
            text = (
                f"Every work that uses {dataset} must say so. Papers must cite: {_sentence(refs)} Other "
                "media may cite it or link to the dataset's homepage instead."
            )
        else:
            text = f"Every document or paper that uses {dataset} must cite: {_sentence(refs)}"
        if p.ask_for_publications_days:
            text += (
                f" While your access runs, you will be asked every {p.ask_for_publications_days} days to register "
                "the papers that used it."
            )
        add("citation", "Citation", text)
    privacy, links = [], []
    if p.privacy.no_identification:
        privacy.append(
            "You may not use the data to identify, contact or track any person shown in it, or to "
            "intrude on their privacy in any other way."
        )
    if p.privacy.protect_subjects:
        privacy.append("You must keep the data secure and protect the privacy of the people in it.")
    if p.privacy.removal_requests:
        who = names.who
        how, links = names.reach("removal_notices", "confirm it in Accord", "confirm it to {name}")
        privacy.append(
            f"People shown in the data may ask {who} to remove their images. When that happens you "
            f"will be told which files to delete; delete them and {how}."
        )
    if privacy:
        add("privacy", "Privacy of the people in the images", " ".join(privacy), links)
    if p.privacy.licensee_liable_for_misuse:
        add(
            "liability",
            "Responsibility for misuse",
            "You bear all responsibility and consequences for any loss caused by misuse of the data.",
        )
    if p.signatory is Signatory.legal_authority:
        add(
            "signatory",
            "Who signs",
            "This agreement must be signed by a person with legal authority to enter licence agreements with "
            f"{names.who} on behalf of your institution, after your institution's legal staff have reviewed its "
            "terms. An agreement signed without that authority is void and will be discarded.",
        )
    if p.access_days:
        add("duration", "Duration", f"Access lasts {p.access_days} days from approval, unless renewed.")
    if p.training:
        add(
            "training",
            "Training",
            f"You must hold a valid certificate of {_bare(p.training.name)}; access "
            f"{'pauses' if p.training.on_expiry == 'pause' else 'ends'} when it expires.",
        )
    if p.custodian_may_terminate:
        add("termination", "Ending access", f"{names.who} may end your access at any time.")
    if p.rights_reserved:
        add("rights", "Rights reserved", f"All rights not expressly granted here remain with {names.who}.")
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


def diff(old: Policy, new: Policy, **names: str) -> list[ClauseChange]:
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
        elif a and b and a.text != b.text:
            changes.append(ClauseChange(key, "changed", b.title, a.text, b.text))
    return changes
