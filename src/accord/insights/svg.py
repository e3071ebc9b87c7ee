"""Charts drawn as SVG on the server: no script, no build step, nothing fetched. Each has a <title> and a <desc>
(what it counts and its totals) for screen readers, a tooltip (<title>) on every bar, and the values written as
text where they fit; the page puts the full numbers beside it as a table, and the CSV holds them too.

Colours come as presentation attributes, never `style`, so the page's Content-Security-Policy lets them be."""

from __future__ import annotations

import math
from datetime import date
from html import escape

from accord.insights.schemas import Chart, Series

PALETTE = {
    "ok": "#1a6e42",
    "bad": "#b3261e",
    "warn": "#b86e00",
    "muted": "#8a94a6",
    "accent": "#2456a6",
    "light": "#86a9e0",
    "other": "#566173",
}
INK, AXIS, GRID = "#1d2430", "#566173", "#dde2ea"
WIDE, NARROW = 1000, 520  # viewBox widths: period charts span the page, bar charts share a row
HEIGHT = 250
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 36, 30
LABELS_AT_MOST = 13
ROW, BAR_LABEL = 26, 220


def svg(chart: Chart, *, prefix: str = "chart") -> str:
    """The chart as an <svg> element, ids prefixed (unique on a page holding several)."""
    return _bars(chart, prefix) if chart.kind == "bars" else _columns(chart, prefix)


# --- words and numbers -------------------------------------------------------------------------------------


def amount(value: float | None, unit: str, *, short: bool = False) -> str:
    """A value as people read it: 1.2 GB, 3.5 days, 1,204."""
    if value is None:
        return "–"
    if unit == "bytes":
        size = float(value)
        for name in ("B", "KB", "MB", "GB", "TB"):
            if size < 1000 or name == "TB":
                return f"{size:.0f} {name}" if name == "B" else f"{size:.1f} {name}"
            size /= 1000
    if unit == "days":
        return f"{value:.1f}" if short else f"{value:.1f} days"
    return f"{value:,.0f}"


def period(key: str, category: str, *, short: bool = False) -> str:
    """A category as shown: a week by its Monday, a month by its name; other categories as they are."""
    if key == "overall":
        return "Overall"
    if category not in ("week", "month"):
        return key
    day = date.fromisoformat(key)
    if category == "month":
        return f"{day:%b}" if short else f"{day:%B %Y}"
    return f"{day.day} {day:%b}" if short else f"week of {day.day} {day:%b %Y}"


def describe(chart: Chart) -> str:
    """The <desc>: what is counted, then its totals in words."""
    drawn = [s for s in chart.series if s.drawn]
    if chart.kind == "bars":
        values = drawn[0].values if drawn else []
        parts = [f"{name}: {amount(v, chart.unit)}" for name, v in zip(chart.categories, values, strict=True)]
    elif chart.unit == "days":
        parts = [f"{s.label} overall: {amount(s.values[-1], 'days')}" for s in drawn]
    else:
        totals = [f"{s.label.lower()} {amount(sum(v or 0 for v in s.values), chart.unit)}" for s in drawn]
        parts = ["In all: " + ", ".join(totals)] if totals else []
    return chart.summary + (" " + "; ".join(parts) + "." if parts else "")


def _nice(top: float) -> float:
    """A round step (1, 2 or 5 times a power of ten) for four grid lines up to at least `top`."""
    if top <= 0:
        return 1.0
    raw = top / 4
    power = float(10 ** math.floor(math.log10(raw)))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _open(prefix: str, chart: Chart, width: int, height: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-labelledby="{prefix}-title {prefix}-desc" class="chart-svg" '
        f'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" font-size="12" fill="{INK}">',
        f'<title id="{prefix}-title">{escape(chart.title)}</title>',
        f'<desc id="{prefix}-desc">{escape(describe(chart))}</desc>',
    ]


def _text(x: float, y: float, words: str, *, anchor: str = "start", fill: str = INK, size: int | None = None) -> str:
    extra = f' font-size="{size}"' if size else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}"{extra}>{escape(words)}</text>'


# --- columns per week or month -----------------------------------------------------------------------------


def _legend(series: list[Series], y: float) -> list[str]:
    out, x = [], float(LEFT)
    for s in series:
        out.append(f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" rx="2" fill="{PALETTE[s.tone]}"/>')
        out.append(_text(x + 17, y, s.label))
        x += 17 + 7.2 * len(s.label) + 22
    return out


def _columns(chart: Chart, prefix: str) -> str:
    drawn = [s for s in chart.series if s.drawn]
    n = max(len(chart.categories), 1)
    stacked = chart.kind == "stacked"
    values = [[v or 0.0 for v in s.values] for s in drawn]
    if stacked:
        peak = max((sum(col) for col in zip(*values, strict=True)), default=0.0)
    else:
        peak = max((max(v) for v in values if v), default=0.0)
    step = _nice(peak if peak > 0 else (1000.0 if chart.unit == "bytes" else 4.0))
    top = step * 4
    x0, x1, y0, y1 = LEFT, WIDE - RIGHT, TOP, HEIGHT - BOTTOM
    band = (x1 - x0) / n
    height = y1 - y0

    def y(v: float) -> float:
        return y1 - height * v / top

    out = _open(prefix, chart, WIDE, HEIGHT)
    out += _legend(drawn, 16)
    for i in range(5):  # grid lines and the axis's labels
        v = step * i
        out.append(f'<line x1="{x0}" x2="{x1}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="{GRID}"/>')
        tick = f"{v:g}" if chart.unit == "days" else amount(v, chart.unit, short=True)
        out.append(_text(x0 - 6, y(v) + 4, tick, anchor="end", fill=AXIS, size=11))
    every = math.ceil(n / LABELS_AT_MOST)
    group = band * 0.72
    width = group / max(len(drawn), 1)
    # The values are written above the columns where every one of them fits, or on none (their tooltips and
    # the table beside the chart still tell them).
    widest = max(
        (
            len(amount(v, chart.unit, short=True))
            for col in zip(*values, strict=True)
            for v in ([sum(col)] if stacked else col)
        ),
        default=0,
    )
    labelled = (group if stacked else width) >= 6.5 * widest
    for i, key in enumerate(chart.categories):
        left = x0 + band * i + (band - group) / 2
        when = period(key, chart.category)
        if stacked:
            base = 0.0
            for s, vals in zip(drawn, values, strict=True):
                v = vals[i]
                if v > 0:
                    out.append(
                        _bar(
                            left,
                            y(base + v),
                            group,
                            y(base) - y(base + v),
                            s,
                            f"{when}, {s.label.lower()}",
                            v,
                            chart.unit,
                        )
                    )
                base += v
            total = base
            if total > 0 and labelled:
                out.append(
                    _text(
                        left + group / 2, y(total) - 4, amount(total, chart.unit, short=True), anchor="middle", size=11
                    )
                )
        else:
            for j, (s, vals) in enumerate(zip(drawn, values, strict=True)):
                raw = s.values[i]
                if raw is None or vals[i] <= 0:
                    continue
                bx = left + width * j
                out.append(
                    _bar(
                        bx, y(vals[i]), width - 1, y1 - y(vals[i]), s, f"{when}, {s.label.lower()}", vals[i], chart.unit
                    )
                )
                words = amount(vals[i], chart.unit, short=True)
                if labelled:
                    out.append(_text(bx + (width - 1) / 2, y(vals[i]) - 4, words, anchor="middle", size=11))
        if i % every == 0 or key == "overall":
            out.append(
                _text(
                    x0 + band * (i + 0.5),
                    y1 + 18,
                    period(key, chart.category, short=True),
                    anchor="middle",
                    fill=AXIS,
                    size=11,
                )
            )
    out.append(f'<line x1="{x0}" x2="{x1}" y1="{y1}" y2="{y1}" stroke="{AXIS}"/>')
    if peak <= 0:
        out.append(_text((x0 + x1) / 2, y0 + height / 2, "Nothing to count in these weeks", anchor="middle", fill=AXIS))
    out.append("</svg>")
    return "\n".join(out)


def _bar(x: float, y: float, width: float, height: float, s: Series, what: str, value: float, unit: str) -> str:
    tip = f"{what[0].upper()}{what[1:]}: {amount(value, unit)}"
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 0.5):.1f}" height="{max(height, 0.5):.1f}" '
        f'fill="{PALETTE[s.tone]}"><title>{escape(tip)}</title></rect>'
    )


# --- horizontal bars per category --------------------------------------------------------------------------


def _bars(chart: Chart, prefix: str) -> str:
    values = [v or 0.0 for v in (chart.series[0].values if chart.series else [])]
    tones = chart.tones or ["accent"] * len(values)
    rows = max(len(values), 1)
    height = 12 + rows * ROW
    out = _open(prefix, chart, NARROW, height)
    peak = max(values, default=0.0) or 1.0
    span = NARROW - BAR_LABEL - 70
    for i, (name, v, tone) in enumerate(zip(chart.categories, values, tones, strict=True)):
        top = 6 + i * ROW
        shown = name if len(name) <= 32 else name[:31] + "…"
        out.append(f"<g><title>{escape(f'{name}: {amount(v, chart.unit)}')}</title>")
        out.append(_text(BAR_LABEL - 8, top + 16, shown, anchor="end"))
        width = span * v / peak
        box = f'x="{BAR_LABEL}" y="{top + 4}" width="{max(width, 1):.1f}" height="{ROW - 8}"'
        out.append(f'<rect {box} rx="2" fill="{PALETTE[tone]}"/>')
        out.append(_text(BAR_LABEL + width + 6, top + 16, amount(v, chart.unit)))
        out.append("</g>")
    if not values:
        out.append(_text(NARROW / 2, 24, "Nothing to count yet", anchor="middle", fill=AXIS))
    out.append(f'<line x1="{BAR_LABEL}" x2="{BAR_LABEL}" y1="4" y2="{height - 4}" stroke="{AXIS}"/>')
    out.append("</svg>")
    return "\n".join(out)
