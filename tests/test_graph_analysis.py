"""The strategy graph and its analyses (issue 3 §4) on a small hand-built enterprise. Pure, no database.

TOP (enterprise):  TC1 -> TF1
BU (under TOP):    BC1 -> BF1, BF1 supports TOP:TF1; BC1 supports nothing; BC1 has no measure
TEAM (under BU):   XC1 -> XF1, XF1 supports BU:BF1
Initiatives: TEAM:INI impacts TEAM:XC1 and BU:BC1; BU:IDLE impacts nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from cascade.analysis import (
    alignment_gaps,
    analysis_json,
    drivers,
    early_warnings,
    find_cycles,
    impact,
    leverage,
    unit_ancestors,
    unit_subtree,
)
from cascade.graph import build_graph
from cascade.rollup import Scores, compute_scores
from tests.engine_snapshots import AS_OF, Builder


def enterprise() -> Builder:
    b = Builder()
    b.unit("TOP")
    b.unit("BU", parent="TOP")
    b.unit("TEAM", parent="BU")
    b.objective("TOP", "TF1")
    b.objective("TOP", "TC1", perspective="C")
    b.objective("BU", "BF1")
    b.objective("BU", "BC1", perspective="C")
    b.objective("TEAM", "XF1")
    b.objective("TEAM", "XC1", perspective="C")
    b.cause("TOP:TC1", "TOP:TF1")
    b.cause("BU:BC1", "BU:BF1")
    b.cause("TEAM:XC1", "TEAM:XF1")
    b.align("BU:BF1", "TOP:TF1")
    b.align("TEAM:XF1", "BU:BF1")
    b.measure("TOP:TF1", "TF1.1", 10)  # green
    b.measure("TOP:TC1", "TC1.1", -2)  # red, and no initiative works on TC1
    b.measure("BU:BF1", "BF1.1", 7)  # amber
    b.measure("TEAM:XF1", "XF1.1", 16)  # green
    b.measure("TEAM:XF1", "XF1.2", 10, period=dt.date(2026, 1, 31), frequency="monthly")  # stale
    b.measure("TEAM:XC1", "XC1.1", -2)  # red, but INI works on XC1
    b.initiative("TEAM", "INI", impacts=("TEAM:XC1", "BU:BC1"), percent_complete=10.0,
                 start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))
    b.initiative("BU", "IDLE")
    return b


@pytest.fixture
def ent() -> tuple[Builder, Scores]:
    b = enterprise()
    return b, compute_scores(b.snap, AS_OF)


def test_the_graph_has_a_node_per_unit_objective_measure_and_initiative_and_typed_edges() -> None:
    b = enterprise()
    g = build_graph(b.snap)
    kinds = Counter(d["kind"] for _, d in g.nodes(data=True))
    assert kinds == {"unit": 3, "objective": 6, "measure": 6, "initiative": 2}
    edges = Counter(d["kind"] for _, _, d in g.edges(data=True))
    assert edges == {"contains": 2 + 6 + 2, "causes": 3, "supports": 2, "measures": 6, "impacts": 2}
    assert g.has_edge(f"o:{b.ids['BU:BF1']}", f"o:{b.ids['TOP:TF1']}")
    assert g.nodes[f"o:{b.ids['BU:BC1']}"]["code"] == "BC1"
    assert g.nodes[f"o:{b.ids['BU:BC1']}"]["unit_id"] == b.ids["BU"]
    assert unit_ancestors(g, b.ids["TEAM"]) == [b.ids["BU"], b.ids["TOP"]]
    assert unit_subtree(g, b.ids["BU"]) == [b.ids["BU"], b.ids["TEAM"]]


def test_impact_follows_impacts_then_causes_then_alignment_with_paths_and_hops(ent) -> None:  # type: ignore[no-untyped-def]
    b, scores = ent
    ids = b.ids
    result = impact(build_graph(b.snap), ids["TEAM!INI"], scores)
    reached = {r.objective_id: r for r in result.reached}
    assert set(reached) == {ids[k] for k in ("TEAM:XC1", "BU:BC1", "TEAM:XF1", "BU:BF1", "TOP:TF1")}
    assert ids["TOP:TC1"] not in reached  # nothing leads there from the initiative
    assert (reached[ids["TEAM:XC1"]].hops, reached[ids["TEAM:XC1"]].via) == (1, "impacts")
    assert (reached[ids["TEAM:XF1"]].hops, reached[ids["TEAM:XF1"]].via) == (2, "causes")
    bf1 = reached[ids["BU:BF1"]]
    assert (bf1.hops, bf1.path, bf1.via) == (2, (ids["BU:BC1"], ids["BU:BF1"]), "causes")
    assert set(bf1.paths) == {(ids["BU:BC1"], ids["BU:BF1"]), (ids["TEAM:XC1"], ids["TEAM:XF1"], ids["BU:BF1"])}
    tf1 = reached[ids["TOP:TF1"]]
    assert (tf1.hops, tf1.via) == (3, "supports")
    assert tf1.paths[0] == (ids["BU:BC1"], ids["BU:BF1"], ids["TOP:TF1"])
    assert len(tf1.paths) == 2
    assert (tf1.status, reached[ids["TEAM:XC1"]].status) == ("green", "red")
    assert [r.hops for r in result.reached] == sorted(r.hops for r in result.reached)
    assert (ids["TEAM:XF1"], ids["BU:BF1"], "supports") in result.edges
    assert (ids["BU:BC1"], ids["BU:BF1"], "causes") in result.edges


def test_impact_of_an_initiative_without_impacts_reaches_nothing(ent) -> None:  # type: ignore[no-untyped-def]
    b, scores = ent
    assert impact(build_graph(b.snap), b.ids["BU!IDLE"], scores).reached == []


def test_drivers_are_the_upstream_objectives_initiatives_and_supporting_units(ent) -> None:  # type: ignore[no-untyped-def]
    b, scores = ent
    ids = b.ids
    result = drivers(build_graph(b.snap), ids["TOP:TF1"], scores)
    found = {d.objective_id: d for d in result.objectives}
    assert set(found) == {ids[k] for k in ("TOP:TC1", "BU:BF1", "BU:BC1", "TEAM:XF1", "TEAM:XC1")}
    assert (found[ids["TOP:TC1"]].hops, found[ids["TOP:TC1"]].relation) == (1, "causes")
    assert (found[ids["BU:BF1"]].hops, found[ids["BU:BF1"]].relation) == (1, "supports")
    assert found[ids["TEAM:XC1"]].path == (ids["TEAM:XC1"], ids["TEAM:XF1"], ids["BU:BF1"], ids["TOP:TF1"])
    assert found[ids["TOP:TC1"]].status == "red"
    (ini,) = result.initiatives
    assert (ini.initiative_id, ini.hops, ini.health) == (ids["TEAM!INI"], 3, "at_risk")
    assert ini.objective_ids == tuple(sorted((ids["TEAM:XC1"], ids["BU:BC1"])))
    assert result.units == sorted([ids["BU"], ids["TEAM"]])


def test_alignment_gaps_of_a_business_unit(ent) -> None:  # type: ignore[no-untyped-def]
    b, _ = ent
    ids = b.ids
    gaps = alignment_gaps(build_graph(b.snap), ids["BU"])
    assert gaps.unsupported_ancestor_objectives == [ids["TOP:TC1"]]
    assert gaps.objectives_supporting_nothing == [ids["BU:BC1"]]
    assert gaps.objectives_without_measures == [ids["BU:BC1"]]
    assert gaps.objectives_without_initiatives == [ids["BU:BF1"]]
    assert gaps.initiatives_without_impacts == [ids["BU!IDLE"]]


def test_support_counts_through_an_intermediate_units_objective(ent) -> None:  # type: ignore[no-untyped-def]
    b, _ = ent
    ids = b.ids
    gaps = alignment_gaps(build_graph(b.snap), ids["TEAM"])
    # XF1 supports BU:BF1, which supports TOP:TF1: both are covered; TF1's cause TC1 and BU's BC1 are not.
    assert sorted(gaps.unsupported_ancestor_objectives) == sorted([ids["BU:BC1"], ids["TOP:TC1"]])
    assert gaps.objectives_supporting_nothing == [ids["TEAM:XC1"]]
    assert gaps.objectives_without_initiatives == [ids["TEAM:XF1"]]


def test_the_top_unit_has_no_alignment_gaps_upwards(ent) -> None:  # type: ignore[no-untyped-def]
    b, _ = ent
    gaps = alignment_gaps(build_graph(b.snap), b.ids["TOP"])
    assert gaps.unsupported_ancestor_objectives == []
    assert gaps.objectives_supporting_nothing == []
    assert sorted(gaps.objectives_without_initiatives) == sorted([b.ids["TOP:TF1"], b.ids["TOP:TC1"]])


def test_early_warnings_red_causes_uncovered_red_measures_and_stale_measures(ent) -> None:  # type: ignore[no-untyped-def]
    b, scores = ent
    ids = b.ids
    g = build_graph(b.snap)
    warnings = early_warnings(g, scores, ids["TOP"])
    assert [(w.objective_id, w.status, w.red_causes) for w in warnings.red_causes] == [
        (ids["TOP:TF1"], "green", (ids["TOP:TC1"],)),
        (ids["TEAM:XF1"], "green", (ids["TEAM:XC1"],)),
    ]
    assert [w.measure_id for w in warnings.red_without_initiative] == [ids["TOP:TC1/TC1.1"]]
    assert [(w.measure_id, w.period) for w in warnings.stale] == [(ids["TEAM:XF1/XF1.2"], dt.date(2026, 1, 31))]
    below = early_warnings(g, scores, ids["BU"])
    assert [w.objective_id for w in below.red_causes] == [ids["TEAM:XF1"]]
    assert below.red_without_initiative == []


def test_an_objective_already_red_is_not_an_early_warning() -> None:
    b = enterprise()
    tf1 = b.snap.measures[b.ids["TOP:TF1/TF1.1"]]
    tf1.actuals = [type(tf1.actuals[0])(AS_OF, -2)]
    b.snap.alignments = [a for a in b.snap.alignments if a.supports_id != b.ids["TOP:TF1"]]
    scores = compute_scores(b.snap, AS_OF)
    assert scores.objectives[b.ids["TOP:TF1"]].status == "red"
    warnings = early_warnings(build_graph(b.snap), scores, b.ids["TOP"])
    assert b.ids["TOP:TF1"] not in [w.objective_id for w in warnings.red_causes]


def test_leverage_ranks_by_downstream_objectives_then_betweenness(ent) -> None:  # type: ignore[no-untyped-def]
    b, _ = ent
    ids = b.ids
    ranked = leverage(build_graph(b.snap))
    assert [(r.objective_id, r.downstream) for r in ranked] == [
        (ids["TEAM:XC1"], 3),
        (ids["TEAM:XF1"], 2),
        (ids["BU:BC1"], 2),
        (ids["BU:BF1"], 1),
        (ids["TOP:TC1"], 1),
        (ids["TOP:TF1"], 0),
    ]
    by_id = {r.objective_id: r for r in ranked}
    assert by_id[ids["TEAM:XF1"]].betweenness > by_id[ids["BU:BC1"]].betweenness == 0
    assert by_id[ids["TEAM:XC1"]].share == pytest.approx(3 / 5)
    team = leverage(build_graph(b.snap), ids["TEAM"], top=1)
    assert [r.objective_id for r in team] == [ids["TEAM:XC1"]]


def test_no_cycle_is_reported_in_a_sound_map(ent) -> None:  # type: ignore[no-untyped-def]
    b, _ = ent
    assert find_cycles(build_graph(b.snap)) == []


def test_a_cycle_slipped_into_the_data_is_reported(ent) -> None:  # type: ignore[no-untyped-def]
    b, _ = ent
    b.cause("TOP:TF1", "TOP:TC1")
    b.align("TOP:TF1", "TEAM:XC1")  # a second, longer loop through the units' alignment
    cycles = find_cycles(build_graph(b.snap))
    assert len(cycles) == 1  # one strongly connected part, reported once
    (cycle,) = cycles
    assert cycle[0] == cycle[-1]
    assert len(cycle) >= 3
    # impact still terminates on a looping map
    assert impact(build_graph(b.snap), b.ids["TEAM!INI"]).reached


def test_the_analysis_json_names_objectives_by_unit_and_code(ent) -> None:  # type: ignore[no-untyped-def]
    b, scores = ent
    data = analysis_json(build_graph(b.snap), scores, b.ids["BU"])
    assert list(data) == ["unit", "as_of", "gaps", "warnings", "leverage", "cycles"]
    assert data["gaps"]["unsupported_ancestor_objectives"] == [
        {"unit": "TOP", "code": "TC1", "name": "Objective TC1", "score": 0.0, "status": "red"}
    ]
    assert data["gaps"]["initiatives_without_impacts"] == [{"unit": "BU", "code": "IDLE", "name": "Initiative IDLE"}]
    assert data["warnings"]["stale"][0]["code"] == "XF1.2"
    assert data["warnings"]["stale"][0]["period"] == "2026-01-31"
    assert [row["code"] for row in data["leverage"]] == ["XC1", "XF1", "BC1", "BF1"]
    assert data["cycles"] == []
