"""The charts as SVG: well-formed XML with a title and a description that screen readers announce, a tooltip
on every bar, the values as text, names escaped, no style attribute (the page's CSP forbids inline styles)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from accord.insights import service as insights
from accord.insights.schemas import Chart, Series
from tests.insights import world

NS = {"s": "http://www.w3.org/2000/svg"}


def parse(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "style" not in text
    return root


def test_every_chart_of_a_dashboard_is_an_svg_with_a_title_and_a_description(db):
    world.small(db)
    board = insights.dashboard(db, viewer="cli", dataset="alpha", weeks=4, at=world.NOW)
    assert [c.key for c in board.charts] == list(insights.CHARTS)
    for chart in board.charts:
        root = parse(insights.chart_svg(chart, prefix=f"c-{chart.key}"))
        title = root.find("s:title", NS)
        assert title is not None and title.text == chart.title
        assert root.get("role") == "img" and root.get("aria-labelledby") == f"c-{chart.key}-title c-{chart.key}-desc"
        desc = root.find("s:desc", NS)
        assert desc is not None and desc.text.startswith(chart.summary)


def test_a_stacked_chart_says_each_bar_and_writes_the_totals():
    chart = Chart(
        key="applications", title="Applications", summary="Counted.", kind="stacked", unit="applications",
        category="week", categories=["2026-03-02", "2026-03-09"],
        series=[
            Series(key="approved", label="Approved", tone="ok", values=[3, 0]),
            Series(key="rejected", label="Rejected", tone="bad", values=[1, 2]),
        ],
    )  # fmt: skip
    root = parse(insights.chart_svg(chart))
    tips = [t.text for t in root.iterfind(".//s:rect/s:title", NS)]
    assert tips == [
        "Week of 2 Mar 2026, approved: 3",
        "Week of 2 Mar 2026, rejected: 1",
        "Week of 9 Mar 2026, rejected: 2",
    ]
    texts = [t.text for t in root.iterfind(".//s:text", NS)]
    assert "Approved" in texts and "Rejected" in texts  # the legend
    assert "4" in texts and "2" in texts  # each week's total above its column
    assert "2 Mar" in texts and "9 Mar" in texts
    assert root.find("s:desc", NS).text == "Counted. In all: approved 3, rejected 3."


def test_bars_write_each_value_and_escape_the_names():
    chart = Chart(
        key="organisations", title="By organisation", summary="Held now.", kind="bars", unit="licensees",
        category="organisation", categories=["<Lab> & Co", "x" * 60],
        series=[Series(key="licensees", label="Licensees", values=[5, 1])], tones=["accent", "ok"],
    )  # fmt: skip
    text = insights.chart_svg(chart)
    root = parse(text)
    assert "&lt;Lab&gt; &amp; Co" in text
    texts = [t.text for t in root.iterfind(".//s:text", NS)]
    assert "<Lab> & Co" in texts and "5" in texts and "1" in texts
    assert "x" * 31 + "…" in texts  # a long name cut, in full in its tooltip
    assert [g.find("s:title", NS).text for g in root.iterfind("s:g", NS)] == ["<Lab> & Co: 5", "x" * 60 + ": 1"]


@pytest.mark.parametrize("kind", ["stacked", "grouped", "bars"])
def test_a_chart_with_nothing_to_count_says_so(kind):
    chart = Chart(
        key="x", title="Nothing", summary="Empty.", kind=kind, unit="bytes", category="week",
        categories=[] if kind == "bars" else ["2026-03-02"],
        series=[Series(key="bytes", label="Bytes", values=[] if kind == "bars" else [None])],
    )  # fmt: skip
    root = parse(insights.chart_svg(chart))
    assert any((t.text or "").startswith("Nothing to count") for t in root.iterfind(".//s:text", NS))


def test_amounts_read_as_people_read_them():
    assert insights.amount(1_360, "bytes") == "1.4 KB"
    assert insights.amount(2_500_000_000, "bytes") == "2.5 GB"
    assert insights.amount(8.0, "days") == "8.0 days"
    assert insights.amount(12_345, "applications") == "12,345"
    assert insights.amount(None, "days") == "–"
