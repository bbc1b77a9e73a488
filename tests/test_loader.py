"""The snapshot loader: what it includes, and a query count that does not grow with the data."""

from __future__ import annotations

import datetime as dt

import pytest

from cascade.loader import QUERIES, UnknownUnit, load_snapshot, unit_by_code
from cascade.rollup import compute_scores
from cascade.snapshot import ActualPoint, ActualSeries
from cascade.synthetic import generate_enterprise
from scorecard.models import OrgUnit
from tests.factories import (
    ActualFactory,
    AlignmentFactory,
    CauseEffectLinkFactory,
    ImpactFactory,
    InitiativeFactory,
    MeasureFactory,
    MilestoneFactory,
    ObjectiveFactory,
    UserFactory,
)

Q1, Q2, Q3 = dt.date(2026, 3, 31), dt.date(2026, 6, 30), dt.date(2026, 9, 30)


@pytest.fixture
def data(tree):  # type: ignore[no-untyped-def]
    """NW:F1 <- RET:R1 <- RET-EC:E1 (alignments), WHS:W1 -> NW:F1; a RET initiative impacting NW:F1."""
    owner = UserFactory(username="olga")
    f1 = ObjectiveFactory(map=tree.nw.strategy_map, code="F1", owner=owner)
    f2 = ObjectiveFactory(map=tree.nw.strategy_map, code="F2")
    CauseEffectLinkFactory(cause=f2, effect=f1)
    nw_measure = MeasureFactory(objective=f1, code="F1.1")
    ActualFactory(measure=nw_measure, period=Q3, value=100)
    r1 = ObjectiveFactory(map=tree.ret.strategy_map, code="R1")
    ret_measure = MeasureFactory(objective=r1, code="R1.1", target=50, owner=owner)
    for period, value in ((Q3, 48.0), (Q1, 40.0), (Q2, 45.0)):  # created out of order on purpose
        ActualFactory(measure=ret_measure, period=period, value=value, note=f"note {period:%m}")
    e1 = ObjectiveFactory(map=tree.ret_ec.strategy_map, code="E1")
    MeasureFactory(objective=e1, code="E1.1", target=None)
    w1 = ObjectiveFactory(map=tree.whs.strategy_map, code="W1")
    AlignmentFactory(objective=r1, supports=f1, weight=2)
    AlignmentFactory(objective=e1, supports=r1)
    AlignmentFactory(objective=w1, supports=f1)
    initiative = InitiativeFactory(unit=tree.ret, code="LOYAL", owner=owner)
    ImpactFactory(initiative=initiative, objective=f1)
    MilestoneFactory(initiative=initiative, name="Pilot", due=dt.date(2026, 5, 31))
    return {"f1": f1, "f2": f2, "r1": r1, "e1": e1, "w1": w1, "ret_measure": ret_measure,
            "nw_measure": nw_measure, "initiative": initiative}


def test_the_whole_enterprise_is_loaded_with_everything(tree, data) -> None:  # type: ignore[no-untyped-def]
    snap = load_snapshot()
    assert {u.code for u in snap.units.values()} == {"NW", "RET", "WHS", "RET-EC"}
    assert snap.context_unit_ids == set()
    assert {o.code for o in snap.objectives.values()} == {"F1", "F2", "R1", "E1", "W1"}
    assert len(snap.alignments) == 3
    assert [(c.cause_id, c.effect_id) for c in snap.causes] == [(data["f2"].pk, data["f1"].pk)]
    ret = snap.measures[data["ret_measure"].pk]
    assert list(ret.actuals) == [ActualPoint(Q1, 40.0, "note 03"), ActualPoint(Q2, 45.0, "note 06"),
                                 ActualPoint(Q3, 48.0, "note 09")]
    assert ret.owner == "olga"
    assert snap.objectives[data["f1"].pk].owner == "olga"
    assert snap.objectives[data["f1"].pk].unit_id == tree.nw.pk
    initiative = snap.initiatives[data["initiative"].pk]
    assert (initiative.owner, initiative.budget, [m.name for m in initiative.milestones]) == (
        "olga", 100000.0, ["Pilot"])
    assert [(i.initiative_id, i.objective_id) for i in snap.impacts] == [(data["initiative"].pk, data["f1"].pk)]


def test_a_subtree_comes_with_its_ancestors_objectives_for_context_only(tree, data) -> None:  # type: ignore[no-untyped-def]
    snap = load_snapshot(tree.ret)
    assert {u.code for u in snap.units.values()} == {"NW", "RET", "RET-EC"}
    assert snap.context_unit_ids == {tree.nw.pk}
    # The ancestor's objectives and links are there, to follow alignment and impact upwards...
    assert {o.code for o in snap.objectives.values()} == {"F1", "F2", "R1", "E1"}
    assert len(snap.causes) == 1
    assert {(a.objective_id, a.supports_id) for a in snap.alignments} == {
        (data["r1"].pk, data["f1"].pk), (data["e1"].pk, data["r1"].pk)}
    assert [i.objective_id for i in snap.impacts] == [data["f1"].pk]
    # ...but not its measures, nor the other branch's alignment (WHS:W1 -> NW:F1).
    assert data["nw_measure"].pk not in snap.measures
    assert data["ret_measure"].pk in snap.measures
    scores = compute_scores(snap, Q3)
    assert tree.nw.pk not in scores.units
    assert scores.units[tree.ret.pk].status != "none"


def test_without_subtree_only_the_units_named_are_loaded_in_full(tree, data) -> None:  # type: ignore[no-untyped-def]
    snap = load_snapshot([tree.ret, tree.whs], subtree=False)
    assert {u.code for u in snap.units.values()} == {"NW", "RET", "WHS"}
    assert snap.context_unit_ids == {tree.nw.pk}
    assert {o.code for o in snap.objectives.values()} == {"F1", "F2", "R1", "W1"}


def test_as_of_leaves_out_later_actuals_and_notes_can_be_skipped(tree, data) -> None:  # type: ignore[no-untyped-def]
    snap = load_snapshot(tree.ret, as_of=Q2, notes=False)
    assert list(snap.measures[data["ret_measure"].pk].actuals) == [ActualPoint(Q1, 40.0), ActualPoint(Q2, 45.0)]


def test_the_loaded_data_scores_like_the_database_says(tree, data) -> None:  # type: ignore[no-untyped-def]
    scores = compute_scores(load_snapshot(), Q3)
    ret = scores.measures[data["ret_measure"].pk]
    assert (ret.actual, ret.period, ret.trend) == (48.0, Q3, "better")
    assert ret.score == pytest.approx(10 / 3 * (1 + (48 - 45) / (50 - 45)))  # default red flag 45
    assert scores.objectives[data["e1"].pk].status == "none"  # TBD measure only
    nw_f1 = scores.objectives[data["f1"].pk]
    # NW:F1 = its own measure (at goal) and R1 (weight 2) and W1 (unscored, left out).
    assert nw_f1.score == pytest.approx((20 / 3 + 2 * scores.objectives[data["r1"].pk].score) / 3)


def test_the_query_count_does_not_grow_with_the_data(db, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    small = generate_enterprise(units=3, objectives=4, measures=1, periods=2, seed=1, prefix="S")
    with django_assert_num_queries(QUERIES):
        snap_small = load_snapshot()
    big = generate_enterprise(units=14, objectives=9, measures=2, periods=6, seed=2, prefix="L")
    with django_assert_num_queries(QUERIES):
        snap_big = load_snapshot()
    assert len(snap_big.measures) > 10 * len(snap_small.measures)
    assert sum(len(m.actuals) for m in snap_big.measures.values()) == small.actuals + big.actuals
    small_root, big_root = OrgUnit.objects.get(pk=small.root_id), OrgUnit.objects.get(pk=big.root_id)
    with django_assert_num_queries(QUERIES):
        load_snapshot(small_root)
    with django_assert_num_queries(QUERIES):
        sub = load_snapshot(big_root)
    assert len(sub.units) == big.units
    leaf = OrgUnit.objects.filter(path__startswith=big_root.path, children__isnull=True).first()
    with django_assert_num_queries(QUERIES):
        deep = load_snapshot(leaf)
    assert len(deep.context_unit_ids) >= 2  # a leaf three or four levels down has its ancestors as context


def test_a_unit_is_found_by_code_and_an_unknown_code_is_named(tree) -> None:  # type: ignore[no-untyped-def]
    assert unit_by_code("RET") == tree.ret
    with pytest.raises(UnknownUnit, match="Unknown unit 'NOPE'.*Top-level units: NW"):
        unit_by_code("NOPE")


def test_an_actual_series_reads_like_a_list_of_points() -> None:
    series = ActualSeries([Q1, Q2], [1.0, 2.0])
    assert len(series) == 2 and bool(series)
    assert series[0] == ActualPoint(Q1, 1.0) and series[-1] == ActualPoint(Q2, 2.0)
    assert series[1:] == [ActualPoint(Q2, 2.0)]
    assert series == [ActualPoint(Q1, 1.0), ActualPoint(Q2, 2.0)]
    series.append(ActualPoint(Q3, 3.0, "late"))
    assert list(series) == [ActualPoint(Q1, 1.0), ActualPoint(Q2, 2.0), ActualPoint(Q3, 3.0, "late")]
    assert [a.period for a in reversed(series)] == [Q3, Q2, Q1]
    assert not ActualSeries()
