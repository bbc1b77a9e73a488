"""Roll-up through the cascade (issue 3 §2) and the scorecard JSON (§5), on hand-built snapshots."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from cascade.rollup import compute_scores, scorecard_json, units_bottom_up
from scorecard.scoring import GREEN_AT, MilestoneLike
from tests.engine_snapshots import AS_OF, Builder


def test_an_objective_is_the_weighted_mean_of_its_measures() -> None:
    b = Builder()
    b.unit("A")
    b.objective("A", "F1")
    b.measure("A:F1", "m1", 16, weight=3)  # 10
    b.measure("A:F1", "m2", -3, weight=1)  # 0 (clamped)
    scores = compute_scores(b.snap, AS_OF)
    assert scores.objectives[b.ids["A:F1"]].score == pytest.approx(7.5)
    assert scores.objectives[b.ids["A:F1"]].status == "green"


def test_unscored_measures_are_left_out_and_all_unscored_gives_none() -> None:
    b = Builder()
    b.unit("A")
    b.objective("A", "F1")
    b.measure("A:F1", "scored", 7)  # 5.0
    b.measure("A:F1", "tbd", 7, target=None)
    b.measure("A:F1", "no data", None)
    b.objective("A", "F2")
    b.measure("A:F2", "tbd", 3, target=None)
    scores = compute_scores(b.snap, AS_OF)
    assert scores.objectives[b.ids["A:F1"]].score == pytest.approx(5.0)
    f2 = scores.objectives[b.ids["A:F2"]]
    assert (f2.score, f2.status) == (None, "none")
    assert scores.measures[b.ids["A:F1/tbd"]].status == "none"


def test_perspective_and_unit_are_weighted_means_and_empty_perspectives_are_left_out() -> None:
    b = Builder()
    b.unit("A", perspective_weights=(3, 1))
    b.objective("A", "F1", weight=1)
    b.measure("A:F1", "m", 16)  # 10
    b.objective("A", "F2", weight=3)
    b.measure("A:F2", "m", -2)  # 0
    b.objective("A", "C1", perspective="C")
    b.measure("A:C1", "m", 7)  # 5
    scores = compute_scores(b.snap, AS_OF)
    assert scores.perspectives[b.ids["A/F"]].score == pytest.approx(2.5)
    assert scores.perspectives[b.ids["A/C"]].score == pytest.approx(5.0)
    assert scores.units[b.ids["A"]].score == pytest.approx((2.5 * 3 + 5.0) / 4)

    lonely = Builder()
    lonely.unit("B")
    lonely.objective("B", "F1")
    lonely.measure("B:F1", "m", 7)
    only = compute_scores(lonely.snap, AS_OF)
    assert only.perspectives[lonely.ids["B/C"]].status == "none"
    assert only.units[lonely.ids["B"]].score == pytest.approx(5.0)


def test_worst_child_takes_the_minimum_at_every_level() -> None:
    b = Builder()
    b.unit("A", rollup="worst_child")
    b.objective("A", "F1")
    b.measure("A:F1", "m1", 16)
    b.measure("A:F1", "m2", 7)
    b.objective("A", "C1", perspective="C")
    b.measure("A:C1", "m", 6)
    scores = compute_scores(b.snap, AS_OF)
    assert scores.objectives[b.ids["A:F1"]].score == pytest.approx(5.0)
    assert scores.units[b.ids["A"]].score == pytest.approx(scores.objectives[b.ids["A:C1"]].score)
    assert scores.units[b.ids["A"]].status == "amber"


def test_roll_up_through_alignment_across_three_levels() -> None:
    b = Builder()
    b.unit("TOP")
    b.unit("BU", parent="TOP")
    b.unit("TEAM", parent="BU")
    b.objective("TOP", "F1")
    b.measure("TOP:F1", "m", 16)  # 10
    b.objective("BU", "F1")
    b.measure("BU:F1", "m", 7)  # 5
    b.objective("TEAM", "F1")
    b.measure("TEAM:F1", "m", -2)  # 0
    b.align("TEAM:F1", "BU:F1", weight=1)
    b.align("BU:F1", "TOP:F1", weight=2)
    scores = compute_scores(b.snap, AS_OF)
    team = scores.objectives[b.ids["TEAM:F1"]].score
    bu = scores.objectives[b.ids["BU:F1"]].score
    top = scores.objectives[b.ids["TOP:F1"]].score
    assert team == pytest.approx(0.0)
    assert bu == pytest.approx((5 + 0) / 2)
    assert top == pytest.approx((10 + 2 * 2.5) / 3)
    assert scores.units[b.ids["TOP"]].score == pytest.approx(5.0)


def test_an_objective_with_only_supporting_objectives_takes_their_score() -> None:
    b = Builder()
    b.unit("TOP")
    b.unit("BU", parent="TOP")
    b.objective("TOP", "F1")
    b.objective("BU", "F1")
    b.measure("BU:F1", "m", 7)
    b.align("BU:F1", "TOP:F1")
    scores = compute_scores(b.snap, AS_OF)
    assert scores.objectives[b.ids["TOP:F1"]].score == pytest.approx(5.0)


def test_measures_exactly_at_their_goal_roll_up_to_an_exactly_green_unit() -> None:
    b = Builder()
    b.unit("A")
    for k, weight in enumerate((0.1, 0.7, 0.3, 1.9)):
        b.objective("A", f"F{k}", weight=weight)
        b.measure(f"A:F{k}", "m", 10, weight=weight)
    scores = compute_scores(b.snap, AS_OF)
    assert scores.units[b.ids["A"]].score == GREEN_AT
    assert scores.units[b.ids["A"]].status == "green"


def test_units_are_visited_children_before_parents() -> None:
    b = Builder()
    b.unit("TOP")
    b.unit("BU", parent="TOP")
    b.unit("TEAM", parent="BU")
    b.unit("BU2", parent="TOP")
    order = units_bottom_up(b.snap)
    position = {uid: i for i, uid in enumerate(order)}
    for unit in b.snap.units.values():
        if unit.parent_id is not None:
            assert position[unit.id] < position[unit.parent_id]


def test_a_parent_loop_in_hand_built_data_does_not_hang_the_roll_up() -> None:
    b = Builder()
    b.unit("A")
    b.unit("B", parent="A")
    b.snap.units[b.ids["A"]].parent_id = b.ids["B"]
    assert sorted(units_bottom_up(b.snap)) == sorted([b.ids["A"], b.ids["B"]])


def test_context_units_are_not_scored() -> None:
    b = Builder()
    b.unit("TOP")
    b.unit("BU", parent="TOP")
    b.objective("TOP", "F1")
    b.objective("BU", "F1")
    b.measure("BU:F1", "m", 7)
    b.align("BU:F1", "TOP:F1")
    b.snap.context_unit_ids = {b.ids["TOP"]}
    scores = compute_scores(b.snap, AS_OF)
    assert b.ids["TOP"] not in scores.units
    assert scores.objective(b.ids["TOP:F1"]).status == "none"
    assert scores.units[b.ids["BU"]].score == pytest.approx(5.0)


def test_the_scores_follow_the_as_of_date() -> None:
    b = Builder()
    b.unit("A")
    b.objective("A", "F1")
    mid = b.measure("A:F1", "m", 16)
    b.snap.measures[mid].actuals.insert(0, type(b.snap.measures[mid].actuals[0])(dt.date(2026, 6, 30), 1))
    assert compute_scores(b.snap, AS_OF).objectives[b.ids["A:F1"]].status == "green"
    assert compute_scores(b.snap, dt.date(2026, 7, 31)).objectives[b.ids["A:F1"]].status == "red"


# ------------------------------------------------------------------------------------------ scorecard JSON
def _demo() -> Builder:
    b = Builder()
    b.unit("TOP")
    b.unit("BU", parent="TOP")
    b.objective("TOP", "F1")
    b.objective("TOP", "C1", perspective="C")
    b.measure("TOP:F1", "F1.1", 7, baseline=1.0)
    b.measure("TOP:C1", "C1.1", None, target=None, red_flag=None)
    b.objective("BU", "F9")
    b.measure("BU:F9", "F9.1", 10)
    b.align("BU:F9", "TOP:F1")
    b.initiative("TOP", "CRM", impacts=("TOP:C1",), start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31),
                 percent_complete=50.0, budget=1000.0, spent=400.0)
    return b


def test_the_scorecard_json_has_exactly_the_documented_shape() -> None:
    b = _demo()
    data = scorecard_json(b.snap, compute_scores(b.snap, AS_OF), b.ids["TOP"])
    assert list(data) == ["unit", "as_of", "score", "status", "perspectives", "initiatives"]
    assert (data["unit"], data["as_of"]) == ("TOP", "2026-09-30")
    f, c = data["perspectives"]
    assert list(f) == ["code", "name", "score", "status", "objectives"]
    (objective,) = f["objectives"]
    assert list(objective) == ["code", "name", "score", "status", "measures", "supported_by"]
    (measure,) = objective["measures"]
    assert measure == {
        "code": "F1.1", "name": "Measure F1.1", "actual": 7, "period": "2026-09-30", "target": 10, "red_flag": 4,
        "score": pytest.approx(5.0), "status": "amber", "percent_of_target": pytest.approx(70.0),
        "progress": pytest.approx(6 / 9), "trend": None, "stale": False,
    }
    assert objective["supported_by"] == [
        {"unit": "BU", "objective": "F9", "score": GREEN_AT, "status": "green"}
    ]
    assert objective["score"] == pytest.approx((5.0 + GREEN_AT) / 2)
    assert c["objectives"][0]["measures"][0]["status"] == "none"
    assert c["objectives"][0]["measures"][0]["actual"] is None
    assert c["score"] is None and c["status"] == "none"
    (initiative,) = data["initiatives"]
    assert list(initiative) == ["code", "name", "percent_complete", "expected_percent", "schedule_index",
                                "cost_index", "health", "overdue_milestones"]
    assert initiative["code"] == "CRM"
    assert initiative["cost_index"] == pytest.approx(500 / 400)
    assert initiative["overdue_milestones"] == []
    json.dumps(data)  # serialisable as is: dates are ISO strings, no NaN


def test_the_scorecard_json_lists_overdue_milestones_with_iso_dates() -> None:
    from cascade.snapshot import MilestoneData

    b = _demo()
    ini = next(iter(b.snap.initiatives.values()))
    milestone: MilestoneLike = MilestoneData(1, "Pilot", dt.date(2026, 6, 30))
    ini.milestones.append(milestone)  # type: ignore[arg-type]
    data = scorecard_json(b.snap, compute_scores(b.snap, AS_OF), b.ids["TOP"])
    assert data["initiatives"][0]["overdue_milestones"] == [{"name": "Pilot", "due": "2026-06-30"}]


def test_a_unit_without_a_map_has_an_empty_unscored_scorecard() -> None:
    b = Builder()
    b.unit("A")
    b.snap.maps.clear()
    b.snap.perspectives.clear()
    data = scorecard_json(b.snap, compute_scores(b.snap, AS_OF), b.ids["A"])
    assert (data["score"], data["status"], data["perspectives"], data["initiatives"]) == (None, "none", [], [])
