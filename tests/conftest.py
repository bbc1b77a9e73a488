"""Shared fixtures: a small three-level enterprise and the personas of the permission matrix."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from scorecard.mapfile import export_map
from scorecard.models import OrgUnit
from scorecard.services import actual_record, delete_object, save_validated
from tests.factories import (
    CauseEffectLinkFactory,
    MeasureFactory,
    MembershipFactory,
    ObjectiveFactory,
    OrgUnitFactory,
    PerspectiveFactory,
    StrategyMapFactory,
    UserFactory,
    backdate_history,
)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Every test starts with an empty cache. Renders are cached by ``data_version`` (the newest history ids),
    and each test's rolled-back transaction hands the same ids out again to the next test's different data."""
    from django.core.cache import cache

    cache.clear()


@dataclass
class Tree:
    """NW (enterprise) -> RET, WHS (business units); RET -> RET-EC (department)."""

    nw: OrgUnit
    ret: OrgUnit
    whs: OrgUnit
    ret_ec: OrgUnit


@pytest.fixture
def tree(db: Any) -> Tree:
    nw = OrgUnitFactory(code="NW", name="Northwind", kind="enterprise")
    ret = OrgUnitFactory(code="RET", name="Retail", parent=nw)
    whs = OrgUnitFactory(code="WHS", name="Wholesale", parent=nw)
    ret_ec = OrgUnitFactory(code="RET-EC", name="E-commerce", parent=ret, kind="department")
    for unit in (nw, ret, whs, ret_ec):
        StrategyMapFactory(unit=unit)
    return Tree(nw=nw, ret=ret, whs=whs, ret_ec=ret_ec)


@dataclass
class Personas:
    executive: Any
    manager: Any  # manager of RET (in scope for RET and RET-EC)
    outsider_manager: Any  # manager of WHS
    updater: Any  # updater of RET
    viewer: Any  # viewer of RET


@pytest.fixture
def personas(tree: Tree) -> Personas:
    executive = UserFactory(username="exec", executive=True)
    manager = UserFactory(username="ret_manager")
    MembershipFactory(user=manager, unit=tree.ret, role="manager")
    outsider = UserFactory(username="whs_manager")
    MembershipFactory(user=outsider, unit=tree.whs, role="manager")
    updater = UserFactory(username="ret_updater")
    MembershipFactory(user=updater, unit=tree.ret, role="updater")
    viewer = UserFactory(username="ret_viewer")
    MembershipFactory(user=viewer, unit=tree.ret, role="viewer")
    return Personas(executive, manager, outsider, updater, viewer)


PAST = dt.date(2026, 1, 10)
QUARTER = dt.date(2025, 12, 31)


@pytest.fixture
def evolved(tree: Tree) -> dict[str, Any]:
    """RET's map on PAST: F1 <- C1 (link), measures F1.1 (target 8, red flag 6; 8.5 entered for QUARTER, on
    target) and C1.1; then today: C1 renamed, F1.1's target 9 and its QUARTER value corrected to 5 (below the red
    flag), objective L1 and measure L1.1 added, the link and measure C1.1 removed."""
    smap = tree.ret.strategy_map
    f = PerspectiveFactory(map=smap, code="F", name="Financial", position=0)
    c = PerspectiveFactory(map=smap, code="C", name="Customer", position=1)
    f1 = ObjectiveFactory(map=smap, perspective=f, code="F1", name="Grow revenue")
    c1 = ObjectiveFactory(map=smap, perspective=c, code="C1", name="Keep customers")
    link = CauseEffectLinkFactory(cause=c1, effect=f1)
    f11 = MeasureFactory(objective=f1, code="F1.1", name="Revenue growth", target=8, red_flag=6)
    c11 = MeasureFactory(objective=c1, code="C1.1", name="Churn", target=5)
    actual_record(measure=f11, period=QUARTER, value=8.5)
    yaml_before = export_map(["RET"])
    backdate_history(PAST)
    c1.name = "Keep customers coming back"
    save_validated(c1)
    f11.target = 9
    save_validated(f11)
    actual_record(measure=f11, period=QUARTER, value=5)
    l1 = ObjectiveFactory(map=smap, perspective=PerspectiveFactory(map=smap, code="L", name="Learning", position=2),
                          code="L1", name="Build data skills")
    MeasureFactory(objective=l1, code="L1.1", name="Analysts trained", target=20)
    delete_object(link)
    delete_object(c11)
    return {"unit": tree.ret, "yaml_before": yaml_before, "yaml_after": export_map(["RET"]), "f1": f1, "c1": c1,
            "l1": l1}
