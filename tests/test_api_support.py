"""Fixtures and helpers shared by the API tests (no tests here).

``world``: the conftest tree and personas, plus one object of every resource in RET-EC (inside the scope
of the RET personas, outside the WHS manager's), a few in WHS for the IDOR sweep, and an API token per
persona. ``fingerprint()`` captures (id, version) of every domain row, so a refused write can be shown to
have changed nothing at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from scorecard.models import (
    Actual,
    Alignment,
    CauseEffectLink,
    Impact,
    Initiative,
    Measure,
    Membership,
    Milestone,
    Objective,
    OrgUnit,
    Perspective,
    StrategyMap,
    Theme,
)
from tests.conftest import Personas, Tree
from tests.factories import (
    ActualFactory,
    AlignmentFactory,
    CauseEffectLinkFactory,
    ImpactFactory,
    InitiativeFactory,
    MeasureFactory,
    MembershipFactory,
    MilestoneFactory,
    ObjectiveFactory,
    OrgUnitFactory,
    PerspectiveFactory,
    StrategyMapFactory,
    ThemeFactory,
    UserFactory,
)

DOMAIN_MODELS = (OrgUnit, StrategyMap, Perspective, Theme, Objective, CauseEffectLink, Alignment, Measure, Actual,
                 Initiative, Impact, Milestone, Membership)
PERSONAS = ("executive", "manager", "outsider_manager", "updater", "viewer", "anonymous")


def fingerprint() -> dict[str, list[tuple[Any, ...]]]:
    """Every domain row as (id, version): any create, change or delete shows up as a difference."""
    return {m.__name__: list(m.objects.order_by("pk").values_list("pk", "version")) for m in DOMAIN_MODELS}


def client_for(user: Any | None) -> APIClient:
    """A client that signs in with the user's API token, as scripts do (anonymous when None)."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def if_match(obj: Any) -> dict[str, str]:
    obj.refresh_from_db()
    return {"HTTP_IF_MATCH": f'"{obj.version}"'}


@dataclass
class World:
    tree: Tree
    personas: Personas
    ops_unit: OrgUnit  # a leaf under RET-EC, for unit writes
    lab_unit: OrgUnit  # under RET-EC, no map yet
    ec_map: StrategyMap
    spare_map: StrategyMap  # of RET-EC-DATA, without objectives: deletable
    ec_p: Perspective
    spare_p: Perspective  # no objectives: deletable
    theme: Theme
    o1: Objective
    o2: Objective
    o3: Objective
    ret_obj: Objective
    link: CauseEffectLink
    alignment: Alignment
    measure: Measure
    actual: Actual
    initiative: Initiative
    impact: Impact
    milestone: Milestone
    membership: Membership
    whs: dict[str, Any] = field(default_factory=dict)

    def user(self, persona: str) -> Any | None:
        return None if persona == "anonymous" else getattr(self.personas, persona)


@pytest.fixture(name="world")
def world_fixture(tree: Tree, personas: Personas) -> World:
    ec_map = tree.ret_ec.strategy_map
    ret_map = tree.ret.strategy_map
    ec_p = PerspectiveFactory(map=ec_map, code="F", name="Financial")
    o1, o2, o3 = (ObjectiveFactory(map=ec_map, perspective=ec_p, code=c) for c in ("E1", "E2", "E3"))
    ret_obj = ObjectiveFactory(map=ret_map, perspective=PerspectiveFactory(map=ret_map, code="F"), code="R1")
    measure = MeasureFactory(objective=o1, code="EM1")
    initiative = InitiativeFactory(unit=tree.ret_ec, code="EI1")
    whs_map = tree.whs.strategy_map
    whs_p = PerspectiveFactory(map=whs_map, code="F")
    whs_obj = ObjectiveFactory(map=whs_map, perspective=whs_p, code="W1")
    whs_measure = MeasureFactory(objective=whs_obj, code="WM1")
    whs_init = InitiativeFactory(unit=tree.whs, code="WI1")
    return World(
        tree=tree, personas=personas,
        ops_unit=OrgUnitFactory(code="RET-EC-OPS", parent=tree.ret_ec),
        lab_unit=OrgUnitFactory(code="RET-EC-LAB", parent=tree.ret_ec),
        ec_map=ec_map, spare_map=StrategyMapFactory(unit=OrgUnitFactory(code="RET-EC-DATA", parent=tree.ret_ec)),
        ec_p=ec_p, spare_p=PerspectiveFactory(map=ec_map, code="X", name="Spare", position=9),
        theme=ThemeFactory(map=ec_map), o1=o1, o2=o2, o3=o3, ret_obj=ret_obj,
        link=CauseEffectLinkFactory(cause=o1, effect=o2),
        alignment=AlignmentFactory(objective=o1, supports=ret_obj),
        measure=measure, actual=ActualFactory(measure=measure, period=dt.date(2026, 3, 31), value=90),
        initiative=initiative, impact=ImpactFactory(initiative=initiative, objective=o1),
        milestone=MilestoneFactory(initiative=initiative, name="Vendor chosen"),
        membership=MembershipFactory(user=UserFactory(username="someone"), unit=tree.ret_ec, role="viewer"),
        whs={
            "unit": tree.whs, "map": whs_map, "perspective": whs_p, "objective": whs_obj, "measure": whs_measure,
            "actual": ActualFactory(measure=whs_measure), "initiative": whs_init,
            "impact": ImpactFactory(initiative=whs_init, objective=whs_obj),
            "milestone": MilestoneFactory(initiative=whs_init), "theme": ThemeFactory(map=whs_map),
            "objective2": ObjectiveFactory(map=whs_map, perspective=whs_p, code="W2"),
        },
    )
