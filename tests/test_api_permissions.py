"""The permission matrix: every persona x every endpoint x every method, each cell with its expected status.

The target objects sit in RET-EC: in scope for the RET manager, updater and viewer, outside the WHS manager's.
What each write needs is the issue's rule table (REQUIRES below); the expected status of a cell follows from
the persona's rank on RET-EC. A refused write must leave every domain row untouched; an allowed one must
change something.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from scorecard.access import Action
from tests.test_api_support import PERSONAS, World, client_for, fingerprint, if_match, world_fixture  # noqa: F401

Payload = Callable[[World], dict[str, Any]]

# What each persona holds on RET-EC (RET roles cover their subtree; the WHS manager holds nothing there).
RANK = {"executive": Action.ADMINISTER, "manager": Action.MANAGE, "updater": Action.UPDATE,
        "viewer": Action.VIEW, "outsider_manager": None, "anonymous": None}


@dataclass(frozen=True)
class Spec:
    url: str
    target: str  # World attribute of the object the detail methods act on
    write: Action  # what create/put/delete need
    create: Payload
    put: Payload
    patch: Payload
    read_admin: bool = False  # memberships: executives only, reading included
    progress_patch: Payload | None = None  # a PATCH that UPDATE holders may make


SPECS: dict[str, Spec] = {
    "units": Spec(
        "/api/units/", "ops_unit", Action.ADMINISTER,
        create=lambda w: {"code": "RET-NEW", "name": "New", "parent": w.tree.ret_ec.pk},
        put=lambda w: {"code": "RET-EC-OPS", "name": "Operations", "kind": "team", "parent": w.tree.ret_ec.pk},
        patch=lambda w: {"name": "Ops"}),
    "maps": Spec(
        "/api/maps/", "spare_map", Action.MANAGE,
        create=lambda w: {"unit": w.lab_unit.pk, "title": "Lab strategy"},
        put=lambda w: {"unit": w.spare_map.unit_id, "title": "Data 2027", "mission": "Know more"},
        patch=lambda w: {"title": "E-commerce 2028"}),
    "perspectives": Spec(
        "/api/perspectives/", "spare_p", Action.MANAGE,
        create=lambda w: {"map": w.ec_map.pk, "code": "N", "name": "New band"},
        put=lambda w: {"map": w.ec_map.pk, "code": "X", "name": "Renamed", "position": 5, "weight": 2},
        patch=lambda w: {"weight": 3}),
    "themes": Spec(
        "/api/themes/", "theme", Action.MANAGE,
        create=lambda w: {"map": w.ec_map.pk, "code": "GRW", "name": "Growth"},
        put=lambda w: {"map": w.ec_map.pk, "code": "OPX", "name": "Excellence"},
        patch=lambda w: {"name": "Ops excellence"}),
    "objectives": Spec(
        "/api/objectives/", "o3", Action.MANAGE,
        create=lambda w: {"map": w.ec_map.pk, "perspective": w.ec_p.pk, "code": "N1", "name": "New one"},
        put=lambda w: {"map": w.ec_map.pk, "perspective": w.ec_p.pk, "code": "E3", "name": "Renamed",
                       "owner": "ret_manager", "weight": 2},
        patch=lambda w: {"name": "Patched"}),
    "links": Spec(
        "/api/links/", "link", Action.MANAGE,
        create=lambda w: {"cause": w.o2.pk, "effect": w.o3.pk},
        put=lambda w: {"cause": w.o1.pk, "effect": w.o2.pk, "note": "drives"},
        patch=lambda w: {"note": "really drives"}),
    "alignments": Spec(
        "/api/alignments/", "alignment", Action.MANAGE,
        create=lambda w: {"objective": w.o2.pk, "supports": w.ret_obj.pk},
        put=lambda w: {"objective": w.o1.pk, "supports": w.ret_obj.pk, "weight": 2},
        patch=lambda w: {"weight": 3}),
    "measures": Spec(
        "/api/measures/", "measure", Action.MANAGE,
        create=lambda w: {"objective": w.o1.pk, "code": "NM", "name": "New measure", "target": 5},
        put=lambda w: {"objective": w.o1.pk, "code": "EM1", "name": "Renamed", "target": 7, "red_flag": 5},
        patch=lambda w: {"target": 9}),
    "actuals": Spec(
        "/api/actuals/", "actual", Action.UPDATE,
        create=lambda w: {"measure": w.measure.pk, "period": "2026-06-30", "value": 95.5, "note": "Q2"},
        put=lambda w: {"measure": w.measure.pk, "period": "2026-03-31", "value": 91, "note": "corrected"},
        patch=lambda w: {"value": 92}),
    "initiatives": Spec(
        "/api/initiatives/", "initiative", Action.MANAGE,
        create=lambda w: {"unit": w.tree.ret_ec.pk, "code": "NI", "name": "New initiative", "budget": 1000},
        put=lambda w: {"unit": w.tree.ret_ec.pk, "code": "EI1", "name": "Renamed", "budget": 5000},
        patch=lambda w: {"name": "Renamed by patch"},
        progress_patch=lambda w: {"percent_complete": 40, "spent": 1200.5, "status_note": "on track"}),
    "impacts": Spec(
        "/api/impacts/", "impact", Action.MANAGE,
        create=lambda w: {"initiative": w.initiative.pk, "objective": w.o2.pk},
        put=lambda w: {"initiative": w.initiative.pk, "objective": w.o1.pk, "weight": 2, "note": "main"},
        patch=lambda w: {"weight": 4}),
    "milestones": Spec(
        "/api/milestones/", "milestone", Action.MANAGE,
        create=lambda w: {"initiative": w.initiative.pk, "name": "Go live", "due": "2026-10-31"},
        put=lambda w: {"initiative": w.initiative.pk, "name": "Vendor signed", "due": "2026-07-31"},
        patch=lambda w: {"due": "2026-08-31"},
        progress_patch=lambda w: {"done": "2026-06-15"}),
    "memberships": Spec(
        "/api/memberships/", "membership", Action.ADMINISTER, read_admin=True,
        create=lambda w: {"user": "someone", "unit": w.tree.whs.pk, "role": "viewer"},
        put=lambda w: {"user": "someone", "unit": w.tree.ret_ec.pk, "role": "updater"},
        patch=lambda w: {"role": "manager"}),
}
METHODS = ("list", "retrieve", "create", "put", "patch", "progress_patch", "delete")
SUCCESS = {"list": 200, "retrieve": 200, "create": 201, "put": 200, "patch": 200, "progress_patch": 200,
           "delete": 204}


def expected_status(spec: Spec, method: str, persona: str) -> int:
    if persona == "anonymous":
        return 401
    rank = RANK[persona]
    if method in ("list", "retrieve"):
        return 403 if spec.read_admin and persona != "executive" else 200
    needs = Action.UPDATE if method == "progress_patch" else spec.write
    return SUCCESS[method] if rank is not None and rank >= needs else 403


CELLS = [
    pytest.param(resource, method, persona, expected_status(spec, method, persona),
                 id=f"{resource}-{method}-{persona}")
    for resource, spec in SPECS.items()
    for method in METHODS
    if method != "progress_patch" or spec.progress_patch is not None
    for persona in PERSONAS
]


def perform(world: World, spec: Spec, method: str, persona: str) -> Any:
    client = client_for(world.user(persona))
    target = getattr(world, spec.target)
    detail = f"{spec.url}{target.pk}/"
    if method == "list":
        return client.get(spec.url)
    if method == "retrieve":
        return client.get(detail)
    if method == "create":
        return client.post(spec.url, spec.create(world), format="json")
    if method == "put":
        return client.put(detail, spec.put(world), format="json", **if_match(target))
    if method == "patch":
        return client.patch(detail, spec.patch(world), format="json", **if_match(target))
    if method == "progress_patch":
        assert spec.progress_patch is not None
        return client.patch(detail, spec.progress_patch(world), format="json", **if_match(target))
    return client.delete(detail, **if_match(target))


@pytest.mark.parametrize(("resource", "method", "persona", "status"), CELLS)
def test_each_persona_gets_the_status_the_rules_give_and_refused_writes_change_nothing(
    world: World, resource: str, method: str, persona: str, status: int
) -> None:
    spec = SPECS[resource]
    before = fingerprint()
    response = perform(world, spec, method, persona)
    assert response.status_code == status, response.content
    after = fingerprint()
    if method in ("list", "retrieve") or status >= 400:
        assert after == before
    else:
        assert after != before
    if status == 200 and method == "retrieve":
        assert response.headers["ETag"] == f'"{getattr(world, spec.target).version}"'
    if status == 200 and method == "list":
        assert response.json()["count"] >= 1


RESULTS_STATUS = {"executive": 200, "manager": 200, "updater": 200, "viewer": 403, "outsider_manager": 403,
                  "anonymous": 401}


@pytest.mark.parametrize("persona", PERSONAS)
def test_results_entry_is_open_to_updaters_and_managers_of_the_measures_unit_only(
    world: World, persona: str
) -> None:
    before = fingerprint()
    response = client_for(world.user(persona)).post(
        f"/api/units/{world.tree.ret_ec.pk}/results/",
        {"period": "2026-06-30", "values": [{"measure": world.measure.pk, "value": 97}]}, format="json",
    )
    assert response.status_code == RESULTS_STATUS[persona], response.content
    if response.status_code == 200:
        assert world.measure.actuals.get(period="2026-06-30").value == 97
    else:
        assert fingerprint() == before


def test_the_matrix_covers_every_resource_method_and_persona() -> None:
    # 13 resources x 6 methods + 2 progress PATCHes, x 6 personas; plus 6 results-entry cells.
    assert len(CELLS) == (13 * 6 + 2) * 6 == 480
