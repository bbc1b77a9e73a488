"""Query-count pins of every admin changelist, for an executive and for a unit manager, at two data sizes:
the same count at both sizes, so no list grows an n+1.

What the counts are made of (executive / manager):
- session, user, "Executives" group check: 3 / 3; the manager's memberships (access.py): - / 1;
- "holds a role somewhere" for the index gate and the list's view permission: - / 2 (UPDATE and MANAGE,
  or ADMINISTER where a model is executives-only);
- the filters' choices (units, owners, codes: one each), the page count and the unfiltered count, the page
  of rows with its select_related, Django's own auth permissions for the sidebar (user and group: 2);
- the sidebar's review admins (cascade/admin.py: meetings, action items) ask "manages a unit somewhere?" through
  the same request cache (``admin_base.holds``): no query of their own.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Personas, Tree
from tests.factories import (
    ActualFactory,
    AlignmentFactory,
    InitiativeFactory,
    MeasureFactory,
    MembershipFactory,
    ObjectiveFactory,
    OrgUnitFactory,
    PerspectiveFactory,
    ThemeFactory,
    UserFactory,
)
from tests.test_admin_support import staff_client

# changelist -> (executive, manager) query counts. None: the list is refused to managers (403).
PINS: dict[str, tuple[int, int | None]] = {
    "orgunit": (10, 13),
    "strategymap": (9, 12),
    "perspective": (10, 13),
    "theme": (10, 13),
    "objective": (12, 15),
    "alignment": (9, 12),
    "measure": (12, 15),
    "actual": (9, 12),
    "initiative": (10, 13),
    "membership": (9, None),
}
# An updater's lists need one "holds a role somewhere" query only: UPDATE is both the gate and the view.
UPDATER_PINS = {"measure": 14, "actual": 11, "initiative": 12}


def build(tree: Tree, personas: Personas, per_unit: int) -> None:
    """``per_unit`` objects of every kind in every unit, with owners, themes, actuals and alignments."""
    nw_map = tree.nw.strategy_map
    nw_perspective = PerspectiveFactory(map=nw_map, code="F")
    for unit in (tree.nw, tree.ret, tree.ret_ec, tree.whs):
        m = unit.strategy_map
        perspective = PerspectiveFactory(map=m, code="F")
        for i in range(per_unit):
            theme = ThemeFactory(map=m, code=f"T{i}")
            owner = UserFactory(username=f"{unit.code.lower()}-owner-{i}")
            objective = ObjectiveFactory(map=m, perspective=perspective, theme=theme, owner=owner,
                                         code=f"{unit.code}-{i}")
            measure = MeasureFactory(objective=objective, owner=owner)
            ActualFactory(measure=measure)
            InitiativeFactory(unit=unit, owner=owner)
            MembershipFactory(user=owner, unit=unit, role="viewer")
            OrgUnitFactory(code=f"{unit.code}-sub{i}", parent=unit)
            if unit != tree.nw:
                above = ObjectiveFactory(map=nw_map, perspective=nw_perspective, code=f"NW-for-{unit.code}-{i}")
                AlignmentFactory(objective=objective, supports=above)
            PerspectiveFactory(map=m, code=f"X{i}", name=f"Extra {i}", position=10 + i)


@pytest.fixture(params=[1, 8], ids=["small", "eight-times"])
def data(request: Any, tree: Tree, personas: Personas) -> int:
    build(tree, personas, request.param)
    return request.param


def page_rows(response: Any) -> int:
    return len(response.context["cl"].result_list)


def least_rows(model: str, per_unit: int) -> int:
    return 1 if model == "strategymap" else per_unit  # one map per unit, whatever the size


@pytest.mark.parametrize("model", sorted(PINS))
def test_an_executives_changelist_takes_a_fixed_number_of_queries(
    personas: Personas, data: int, model: str, django_assert_num_queries: Any
) -> None:
    client = staff_client(personas.executive)
    with django_assert_num_queries(PINS[model][0]):
        response = client.get(f"/admin/scorecard/{model}/")
    assert response.status_code == 200
    assert page_rows(response) >= least_rows(model, data)


@pytest.mark.parametrize("model", sorted(m for m, pins in PINS.items() if pins[1] is not None))
def test_a_managers_changelist_takes_a_fixed_number_of_queries(
    personas: Personas, data: int, model: str, django_assert_num_queries: Any
) -> None:
    client = staff_client(personas.manager)
    with django_assert_num_queries(PINS[model][1]):
        response = client.get(f"/admin/scorecard/{model}/")
    assert response.status_code == 200
    assert page_rows(response) >= least_rows(model, data)


@pytest.mark.parametrize("model", sorted(UPDATER_PINS))
def test_an_updaters_changelist_takes_a_fixed_number_of_queries(
    personas: Personas, data: int, model: str, django_assert_num_queries: Any
) -> None:
    client = staff_client(personas.updater)
    with django_assert_num_queries(UPDATER_PINS[model]):
        response = client.get(f"/admin/scorecard/{model}/")
    assert response.status_code == 200
    assert page_rows(response) >= least_rows(model, data)


def test_a_filtered_and_searched_objective_list_takes_the_same_fixed_number_of_queries(
    personas: Personas, data: int, tree: Tree, django_assert_num_queries: Any
) -> None:
    client = staff_client(personas.manager)
    with django_assert_num_queries(PINS["objective"][1]):
        response = client.get("/admin/scorecard/objective/", {"map__unit__id__exact": tree.ret.pk,
                                                              "perspective__code": "F", "q": "RET"})
    assert response.status_code == 200
    assert page_rows(response) == data
