"""Query counts of every page, pinned at two data sizes: a page costs the same number of queries whether the
enterprise is small or four times larger (no query per unit, objective, measure or initiative)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from cascade.web.history import HISTORY_LIMIT
from tests.factories import MeasureFactory, ObjectiveFactory, OrgUnitFactory, PerspectiveFactory, StrategyMapFactory
from tests.test_web_support import build_enterprise

pytestmark = pytest.mark.django_db

# Every signed-in page starts with the session and the user (2) and asks scorecard.access for the role rows
# (executive group + memberships, 2, cached on the user for the request). cascade.loader costs 12.
PAGES = {
    # 2 + loader 12 + units the user may view 1 (every unit while viewers see all: no group check needed)
    "/": 15,
    # 2 + unit by code 1 + supported ancestors 1 + loader 12 + access 2
    "/units/RET/": 18,
    # 2 + unit 1 + map and themes 2 + ancestors 1 + access 2 + render_map (data version 1 + loader 12; the data
    # version alone when the same map was drawn since the last change)
    "/units/RET/map/": 21,
    "/units/RET/map/print/": 21,
    # 2 + unit 1 + access 2 + render_map (data version 1 + loader 12)
    "/units/RET/map.pdf": 18,
    # 2 + unit 1 + ancestors 1 + access 2 + render_cascade (data version 1 + loader 12) + the table's snapshot (12)
    "/units/RET/cascade/": 31,
    # 2 + unit 1 + access 2 + loader 12
    "/units/RET/gaps/": 17,
    # 2 + objective 1 + supported ancestors 1 + access 2 + loader 12
    # + history 5 (the objective's records, its links', its alignments', its measures', their actuals')
    "objective": 23,
    # 2 + initiative 1 + access 2 + loader 12 + impact ids 1 + render_impact (data version 1 + loader 12)
    # + linkable objectives 1 + history 3 (the initiative's records, its milestones', its links to objectives')
    "initiative": 35,
    # 2 + unit 1 + access 2 + measures 1 + recorded values 1
    "/units/RET/results/": 7,
    # 2 + initiative 1 + access 2 + milestones 1
    "progress": 6,
    # 2 + unit 1 + access 2
    "/units/RET/initiatives/new/": 5,
}


def grow(ent: Any, extra_units: int) -> None:
    """More units under RET-EC, each with a map, objectives and measures: data the pages must not loop over."""
    for i in range(extra_units):
        unit = OrgUnitFactory(code=f"EX{i}", name=f"Extra {i}", parent=ent.tree.ret_ec)
        smap = StrategyMapFactory(unit=unit)
        persp = PerspectiveFactory(map=smap, code="F", name="Financial")
        for j in range(3):
            obj = ObjectiveFactory(map=smap, perspective=persp, code=f"X{j}")
            MeasureFactory(objective=obj, code=f"X{j}.1")


@pytest.mark.parametrize(("objectives", "extra_units"), [(2, 0), (8, 6)], ids=["small", "large"])
@pytest.mark.parametrize("page", list(PAGES))
def test_each_page_costs_a_fixed_number_of_queries(
    tree: Any, personas: Any, django_assert_num_queries: Any, page: str, objectives: int, extra_units: int
) -> None:
    ent = build_enterprise(tree, objectives_per_unit=objectives)
    grow(ent, extra_units)
    url = {"objective": f"/objectives/{ent.ret_objectives[0].pk}/",
           "initiative": f"/initiatives/{ent.ret_initiative.pk}/",
           "progress": f"/initiatives/{ent.ret_initiative.pk}/progress/"}.get(page, page)
    client = Client()
    client.force_login(personas.manager)
    with django_assert_num_queries(PAGES[page]):
        response = client.get(url, {"as_of": "2026-09-30"})
    assert response.status_code == 200


# The history sections read one query per historical model, whatever the number of changes, measures or links;
# a changed foreign key costs one more query per kind of related object (the users named as new owners here).
HISTORY_PAGES = {"objective": PAGES["objective"] + 2, "initiative": PAGES["initiative"] + 1}


def make_changes(ent: Any, personas: Any, rounds: int) -> None:
    """``rounds`` of changes by two users: each adds a measure to the objective (its target and owner changed, a
    value entered and corrected), a link that is removed again, a milestone that gets done, an objective the
    initiative moves and then no longer does, and an edit of the initiative."""
    import datetime as dt

    from scorecard.history import acting_as
    from scorecard.services import actual_record, save_validated
    from tests.factories import CauseEffectLinkFactory, ImpactFactory, MilestoneFactory

    objective, initiative = ent.ret_objectives[0], ent.ret_initiative
    for i in range(rounds):
        with acting_as(personas.manager if i % 2 else personas.executive):
            measure = MeasureFactory(objective=objective, code=f"H{i}", target=100)
            measure.target, measure.owner = 100 + i, personas.viewer
            save_validated(measure)
            actual_record(measure=measure, period=dt.date(2026, 9, 30), value=i)
            actual_record(measure=measure, period=dt.date(2026, 9, 30), value=i + 0.5)
            other = ObjectiveFactory(map=objective.map, perspective=objective.perspective, code=f"HX{i}")
            CauseEffectLinkFactory(cause=other, effect=objective).delete()
            milestone = MilestoneFactory(initiative=initiative, name=f"Step {i}", due=dt.date(2026, 12, 31))
            milestone.done = dt.date(2026, 10, 1)
            save_validated(milestone)
            ImpactFactory(initiative=initiative, objective=other).delete()
            initiative.spent = 300 + i
            save_validated(initiative)
    with acting_as(personas.executive):
        objective.owner = personas.manager
        save_validated(objective)
        initiative.owner = personas.manager
        save_validated(initiative)


@pytest.mark.parametrize("history", ["", "all"])
@pytest.mark.parametrize("rounds", [1, 12], ids=["few-changes", "many-changes"])
@pytest.mark.parametrize("page", list(HISTORY_PAGES))
def test_the_history_sections_cost_the_same_queries_for_few_or_many_changes(
    tree: Any, personas: Any, django_assert_num_queries: Any, page: str, rounds: int, history: str
) -> None:
    ent = build_enterprise(tree)
    make_changes(ent, personas, rounds)
    url = {"objective": f"/objectives/{ent.ret_objectives[0].pk}/",
           "initiative": f"/initiatives/{ent.ret_initiative.pk}/"}[page]
    client = Client()
    client.force_login(personas.manager)
    with django_assert_num_queries(HISTORY_PAGES[page]):
        response = client.get(url, {"as_of": "2026-09-30", "history": history})
    assert response.status_code == 200
    rows = response.content.decode().count('<td data-label="When">')
    assert rows >= min(4 * rounds, HISTORY_LIMIT)  # the changes are there, not an empty section
    assert history == "all" or rows <= HISTORY_LIMIT
