"""Object-level access: IDOR sweeps with ids from other units, creating or moving objects into foreign units,
mass assignment of fields nobody may set, and viewers limited to their subtree when the setting says so."""

from __future__ import annotations

import pytest
from django.test import override_settings

from scorecard.models import Initiative, Membership, Objective
from tests.test_api_support import World, client_for, fingerprint, if_match, world_fixture  # noqa: F401

# resource -> key of the WHS object in world.whs
WHS_OBJECTS = {
    "units": "unit", "maps": "map", "perspectives": "perspective", "themes": "theme", "objectives": "objective",
    "measures": "measure", "actuals": "actual", "initiatives": "initiative", "impacts": "impact",
    "milestones": "milestone",
}


@pytest.mark.parametrize("resource", sorted(WHS_OBJECTS))
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_ret_manager_cannot_write_any_whs_object_by_its_id(world: World, resource: str, method: str) -> None:
    obj = world.whs[WHS_OBJECTS[resource]]
    client = client_for(world.personas.manager)
    before = fingerprint()
    url = f"/api/{resource}/{obj.pk}/"
    response = getattr(client, method)(url, {"name": "hijacked", "value": 1}, format="json", **if_match(obj))
    assert response.status_code == 403, response.content
    assert "WHS" in response.json()["detail"]
    assert fingerprint() == before


@pytest.mark.parametrize("resource", sorted(WHS_OBJECTS))
@override_settings(SCORECARD_VIEWERS_SEE_ALL=False)
def test_with_viewers_limited_to_their_subtree_other_units_objects_are_not_found(world: World, resource: str) -> None:
    obj = world.whs[WHS_OBJECTS[resource]]
    client = client_for(world.personas.viewer)
    assert client.get(f"/api/{resource}/{obj.pk}/").status_code == 404
    assert client.patch(f"/api/{resource}/{obj.pk}/", {}, format="json", **if_match(obj)).status_code == 404
    listed = client.get(f"/api/{resource}/", {"page_size": 200}).json()["results"]
    assert listed, "the viewer still sees RET's own objects"
    assert all(row["unit_code"] in {"RET", "RET-EC", "RET-EC-OPS", "RET-EC-LAB", "RET-EC-DATA"} for row in listed)


@override_settings(SCORECARD_VIEWERS_SEE_ALL=False)
def test_a_reference_to_an_invisible_object_reads_as_missing(world: World) -> None:
    response = client_for(world.personas.manager).post("/api/objectives/", {
        "map": world.whs["map"].pk, "perspective": world.whs["perspective"].pk, "code": "X", "name": "x",
    }, format="json")
    assert response.status_code == 400
    assert "does not exist" in response.json()["map"][0]


@pytest.mark.parametrize(("resource", "body"), [
    ("objectives", lambda w: {"map": w.whs["map"].pk, "perspective": w.whs["perspective"].pk, "code": "X",
                              "name": "Planted"}),
    ("measures", lambda w: {"objective": w.whs["objective"].pk, "code": "XM", "name": "Planted"}),
    ("actuals", lambda w: {"measure": w.whs["measure"].pk, "period": "2026-06-30", "value": 1}),
    ("initiatives", lambda w: {"unit": w.tree.whs.pk, "code": "X", "name": "Planted"}),
    ("milestones", lambda w: {"initiative": w.whs["initiative"].pk, "name": "Planted", "due": "2026-06-30"}),
    ("impacts", lambda w: {"initiative": w.whs["initiative"].pk, "objective": w.whs["objective2"].pk}),
    ("links", lambda w: {"cause": w.whs["objective"].pk, "effect": w.whs["objective2"].pk}),
    ("themes", lambda w: {"map": w.whs["map"].pk, "code": "X", "name": "Planted"}),
    ("perspectives", lambda w: {"map": w.whs["map"].pk, "code": "X", "name": "Planted"}),
])
def test_creating_an_object_in_a_foreign_unit_is_refused_and_writes_nothing(world: World, resource, body) -> None:
    before = fingerprint()
    response = client_for(world.personas.manager).post(f"/api/{resource}/", body(world), format="json")
    assert response.status_code == 403, response.content
    assert "WHS" in response.json()["detail"]
    assert fingerprint() == before


def test_moving_an_initiative_into_a_foreign_unit_is_refused(world: World) -> None:
    before = fingerprint()
    response = client_for(world.personas.manager).patch(
        f"/api/initiatives/{world.initiative.pk}/", {"unit": world.tree.whs.pk}, format="json",
        **if_match(world.initiative))
    assert response.status_code == 403
    assert fingerprint() == before
    assert Initiative.objects.get(pk=world.initiative.pk).unit_id == world.tree.ret_ec.pk


def test_moving_an_objective_to_a_foreign_map_is_refused(world: World) -> None:
    before = fingerprint()
    response = client_for(world.personas.manager).patch(
        f"/api/objectives/{world.o3.pk}/", {"map": world.whs["map"].pk, "perspective": world.whs["perspective"].pk},
        format="json", **if_match(world.o3))
    assert response.status_code == 403
    assert fingerprint() == before


def test_moving_an_initiative_within_ones_own_subtree_is_allowed(world: World) -> None:
    response = client_for(world.personas.manager).patch(
        f"/api/initiatives/{world.initiative.pk}/", {"unit": world.tree.ret.pk}, format="json",
        **if_match(world.initiative))
    assert response.status_code == 200, response.content
    assert response.json()["unit_code"] == "RET"


def test_an_alignment_belongs_to_the_supporting_objectives_unit(world: World) -> None:
    # WHS's manager may align WHS objectives to NW's, but not make RET-EC's objective support anything.
    nw_obj = world.ret_obj  # RET is an ancestor of RET-EC only; use it for the RET-EC case
    outsider = client_for(world.personas.outsider_manager)
    refused = outsider.post("/api/alignments/", {"objective": world.o2.pk, "supports": nw_obj.pk}, format="json")
    assert refused.status_code == 403
    manager = client_for(world.personas.manager)
    allowed = manager.post("/api/alignments/", {"objective": world.o2.pk, "supports": nw_obj.pk}, format="json")
    assert allowed.status_code == 201, allowed.content
    assert allowed.json()["unit_code"] == "RET-EC"
    assert allowed.json()["supports_unit_code"] == "RET"


# ------------------------------------------------------------------------------------------ mass assignment
def test_id_version_and_unit_code_in_a_body_are_ignored(world: World) -> None:
    o3 = world.o3
    response = client_for(world.personas.manager).patch(
        f"/api/objectives/{o3.pk}/", {"name": "Renamed", "id": 9999, "version": 500, "unit_code": "WHS"},
        format="json", **if_match(o3))
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["version"], body["unit_code"]) == (o3.pk, 2, "RET-EC")
    assert Objective.objects.filter(pk=9999).count() == 0


def test_a_created_object_gets_its_own_id_and_version_one(world: World) -> None:
    response = client_for(world.personas.manager).post("/api/themes/", {
        "id": world.theme.pk, "version": 77, "map": world.ec_map.pk, "code": "NEW", "name": "New"}, format="json")
    assert response.status_code == 201
    assert response.json()["id"] != world.theme.pk
    assert response.json()["version"] == 1
    assert response.headers["ETag"] == '"1"'


def test_an_actual_records_who_entered_it_whatever_the_body_says(world: World) -> None:
    response = client_for(world.personas.updater).post("/api/actuals/", {
        "measure": world.measure.pk, "period": "2026-06-30", "value": 3, "entered_by": "exec"}, format="json")
    assert response.status_code == 201
    assert response.json()["entered_by"] == "ret_updater"


def test_an_updater_cannot_sneak_a_plan_change_into_a_progress_patch(world: World) -> None:
    before = fingerprint()
    response = client_for(world.personas.updater).patch(
        f"/api/initiatives/{world.initiative.pk}/", {"percent_complete": 50, "budget": 10**9}, format="json",
        **if_match(world.initiative))
    assert response.status_code == 403
    assert fingerprint() == before


def test_an_updater_cannot_set_an_owner(world: World) -> None:
    before = fingerprint()
    response = client_for(world.personas.updater).patch(
        f"/api/initiatives/{world.initiative.pk}/", {"owner": "ret_updater"}, format="json",
        **if_match(world.initiative))
    assert response.status_code == 403
    assert fingerprint() == before


def test_an_owner_must_be_an_existing_username(world: World) -> None:
    response = client_for(world.personas.manager).patch(
        f"/api/objectives/{world.o3.pk}/", {"owner": "nobody-by-that-name"}, format="json", **if_match(world.o3))
    assert response.status_code == 400
    assert "owner" in response.json()


@pytest.mark.parametrize("persona", ["manager", "updater", "viewer", "outsider_manager"])
def test_nobody_but_an_executive_can_grant_a_role_even_to_themselves(world: World, persona: str) -> None:
    user = world.user(persona)
    before = fingerprint()
    response = client_for(user).post("/api/memberships/", {
        "user": user.username, "unit": world.tree.nw.pk, "role": "manager"}, format="json")
    assert response.status_code == 403
    own = Membership.objects.filter(user=user).first()
    if own is not None:
        assert client_for(user).patch(f"/api/memberships/{own.pk}/", {"role": "manager"}, format="json",
                                      **if_match(own)).status_code == 403
    assert fingerprint() == before


def test_a_role_outside_the_three_is_refused_with_a_message(world: World) -> None:
    response = client_for(world.personas.executive).patch(
        f"/api/memberships/{world.membership.pk}/", {"role": "executive"}, format="json",
        **if_match(world.membership))
    assert response.status_code == 400
    assert "role" in response.json()


def test_creating_a_unit_under_ones_own_unit_is_still_for_executives_only(world: World) -> None:
    before = fingerprint()
    response = client_for(world.personas.manager).post(
        "/api/units/", {"code": "RET-X", "name": "X", "parent": world.tree.ret.pk}, format="json")
    assert response.status_code == 403
    assert fingerprint() == before


def test_an_executive_cannot_move_a_unit_under_its_own_descendant(world: World) -> None:
    before = fingerprint()
    response = client_for(world.personas.executive).patch(
        f"/api/units/{world.tree.ret.pk}/", {"parent": world.tree.ret_ec.pk}, format="json",
        **if_match(world.tree.ret))
    assert response.status_code == 400
    assert "own ancestor" in response.json()["parent"][0]
    assert fingerprint() == before
