"""Inline SVG charts for verimath's HTML pages (the eval report, the precision lab): accuracy against k (one
line per metric, with 95% CI whiskers) and horizontal interval charts (one row per category: a bar or a dot
with its CI and its value written beside it). Standard library only; ``CSS`` styles what the charts draw.

Every chart writes its numbers as text (a legend with each line's last value, a label beside each row), not
only in tooltips; ticks are round numbers (1–2–5 steps); bars start at zero; a chart of signed differences
spans at least ``min_span`` points around zero, so a 1-point drop does not fill the axis; lines that coincide
stay distinguishable (own colour, dash and marker, and points dodged sideways)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

CSS = """svg.figure{display:block;margin:8px 0;max-width:100%;height:auto}
svg text{font-size:12px;fill:#222}svg .t{font-size:14px;font-weight:600}svg .tick{fill:#555}.ax{stroke:#333}
.grid{stroke:#eee}"""
"""The style rules the charts' classes need, for a page's ``<style>``."""

COLORS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000")
"""The Okabe–Ito palette: distinguishable with the common colour-vision deficiencies."""
_DASHES = ("", "7 4", "2 3", "9 3 2 3", "4 2")
_MARKERS = ("circle", "square", "triangle", "diamond", "cross")


@dataclass(frozen=True, slots=True)
class Point:
    """A value (a fraction, 0..1, or a signed difference) with its 95% interval, at ``x``."""

    x: float
    value: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class Line:
    """One metric across x."""

    name: str
    points: tuple[Point, ...]


@dataclass(frozen=True, slots=True)
class Row:
    """One category of an interval chart."""

    label: str
    value: float
    low: float
    high: float
    note: str = ""
    """Written after the value, e.g. ``12 problems``."""


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values from at or below ``low`` to at or above ``high``, about ``count`` of them, in steps
    of 1, 2 or 5 times a power of ten (or 25 times, for quarters of 100): an axis drawn from the first to the
    last tick covers the range."""
    if not high > low:
        return [low]
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5 if power >= 10 else 2, 5, 10) if m * power >= raw - 1e-12)
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    return [round(i * step, 12) for i in range(first, last + 1)]


def tick_label(value: float, ticks: Sequence[float]) -> str:
    """``value`` with as many decimals as the tick step needs (``20``, ``2.5``), never ``165.095``."""
    step = min((b - a for a, b in itertools.pairwise(ticks)), default=1.0)
    decimals = next(d for d in range(12) if abs(round(step, d) - step) < 1e-9 * max(step, 1.0))
    return f"{value:.{decimals}f}"


def _with_ci(value: float, low: float, high: float, unit: str, sign: str = "", decimals: int = 1) -> str:
    if value != value:
        return "—"
    places = f"{sign}.{decimals}f"
    ci = f" [{100 * low:{places}}, {100 * high:{places}}]" if low == low and high == high else ""
    return f"{100 * value:{places}}{unit}{ci}"


def _polygon(points: Sequence[tuple[float, float]], color: str) -> str:
    return f'<path d="M{"L".join(f"{x:.1f},{y:.1f}" for x, y in points)}Z" fill="{color}"/>'


def _marker(shape: str, x: float, y: float, color: str) -> str:
    if shape == "square":
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="{color}"/>'
    if shape == "triangle":
        return _polygon([(x, y - 4.5), (x + 4.5, y + 3.5), (x - 4.5, y + 3.5)], color)
    if shape == "diamond":
        return _polygon([(x, y - 5), (x + 5, y), (x, y + 5), (x - 5, y)], color)
    if shape == "cross":
        return (f'<path d="M{x - 4:.1f},{y - 4:.1f}L{x + 4:.1f},{y + 4:.1f}M{x - 4:.1f},{y + 4:.1f}'
                f'L{x + 4:.1f},{y - 4:.1f}" stroke="{color}" stroke-width="2"/>')
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}"/>'


def _stroke(color: str, dash: str) -> str:
    return f'stroke="{color}" stroke-width="2"' + (f' stroke-dasharray="{dash}"' if dash else "")


def _svg(kind: str, width: float, height: float, body: list[str]) -> str:
    return (f'<svg class="figure" data-kind="{escape(kind)}" role="img" viewBox="0 0 {width:.0f} '
            f'{height:.0f}" width="{width:.0f}" height="{height:.0f}" xmlns="http://www.w3.org/2000/svg">'
            f'{"".join(body)}</svg>')


def _percent_ticks(values: Sequence[float], min_span: float = 10.0) -> list[float]:
    """Ticks (percent) for a y axis covering ``values`` (fractions), at least ``min_span`` points wide, within
    0..100."""
    finite = [100 * v for v in values if v == v]
    low, high = (min(finite), max(finite)) if finite else (0.0, 100.0)
    pad = max((high - low) * 0.1, 1.0)
    low, high = max(0.0, low - pad), min(100.0, high + pad)
    if high - low < min_span:
        low = max(0.0, min((low + high - min_span) / 2, 100.0 - min_span))
        high = low + min_span
    return [t for t in nice_ticks(low, high) if 0.0 <= t <= 100.0]


def line_chart(kind: str, title: str, lines: Sequence[Line], *, xlabel: str,
               x_labels: Sequence[tuple[float, str]]) -> str:
    """Accuracy (0..1) against x on a log2 axis, one line per metric with 95% CI whiskers; ``x_labels`` are
    the tick labels (a second text line after a newline). A legend on the right gives each line's last
    value."""
    width, height, left, top = 780.0, 330.0, 58.0, 34.0
    right, bottom = width - 270.0, height - 62.0
    middle = (left + right) / 2
    xs = sorted({p.x for line in lines for p in line.points if p.x > 0})
    lo_x, hi_x = math.log2(xs[0]), math.log2(xs[-1])
    ticks = _percent_ticks([v for line in lines for p in line.points for v in (p.low, p.high, p.value)])
    y_lo, y_hi = ticks[0] / 100, ticks[-1] / 100

    def fx(x: float) -> float:
        return left + 24 + (math.log2(x) - lo_x) / ((hi_x - lo_x) or 1.0) * (right - left - 48)

    def fy(v: float) -> float:
        return bottom - (v - y_lo) / (y_hi - y_lo) * (bottom - top)

    body = [f'<text x="{middle:.0f}" y="18" text-anchor="middle" class="t">{escape(title)}</text>',
            f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" class="ax"/>',
            f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" class="ax"/>',
            f'<text x="{middle:.0f}" y="{height - 6}" text-anchor="middle">{escape(xlabel)}</text>',
            f'<text x="14" y="{(top + bottom) / 2:.0f}" transform="rotate(-90 14 {(top + bottom) / 2:.0f})" '
            f'text-anchor="middle">accuracy %</text>']
    for tick in ticks:
        y = fy(tick / 100)
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" class="grid"/>'
                    f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">'
                    f'{tick_label(tick, ticks)}</text>')
    for x, label in x_labels:
        for row, text in enumerate(label.split("\n")):
            body.append(f'<text x="{fx(x):.1f}" y="{bottom + 16 + 13 * row}" text-anchor="middle" '
                        f'class="tick">{escape(text)}</text>')
    dodge = 6.0
    for i, line in enumerate(lines):
        color, dash, shape = COLORS[i % len(COLORS)], _DASHES[i % len(_DASHES)], _MARKERS[i % len(_MARKERS)]
        shift = (i - (len(lines) - 1) / 2) * dodge
        points = [p for p in line.points if p.x > 0 and p.value == p.value]
        coords = [(fx(p.x) + shift, fy(p.value)) for p in points]
        parts = [f'<polyline points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in coords)}" fill="none" '
                 f'{_stroke(color, dash)}/>']
        for p, (x, y) in zip(points, coords, strict=True):
            if p.low == p.low and p.high == p.high:
                parts.append(f'<path d="M{x - 3:.1f},{fy(p.low):.1f}H{x + 3:.1f}M{x:.1f},{fy(p.low):.1f}'
                             f'V{fy(p.high):.1f}M{x - 3:.1f},{fy(p.high):.1f}H{x + 3:.1f}" stroke="{color}" '
                             f'stroke-width="1.5"/>')
            parts.append(f'<g class="pt">{_marker(shape, x, y, color)}<title>{escape(line.name)} at {p.x:g}: '
                         f'{_with_ci(p.value, p.low, p.high, "%")}</title></g>')
        legend_y = top + 8 + 22 * i
        last = points[-1] if points else None
        parts.append(f'<line x1="{right + 16}" y1="{legend_y}" x2="{right + 44}" y2="{legend_y}" '
                     f'{_stroke(color, dash)}/>{_marker(shape, right + 30, legend_y, color)}'
                     f'<text x="{right + 50}" y="{legend_y + 4}" class="legend">{escape(line.name)}'
                     f'{f" {100 * last.value:.1f}%" if last else ""}</text>')
        body.append(f'<g class="series" data-series="{escape(line.name)}">{"".join(parts)}</g>')
    return _svg(kind, width, height, body)


def interval_chart(kind: str, title: str, rows: Sequence[Row], *, signed: bool = False,
                   min_span: float = 0.1, unit: str = "%", fit: bool = False, decimals: int = 1) -> str:
    """One horizontal row per category, labels on the left and the value with its 95% CI written on the right.
    Fractions (``signed=False``) are bars from 0 on a 0–100 axis (with ``fit``, from 0 to just past the
    largest value: small fractions such as error rates stay visible); signed differences are dots with
    whiskers around a zero line on an axis spanning at least ``-min_span..min_span`` (drawn in points).
    Values are written with ``decimals`` decimals."""
    width, label_w, value_w, top, row_h = 800.0, 170.0, 260.0, 40.0, 24.0
    left, right = label_w, width - value_w
    bottom = top + row_h * len(rows)
    height = bottom + 34
    if signed:
        bound = max([min_span, *(abs(v) for r in rows for v in (r.low, r.high, r.value) if v == v)])
        ticks = nice_ticks(-100 * bound, 100 * bound)
    elif fit:
        ticks = nice_ticks(0, 100 * max([min_span, *(v for r in rows for v in (r.high, r.value) if v == v)]))
    else:
        ticks = nice_ticks(0, 100)
    lo, hi = ticks[0] / 100, ticks[-1] / 100

    def fx(v: float) -> float:
        return left + (v - lo) / (hi - lo) * (right - left)

    body = [f'<text x="{width / 2:.0f}" y="18" text-anchor="middle" class="t">{escape(title)}</text>',
            f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" class="ax"/>']
    for tick in ticks:
        x = fx(tick / 100)
        body.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{bottom}" class="grid"/>'
                    f'<text x="{x:.1f}" y="{bottom + 15}" text-anchor="middle" class="tick">'
                    f'{"+" if signed and tick > 0 else ""}{tick_label(tick, ticks)}</text>')
    zero = fx(0.0)
    body.append(f'<line x1="{zero:.1f}" y1="{top - 6}" x2="{zero:.1f}" y2="{bottom}" class="ax"/>')
    for i, r in enumerate(rows):
        y = top + row_h * i + row_h / 2
        short = r.label if len(r.label) <= 26 else r.label[:25] + "…"
        parts = [f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" class="label">{escape(short)}'
                 f'<title>{escape(r.label)}</title></text>']
        value = 0.0 if r.value != r.value else r.value
        if signed:
            parts.append(f'<circle cx="{fx(value):.1f}" cy="{y:.1f}" r="5" fill="{COLORS[1]}"/>')
        else:
            parts.append(f'<rect x="{zero:.1f}" y="{y - 8:.1f}" width="{fx(value) - zero:.1f}" height="16" '
                         f'fill="{COLORS[0]}" opacity="0.8"/>')
        if r.low == r.low and r.high == r.high:
            low, high = fx(r.low), fx(r.high)
            parts.append(f'<path d="M{low:.1f},{y:.1f}H{high:.1f}M{low:.1f},{y - 5:.1f}V{y + 5:.1f}'
                         f'M{high:.1f},{y - 5:.1f}V{y + 5:.1f}" stroke="#333" stroke-width="1.5"/>')
        text = _with_ci(r.value, r.low, r.high, unit, "+" if signed else "", decimals)
        parts.append(f'<text x="{right + 8}" y="{y + 4:.1f}" class="value">{escape(text)}'
                     f'{f" · {escape(r.note)}" if r.note else ""}</text>')
        body.append(f'<g class="row" data-label="{escape(r.label)}">{"".join(parts)}</g>')
    return _svg(kind, width, height, body)
