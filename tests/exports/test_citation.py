"""BibTeX, RIS and CITATION.cff of a version, from plain facts: escaped so that each reader gets the text back,
the dataset's own citation first, CITATION.cff valid by cffconvert (its command, in a venv of its own:
tests/exports/cff.py)."""

from __future__ import annotations

from datetime import date

import rispy
from pybtex.database import parse_string

from accord.demo.facts import CION_AL, LLVIP
from accord.exports.bibtex import references, tex, tex_url
from accord.exports.citation import Citable, to_bibtex, to_cff, to_ris
from tests.exports.cff import check, valid_cff

NASTY = "Faces & places: 100% {raw} $5 #1 snake_case ^hat ~tilde back\\slash"


def citable(**changes) -> Citable:
    values = {
        "slug": "llvip",
        "title": "LLVIP: visible-infrared paired images",
        "custodian": "Beijing University of Posts and Telecommunications",
        "label": "1.0",
        "published": date(2024, 3, 5),
        "url": "https://data.lab.example/datasets/llvip",
        "terms_url": "https://data.lab.example/datasets/llvip#licence-h",
        "summary": "Paired visible and infrared images.",
        "keywords": ("visible", "infrared"),
        "bibtex": LLVIP.citation_bibtex,
    }
    values.update(changes)
    return Citable(**values)


# The inverse of tex(): what LaTeX prints for each escape.
UNTEX = [
    (r"\textbackslash{}", "\\"),
    (r"\textasciitilde{}", "~"),
    (r"\textasciicircum{}", "^"),
    *((f"\\{c}", c) for c in "{}&%$#_"),
]


def untex(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        for escape, char in UNTEX:
            if value.startswith(escape, i):
                out.append(char)
                i += len(escape)
                break
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def test_tex_escapes_every_character_latex_reads_as_markup():
    escaped = tex(NASTY)
    assert untex(escaped) == NASTY
    assert escaped == (
        r"Faces \& places: 100\% \{raw\} \$5 \#1 snake\_case \textasciicircum{}hat \textasciitilde{}tilde "
        r"back\textbackslash{}slash"
    )
    assert tex("two\nlines\tand\x00a control") == "two lines and a control"


def test_a_url_keeps_its_characters_but_those_the_url_package_needs_escaped():
    assert tex_url("https://x.example/a b{c}?q=1%2F#top") == r"https://x.example/a\%20b\%7Bc\%7D?q=1\%2F\#top"


def test_bibtex_gives_the_custodians_citation_first_then_the_version_and_parses_back():
    text = to_bibtex(citable(title=NASTY, custodian="Smith and Sons & Co"))
    assert text.index("@inproceedings{jia2021llvip") < text.index("@misc{llvip-1.0")
    entries = parse_string(text, "bibtex").entries
    assert list(entries) == ["jia2021llvip", "llvip-1.0"]
    version = entries["llvip-1.0"]
    assert untex(version.fields["title"]) == "{" + NASTY + "}"
    # A corporate author in braces: one author, never split at "and".
    assert [str(p) for p in version.persons["author"]] == [r"{Smith and Sons \& Co}"]
    assert (version.fields["version"], version.fields["year"], version.fields["date"]) == ("1.0", "2024", "2024-03-05")
    assert version.fields["url"] == "https://data.lab.example/datasets/llvip"


def test_bibtex_without_a_citation_of_its_own_is_the_version_entry_alone():
    text = to_bibtex(citable(bibtex=""))
    assert text.startswith("@misc{llvip-1.0,") and "Preferred" not in text
    assert list(parse_string(text, "bibtex").entries) == ["llvip-1.0"]


def test_ris_has_one_line_per_value_even_when_the_text_has_line_breaks():
    text = to_ris(citable(title="Two\nlines", summary="A summary\nER  - that tries to end the record"))
    records = rispy.loads(text)
    assert [r["type_of_reference"] for r in records] == ["CPAPER", "DATA"]
    paper, data = records
    assert paper["authors"][:2] == ["Jia, Xinyu", "Zhu, Chuang"]
    assert (paper["year"], paper["start_page"], paper["end_page"]) == ("2021", "3496", "3504")
    assert paper["title"] == "LLVIP: A Visible-infrared Paired Dataset for Low-light Vision"  # braces gone
    assert data["title"] == "Two lines" and data["authors"] == ["Beijing University of Posts and Telecommunications"]
    assert data["abstract"] == "A summary ER - that tries to end the record"
    assert (data["edition"], data["date"], data["urls"]) == ("1.0", "2024/03/05/", [citable().url])
    assert data["keywords"] == ["visible", "infrared"]
    assert all(line[2:6] == "  - " for line in text.splitlines())


def test_cff_is_valid_and_names_the_papers_authors_in_its_preferred_citation():
    doc = valid_cff(to_cff(citable()))
    assert (doc["cff-version"], doc["type"], doc["version"], doc["date-released"]) == (
        "1.2.0",
        "dataset",
        "1.0",
        "2024-03-05",
    )
    assert doc["authors"] == [{"name": "Beijing University of Posts and Telecommunications"}]
    assert doc["url"] == citable().url and doc["license-url"] == citable().terms_url
    preferred = doc["preferred-citation"]
    assert preferred["type"] == "conference-paper" and preferred["year"] == 2021
    assert preferred["authors"][0] == {"family-names": "Jia", "given-names": "Xinyu"}
    assert preferred["title"] == "LLVIP: A Visible-infrared Paired Dataset for Low-light Vision"
    assert (preferred["start"], preferred["end"]) == ("3496", "3504")
    assert "references" not in doc


def test_cff_with_special_characters_several_works_and_name_particles_stays_valid():
    bibtex = (
        '@article{a, title={A {\\"u}ber study: 50\\% \\& more}, author={van der Berg, Jan and M{\\"u}ller, Eva},'
        " journal={J. of Tests}, volume={4}, number={2}, year={2020}, doi={10.1234/abc.5}, url={https://x.example/a}}\n"
        "@misc{b, title={Second}, author={Doe, Jo}, doi={not a doi}, url={ftp is not this}}\n"
    )
    doc = valid_cff(to_cff(citable(title=NASTY, custodian='Lab: "quoted" # and more', bibtex=bibtex)))
    assert doc["title"] == NASTY and doc["authors"] == [{"name": 'Lab: "quoted" # and more'}]
    paper = doc["preferred-citation"]
    assert paper["title"] == "A über study: 50% & more"
    assert paper["authors"] == [
        {"family-names": "Berg", "given-names": "Jan", "name-particle": "van der"},
        {"family-names": "Müller", "given-names": "Eva"},
    ]
    assert (paper["journal"], paper["volume"], paper["issue"], paper["doi"]) == (
        "J. of Tests",
        "4",
        "2",
        "10.1234/abc.5",
    )
    [second] = doc["references"]
    assert second["type"] == "generic" and "doi" not in second and "url" not in second  # malformed: left out


def test_a_citation_that_cannot_be_read_is_left_out_of_cff_and_ris_but_kept_in_bibtex():
    broken = "@inproceedings{x, title = {unbalanced, author = {Nobody}"
    assert references(broken) == []
    doc = valid_cff(to_cff(citable(bibtex=broken)))
    assert "preferred-citation" not in doc and doc["message"].startswith("If you use this dataset, please cite")
    assert [r["type_of_reference"] for r in rispy.loads(to_ris(citable(bibtex=broken)))] == ["DATA"]
    assert broken in to_bibtex(citable(bibtex=broken))


def test_each_seed_citation_gives_valid_cff():
    for facts in (LLVIP, CION_AL):
        doc = valid_cff(to_cff(citable(slug=facts.slug, title=facts.title, bibtex=facts.citation_bibtex)))
        assert len(doc["preferred-citation"]["authors"]) >= 5


def test_the_cffconvert_command_validates_the_file_and_refuses_a_wrong_one(tmp_path):
    path = tmp_path / "CITATION.cff"
    path.write_text(to_cff(citable(title=NASTY)), encoding="utf-8")
    done = check(path)
    assert done.returncode == 0, done.stdout + done.stderr
    path.write_text(to_cff(citable()).replace("type: dataset", "type: spreadsheet", 1))  # not a CFF type
    assert check(path).returncode != 0
