"""Where the licensees come from, from what Accord holds: the organisation their application named (when the
terms ask for it), else the registered organisation of their e-mail domain, else that domain; and the country
of the domain's country-code ending (.de, .ac.uk), where it has one. Nothing is looked up outside."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pycountry

TOP = 10  # rows of a chart; the rest are summed as one
GENERIC = "No country (.com, .org, .edu …)"
# Country-code endings that are not the ISO code of their country, or name no country.
CCTLD = {"uk": "GB", "eu": "", "su": ""}


@dataclass(frozen=True)
class Registered:
    name: str
    domain: str


def organisation(named: str, domain: str, registered: Iterable[Registered]) -> str:
    """The organisation to count a licensee under."""
    named = " ".join(named.split())
    if named:
        return named
    for org in registered:
        if domain == org.domain or domain.endswith("." + org.domain):
            return org.name
    return domain or "(no domain)"


def country(domain: str) -> str:
    """The country named by the domain's ending, or GENERIC."""
    ending = domain.rsplit(".", 1)[-1].lower()
    if len(ending) != 2 or not ending.isalpha():
        return GENERIC
    code = CCTLD.get(ending, ending.upper())
    found = pycountry.countries.get(alpha_2=code) if code else None
    if found is None:
        return f".{ending}"
    return str(getattr(found, "common_name", None) or found.name)


def tally(rows: Iterable[tuple[str, str, int]], registered: list[Registered]) -> tuple[dict[str, int], dict[str, int]]:
    """(organisation → licensees, country → licensees) from (organisation named, e-mail domain, licensees) rows,
    names that differ only in case counted together under the first spelling seen."""
    orgs: dict[str, int] = {}
    spelling: dict[str, str] = {}
    countries: dict[str, int] = {}
    for named, domain, n in rows:
        name = organisation(named, domain, registered)
        shown = spelling.setdefault(name.casefold(), name)
        orgs[shown] = orgs.get(shown, 0) + n
        where = country(domain)
        countries[where] = countries.get(where, 0) + n
    return orgs, countries


def top(counted: dict[str, int], *, others: str = "Others") -> list[tuple[str, int]]:
    """The TOP largest, then the rest summed (named with how many there are)."""
    ranked = sorted(counted.items(), key=lambda kv: (-kv[1], kv[0].casefold()))
    if len(ranked) <= TOP:
        return ranked
    rest = ranked[TOP - 1 :]
    return [*ranked[: TOP - 1], (f"{others} ({len(rest)})", sum(n for _, n in rest))]
