"""Builders shared by the web page tests (no tests here): a small scored enterprise on top of ``tree``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from scorecard.models import Initiative, Measure, Objective
from tests.conftest import Tree
from tests.factories import (
    ActualFactory,
    AlignmentFactory,
    CauseEffectLinkFactory,
    ImpactFactory,
    InitiativeFactory,
    MeasureFactory,
    MilestoneFactory,
    ObjectiveFactory,
    PerspectiveFactory,
    ThemeFactory,
)

HOSTILE = '<script>alert(1)</script>"]; evil [label="x'
PERIODS = [dt.date(2025, 12, 31), dt.date(2026, 3, 31), dt.date(2026, 6, 30), dt.date(2026, 9, 30)]


@dataclass
class Enterprise:
    tree: Tree
    nw_objective: Objective
    ret_objectives: list[Objective]
    ret_measures: list[Measure]
    ret_initiative: Initiative
    whs_objective: Objective
    extra: dict[str, Any] = field(default_factory=dict)


def build_enterprise(tree: Tree, *, objectives_per_unit: int = 2, name: str = "Grow revenue") -> Enterprise:
    """NW has one objective; RET has ``objectives_per_unit`` objectives (each with a measure and four quarters
    of actuals, the first supporting the NW objective, a cause-effect chain between them); WHS one objective;
    an RET initiative with a milestone impacts RET's first objective."""
    maps = {u.code: u.strategy_map for u in (tree.nw, tree.ret, tree.whs, tree.ret_ec)}
    persp = {code: (PerspectiveFactory(map=m, code="F", name="Financial", position=0),
                    PerspectiveFactory(map=m, code="C", name="Customer", position=1))
             for code, m in maps.items()}
    theme = ThemeFactory(map=maps["RET"], code="OPX", name="Operational excellence")
    nw_obj = ObjectiveFactory(map=maps["NW"], perspective=persp["NW"][0], code="F1", name=name)
    ret_objs, ret_measures = [], []
    for i in range(objectives_per_unit):
        obj = ObjectiveFactory(map=maps["RET"], perspective=persp["RET"][i % 2], code=f"R{i + 1}",
                               name=f"{name} {i + 1}", theme=theme if i == 0 else None)
        measure = MeasureFactory(objective=obj, code=f"R{i + 1}.1", name=f"Sales {i + 1}", target=100,
                                 red_flag=90, units="kEUR")
        for j, period in enumerate(PERIODS):
            ActualFactory(measure=measure, period=period, value=80 + 10 * j, note=f"Quarter {j + 1} note")
        if ret_objs:
            CauseEffectLinkFactory(cause=obj, effect=ret_objs[-1])
        ret_objs.append(obj)
        ret_measures.append(measure)
    AlignmentFactory(objective=ret_objs[0], supports=nw_obj)
    whs_obj = ObjectiveFactory(map=maps["WHS"], perspective=persp["WHS"][0], code="W1", name="Wholesale growth")
    initiative = InitiativeFactory(unit=tree.ret, code="LOYAL", name="Loyalty programme", budget=1000, spent=200,
                                   percent_complete=40)
    MilestoneFactory(initiative=initiative, name="Pilot stores live", due=dt.date(2026, 6, 30))
    ImpactFactory(initiative=initiative, objective=ret_objs[0])
    return Enterprise(tree, nw_obj, ret_objs, ret_measures, initiative, whs_obj)
