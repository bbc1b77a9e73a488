"""The server-drawn charts: pure functions, no database. Valid SVG, every value escaped, readable without colour."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from cascade.web.charts import actuals_chart, fmt_number, sparkline

SVG = "{http://www.w3.org/2000/svg}"
EVIL = '<script>alert(1)</script>"&\''


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_numbers_are_short_and_none_is_a_dash() -> None:
    assert [fmt_number(v) for v in (7.0, 7.25, 7.256, 1234.5, 1000000.0, -0.001, None, float("nan"))] == [
        "7", "7.25", "7.26", "1,234.5", "1,000,000", "0", "—", "—"]


def test_a_sparkline_draws_one_point_per_value_and_says_them_in_words() -> None:
    svg = parse(str(sparkline([3.0, 5.0, 4.0], label="F1.1")))
    points = svg.find(f"{SVG}polyline").get("points").split()  # type: ignore[union-attr]
    assert len(points) == 3
    ys = [float(p.split(",")[1]) for p in points]
    assert ys[1] < ys[2] < ys[0]  # higher values are drawn higher
    assert svg.get("role") == "img" and svg.get("aria-label") == "F1.1: 3, 5, 4"
    assert svg.find(f"{SVG}title").text == "F1.1: 3, 5, 4"  # type: ignore[union-attr]


def test_a_sparkline_of_nothing_is_empty_and_a_flat_one_is_drawn_mid_height() -> None:
    assert str(sparkline([])) == ""
    svg = parse(str(sparkline([2.0, 2.0], height=20)))
    points = svg.find(f"{SVG}polyline").get("points").split()  # type: ignore[union-attr]
    assert {p.split(",")[1] for p in points} == {"10.0"}


def test_the_chart_draws_actuals_target_dashed_and_red_flag_dotted_with_labels() -> None:
    points = [(dt.date(2026, 3, 31), 80.0), (dt.date(2026, 6, 30), 95.0), (dt.date(2026, 9, 30), 110.0)]
    svg = parse(str(actuals_chart(points, target=100, red_flag=90, title="Sales", units="kEUR")))
    lines = {line.get("class"): line for line in svg.iter(f"{SVG}line")}
    assert lines["ref target"].get("stroke-dasharray") == "8 4"
    assert lines["ref red-flag"].get("stroke-dasharray") == "2 3"
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "Target 100" in texts and "Red flag 90" in texts
    assert {"80", "95", "110"} <= set(texts)  # each value written next to its point
    assert {"2026-03", "2026-06", "2026-09"} <= set(texts)
    assert len(list(svg.iter(f"{SVG}circle"))) == 3
    # The target line lies between the 95 and 110 points (SVG y grows downwards).
    ys = {c.find(f"{SVG}title").text.split(": ")[1]: float(c.get("cy")) for c in svg.iter(f"{SVG}circle")}  # type: ignore[union-attr]
    target_y = float(lines["ref target"].get("y1"))  # type: ignore[arg-type]
    assert ys["110"] < target_y < ys["95"]
    assert svg.get("aria-label") == (
        "Sales: 2026-03-31 80 kEUR; 2026-06-30 95 kEUR; 2026-09-30 110 kEUR; target 100 kEUR; red flag 90 kEUR")


def test_a_chart_without_values_says_so() -> None:
    svg = parse(str(actuals_chart([], target=5, title="TBD")))
    assert svg.find(f"{SVG}text").text == "No values yet"  # type: ignore[union-attr]


def test_hostile_titles_and_units_are_escaped_text_in_valid_svg() -> None:
    points = [(dt.date(2026, 3, 31), 1.0), (dt.date(2026, 6, 30), 2.0)]
    raw = str(actuals_chart(points, target=2, title=EVIL, units=EVIL)) + str(sparkline([1.0, 2.0], label=EVIL))
    assert "<script>" not in raw
    for svg_text in (str(actuals_chart(points, target=2, title=EVIL, units=EVIL)), str(sparkline([1, 2], label=EVIL))):
        svg = parse(svg_text)
        assert EVIL in svg.find(f"{SVG}title").text  # type: ignore[union-attr, operator]
        assert not list(svg.iter(f"{SVG}script"))
