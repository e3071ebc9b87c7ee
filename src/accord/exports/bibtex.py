"""BibTeX both ways: our own text escaped for LaTeX, and a dataset's own citation (as its curators typed it) read
into plain references for RIS and CITATION.cff. pybtex reads it; a citation it cannot read is left out of those
two formats rather than guessed at (the BibTeX export carries it as typed)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from pybtex.database import parse_string
from pybtex.exceptions import PybtexError
from pybtex.richtext import Text

# What LaTeX reads as markup; in a BibTeX value each is written so that it prints as itself.
_TEX = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9._:-]")
DOI = re.compile(r"^10\.\d{4,9}(\.\d+)?/[A-Za-z0-9:/_;\-.()\[\]\\]+$")  # the form CITATION.cff accepts
URL = re.compile(r"^(https|http|ftp|sftp)://\S+$")


def one_line(text: str) -> str:
    """Whitespace (line breaks too) collapsed to single spaces, control characters dropped."""
    return " ".join(_CONTROL.sub(" ", text or "").split())


def tex(text: str) -> str:
    """Plain text as a BibTeX value that prints as the same text."""
    return "".join(_TEX.get(c, c) for c in one_line(text))


def tex_url(url: str) -> str:
    """A URL for `url = {...}` (read verbatim by the url package): braces, backslashes and spaces
    percent-encoded, then % and # escaped as the url package asks inside an argument."""
    safe = quote(one_line(url), safe=":/?&=~+-._!*'();,@[]$%#")
    return safe.replace("%", r"\%").replace("#", r"\#")


def key(*parts: str) -> str:
    """A citation key: letters, digits and . _ : - only."""
    return _KEY_UNSAFE.sub("-", "-".join(parts)) or "dataset"


@dataclass(frozen=True)
class Person:
    family: str
    given: str = ""
    particle: str = ""  # "van", "de"
    suffix: str = ""  # "Jr."


@dataclass(frozen=True)
class Reference:
    """One work from a dataset's own BibTeX, in plain text."""

    kind: str  # the BibTeX entry type, lower case: article, inproceedings, misc, ...
    title: str
    authors: tuple[Person, ...]
    year: int | None = None
    container: str = ""  # the journal, or the proceedings' or book's title
    publisher: str = ""
    volume: str = ""
    number: str = ""
    pages: tuple[str, str] = ("", "")
    doi: str = ""
    url: str = ""


def plain(latex: str) -> str:
    """A BibTeX value as the text it prints: braces gone, accents and dashes as characters."""
    try:
        return one_line(Text.from_latex(latex).render_as("text"))
    except (PybtexError, ValueError):
        return one_line(latex.replace("{", "").replace("}", ""))


def references(bibtex: str) -> list[Reference]:
    """The works in a BibTeX text, in order; [] when there is none or it cannot be read."""
    if not (bibtex or "").strip():
        return []
    try:
        data = parse_string(bibtex, "bibtex")
    except (PybtexError, ValueError, KeyError):
        return []
    out = []
    for entry in data.entries.values():
        title = plain(entry.fields.get("title", ""))
        authors = tuple(_person(p) for p in entry.persons.get("author", ()) if str(p) != "others")
        if title and authors:
            out.append(_reference(entry.type.lower(), title, authors, entry.fields))
    return out


def _person(p: Any) -> Person:  # a pybtex Person
    def part(name: str) -> str:
        return plain(" ".join(getattr(p, name)))

    family = part("last_names")
    given = " ".join(x for x in (part("first_names"), part("middle_names")) if x)
    return Person(family, given, part("prelast_names"), part("lineage_names"))


def _reference(kind: str, title: str, authors: tuple[Person, ...], fields: Mapping[str, str]) -> Reference:
    def field(name: str) -> str:
        return plain(fields.get(name, ""))

    year = field("year")
    first, _, last = field("pages").replace("–", "-").partition("-")
    doi = field("doi").removeprefix("https://doi.org/")
    url = one_line(fields.get("url", ""))  # as typed: a URL is not LaTeX
    return Reference(
        kind=kind,
        title=title,
        authors=authors,
        year=int(year) if year.isdigit() else None,
        container=field("journal") or field("booktitle"),
        publisher=field("publisher"),
        volume=field("volume"),
        number=field("number"),
        pages=(first.strip(), last.strip("- ")),
        doi=doi if DOI.match(doi) else "",
        url=url if URL.match(url) else "",
    )
