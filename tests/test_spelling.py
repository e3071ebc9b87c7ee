"""British spelling in everything a person reads: "licence" is the noun; the verb's forms are "licensed",
"licensee", "licensing". The bare word "license" is left to the standards that spell it so (the SPDX `license`
field of pyproject.toml, which is not prose and not scanned)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [
    "src/accord/**/*.py",
    "src/accord/**/*.html",
    "src/accord/**/*.txt",
    "src/accord/**/*.yaml",
    "README.md",
    "docs/**/*.md",
]
# The noun spelt the American way, and verb forms spelt with a c.
WRONG = re.compile(r"\b[Ll]icen(?:se(?:s|-gated)?|ced|cing|cee|cees)\b")
# Field names that standards spell so, as quoted keys in code: schema.org's (Croissant) and CITATION.cff's.
STANDARD_KEYS = re.compile(r'"license(?:-url)?":')


def files():
    seen = []
    for pattern in SOURCES:
        seen += [p for p in ROOT.glob(pattern) if p.is_file() and "migrations" not in p.parts]
    return sorted(set(seen))


def test_the_texts_are_found():
    names = {p.name for p in files()}
    assert {"base.html", "clauses.py", "facts.py", "README.md"} <= names


@pytest.mark.parametrize("path", files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_licence_is_spelt_the_british_way(path):
    wrong = [
        (n, line.strip())
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if WRONG.search(STANDARD_KEYS.sub("", line))
    ]
    assert not wrong, f"write 'licence' (noun) or 'license' (verb): {wrong}"


def test_the_pattern_catches_the_wrong_forms_and_spares_the_right_ones():
    for bad in ("a license", "License-gated", "licenses", "a licenced copy", "the licencee"):
        assert WRONG.search(bad), bad
    for good in ("a licence", "licence-gated", "licensed", "the licensee", "licensing it", "licences"):
        assert not WRONG.search(good), good
