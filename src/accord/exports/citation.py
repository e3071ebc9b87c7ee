"""Citing one published version of a dataset: BibTeX, RIS and CITATION.cff (CFF 1.2.0), made from plain facts
(no Session here). The dataset's own citation, where its curators gave one, comes first as the preferred one:
custodians ask that their paper be cited, and the version entry says which data was used."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import yaml

from accord.exports.bibtex import Person, Reference, key, one_line, references, tex, tex_url

ACCESS_NOTE = "Access by agreement: the files go to approved licensees under the custodian's licence terms."


@dataclass(frozen=True)
class Citable:
    """What a citation of one published version says."""

    slug: str
    title: str
    custodian: str
    label: str
    published: date
    url: str  # the dataset's page
    terms_url: str  # where its licence terms are read
    summary: str = ""
    keywords: tuple[str, ...] = ()
    bibtex: str = ""  # the dataset's own citation, as its curators typed it

    @property
    def key(self) -> str:
        return key(self.slug, self.label)


# --- BibTeX ----------------------------------------------------------------------------------------------


def to_bibtex(c: Citable) -> str:
    """The version as a @misc entry (biblatex reads its `version` and `date`), after the preferred citation."""
    fields = [
        ("author", "{" + tex(c.custodian) + "}"),  # braced: a corporate author, never split at "and"
        ("title", "{" + tex(c.title) + "}"),  # braced: styles keep its capitals
        ("version", tex(c.label)),
        ("year", str(c.published.year)),
        ("date", c.published.isoformat()),
        ("howpublished", r"\url{" + tex_url(c.url) + "}"),
        ("url", tex_url(c.url)),
        ("note", tex(f"Dataset, version {c.label}. {ACCESS_NOTE}")),
    ]
    width = max(len(name) for name, _ in fields)
    body = ",\n".join(f"  {name.ljust(width)} = {{{value}}}" for name, value in fields)
    entry = f"@misc{{{c.key},\n{body}\n}}\n"
    own = c.bibtex.strip()
    if not own:
        return entry
    return (
        # (no names in the comments: an "@" there would open an entry)
        f"% Preferred citation: the custodian asks that this work be cited wherever the dataset is used.\n"
        f"{own}\n\n% The version of the data that was used.\n{entry}"
    )


# --- RIS -------------------------------------------------------------------------------------------------

_RIS_TYPES = {
    "article": "JOUR",
    "inproceedings": "CPAPER",
    "conference": "CPAPER",
    "book": "BOOK",
    "incollection": "CHAP",
    "inbook": "CHAP",
    "phdthesis": "THES",
    "mastersthesis": "THES",
    "techreport": "RPRT",
    "dataset": "DATA",
}


def _ris(lines: list[tuple[str, str]]) -> str:
    # RIS has no escapes: a value is the rest of its line, so a line break would start a new (bogus) tag.
    kept = [(tag, one_line(value)) for tag, value in lines]
    return "".join(f"{tag}  - {value}\r\n" for tag, value in kept if value) + "ER  - \r\n"


def _ris_name(p: Person) -> str:
    family = " ".join(x for x in (p.particle, p.family) if x)
    return ", ".join(x for x in (family, p.given, p.suffix) if x)


def _ris_reference(r: Reference) -> str:
    lines = [("TY", _RIS_TYPES.get(r.kind, "GEN")), ("TI", r.title)]
    lines += [("AU", _ris_name(p)) for p in r.authors]
    lines += [
        ("PY", str(r.year or "")),
        ("T2", r.container),
        ("PB", r.publisher),
        ("VL", r.volume),
        ("IS", r.number),
        ("SP", r.pages[0]),
        ("EP", r.pages[1]),
        ("DO", r.doi),
        ("UR", r.url),
    ]
    return _ris(lines)


def to_ris(c: Citable) -> str:
    """The version as a DATA record, after the preferred citation's record(s)."""
    lines = [
        ("TY", "DATA"),
        ("TI", c.title),
        ("AU", c.custodian),
        ("PY", str(c.published.year)),
        ("DA", c.published.strftime("%Y/%m/%d/")),
        ("ET", c.label),  # RIS has no version tag; reference managers map ET (edition) to it for datasets
        ("PB", c.custodian),
        ("UR", c.url),
        ("AB", c.summary),
    ]
    lines += [("KW", k) for k in c.keywords]
    lines.append(("N1", f"Version {c.label}, published {c.published.isoformat()}. {ACCESS_NOTE}"))
    return "".join(_ris_reference(r) for r in references(c.bibtex)) + _ris(lines)


# --- CITATION.cff ----------------------------------------------------------------------------------------

_CFF_TYPES = {
    "article": "article",
    "inproceedings": "conference-paper",
    "conference": "conference-paper",
    "book": "book",
    "incollection": "book",
    "inbook": "book",
    "phdthesis": "thesis",
    "mastersthesis": "thesis",
    "techreport": "report",
    "dataset": "data",
}


def _cff_person(p: Person) -> dict[str, str]:
    out = {"family-names": p.family}
    for name, value in (("given-names", p.given), ("name-particle", p.particle), ("name-suffix", p.suffix)):
        if value:
            out[name] = value
    return out


def _cff_reference(r: Reference) -> dict[str, Any]:
    kind = _CFF_TYPES.get(r.kind, "generic")
    out: dict[str, Any] = {"type": kind, "title": r.title, "authors": [_cff_person(p) for p in r.authors]}
    if r.year:
        out["year"] = r.year
    if r.container:
        out["journal" if kind == "article" else "collection-title"] = r.container
    if r.publisher:
        out["publisher"] = {"name": r.publisher}
    for name, value in (("volume", r.volume), ("issue", r.number), ("start", r.pages[0]), ("end", r.pages[1])):
        if value:
            out[name] = value
    if r.doi:
        out["doi"] = r.doi
    if r.url:
        out["url"] = r.url
    return out


def to_cff(c: Citable) -> str:
    """CITATION.cff (CFF 1.2.0): the version as a dataset; the dataset's own citation as its preferred-citation
    (further works in it as references)."""
    cited = references(c.bibtex)
    message = "If you use this dataset, please cite this version of it as below."
    if cited:
        message = "If you use this dataset, please cite the work under preferred-citation and this version of it."
    doc: dict[str, Any] = {
        "cff-version": "1.2.0",
        "message": message,
        "type": "dataset",
        "title": one_line(c.title),
        "version": c.label,
        "date-released": c.published.isoformat(),
        "authors": [{"name": one_line(c.custodian)}],
        "url": c.url,
        "license-url": c.terms_url,
    }
    if c.summary:
        doc["abstract"] = one_line(c.summary)
    if c.keywords:
        doc["keywords"] = list(c.keywords)
    if cited:
        doc["preferred-citation"] = _cff_reference(cited[0])
    if cited[1:]:
        doc["references"] = [_cff_reference(r) for r in cited[1:]]
    text: str = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=1000)
    return text
