"""DOT builders and their SVG: structure of the map, cascade and paths views, from hand-built snapshots.

No database: the builders take a Snapshot and statuses. Real Graphviz lays out what the SVG checks read.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest
from django.core.cache import cache

from cascade.render.dot import (
    STATUS_STYLES,
    NodeFacts,
    PathEdge,
    cascade_dot,
    facts_from_statuses,
    map_dot,
    paths_dot,
)
from cascade.render.runner import render_job
from cascade.snapshot import (
    AlignmentLink,
    CauseLink,
    InitiativeData,
    MapData,
    ObjectiveData,
    PerspectiveData,
    Snapshot,
    ThemeData,
    UnitData,
)

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
AS_OF = dt.date(2026, 9, 30)


def make_snapshot(names: dict[int, str] | None = None, *, perspective_order: tuple[str, ...] = ("F", "C", "P", "L"),
                  text: str | None = None) -> Snapshot:
    """Enterprise 1 (map 1) with child units 2 and 3; four perspectives; eight objectives in unit 1.

    Objective ids 101..108; cause links go upward (and one inside a band and one downward); unit 2 objectives
    201, 202 support 101 and 103; unit 3 objective 301 supports 201 (three levels: 3 is a child of 2).
    ``text`` (hostile) replaces every free text: unit, map, perspective, theme names, owner.
    """
    s = Snapshot()
    s.units[1] = UnitData(1, "NW", text or "Northwind")
    s.units[2] = UnitData(2, "RET", text or "Retail", parent_id=1)
    s.units[3] = UnitData(3, "EC", text or "E-commerce", parent_id=2)
    s.maps[1] = MapData(1, 1, text or "Strategy 2027", vision=text or "Be loved", mission=text or "")
    s.maps[2] = MapData(2, 2, "Retail plan")
    s.maps[3] = MapData(3, 3, "EC plan")
    names_of = {"F": "Financial", "C": "Customer", "P": "Internal Process", "L": "Learning & Growth"}
    for position, code in enumerate(perspective_order):
        s.perspectives[10 + list(names_of).index(code)] = PerspectiveData(
            10 + list(names_of).index(code), 1, code, text or names_of[code], position=position)
    s.perspectives[20] = PerspectiveData(20, 2, "F", "Financial")
    s.perspectives[30] = PerspectiveData(30, 3, "F", "Financial")
    s.themes[5] = ThemeData(5, 1, "OPX", text or "Operational excellence")
    s.themes[6] = ThemeData(6, 1, "CUS", text or "Customer intimacy")
    layout = [(101, 10, 5), (102, 10, 6), (103, 11, 6), (104, 11, None), (105, 12, 5), (106, 12, 6),
              (107, 13, 5), (108, 13, None)]
    for pk, persp, theme in layout:
        name = (names or {}).get(pk, f"Objective {pk}")
        s.objectives[pk] = ObjectiveData(pk, 1, 1, persp, f"X{pk}", name, theme_id=theme, owner=text or "ann")
    s.objectives[201] = ObjectiveData(201, 2, 2, 20, "R1", "Retail one")
    s.objectives[202] = ObjectiveData(202, 2, 2, 20, "R2", "Retail two")
    s.objectives[203] = ObjectiveData(203, 2, 2, 20, "R3", "Retail alone")
    s.objectives[301] = ObjectiveData(301, 3, 3, 30, "E1", "EC one")
    s.causes = [CauseLink(103, 101), CauseLink(104, 102), CauseLink(105, 103), CauseLink(106, 104),
                CauseLink(107, 105), CauseLink(108, 106), CauseLink(103, 104), CauseLink(102, 108)]
    s.alignments = [AlignmentLink(201, 101), AlignmentLink(202, 103), AlignmentLink(301, 201)]
    s.initiatives[7] = InitiativeData(7, 2, "INI", text or "Replatform", percent_complete=40)
    return s


STATUSES = {101: "green", 102: "amber", 103: "red", 104: "none", 105: "green", 106: "amber", 107: "red"}


def parse_svg(data: bytes) -> ET.Element:
    assert b"<!ENTITY" not in data  # no entity tricks before handing it to the parser
    return ET.fromstring(data)


def nodes_by_id(root: ET.Element) -> dict[str, ET.Element]:
    return {g.get("id"): g for g in root.iter(f"{SVG}g") if "node" in (g.get("class") or "").split()}


def edge_titles(root: ET.Element) -> set[str]:
    return {g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g") if "edge" in (g.get("class") or "").split()}


def band_order(dot_text: str) -> list[str]:
    return re.findall(r"subgraph band(\d+) \{", dot_text)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


# ------------------------------------------------------------------------------------------------ DOT
def test_bands_follow_the_perspective_order_top_band_first() -> None:
    job = map_dot(make_snapshot(), 1)
    assert band_order(job.dot) == ["10", "11", "12", "13"]
    assert [b.header for b in job.bands] == ["h10", "h11", "h12", "h13"]
    # The invisible chain runs bottom band -> top band (rankdir=BT puts the head above the tail).
    assert re.findall(r"(h\d+) -> (h\d+) \[style=invis, weight=100\]", job.dot) == [
        ("h13", "h12"), ("h12", "h11"), ("h11", "h10")]


def test_a_renamed_and_reordered_map_keeps_its_own_band_order() -> None:
    job = map_dot(make_snapshot(perspective_order=("C", "F", "L", "P")), 1)
    assert band_order(job.dot) == ["11", "10", "13", "12"]


def test_each_objective_of_the_map_is_drawn_once_and_no_other_units_objectives() -> None:
    job = map_dot(make_snapshot(), 1)
    ids = re.findall(r"^\s+(o\d+) \[", job.dot, flags=re.M)
    assert sorted(ids) == [f"o{pk}" for pk in range(101, 109)]
    assert job.nodes == 8 + 4


def test_every_cause_effect_link_of_the_map_is_an_edge_and_a_downward_one_does_not_constrain() -> None:
    job = map_dot(make_snapshot(), 1)
    drawn = re.findall(r"^\s+(o\d+) -> (o\d+) \[([^\n]*)\]", job.dot, flags=re.M)
    assert {(a, b) for a, b, _ in drawn} == {(f"o{c.cause_id}", f"o{c.effect_id}") for c in make_snapshot().causes}
    attrs = {(a, b): rest for a, b, rest in drawn}
    assert 'constraint="false"' in attrs[("o102", "o108")]  # F -> L points down the bands
    assert "constraint" not in attrs[("o103", "o101")]


def test_status_map_shows_glyph_and_word_and_drafting_map_shows_none() -> None:
    snapshot = make_snapshot()
    with_status = map_dot(snapshot, 1, facts=facts_from_statuses(STATUSES), as_of=AS_OF)
    for key, style in STATUS_STYLES.items():
        assert f"{style.glyph} {style.word}" in with_status.dot, key
    assert "Status as of 2026-09-30" in with_status.dot
    draft = map_dot(snapshot, 1)
    assert "ON TARGET" not in draft.dot and "status-" not in draft.dot
    assert "Drafting map" in draft.dot


def test_paper_attributes_are_only_set_for_paper_output() -> None:
    assert 'size="10.89,7.47!"' in map_dot(make_snapshot(), 1, paper="a4").dot
    assert 'size="15.74,10.89!"' in map_dot(make_snapshot(), 1, paper="a3").dot
    assert not re.search(r"\bsize=", map_dot(make_snapshot(), 1).dot)


# ------------------------------------------------------------------------------------------------ SVG
def test_svg_nodes_carry_ids_classes_links_and_tooltips() -> None:
    snapshot = make_snapshot()
    facts = {pk: NodeFacts(status=st, score=7.25, latest="M1 Revenue: 7 %") for pk, st in STATUSES.items()}
    root = parse_svg(render_job(map_dot(snapshot, 1, facts=facts, as_of=AS_OF), "svg"))
    nodes = nodes_by_id(root)
    assert set(nodes) == {f"o{pk}" for pk in range(101, 109)} | {"h10", "h11", "h12", "h13"}
    assert nodes["o101"].get("class").split() == ["node", "objective", "status-green", "theme-opx"]
    assert nodes["o103"].get("class").split() == ["node", "objective", "status-red", "theme-cus"]
    assert nodes["o104"].get("class").split() == ["node", "objective", "status-none"]  # no theme
    assert nodes["o108"].get("class").split() == ["node", "objective", "status-none"]  # no facts: none
    link = nodes["o101"].find(f".//{SVG}a")
    assert link.get(f"{XLINK}href") == "/objectives/101/"
    assert link.get(f"{XLINK}title").split("\n") == [
        "X101 Objective 101", "Score: 7.2 (on target)", "Latest: M1 Revenue: 7 %", "Owner: ann",
        "Theme: OPX Operational excellence"]
    assert "band-header" in nodes["h10"].get("class")
    assert edge_titles(root) == {f"o{c.cause_id}->o{c.effect_id}" for c in snapshot.causes}


def test_svg_band_backgrounds_are_drawn_in_perspective_order_top_to_bottom() -> None:
    root = parse_svg(render_job(map_dot(make_snapshot(), 1), "svg"))
    bands = [g for g in root.iter(f"{SVG}g") if "band" in (g.get("class") or "").split()]
    assert [g.get("id") for g in bands] == ["band-bg-10", "band-bg-11", "band-bg-12", "band-bg-13"]
    tops = []
    for g in bands:
        ys = [float(p.split(",")[1]) for p in g.find(f"{SVG}polygon").get("points").split()]
        tops.append(min(ys))  # SVG y grows downward
    assert tops == sorted(tops)
    # Each header sits inside its own band.
    nodes = nodes_by_id(root)
    for g, header in zip(bands, ["h10", "h11", "h12", "h13"], strict=True):
        ys = [float(p.split(",")[1]) for p in g.find(f"{SVG}polygon").get("points").split()]
        text_y = float(nodes[header].find(f".//{SVG}text").get("y"))
        assert min(ys) < text_y < max(ys)


def test_cascade_view_has_a_cluster_per_unit_and_alignment_arrows_to_the_supported_objective() -> None:
    snapshot = make_snapshot()
    job = cascade_dot(snapshot, 1, depth=2, facts=facts_from_statuses(STATUSES), as_of=AS_OF)
    root = parse_svg(render_job(job, "svg"))
    clusters = {g.get("id") for g in root.iter(f"{SVG}g") if "cluster" in (g.get("class") or "")}
    assert clusters == {"unit-1", "unit-2", "unit-3"}
    assert set(nodes_by_id(root)) == {f"o{pk}" for pk in [*range(101, 109), 201, 202, 203, 301]}
    # Written supported -> supporting with dir=back: the arrowhead sits at the supported objective.
    assert edge_titles(root) == {"o101->o201", "o103->o202", "o201->o301"}
    assert 'id="a201-101"' in job.dot and 'dir="back"' in job.dot


def test_cascade_depth_limits_the_units_and_aligned_only_drops_lone_objectives() -> None:
    snapshot = make_snapshot()
    one_level = cascade_dot(snapshot, 1, depth=1)
    assert "cluster_u3" not in one_level.dot and "cluster_u2" in one_level.dot
    aligned = cascade_dot(snapshot, 1, depth=None, aligned_only=True)
    ids = set(re.findall(r"^\s+(o\d+) \[", aligned.dot, flags=re.M))
    assert ids == {"o101", "o103", "o201", "o202", "o301"}


def test_paths_view_draws_each_path_edge_once_with_its_kind_and_marks_the_focus() -> None:
    snapshot = make_snapshot()
    edges = [PathEdge(("i", 7), ("o", 201), "impacts"), PathEdge(("o", 201), ("o", 101), "supports"),
             PathEdge(("o", 201), ("o", 101), "supports"), PathEdge(("o", 103), ("o", 101), "causes")]
    job = paths_dot(snapshot, title="Impact of RET: INI", focus=("i", 7), edges=edges,
                    facts=facts_from_statuses(STATUSES), as_of=AS_OF, name="impact-ret-ini")
    root = parse_svg(render_job(job, "svg"))
    nodes = nodes_by_id(root)
    assert set(nodes) == {"i7", "o201", "o101", "o103"}
    assert nodes["i7"].get("class").split() == ["node", "initiative", "focus"]
    assert nodes["i7"].find(f".//{SVG}a").get(f"{XLINK}href") == "/initiatives/7/"
    assert edge_titles(root) == {"i7->o201", "o201->o101", "o103->o101"}
    assert job.dot.count('class="supports"') == 1


def test_a_map_past_thirty_objectives_warns_of_sprawl_in_its_header() -> None:
    snapshot = make_snapshot()
    assert "readable map holds" not in map_dot(snapshot, 1).dot
    for pk in range(500, 523):
        snapshot.objectives[pk] = ObjectiveData(pk, 1, 1, 12, f"S{pk}", f"Sprawl {pk}")
    assert "31 objectives: a readable map holds 15 to 25" in map_dot(snapshot, 1).dot
