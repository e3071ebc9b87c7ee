"""Each clause of the four seed documents, read against what Accord makes of it: the encoded policy, the clause
in plain words that the dataset page and the form show, and the text of the sealed agreement PDF.

One row per clause of a seed (quoted briefly). `key` is the rendered clause it must produce (None for a rule of
the process, which the policy encodes and no clause states), `words` what that clause must say. Rows marked
ACCORD are duties Accord adds for every human-subject dataset; every other rendered clause must come from the
seed, so a clause the seed never had fails `test_every_rendered_clause_comes_from_a_seed_clause`."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from accord.access import sealing
from accord.access.agreement import Signature, render_pdf
from accord.access.form import build_agreement
from accord.catalog import service as catalog
from accord.demo.facts import BY_SLUG
from accord.demo.images import DemoScale
from accord.demo.load import load_datasets
from accord.policy import service as policies
from accord.policy.schema import ApplicantField as F
from accord.policy.schema import Commercial, Modification, Purpose, Redistribution, ReviewMode, Signatory
from tests.access.helpers import SIGNATORY, answers
from tests.conftest import make_settings

ACCORD = "ACCORD"

ROWS = [
    # LLVIP: Term of Use and License
    (
        "llvip",
        "freely available ... for non-commercial purposes such as academic research, teaching, scientific "
        "publications, or personal experimentation",
        "purpose",
        ["only for research, teaching, scientific publications and personal experimentation"],
        lambda p: (
            set(p.purposes)
            == {Purpose.research, Purpose.teaching, Purpose.publication, Purpose.personal_experimentation}
        ),
    ),
    (
        "llvip",
        "1. include a reference to the LLVIP Dataset in any work ... for research papers, cite our preferred "
        "publication",
        "citation",
        ["Every work that uses LLVIP must say so. Papers must cite: Jia, Zhu, Li", "ICCV Workshops 2021. Other"],
        lambda p: bool(p.citations),
    ),
    (
        "llvip",
        "1. for other media cite our preferred publication ... or link to the LLVIP website",
        "citation",
        ["Other media may cite it or link to the dataset's homepage instead."],
        lambda p: p.link_allowed_instead_of_citation,
    ),
    (
        "llvip",
        "2. clarify the relationship between your new annotations and the original LLVIP on the homepage",
        "derivatives",
        ["If you release new annotations built on LLVIP", "explain on their homepage how they relate to the original"],
        lambda p: p.derivatives.state_relationship,
    ),
    (
        "llvip",
        "2. inform all scholars who will use your new annotations should also cite the original LLVIP paper",
        "derivatives",
        ["ask everyone who uses your annotations to cite LLVIP as well"],
        lambda p: p.derivatives.users_must_cite_original,
    ),
    (
        "llvip",
        "2. you also agree that we can publish your new annotations on the original LLVIP homepage (... we "
        "will mark your contributions)",
        "derivatives",
        [
            "declare them in Accord",  # the obligations page, linked from the clause
            "may publish them on LLVIP's homepage, crediting you",
        ],
        lambda p: p.derivatives.custodian_may_list and p.derivatives.must_declare,
    ),
    (
        "llvip",
        "3. you may not use the dataset or any derivative work for commercial purposes as, for example, "
        "licensing or selling the data",
        "commercial",
        ["anything derived from it for commercial purposes, such as selling, trading or licensing it"],
        lambda p: p.commercial_use is Commercial.forbidden,
    ),
    (
        "llvip",
        "4. all rights not expressly granted to you are reserved by us",
        "rights",
        ["All rights not expressly granted here remain with BUPT."],
        lambda p: p.rights_reserved,
    ),
    (
        "llvip",
        "Permission is granted to use the data (copies for others are not granted: rights reserved)",
        "redistribution",
        ["You may not give, publish or copy LLVIP or any part of it to anyone else."],
        lambda p: p.redistribution is Redistribution.forbidden,
    ),
    (
        "llvip",
        "we prohibit you from using the Datasets in any manner to identify or invade the privacy of any person",
        "privacy",
        ["You may not use the data to identify", "intrude on their privacy"],
        lambda p: p.privacy.no_identification,
    ),
    (
        "llvip",
        "to remove your information from the Dataset, please contact us by sending an e-mail",
        "privacy",
        [
            "People shown in the data may ask BUPT to remove their images",
            "confirm it to BUPT by writing to llvip-custodian@example.org",
        ],
        lambda p: p.privacy.removal_requests,
    ),
    ("llvip", ACCORD, "privacy", ["keep the data secure"], lambda p: p.privacy.protect_subjects),
    (
        "llvip",
        "freely available: no manual review (click-through)",
        None,
        [],
        lambda p: p.review.mode is ReviewMode.automatic and not p.institutional_email,
    ),
    # CION-AL: Dataset License Agreement
    (
        "cion-al",
        "released for researchers with free of charge",
        "purpose",
        ["only for research"],
        lambda p: p.purposes == [Purpose.research],
    ),
    (
        "cion-al",
        "1. should not be further distributed, published, copied, or disseminated in any way or form "
        "without a prior approval from the creators ..., no matter for profitable use or not",
        "redistribution",
        ["pass on, publish, copy or spread CION-AL", "whether for profit or not, without prior approval from HUST"],
        lambda p: p.redistribution is Redistribution.on_approval,
    ),
    (
        "cion-al",
        "2. entirely, partly, or in any format derived thereof, is not allowed for commercial use without "
        "a prior approval from the creators",
        "commercial",
        [
            "anything derived from it commercially without prior approval from National Key Laboratory of "
            "Multispectral Information Intelligent Processing Technology"
        ],
        lambda p: p.commercial_use is Commercial.on_approval,
    ),
    (
        "cion-al",
        "3. either entirely or partly, is not allowed to be modified without a prior approval from the creators",
        "modification",
        ["You may not modify CION-AL or any part of it without prior approval from HUST"],
        lambda p: p.modification is Modification.on_approval,
    ),
    (
        "cion-al",
        "4. The following paper or any of its upgraded versions should be cited in all documents and "
        "papers using the CION-AL dataset",
        "citation",
        [
            "Every document or paper that uses CION-AL must cite: Zuo et al.",
            "NeurIPS 2024 (or a later version of that paper).",
        ],
        lambda p: p.citations[0].include_upgraded_versions,
    ),
    (
        "cion-al",
        "5. agree to protect the privacy of all the subjects in it",
        "privacy",
        ["protect the privacy of the people in it"],
        lambda p: p.privacy.protect_subjects,
    ),
    (
        "cion-al",
        "5. bear all responsibilities and consequences for any loss caused by the misuse",
        "liability",
        ["You bear all responsibility and consequences for any loss caused by misuse of the data."],
        lambda p: p.privacy.licensee_liable_for_misuse,
    ),
    (
        "cion-al",
        "Notes: Signatory must have the legal authority to sign licensing agreements on behalf of the "
        "Licensee with HUST",
        "signatory",
        ["legal authority to enter licence agreements with HUST on behalf of your institution"],
        lambda p: p.signatory is Signatory.legal_authority,
    ),
    (
        "cion-al",
        "Notes: Licensee's legal staff should review the terms and conditions of this agreement",
        "signatory",
        ["after your institution's legal staff have reviewed its terms"],
        lambda p: True,
    ),
    (
        "cion-al",
        "Notes: Agreements signed by individuals without this authority are not valid and will be discarded",
        "signatory",
        ["void and will be discarded"],
        lambda p: True,
    ),
    (
        "cion-al",
        "form: NAME and TITLE, JOB TITLE, NATIONALITY, ORGANIZATION, DEPARTMENT/LABORATORY, ADDRESS, EMAIL, TELEPHONE",
        "form",
        [
            "Full name",
            "Title (Dr, Prof, Ms, ...)",
            "Job title",
            "Nationality",
            "Organisation",
            "Department or laboratory",
            "Postal address",
            "Institutional e-mail",
            "Telephone",
        ],
        lambda p: (
            {
                F.name,
                F.honorific,
                F.job_title,
                F.nationality,
                F.organisation,
                F.department,
                F.address,
                F.email,
                F.telephone,
            }
            <= set(p.applicant_fields)
        ),
    ),
    (
        "cion-al",
        "SIGNATURE: DATE: (by the signatory)",
        "form",
        ["Signatory with legal authority", "signed electronically by"],
        lambda p: True,
    ),
    (
        "cion-al",
        "scan the agreement and send to ...; a notification email will be sent ... once the procedure is approved",
        None,
        [],
        lambda p: p.review.mode is ReviewMode.single,
    ),
    (
        "cion-al",
        ACCORD,
        "privacy",
        ["You may not use the data to identify", "confirm it to HUST by writing to cion-al-creators@example.org"],
        lambda p: p.privacy.no_identification and p.privacy.removal_requests,
    ),
    # AT-USTC: Dataset Release Agreement
    (
        "at-ustc",
        "Copyright. The IPC of USTC holds the copyright of the AT-USTC dataset",
        "rights",
        ["All rights not expressly granted here remain with USTC."],
        lambda p: p.rights_reserved,
    ),
    (
        "at-ustc",
        "1. All requests ... are submitted to USTC in writing",
        None,
        [],
        lambda p: p.review.mode is not ReviewMode.automatic,
    ),
    (
        "at-ustc",
        "2. The entire or part of the AT-USTC dataset will not be modified ... except for USTC",
        "modification",
        ["You may not modify AT-USTC or any part of it."],
        lambda p: p.modification is Modification.forbidden,
    ),
    (
        "at-ustc",
        "2. ... and further distributed, published, copied or disseminated in any way or form, either for "
        "profit or not",
        "redistribution",
        [
            "You may not copy, publish, pass on or spread AT-USTC or any part of it in any way, whether for profit or "
            "not."
        ],
        lambda p: p.redistribution is Redistribution.approved_unit_only,
    ),
    (
        "at-ustc",
        "2. This also refers to ... any other facility or unit within the requesting organization, other "
        "than the one mentioned in the request",
        "redistribution",
        ["other units or facilities of your own organisation: only the unit named in your application"],
        lambda p: F.unit in p.applicant_fields,
    ),
    (
        "at-ustc",
        "3. made available only for research purposes",
        "purpose",
        ["only for research"],
        lambda p: p.purposes == [Purpose.research],
    ),
    (
        "at-ustc",
        "3. it may not be used in any commercial activity",
        "commercial",
        ["You may not use AT-USTC, any part of it or anything derived from it for commercial purposes"],
        lambda p: p.commercial_use is Commercial.forbidden,
    ),
    (
        "at-ustc",
        "3. may not be used to promote any product or technology",
        "commercial",
        ["It may not be used to advertise or promote any product or technology."],
        lambda p: p.no_promotion,
    ),
    (
        "at-ustc",
        "4. All documents and papers that uses the AT-USTC dataset will ... cite the following paper",
        "citation",
        ['Every document or paper that uses AT-USTC must cite: Li et al. "Towards Anytime Retrieval', "IJCAI 2025."],
        lambda p: "IJCAI 2025" in p.citations[0].text,
    ),
    (
        "at-ustc",
        "form: Name, Organization, Mailing Address, Tel, Email",
        "form",
        ["Full name", "Organisation", "Postal address", "Telephone", "Institutional e-mail"],
        lambda p: {F.name, F.organisation, F.address, F.telephone, F.email} <= set(p.applicant_fields),
    ),
    (
        "at-ustc",
        "form: Signature, Date",
        "form",
        ["Applicant: signed electronically by Ana Lima on"],
        lambda p: p.signatory is Signatory.applicant,
    ),
    (
        "at-ustc",
        ACCORD,
        "privacy",
        [
            "You may not use the data to identify",
            "keep the data secure",
            "confirm it to USTC by writing to at-ustc-custodian@example.org",
        ],
        lambda p: p.privacy.removal_requests,
    ),
    # SHHQ: Agreement and Download Instructions
    (
        "shhq",
        "The SHHQ is available for non-commercial research purposes only",
        "purpose",
        ["only for research"],
        lambda p: p.purposes == [Purpose.research],
    ),
    (
        "shhq",
        "not reproduce, duplicate, copy, sell, trade, resell or exploit any portion of the images and any "
        "portion of the derived data for commercial purposes",
        "commercial",
        ["anything derived from it for commercial purposes, such as selling, trading or licensing it"],
        lambda p: p.commercial_use is Commercial.forbidden,
    ),
    (
        "shhq",
        "NOT further copy, publish or distribute any portion of SHHQ to any third party for any purpose",
        "redistribution",
        ["You may not copy, publish or give SHHQ or any part of it to any third party, for any purpose."],
        lambda p: p.redistribution is Redistribution.single_site_internal,
    ),
    (
        "shhq",
        "Except, for internal use at a single site within the same organization it is allowed to make copies",
        "redistribution",
        ["Copies for internal use are allowed only at the single site of your organisation named in your application."],
        lambda p: F.unit in p.applicant_fields,
    ),
    (
        "shhq",
        "Shanghai AI Lab reserves the right to terminate your access to the SHHQ at any time",
        "termination",
        ["Shanghai AI Lab may end your access at any time."],
        lambda p: p.custodian_may_terminate,
    ),
    (
        "shhq",
        "send the completed form ... using institutional email address",
        None,
        [],
        lambda p: p.institutional_email,
    ),
    ("shhq", "We will verify your request and contact you", None, [], lambda p: p.review.mode is ReviewMode.single),
    (
        "shhq",
        "persons in the dataset are anonymised (Accord's duties)",
        "privacy",
        [
            "You may not use the data to identify",
            "ask Shanghai AI Laboratory (Shanghai AI Lab) to remove",
            "confirm it to Shanghai AI Lab by writing to shhq-custodian@example.org",
        ],
        lambda p: p.privacy.no_identification and p.privacy.removal_requests,
    ),
]
SLUGS = ["llvip", "cion-al", "at-ustc", "shhq"]
AT = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    """Per seed: the demo catalogue's current terms, their clauses, and the text of a sealed agreement PDF."""
    from accord import dbmigrate
    from accord.runtime import build

    tmp = tmp_path_factory.mktemp("fidelity")
    rt = build(make_settings(tmp))
    dbmigrate.upgrade(rt.engine)
    load_datasets(
        rt,
        scale=DemoScale(
            llvip_pairs=1,
            llvip_preview_pairs=0,
            cion_identities=1,
            cion_crops=1,
            cion_preview_identities=0,
            at_ustc_volunteers=1,
            shhq_images=1,
            shhq_preview=0,
        ),
    )
    keys = sealing.ensure_keys(tmp / "keys")
    out = {}
    with rt.session() as db:
        for slug in SLUGS:
            ds = catalog.dataset_by_slug(db, slug)
            terms = policies.current(db, ds.id)
            signatory = SIGNATORY if terms.policy.signatory is Signatory.legal_authority else None
            doc = build_agreement(
                terms,
                slug=slug,
                title=ds.title,
                answers=answers(slug, "ana@mit.edu"),
                applicant_email="ana@mit.edu",
                signatory=signatory,
            )
            signatures = [Signature("Ana Lima", AT)]
            if signatory:
                signatures.append(Signature(SIGNATORY["name"], AT, role="Signatory"))
            sealed = sealing.seal(render_pdf(doc, signatures=signatures), keys)
            assert sealing.verify(sealed, keys.cert).ok
            pdf_text = _flat(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(sealed)).pages))
            out[slug] = {
                "policy": terms.policy,
                "clauses": {c.key: c for c in terms.clauses()},
                "text": {c.key: c.text for c in terms.clauses()},
                "pdf": pdf_text,
            }
    rt.engine.dispose()
    return out


@pytest.mark.parametrize(
    ("slug", "seed_clause", "key", "words", "check"), ROWS, ids=[f"{r[0]}-{n}: {r[1][:60]}" for n, r in enumerate(ROWS)]
)
def test_each_seed_clause_is_in_the_policy_the_rendered_clause_and_the_sealed_pdf(
    seeds, slug, seed_clause, key, words, check
):
    got = seeds[slug]
    assert check(got["policy"]), f"the {slug} policy does not encode: {seed_clause}"
    if key is None:
        return
    if key != "form":
        assert key in got["text"], f"{slug} renders no {key!r} clause for: {seed_clause}"
        for w in words:
            assert w in got["text"][key], f"{slug} {key!r} clause lacks {w!r}: {got['text'][key]}"
    for w in words:
        assert _flat(w) in got["pdf"], f"the sealed {slug} agreement lacks {w!r}"


@pytest.mark.parametrize("slug", SLUGS)
def test_every_rendered_clause_comes_from_a_seed_clause(seeds, slug):
    mapped = {key for s, _, key, _, _ in ROWS if s == slug and key not in (None, "form")}
    assert set(seeds[slug]["text"]) == mapped


@pytest.mark.parametrize("slug", SLUGS)
def test_no_sentence_ends_with_two_full_stops(seeds, slug):
    for key, text in seeds[slug]["text"].items():
        assert ".." not in text, f"{slug} {key}: {text}"
    assert ".." not in seeds[slug]["pdf"].replace("...", "")  # "(Dr, Prof, Ms, ...)" is a label, not an ending


@pytest.mark.parametrize("slug", SLUGS)
def test_the_custodian_is_named_in_full_once_and_by_its_short_name_after(seeds, slug):
    facts = BY_SLUG[slug]
    texts = " ".join(seeds[slug]["text"].values())
    assert texts.count(facts.custodian) <= 1
    if facts.custodian in texts:
        first = texts.index(facts.custodian) + len(facts.custodian)
        assert facts.custodian_short in texts[first:]


@pytest.mark.parametrize("slug", SLUGS)
def test_every_clause_that_sends_something_to_the_custodian_links_their_contact(seeds, slug):
    contact = BY_SLUG[slug].custodian_contact
    for clause in seeds[slug]["clauses"].values():
        if contact in clause.text:
            assert [link.href for link in clause.links] == [f"mailto:{contact}"]
            assert all(link.label in clause.text for link in clause.links)


@pytest.mark.parametrize("given", ["Doe. A paper. ECCV 2022.", "Doe. A paper. ECCV 2022", "Doe. A paper. ECCV 2022. "])
def test_a_citation_ends_with_one_full_stop_whether_or_not_it_brings_its_own(given):
    from accord.policy.clauses import clauses
    from accord.policy.io import seed

    policy = type(seed("at-ustc")).model_validate({**seed("at-ustc").model_dump(), "citations": [{"text": given}]})
    text = next(c.text for c in clauses(policy) if c.key == "citation")
    assert text.endswith("must cite: Doe. A paper. ECCV 2022.")


def test_once_accord_has_the_page_a_clause_links_there_instead_of_the_contact(monkeypatch):
    from accord.policy import clauses as module
    from accord.policy.io import seed

    names = {
        "custodian": "Beijing University of Posts and Telecommunications",
        "custodian_short": "BUPT",
        "dataset": "LLVIP",
        "contact": "llvip-custodian@example.org",
        "slug": "llvip",
    }
    monkeypatch.setitem(module.FEATURE_PAGES, "declare_derivative", None)  # a custodian's contact, without the page
    before = {c.key: c for c in module.clauses(seed("llvip"), **names)}
    assert (
        "tell Beijing University of Posts and Telecommunications (BUPT) about them by writing to "
        "llvip-custodian@example.org" in before["derivatives"].text
    )
    monkeypatch.undo()  # the obligations page, as shipped
    after = {c.key: c for c in module.clauses(seed("llvip"), **names)}
    assert "declare them in Accord" in after["derivatives"].text
    assert [(x.label, x.href) for x in after["derivatives"].links] == [
        ("declare them in Accord", "/datasets/llvip/obligations#derivatives")
    ]
    assert "example.org" not in after["derivatives"].text
