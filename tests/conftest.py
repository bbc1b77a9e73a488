"""Shared fixtures: a small three-level enterprise and the personas of the permission matrix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from scorecard.models import OrgUnit
from tests.factories import MembershipFactory, OrgUnitFactory, StrategyMapFactory, UserFactory


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
