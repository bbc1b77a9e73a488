"""Template filters of the pages: status badges that never rely on colour alone, numbers, trends.

Loaded as ``{% load web %}`` (registered under TEMPLATES OPTIONS "libraries" in settings).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from cascade.web.charts import fmt_number

register = template.Library()

# Each status has a word and a distinct glyph shape, so a greyscale print or a colour-blind reader still
# tells them apart; the colour comes from the CSS class only. Words and glyphs match the rendered maps' legend.
STATUS_WORDS = {
    "green": ("●", "On target"),
    "amber": ("▲", "Caution"),
    "red": ("■", "Below plan"),
    "none": ("○", "No data"),
}
TREND_SIGNS = {"better": ("↗", "better"), "worse": ("↘", "worse"), "flat": ("→", "flat")}
HEALTH_WORDS = {
    "on_track": ("●", "On track", "green"),
    "behind": ("▲", "Behind", "amber"),
    "at_risk": ("■", "At risk", "red"),
    "not_started": ("○", "Not started", "none"),
    "complete": ("✔", "Complete", "green"),
}


def status_key(status: Any) -> str:
    text = str(getattr(status, "value", status) or "none").lower()
    return text if text in STATUS_WORDS else "none"


@register.filter
def status_badge(status: Any) -> SafeString:
    key = status_key(status)
    glyph, word = STATUS_WORDS[key]
    return format_html(
        '<span class="status status-{}"><span class="glyph" aria-hidden="true">{}</span> {}</span>', key, glyph, word
    )


@register.filter
def status_word(status: Any) -> str:
    return STATUS_WORDS[status_key(status)][1]


@register.filter
def status_class(status: Any) -> str:
    return f"status-{status_key(status)}"


@register.filter
def health_badge(health: Any) -> SafeString:
    glyph, word, colour = HEALTH_WORDS.get(str(health or ""), ("○", str(health or "Unknown"), "none"))
    return format_html(
        '<span class="status status-{}"><span class="glyph" aria-hidden="true">{}</span> {}</span>',
        colour, glyph, word,
    )


@register.filter
def trend_arrow(trend: Any) -> SafeString:
    if not trend or str(trend) not in TREND_SIGNS:
        return SafeString("")
    glyph, word = TREND_SIGNS[str(trend)]
    return format_html('<span class="trend trend-{}" title="{} than the previous value">'
                       '<span aria-hidden="true">{}</span> {}</span>', word, word.capitalize(), glyph, word)


@register.filter
def num(value: Any) -> str:
    if value is None or value == "":
        return "—"
    try:
        return fmt_number(float(value))
    except (TypeError, ValueError):
        return str(value)


@register.filter
def score(value: Any) -> str:
    """Scores are exact inside; one decimal on the page."""
    if value is None:
        return "—"
    return f"{float(value):.1f}"


@register.filter
def percent(value: Any) -> str:
    """A ratio (0.95) as a percentage (95%)."""
    if value is None:
        return "—"
    return f"{float(value) * 100:.0f}%"
