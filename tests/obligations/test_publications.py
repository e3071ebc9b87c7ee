"""Publications: identifiers checked for form, registered by licensees, asked for by curators and on schedule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from accord.db import utcnow
from accord.entitlements import service as entitlements
from accord.errors import InvalidInput, PermissionDenied
from accord.notify.models import OutboxMessage
from accord.obligations import service as obligations
from accord.obligations.models import PublicationAsk
from accord.policy.io import seed
from tests.obligations.helpers import dataset_under, licensee


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("10.1109/ICCVW54120.2021.00389", "10.1109/iccvw54120.2021.00389"),
        ("doi:10.1000/xyz-123", "10.1000/xyz-123"),
        ("https://doi.org/10.48550/arXiv.2108.10831", "10.48550/arxiv.2108.10831"),
    ],
)
def test_a_doi_is_kept_in_its_bare_form(given, kept):
    assert obligations.check_doi(given) == kept


@pytest.mark.parametrize(
    "bad", ["11.1000/x", "10.12/x", "10.1000/", "doi 10.1000/x y", "https://example.org/10.1000/x"]
)
def test_a_malformed_doi_is_refused_by_name(bad):
    with pytest.raises(InvalidInput, match="is not a DOI") as exc:
        obligations.check_doi(bad)
    assert exc.value.field == "doi"


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("2108.10831", "2108.10831"),
        ("arXiv:2108.10831v2", "2108.10831v2"),
        ("https://arxiv.org/abs/2108.10831", "2108.10831"),
        ("https://arxiv.org/pdf/2108.10831.pdf", "2108.10831"),
        ("hep-th/9901001", "hep-th/9901001"),
        ("math.GT/0309136", "math.GT/0309136"),
    ],
)
def test_an_arxiv_identifier_is_kept_in_its_bare_form(given, kept):
    assert obligations.check_arxiv(given) == kept


@pytest.mark.parametrize("bad", ["2108.108", "21081.0831", "arXiv 2108.10831", "hep-th/99010", "../2108.10831"])
def test_a_malformed_arxiv_identifier_is_refused(bad):
    with pytest.raises(InvalidInput, match="not an arXiv identifier"):
        obligations.check_arxiv(bad)


def test_licensees_register_papers_once_each_and_the_dataset_lists_them(db_rt, tmp_path):  # on SQLite and PostgreSQL
    rt = db_rt
    ds, _version, reviewer = dataset_under(rt, tmp_path, "llvip")
    ana, grant = licensee(rt, ds, "ana@uni.example.org")
    bo, _ = licensee(rt, dataset_under(rt, tmp_path, "shhq")[0], "bo@else.example.org")
    with rt.session() as db:
        paper = obligations.register_publication(
            db, "llvip", actor=ana, title="Night pedestrians", doi_="https://doi.org/10.1000/NP.1", year="2025",
            version="1.0",
        )  # fmt: skip
        assert (paper.doi, paper.year, paper.version_id) == ("10.1000/np.1", 2025, _version.id)
        with pytest.raises(InvalidInput, match="already registered"):
            obligations.register_publication(db, "llvip", actor=ana, doi_="10.1000/np.1")
        with pytest.raises(InvalidInput, match="DOI, its arXiv identifier or its title"):
            obligations.register_publication(db, "llvip", actor=ana)
        with pytest.raises(InvalidInput, match="no version 9.9"):
            obligations.register_publication(db, "llvip", actor=ana, title="T", version="9.9")
        with pytest.raises(InvalidInput, match="plausible year"):
            obligations.register_publication(db, "llvip", actor=ana, title="T", year="1066")
        with pytest.raises(PermissionDenied, match="only licensees"):
            obligations.register_publication(db, "llvip", actor=bo, title="Not theirs")
        entitlements.revoke(db, grant, actor="cli", reason="project over")
        later = obligations.register_publication(db, "llvip", actor=ana, arxiv_="arXiv:2108.10831")  # still theirs
        assert [p.id for p in obligations.publications_of_dataset(db, ds.id)] == [paper.id, later.id]
        with pytest.raises(PermissionDenied):
            obligations.remove_publication(db, paper.id, actor=bo)
        obligations.remove_publication(db, later.id, actor=reviewer)
        assert [p.id for p in obligations.publications_of_dataset(db, ds.id)] == [paper.id]


def test_curators_ask_and_the_terms_schedule_asks_again(db_rt, tmp_path):  # on SQLite and PostgreSQL
    rt = db_rt
    terms = seed("llvip").model_copy(update={"ask_for_publications_days": 365})
    ds, _version, reviewer = dataset_under(rt, tmp_path, "llvip", terms)
    ana, grant = licensee(rt, ds, "ana@uni.example.org")
    licensee(rt, ds, "eve@uni.example.org")
    with rt.session() as db:
        assert obligations.ask_for_publications(db, ds.id, actor=reviewer, base_url="http://accord.example") == 2
        with pytest.raises(PermissionDenied):
            obligations.ask_for_publications(db, ds.id, actor=ana)
        sent = db.scalars(select(OutboxMessage).where(OutboxMessage.template == "publications-asked")).all()
        assert sorted(m.to for m in sent) == ["ana@uni.example.org", "eve@uni.example.org"]
        assert "http://accord.example/datasets/llvip/obligations#publications" in sent[0].text_body
        now = utcnow()
        assert obligations.ask_for_publications_on_schedule(db, now=now + timedelta(days=364)) == 0  # asked lately
        assert obligations.ask_for_publications_on_schedule(db, now=now + timedelta(days=366)) == 2
        assert obligations.ask_for_publications_on_schedule(db, now=now + timedelta(days=367)) == 0  # just asked
        entitlements.revoke(db, grant, actor="cli", reason="over")
        assert obligations.ask_for_publications_on_schedule(db, now=now + timedelta(days=800)) == 1  # in force only
        assert db.scalar(select(PublicationAsk.id).where(PublicationAsk.asked_by_id == reviewer.id)) is not None


def test_terms_without_a_schedule_never_ask_by_themselves(rt, tmp_path):
    ds, _version, _reviewer = dataset_under(rt, tmp_path, "llvip")
    licensee(rt, ds, "ana@uni.example.org")
    with rt.session() as db:
        assert obligations.ask_for_publications_on_schedule(db, now=utcnow() + timedelta(days=3000)) == 0
