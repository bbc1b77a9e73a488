"""The diff rendering of a map (issue 8): added outlined green, removed dashed red, changed amber."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from cascade.diff import diff_view
from cascade.render.api import render_diff
from cascade.render.dot import CHANGE_STYLES, LINK_CHANGE_STYLES
from scorecard.history import MapStructure, end_of_day, structure_as_of
from tests.conftest import PAST
from tests.test_render_dot import nodes_by_id, parse_svg
from tests.test_render_hostile import HOSTILE, assert_safe_svg


def structure(objectives: dict[str, tuple[str, str]], links: dict[tuple[str, str], str],
              measures: dict[str, dict[str, Any]] | None = None, title: str = "Plan") -> MapStructure:
    """A version of unit RET's map: objectives code -> (name, perspective)."""
    base = {"units": "", "polarity": "increasing", "scoring": "goal_red_flag", "frequency": "quarterly",
            "baseline": None, "target": None, "red_flag": None, "tolerance": None, "red_tolerance": None,
            "weight": 1.0}
    return MapStructure(
        unit="RET", title=title, perspectives={"F": ("Financial", 0), "C": ("Customer", 1)}, themes={},
        objectives={code: {"name": name, "perspective": p, "theme": "", "weight": 1.0}
                    for code, (name, p) in objectives.items()},
        links=links, measures={code: {**base, **m} for code, m in (measures or {}).items()},
    )


OLD = structure({"F1": ("Grow revenue", "F"), "F2": ("Cut costs", "F"), "C1": ("Keep customers", "C"),
                 "C2": ("Win customers", "C")},
                {("C1", "F1"): "", ("C2", "F1"): "", ("C2", "F2"): "old note"},
                {"F1.1": {"name": "Revenue", "objective": "F1", "target": 8.0},
                 "C2.1": {"name": "New accounts", "objective": "C2", "target": 100.0}})
NEW = structure({"F1": ("Grow revenue", "F"), "C1": ("Keep customers coming back", "C"),
                 "C2": ("Win customers", "C"), "C3": ("Serve online", "C")},
                {("C1", "F1"): "", ("C2", "F1"): "", ("C3", "F1"): ""},
                {"F1.1": {"name": "Revenue", "objective": "F1", "target": 9.0},
                 "C2.1": {"name": "New accounts", "objective": "C2", "target": 100.0}})


def marks_by_code(view: Any) -> dict[str, str]:
    return {view.snapshot.objectives[oid].code: mark.change for oid, mark in view.marks.items()}


def test_the_diff_view_marks_added_removed_and_changed_objectives_and_links() -> None:
    view = diff_view(OLD, NEW, unit_name="Retail")
    assert sorted(o.code for o in view.snapshot.objectives.values()) == ["C1", "C2", "C3", "F1", "F2"]
    assert marks_by_code(view) == {"C1": "changed", "C3": "added", "F1": "changed", "F2": "removed"}
    code = {o.id: o.code for o in view.snapshot.objectives.values()}
    assert {(code[a], code[b]): change for (a, b), change in view.link_marks.items()} == {
        ("C2", "F2"): "removed", ("C3", "F1"): "added"}
    f1 = next(m for oid, m in view.marks.items() if code[oid] == "F1")
    assert f1.summary == "target F1.1" and f1.details == ("~ target F1.1: target 8 -> 9",)
    c1 = next(m for oid, m in view.marks.items() if code[oid] == "C1")
    assert c1.summary == "name"


def test_a_measure_moved_to_another_objective_marks_both() -> None:
    moved = structure({"F1": ("Grow revenue", "F"), "F2": ("Cut costs", "F"), "C1": ("Keep customers", "C"),
                       "C2": ("Win customers", "C")}, dict(OLD.links),
                      {"F1.1": {"name": "Revenue", "objective": "F1", "target": 8.0},
                       "C2.1": {"name": "New accounts", "objective": "C1", "target": 100.0}})
    assert marks_by_code(diff_view(OLD, moved)) == {"C1": "changed", "C2": "changed"}


def test_a_removed_perspective_keeps_its_band_for_the_removed_objectives() -> None:
    smaller = MapStructure(unit="RET", title="Plan", perspectives={"F": ("Financial", 0)}, themes={},
                           objectives={"F1": dict(OLD.objectives["F1"])}, links={}, measures={})
    view = diff_view(OLD, smaller)
    names = sorted(p.name for p in view.snapshot.perspectives.values())
    assert names == ["Customer (removed)", "Financial"]
    assert marks_by_code(view) == {"C1": "removed", "C2": "removed", "F1": "changed", "F2": "removed"}


def test_the_drawing_shows_each_change_by_outline_colour_word_and_line_style() -> None:
    rendered = render_diff(OLD, NEW, old_label="2026-01-10", new_label="now", unit_name="Retail", fmt="svg")
    assert rendered.filename == "map-diff-ret-2026-01-10-now.svg"
    root = parse_svg(rendered.data)
    assert_safe_svg(root)
    nodes = nodes_by_id(root)
    text = {node_id: " ".join(t.text or "" for t in node.iter() if t.tag.endswith("text"))
            for node_id, node in nodes.items()}
    classes = {node_id: node.get("class", "") for node_id, node in nodes.items()}
    view = diff_view(OLD, NEW)
    ids = {o.code: f"o{o.id}" for o in view.snapshot.objectives.values()}
    assert "change-added" in classes[ids["C3"]] and "+ ADDED" in text[ids["C3"]]
    assert "change-removed" in classes[ids["F2"]] and "REMOVED" in text[ids["F2"]]
    assert "change-changed" in classes[ids["F1"]] and "CHANGED: target F1.1" in text[ids["F1"]]
    assert "change-same" in classes[ids["C2"]]
    for code, change in (("C3", "added"), ("F2", "removed"), ("F1", "changed")):
        outline = nodes[ids[code]].find(".//{http://www.w3.org/2000/svg}path")
        assert outline.get("stroke") == CHANGE_STYLES[change].border, code
    removed_outline = nodes[ids["F2"]].find(".//{http://www.w3.org/2000/svg}path")
    assert removed_outline.get("stroke-dasharray")  # dashed: told apart in greyscale too
    all_text = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    assert "Changes from 2026-01-10 to now: 2 added, 2 removed, 2 changed" in all_text
    for node in nodes.values():  # diff boxes are not links: the objects of another version have no page
        assert not [a for a in node.iter() if a.get("{http://www.w3.org/1999/xlink}href") or a.get("href")]
    for edge in root.iter("{http://www.w3.org/2000/svg}g"):
        if "change-removed" in edge.get("class", "") and "cause" in edge.get("class", ""):
            path = edge.find("{http://www.w3.org/2000/svg}path")
            assert path.get("stroke") == LINK_CHANGE_STYLES["removed"]["color"] and path.get("stroke-dasharray")


@pytest.mark.parametrize("fmt", ["pdf", "png", "dot"])
def test_the_drawing_comes_in_every_format(fmt: str) -> None:
    data = render_diff(OLD, NEW, old_label="a.yaml", new_label="b.yaml", fmt=fmt, paper="a3").data
    assert data[:4] in {b"%PDF", b"\x89PNG", b"digr"}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_names_in_either_version_stay_text(name: str) -> None:
    hostile = structure({**{c: (n, p) for c, (n, p) in ((k, (v["name"], v["perspective"]))
                                                         for k, v in NEW.objectives.items())},
                         "C9": (HOSTILE[name], "C")}, dict(NEW.links), title=HOSTILE[name])
    rendered = render_diff(OLD, hostile, old_label="2026-01-10", new_label="now", unit_name=HOSTILE[name])
    assert_safe_svg(parse_svg(rendered.data))


def test_diff_map_draws_the_difference_into_the_file_named_by_o(evolved: Any, tmp_path: Any) -> None:
    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "changes.pdf"
    call_command("diff_map", "RET", "--from", PAST.isoformat(), "-o", str(target), stdout=out, stderr=err)
    assert target.read_bytes().startswith(b"%PDF")
    assert "3 added, 2 removed, 2 changed" in out.getvalue() and "changes.pdf" in err.getvalue()
    svg = tmp_path / "changes.svg"
    call_command("diff_map", "RET", "--from", PAST.isoformat(), "-o", str(svg), stdout=io.StringIO(),
                 stderr=io.StringIO())
    then, now = structure_as_of(evolved["unit"], end_of_day(PAST)), structure_as_of(evolved["unit"])
    view = diff_view(then, now)
    assert sorted(marks_by_code(view).items()) == [("C1", "changed"), ("F1", "changed"), ("L1", "added")]
    classes = {node_id: node.get("class", "") for node_id, node in nodes_by_id(parse_svg(svg.read_bytes())).items()}
    for oid, mark in view.marks.items():
        assert f"change-{mark.change}" in classes[f"o{oid}"]
    assert sum("change-same" in c for c in classes.values()) == 0  # C1, F1 changed and L1 added: nothing else


def test_diff_map_refuses_an_unknown_drawing_format(evolved: Any, tmp_path: Any) -> None:
    with pytest.raises(CommandError, match="Unknown --format 'gif'"):
        call_command("diff_map", "RET", "--from", PAST.isoformat(), "-o", str(tmp_path / "x.gif"),
                     "--format", "gif", stdout=io.StringIO())
