"""Query counts of every list, pinned at two data sizes: the count must not grow with the rows (no n+1).

Per request with a token: 1 token + user, then 1 count and 1 page. Reading needs neither the executive-group
check nor a role lookup while every signed-in user reads everything (SCORECARD_VIEWERS_SEE_ALL); when the setting
is off, two more queries read the group and the user's roles. Memberships are listed by executives only (the
group check, 4 in all).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

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
from tests.test_api_support import World, client_for, world_fixture  # noqa: F401

RESOURCES = ("units", "maps", "perspectives", "themes", "objectives", "links", "alignments", "measures",
             "actuals", "initiatives", "impacts", "milestones")
EXPECTED = {"executive": 3, "manager": 3}


def grow(world: World, k: int) -> None:
    """k more rows of every resource, all in RET-EC's subtree, with owners and entered_by set."""
    owner = world.personas.manager
    previous = world.o3
    for i in range(k):
        unit = OrgUnitFactory(code=f"G{i}", parent=world.tree.ret_ec)
        StrategyMapFactory(unit=unit)
        PerspectiveFactory(map=world.ec_map, code=f"P{i}", name=f"Band {i}")
        ThemeFactory(map=world.ec_map, code=f"T{i}")
        objective = ObjectiveFactory(map=world.ec_map, perspective=world.ec_p, code=f"G{i}", owner=owner)
        CauseEffectLinkFactory(cause=previous, effect=objective)
        AlignmentFactory(objective=objective, supports=world.ret_obj)
        measure = MeasureFactory(objective=objective, code=f"GM{i}", owner=owner)
        ActualFactory(measure=measure, period=dt.date(2026, 3, 31), entered_by=owner)
        initiative = InitiativeFactory(unit=world.tree.ret_ec, code=f"GI{i}", owner=owner)
        ImpactFactory(initiative=initiative, objective=objective)
        MilestoneFactory(initiative=initiative)
        MembershipFactory(user=UserFactory(username=f"member{i}"), unit=unit, role="viewer")
        previous = objective


@pytest.mark.parametrize("size", [0, 30])
@pytest.mark.parametrize("persona", sorted(EXPECTED))
@pytest.mark.parametrize("resource", RESOURCES)
def test_each_list_costs_the_same_few_queries_whatever_its_length(
    world: World, django_assert_num_queries, resource: str, persona: str, size: int
) -> None:
    grow(world, size)
    client = client_for(world.user(persona))
    with django_assert_num_queries(EXPECTED[persona]):
        response = client.get(f"/api/{resource}/", {"page_size": 200})
    assert response.status_code == 200
    assert len(response.json()["results"]) >= size


@pytest.mark.parametrize("size", [0, 30])
@override_settings(SCORECARD_VIEWERS_SEE_ALL=False)
def test_with_viewers_limited_to_their_subtree_a_list_costs_two_more_queries(
    world: World, django_assert_num_queries, size: int
) -> None:
    grow(world, size)
    client = client_for(world.personas.viewer)
    with django_assert_num_queries(5):
        response = client.get("/api/objectives/", {"page_size": 200})
    assert response.json()["count"] == 4 + size


@pytest.mark.parametrize("size", [0, 30])
def test_the_membership_list_costs_four_queries_whatever_its_length(
    world: World, django_assert_num_queries, size: int
) -> None:
    grow(world, size)
    client = client_for(world.personas.executive)
    with django_assert_num_queries(4):
        response = client.get("/api/memberships/", {"page_size": 200})
    assert len(response.json()["results"]) >= size + 5


@pytest.mark.parametrize("size", [1, 30])
def test_filters_by_unit_code_subtree_and_owner_add_no_query(world: World, django_assert_num_queries, size: int):
    grow(world, size)
    client = client_for(world.personas.manager)
    with django_assert_num_queries(3):
        response = client.get("/api/objectives/", {"subtree": world.tree.ret.pk, "owner": "ret_manager",
                                                   "perspective": world.ec_p.pk, "page_size": 200})
    assert response.json()["count"] == size


def test_filters_select_what_they_name(world: World) -> None:
    grow(world, 3)
    client = client_for(world.personas.executive)

    def codes(resource: str, **params: object) -> list[str]:
        rows = client.get(f"/api/{resource}/", {**params, "page_size": 200}).json()["results"]
        return sorted(row.get("code") or str(row["id"]) for row in rows)

    assert codes("objectives", unit_code="RET-EC") == ["E1", "E2", "E3", "G0", "G1", "G2"]
    assert codes("objectives", unit=world.tree.ret.pk) == ["R1"]
    assert codes("objectives", subtree=world.tree.ret.pk) == ["E1", "E2", "E3", "G0", "G1", "G2", "R1"]
    assert codes("objectives", subtree=world.tree.whs.pk) == ["W1", "W2"]
    assert codes("objectives", owner="ret_manager") == ["G0", "G1", "G2"]
    assert codes("measures", owner="ret_manager", ordering="-code") == ["GM0", "GM1", "GM2"]
    assert codes("initiatives", unit_code="WHS") == ["WI1"]
    ordered = client.get("/api/objectives/", {"unit_code": "RET-EC", "ordering": "-code"}).json()["results"]
    assert [row["code"] for row in ordered] == ["G2", "G1", "G0", "E3", "E2", "E1"]
    assert client.get("/api/milestones/", {"done": "true"}).json()["count"] == 0


def test_pages_hold_fifty_by_default_and_two_hundred_at_most(world: World) -> None:
    grow(world, 60)
    client = client_for(world.personas.executive)
    first = client.get("/api/objectives/").json()
    assert (len(first["results"]), first["count"]) == (50, 66)
    assert first["next"] is not None
    assert len(client.get("/api/objectives/", {"page": 2}).json()["results"]) == 16
    assert len(client.get("/api/objectives/", {"page_size": 1000}).json()["results"]) == 66
    assert client.get("/api/objectives/", {"page": 0}).status_code == 404
    assert client.get("/api/objectives/", {"page": 3}).status_code == 404
