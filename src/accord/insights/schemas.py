"""The dashboard's numbers, as the API returns them and the pages, the CSV files and the CLI show them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

# How a chart is drawn: columns per period, stacked or side by side, or horizontal bars per category.
Kind = Literal["stacked", "grouped", "bars"]
# Colours by meaning, mapped to the stylesheet's palette by the SVG renderer.
Tone = Literal["ok", "bad", "warn", "muted", "accent", "light", "other"]


class Series(BaseModel):
    key: str = Field(description="machine name, the CSV column")
    label: str
    tone: Tone = "accent"
    values: list[float | None] = Field(description="one per category; null where there is nothing to measure")
    drawn: bool = Field(default=True, description="false: in the numbers and the CSV, not drawn")


class Chart(BaseModel):
    key: str = Field(description="the chart's name in its CSV address: .../dashboard/{key}.csv")
    title: str
    summary: str = Field(description="what is counted, and from which records")
    kind: Kind
    unit: Literal["applications", "days", "grants", "downloads", "bytes", "licensees", "items"]
    category: Literal["week", "month", "state", "organisation", "country", "kind"]
    categories: list[str] = Field(description="weeks and months as the ISO date they begin on; otherwise names")
    series: list[Series]
    tones: list[Tone] | None = Field(default=None, description="bars: a colour per category")

    def total(self, key: str) -> float:
        return sum(v or 0 for s in self.series if s.key == key for v in s.values)


class Figure(BaseModel):
    """A headline number above the charts."""

    key: str
    label: str
    value: float | None
    unit: str = ""


class Dashboard(BaseModel):
    dataset: str | None = Field(description="the dataset's slug; null: across the datasets the caller curates")
    datasets: list[str] = Field(description="the slugs of the datasets counted")
    weeks: int
    since: date = Field(description="the Monday the first week begins on (UTC)")
    generated_at: datetime
    figures: list[Figure]
    charts: list[Chart]

    def chart(self, key: str) -> Chart | None:
        return next((c for c in self.charts if c.key == key), None)
