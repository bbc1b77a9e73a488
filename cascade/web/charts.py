"""Server-drawn SVG charts: a sparkline per measure and the actuals-against-target chart of the objective page.

Pure Python, no database. Every piece of text that reaches the SVG goes through ``format_html`` / ``escape``
(never an f-string with user text), so a hostile measure name or unit is shown, not executed. The charts read
without colour: the target is a dashed line with a label, the red flag a dotted one, actuals are a solid line
with round markers and their values written beside them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe


def fmt_number(value: float | None) -> str:
    """A short human figure: 7, 7.25, 1,234.5 (no trailing zeros); an em dash for none."""
    if value is None or not math.isfinite(value):
        return "—"
    if abs(value) >= 1000:
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _scale(lo: float, hi: float, out_lo: float, out_hi: float):  # type: ignore[no-untyped-def]
    span = hi - lo or 1.0

    def to(v: float) -> float:
        return round(out_lo + (v - lo) / span * (out_hi - out_lo), 1)

    return to


def sparkline(values: Sequence[float], *, label: str = "", width: int = 80, height: int = 20) -> SafeString:
    """A tiny line of the last values (oldest first); empty text when there is nothing to draw."""
    points = [float(v) for v in values if v is not None and math.isfinite(v)]
    if not points:
        return SafeString("")
    lo, hi = min(points), max(points)
    pad = 2.0
    x = _scale(0, max(len(points) - 1, 1), pad, width - pad)
    # SVG y grows downwards: the highest value is drawn at the top.
    y = _scale(lo, hi, height - pad, pad) if hi > lo else (lambda _v: height / 2)
    coords = " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(points))
    last_x, last_y = x(len(points) - 1), y(points[-1])
    description = f"{label}: " if label else ""
    description += ", ".join(fmt_number(v) for v in points)
    return format_html(
        '<svg class="sparkline" xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" viewBox="0 0 {} {}" '
        'role="img" aria-label="{}"><title>{}</title>'
        '<polyline points="{}" fill="none" stroke="currentColor" stroke-width="1.5"/>'
        '<circle cx="{}" cy="{}" r="2.5" fill="currentColor"/></svg>',
        width, height, width, height, description, description, coords, last_x, last_y,
    )


def actuals_chart(
    points: Sequence[tuple[dt.date, float]],
    *,
    target: float | None,
    red_flag: float | None = None,
    title: str = "",
    units: str = "",
    width: int = 560,
    height: int = 220,
) -> SafeString:
    """Actuals over time against the target (dashed) and red flag (dotted), with labelled axes."""
    values = [v for _, v in points if math.isfinite(v)]
    refs = [r for r in (target, red_flag) if r is not None and math.isfinite(r)]
    suffix = f" {units}" if units else ""
    summary = f"{title}: " if title else ""
    if points:
        summary += "; ".join(f"{p.isoformat()} {fmt_number(v)}{suffix}" for p, v in points)
    else:
        summary += "no values yet"
    if target is not None:
        summary += f"; target {fmt_number(target)}{suffix}"
    if red_flag is not None:
        summary += f"; red flag {fmt_number(red_flag)}{suffix}"
    if not values:
        return format_html(
            '<svg class="chart chart-empty" xmlns="http://www.w3.org/2000/svg" width="{}" height="40" '
            'viewBox="0 0 {} 40" role="img" aria-label="{}"><title>{}</title>'
            '<text x="8" y="24">No values yet</text></svg>',
            width, width, summary, summary,
        )
    left, right, top, bottom = 56, width - 92, 16, height - 36
    lo, hi = min(values + refs), max(values + refs)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    margin = (hi - lo) * 0.08
    lo, hi = lo - margin, hi + margin
    y = _scale(lo, hi, bottom, top)
    x = _scale(0, max(len(points) - 1, 1), left + 10, right - 10)
    parts: list[SafeString] = []
    # Axes and the y-axis extremes.
    parts.append(format_html(
        '<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}"/><line class="axis" x1="{}" y1="{}" x2="{}" y2="{}"/>',
        left, top, left, bottom, left, bottom, right, bottom,
    ))
    for value in (lo + margin, hi - margin):
        parts.append(format_html(
            '<text class="tick" x="{}" y="{}" text-anchor="end">{}</text>', left - 4, y(value) + 4,
            fmt_number(value),
        ))
    # Reference lines: told apart by dash pattern and label, not by colour alone.
    if red_flag is not None and math.isfinite(red_flag):
        parts.append(format_html(
            '<line class="ref red-flag" x1="{}" y1="{}" x2="{}" y2="{}" stroke-dasharray="2 3"/>'
            '<text class="ref-label" x="{}" y="{}">Red flag {}</text>',
            left, y(red_flag), right, y(red_flag), right + 4, y(red_flag) + 4, fmt_number(red_flag),
        ))
    if target is not None and math.isfinite(target):
        parts.append(format_html(
            '<line class="ref target" x1="{}" y1="{}" x2="{}" y2="{}" stroke-dasharray="8 4"/>'
            '<text class="ref-label" x="{}" y="{}">Target {}</text>',
            left, y(target), right, y(target), right + 4, y(target) + 4, fmt_number(target),
        ))
    coords = " ".join(f"{x(i)},{y(v)}" for i, (_, v) in enumerate(points))
    parts.append(format_html('<polyline class="actual" points="{}" fill="none"/>', coords))
    label_every = max(1, math.ceil(len(points) / 8))  # x labels stay legible with many periods
    parts.append(format_html_join(
        "",
        '<g class="point"><circle cx="{}" cy="{}" r="3.5"><title>{}: {}</title></circle>'
        '<text class="value" x="{}" y="{}" text-anchor="middle">{}</text></g>',
        ((x(i), y(v), p.isoformat(), fmt_number(v), x(i), y(v) - 7, fmt_number(v))
         for i, (p, v) in enumerate(points)),
    ))
    parts.append(format_html_join(
        "",
        '<text class="tick" x="{}" y="{}" text-anchor="middle">{}</text>',
        ((x(i), bottom + 16, p.strftime("%Y-%m")) for i, (p, _) in enumerate(points) if i % label_every == 0
         or i == len(points) - 1),
    ))
    return format_html(
        '<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 {} {}" '
        'preserveAspectRatio="xMinYMin meet" role="img" aria-label="{}"><title>{}</title>{}</svg>',
        width, height, summary, summary, mark_safe("".join(parts)),  # noqa: S308 - parts built by format_html
    )
