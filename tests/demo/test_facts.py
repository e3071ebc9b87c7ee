import re
from dataclasses import asdict

import pytest

from accord.demo import facts
from accord.demo.load import DEMO_USERS

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def test_the_demo_describes_the_four_seed_datasets_by_their_slugs():
    assert [f.slug for f in facts.ALL] == ["llvip", "cion-al", "at-ustc", "shhq"]


@pytest.mark.parametrize(
    "slug, custodian, subjects, images",
    [
        ("llvip", "Beijing University of Posts and Telecommunications", None, 30_976),
        ("cion-al", "Huazhong University of Science and Technology", 246_904, 3_898_086),
        ("at-ustc", "University of Science and Technology of China", 270, None),
        ("shhq", "Shanghai AI Laboratory", None, 40_000),
    ],
)
def test_each_dataset_carries_its_custodian_and_declared_counts(slug, custodian, subjects, images):
    f = facts.BY_SLUG[slug]
    assert custodian in f.custodian
    assert (f.subject_count, f.image_count) == (subjects, images)


def test_the_descriptions_state_the_facts_from_the_custodians_documents():
    assert "15,488 pairs" in facts.LLVIP.description and "24 taken in the dark and 2 in daylight" in (
        facts.LLVIP.description
    )
    assert "LUPerson-NL" in facts.CION_AL.description
    for scenario in ("DT-ST", "DT-LT", "NT-ST", "NT-LT", "AD-ST", "AD-LT"):
        assert scenario in facts.AT_USTC.description
    assert "29.1" in facts.AT_USTC.description
    assert "100 images" in facts.SHHQ.description and "1024" in facts.SHHQ.description
    assert "CC" in facts.SHHQ.description or "Creative Commons" in facts.SHHQ.description


@pytest.mark.parametrize("f", facts.ALL, ids=lambda f: f.slug)
def test_each_citation_is_one_balanced_bibtex_entry_naming_the_paper(f):
    bib = f.citation_bibtex
    assert re.match(r"^@inproceedings\{[a-z0-9]+,\n", bib)
    assert bib.count("{") == bib.count("}")
    for key in ("title", "author", "booktitle", "year"):
        assert re.search(rf"^\s+{key}\s+=\s+\{{", bib, re.M), key
    first_author = {"llvip": "Jia, Xinyu", "cion-al": "Zuo, Jialong", "at-ustc": "Li, Xulin", "shhq": "Fu, Jianglin"}[
        f.slug
    ]
    assert first_author in bib


@pytest.mark.parametrize("f", facts.ALL, ids=lambda f: f.slug)
def test_each_dataset_has_a_plain_words_terms_summary_and_a_web_homepage(f):
    assert len(f.terms_summary) > 200
    assert "commercial" in f.terms_summary
    assert f.homepage.startswith("https://")


def test_no_real_address_from_the_seed_documents_appears_in_the_demo():
    texts = [str(v) for f in facts.ALL for v in asdict(f).values()] + [u.email for u in DEMO_USERS]
    addresses = {m for text in texts for m in EMAIL.findall(text)}
    assert addresses == {u.email for u in DEMO_USERS} | {f.custodian_contact for f in facts.ALL}
    # Reserved names only (RFC 2606): example.org, and the free-mail look-alike under .example.
    assert all(a.endswith("@example.org") or a.rsplit("@", 1)[1].endswith(".example") for a in addresses)


@pytest.mark.parametrize("f", facts.ALL, ids=lambda f: f.slug)
def test_each_custodian_has_a_short_name_and_a_contact(f):
    assert 0 < len(f.custodian_short) < len(f.custodian)
    assert EMAIL.fullmatch(f.custodian_contact)
