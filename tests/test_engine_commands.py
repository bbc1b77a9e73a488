"""The engine's commands: scorecard, analyse, generate_enterprise; and their output on the demo enterprise."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from cascade.loader import load_snapshot
from cascade.rollup import compute_scores, scorecard_json
from scorecard.models import Actual, Measure, OrgUnit
from tests.factories import (
    ActualFactory,
    AlignmentFactory,
    ImpactFactory,
    InitiativeFactory,
    MeasureFactory,
    ObjectiveFactory,
    PerspectiveFactory,
)

AS_OF = dt.date(2026, 9, 30)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def small(tree):  # type: ignore[no-untyped-def]
    financial = PerspectiveFactory(map=tree.nw.strategy_map, code="F", name="Financial", position=0)
    f1 = ObjectiveFactory(map=tree.nw.strategy_map, perspective=financial, code="F1", name="Grow revenue")
    revenue = MeasureFactory(objective=f1, code="F1.1", name="Revenue growth", target=8, red_flag=6)
    ActualFactory(measure=revenue, period=dt.date(2026, 6, 30), value=6.5)
    ActualFactory(measure=revenue, period=AS_OF, value=7)
    f2 = ObjectiveFactory(map=tree.nw.strategy_map, perspective=financial, code="F2", name="Cut cost")
    cost = MeasureFactory(objective=f2, code="F2.1", name="Cost to serve", target=12, red_flag=13,
                          polarity="decreasing")
    ActualFactory(measure=cost, period=AS_OF, value=14)
    r1 = ObjectiveFactory(map=tree.ret.strategy_map, code="R1", name="Retail revenue")
    ActualFactory(measure=MeasureFactory(objective=r1, code="R1.1", target=100), period=AS_OF, value=100)
    AlignmentFactory(objective=r1, supports=f1)
    crm = InitiativeFactory(unit=tree.nw, code="CRM", name="Customer data platform", percent_complete=40,
                            start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31), spent=50000)
    ImpactFactory(initiative=crm, objective=f1)
    InitiativeFactory(unit=tree.nw, code="IDLE", name="Idle project")
    return tree


# ------------------------------------------------------------------------------------------- scorecard
def test_scorecard_json_is_the_rollup_json_of_the_unit(small) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(run("scorecard", "NW", "--as-of", "2026-09-30", "--json"))
    snap = load_snapshot(small.nw)
    assert data == scorecard_json(snap, compute_scores(snap, AS_OF), small.nw.pk)
    assert data["unit"] == "NW" and data["as_of"] == "2026-09-30"
    (financial,) = data["perspectives"]
    f1 = financial["objectives"][0]
    assert f1["code"] == "F1"
    assert f1["measures"][0]["trend"] == "better"
    assert f1["supported_by"] == [{"unit": "RET", "objective": "R1", "score": pytest.approx(20 / 3),
                                   "status": "green"}]
    assert [i["code"] for i in data["initiatives"]] == ["CRM", "IDLE"]


def test_scorecard_table_reads_with_status_words_and_rounded_numbers(small) -> None:  # type: ignore[no-untyped-def]
    text = run("scorecard", "NW", "--as-of", "2026-09-30")
    assert "NW  Northwind: scorecard as of 30 September 2026" in text
    assert "Overall score" in text
    assert "FINANCIAL" in text
    row = next(line for line in text.splitlines() if "F1.1" in line)
    assert " 5.0 " in row and "AMBER" in row and "better" in row
    cost = next(line for line in text.splitlines() if "F2.1" in line)
    assert "RED" in cost and "worse" not in cost
    assert "supported by: RET R1 (6.7 GREEN)" in text
    assert "CRM  Customer data platform" in text
    crm = next(line for line in text.splitlines() if "CRM" in line)
    assert "40 %" in crm and "AT RISK" in crm  # 40 % done against about 75 % planned
    assert "5.000000" not in text  # display rounding only


def test_scorecard_defaults_to_today(small) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(run("scorecard", "RET", "--json"))
    assert data["as_of"] == dt.date.today().isoformat()


def test_scorecard_names_an_unknown_unit(small) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="Unknown unit 'NOPE'"):
        run("scorecard", "NOPE")


@pytest.mark.parametrize("bad", ["2026-02-30", "yesterday", "30/09/2026"])
def test_scorecard_names_a_bad_date(small, bad: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match=f"--as-of '{bad}' is not a date"):
        run("scorecard", "NW", "--as-of", bad)


def test_a_unit_without_objectives_has_a_readable_empty_scorecard(tree) -> None:  # type: ignore[no-untyped-def]
    text = run("scorecard", "WHS", "--as-of", "2026-09-30")
    assert "Overall score - of 10, no data" in text


# --------------------------------------------------------------------------------------------- analyse
def test_analyse_json_reports_gaps_warnings_leverage_and_cycles(small) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(run("analyse", "NW", "--as-of", "2026-09-30", "--json"))
    assert list(data) == ["unit", "as_of", "gaps", "warnings", "leverage", "cycles"]
    assert [i["code"] for i in data["gaps"]["initiatives_without_impacts"]] == ["IDLE"]
    assert [o["code"] for o in data["gaps"]["objectives_without_initiatives"]] == ["F2"]
    assert [m["code"] for m in data["warnings"]["red_without_initiative"]] == ["F2.1"]
    assert data["cycles"] == []


def test_analyse_of_a_lower_unit_names_the_ancestor_objectives_it_leaves_unsupported(small) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(run("analyse", "RET", "--as-of", "2026-09-30", "--json"))
    assert [(o["unit"], o["code"]) for o in data["gaps"]["unsupported_ancestor_objectives"]] == [("NW", "F2")]
    text = run("analyse", "RET", "--as-of", "2026-09-30")
    assert "ALIGNMENT GAPS" in text and "EARLY WARNINGS" in text and "LEVERAGE" in text and "CYCLES" in text
    assert "NW F2  Cut cost" in text


def test_analyse_names_an_unknown_unit_and_a_bad_date(small) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="Unknown unit 'XX'"):
        run("analyse", "XX")
    with pytest.raises(CommandError, match="--as-of '2026-13-01'"):
        run("analyse", "NW", "--as-of", "2026-13-01")


# ---------------------------------------------------------------------------------- generate_enterprise
def test_generate_enterprise_writes_a_tree_with_maps_links_measures_and_actuals(db) -> None:  # type: ignore[no-untyped-def]
    text = run("generate_enterprise", "--units", "13", "--objectives", "8", "--measures", "2", "--periods", "6",
               "--seed", "3", "--prefix", "T")
    root = OrgUnit.objects.get(code="T")
    units = OrgUnit.objects.subtree_of(root)
    assert units.count() == 13
    assert max(u.depth() for u in units) == 3  # four levels: enterprise, business units, departments, teams
    assert Measure.objects.filter(map__unit__in=units).count() == 13 * 8 * 2
    actuals = Actual.objects.filter(measure__map__unit__in=units)
    assert actuals.filter(period=AS_OF).exists()
    assert "13 units (top: T), 104 objectives" in text
    snap = load_snapshot(root)
    scores = compute_scores(snap, AS_OF)
    statuses = {s.status for s in scores.measures.values()}
    assert {"green", "amber", "red"} <= statuses
    assert snap.alignments and snap.causes and snap.impacts
    for unit in units:  # paths are right although the units were bulk-created
        assert unit.path == (unit.parent.path if unit.parent else "/") + f"{unit.pk}/"


def test_the_same_seed_gives_the_same_enterprise(db) -> None:  # type: ignore[no-untyped-def]
    for prefix in ("A", "B"):
        run("generate_enterprise", "--units", "5", "--objectives", "4", "--measures", "1", "--periods", "3",
            "--seed", "7", "--prefix", prefix)

    def values(prefix: str) -> list[tuple[str, str, float]]:
        rows = Actual.objects.filter(measure__map__unit__code__startswith=prefix).order_by(
            "measure__map__unit__display_order", "measure__code", "period")
        return [(a.measure.code, a.period.isoformat(), a.value) for a in rows.select_related("measure")]

    assert values("A") == values("B")


def test_generate_enterprise_dry_run_writes_nothing(db) -> None:  # type: ignore[no-untyped-def]
    text = run("generate_enterprise", "--units", "4", "--objectives", "4", "--measures", "1", "--periods", "2",
               "--dry-run")
    assert "Dry run: nothing was written" in text and "4 units" in text
    assert not OrgUnit.objects.exists()


def test_generate_enterprise_refuses_a_taken_prefix_and_bad_sizes(tree) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="prefix 'NW' already exist"):
        run("generate_enterprise", "--prefix", "NW", "--units", "2")
    with pytest.raises(CommandError, match="--units must be at least 1"):
        run("generate_enterprise", "--units", "0")
    with pytest.raises(CommandError, match="--end 'soon'"):
        run("generate_enterprise", "--end", "soon")
    with pytest.raises(CommandError, match="--prefix 'has space' must be"):
        run("generate_enterprise", "--prefix", "has space")
    with pytest.raises(CommandError, match="--prefix 'XXXXXXXXXXXXXXXXXXXXXXXXXXX' must be 1-26"):
        run("generate_enterprise", "--prefix", "X" * 27)
    with pytest.raises(CommandError, match="--end 0001-06-30 leaves no room for 24 monthly periods"):
        run("generate_enterprise", "--end", "0001-06-30")
    assert OrgUnit.objects.count() == 4


# ------------------------------------------------------------------------------------------ demo output
def test_the_demo_scorecard_and_analysis_read_well(db) -> None:  # type: ignore[no-untyped-def]
    call_command("load_demo", stdout=io.StringIO())
    card = run("scorecard", "NW", "--as-of", "2026-09-30")
    assert card.startswith("NW  Northwind Outfitters: scorecard as of 30 September 2026")
    assert "no data" in card and "no value yet" in card  # the TBD measure L4.2
    widths = {len(line) for line in card.splitlines() if " 2026-09-30" in line}
    assert max(widths) <= 130
    retail = run("scorecard", "NW-RET", "--as-of", "2026-09-30")
    assert "STALE" in retail  # NW-RET:L1.1, last value 2025-09-30
    report = run("analyse", "NW", "--as-of", "2026-09-30")
    assert "Stale measures (no value for more than two periods) (1)" in report
    assert "NW-RET L1.1" in report
    assert "none found" in report
    stores = json.loads(run("analyse", "NW-RET-ST", "--as-of", "2026-09-30", "--json"))
    assert [i["code"] for i in stores["gaps"]["initiatives_without_impacts"]] == ["REFIT"]


def test_synthetic_periods_are_month_ends_up_to_the_end_month() -> None:
    from cascade.synthetic import level_sizes, month_ends

    assert month_ends(dt.date(2026, 9, 15), 3) == [dt.date(2026, 7, 31), dt.date(2026, 8, 31), dt.date(2026, 9, 30)]
    assert month_ends(dt.date(9999, 12, 31), 2) == [dt.date(9999, 11, 30), dt.date(9999, 12, 31)]
    assert month_ends(dt.date(2024, 3, 1), 2) == [dt.date(2024, 2, 29), dt.date(2024, 3, 31)]
    assert level_sizes(200) == [1, 6, 36, 157]  # four levels: enterprise, business units, departments, teams
    assert level_sizes(4) == [1, 1, 1, 1]
    assert level_sizes(3) == [1, 1, 1]  # three levels when there are too few units for four
    assert sum(level_sizes(57)) == 57 and level_sizes(1) == [1]
