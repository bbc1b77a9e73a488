"""The admin for unit managers and updaters: lists, objects, choices and autocompletes limited to their units
through scorecard.access; another unit's object by direct URL is a 404; no create in another unit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User

from scorecard.models import (
    Actual,
    Alignment,
    CauseEffectLink,
    Initiative,
    Measure,
    Membership,
    Milestone,
    Objective,
    OrgUnit,
)
from tests.conftest import Personas, Tree
from tests.factories import (
    ActualFactory,
    AlignmentFactory,
    InitiativeFactory,
    MeasureFactory,
    MilestoneFactory,
    ObjectiveFactory,
    PerspectiveFactory,
    ThemeFactory,
)
from tests.test_admin_support import add_inline_row, errors_of, fingerprint, form_data, staff_client

URL = "/admin/scorecard/"


@dataclass
class Objects:
    """One object of each kind in each unit, keyed by unit code."""

    by_unit: dict[str, dict[str, Any]]


@pytest.fixture
def objects(tree: Tree) -> Objects:
    by_unit: dict[str, dict[str, Any]] = {}
    nw_objective = None
    for unit in (tree.nw, tree.ret, tree.ret_ec, tree.whs):
        m = unit.strategy_map
        perspective = PerspectiveFactory(map=m, code="F")
        objective = ObjectiveFactory(map=m, perspective=perspective, code=f"{unit.code}-O1")
        measure = MeasureFactory(objective=objective, code=f"{unit.code}-M1")
        initiative = InitiativeFactory(unit=unit, code=f"{unit.code}-I1")
        MilestoneFactory(initiative=initiative)
        row = {
            "orgunit": unit, "strategymap": m, "perspective": perspective, "theme": ThemeFactory(map=m),
            "objective": objective, "measure": measure, "actual": ActualFactory(measure=measure),
            "initiative": initiative,
        }
        if nw_objective is None:
            nw_objective = objective
        else:
            row["alignment"] = AlignmentFactory(objective=objective, supports=nw_objective)
        by_unit[unit.code] = row
    return Objects(by_unit)


MANAGER_MODELS = ["strategymap", "perspective", "theme", "objective", "alignment", "measure", "actual",
                  "initiative", "orgunit"]


def listed(response: Any) -> set[int]:
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


# ---------------------------------------------------------------------------------------------- lists
@pytest.mark.parametrize("model", MANAGER_MODELS)
def test_a_managers_changelist_shows_only_the_subtree(personas: Personas, objects: Objects, model: str) -> None:
    client = staff_client(personas.manager)
    shown = listed(client.get(f"{URL}{model}/"))
    expected = {objects.by_unit[code][model].pk for code in ("RET", "RET-EC") if model in objects.by_unit[code]}
    assert shown == expected


@pytest.mark.parametrize("model", [*MANAGER_MODELS, "membership"])
def test_an_executives_changelist_shows_every_unit(personas: Personas, objects: Objects, model: str) -> None:
    client = staff_client(personas.executive)
    shown = listed(client.get(f"{URL}{model}/"))
    if model == "membership":
        assert shown == set(Membership.objects.values_list("pk", flat=True))
    else:
        assert shown == {row[model].pk for row in objects.by_unit.values() if model in row}


@pytest.mark.parametrize("model", ["measure", "actual", "initiative"])
def test_an_updater_sees_the_subtrees_measures_actuals_and_initiatives(
    personas: Personas, objects: Objects, model: str
) -> None:
    shown = listed(staff_client(personas.updater).get(f"{URL}{model}/"))
    assert shown == {objects.by_unit[code][model].pk for code in ("RET", "RET-EC")}


@pytest.mark.parametrize("model", ["strategymap", "objective", "alignment", "orgunit", "membership"])
def test_an_updater_gets_403_on_map_content_units_and_memberships(
    personas: Personas, objects: Objects, model: str
) -> None:
    assert staff_client(personas.updater).get(f"{URL}{model}/").status_code == 403


def test_a_managers_unit_filter_offers_only_units_of_the_subtree(personas: Personas, objects: Objects) -> None:
    response = staff_client(personas.manager).get(f"{URL}objective/")
    unit_filter = next(f for f in response.context["cl"].filter_specs if f.title == "unit")
    assert {str(label) for _, label in unit_filter.lookup_choices} == {"RET Retail", "RET-EC E-commerce"}


def test_memberships_are_for_executives_only(personas: Personas, objects: Objects) -> None:
    client = staff_client(personas.manager)
    assert client.get(f"{URL}membership/").status_code == 403
    membership = Membership.objects.get(user=personas.manager)
    assert client.get(f"{URL}membership/{membership.pk}/change/").status_code in (403, 404)
    assert client.get(f"{URL}membership/add/").status_code == 403
    assert "Memberships" not in client.get("/admin/").text


def test_a_manager_views_the_subtrees_units_read_only(personas: Personas, objects: Objects, tree: Tree) -> None:
    client = staff_client(personas.manager)
    response = client.get(f"{URL}orgunit/{tree.ret.pk}/change/")
    assert response.status_code == 200 and "View org unit" in response.text
    before = fingerprint()
    data = {"code": "RET", "name": "Renamed", "parent": tree.nw.pk, "display_order": 0, "seen_version": 1}
    assert client.post(f"{URL}orgunit/{tree.ret.pk}/change/", data).status_code == 403
    assert client.get(f"{URL}orgunit/add/").status_code == 403
    assert fingerprint() == before


def test_a_staff_viewer_gets_an_empty_index_and_403_on_lists(personas: Personas, objects: Objects) -> None:
    client = staff_client(personas.viewer)
    index = client.get("/admin/")
    assert index.status_code == 200
    assert "Objectives" not in index.text
    assert client.get(f"{URL}objective/").status_code == 403


def test_a_manager_who_is_not_staff_is_sent_to_the_admin_login(personas: Personas, objects: Objects) -> None:
    from django.test import Client

    client = Client()
    client.force_login(personas.manager)
    response = client.get(f"{URL}objective/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# --------------------------------------------------------------------------------------- direct URLs
@pytest.mark.parametrize("model", MANAGER_MODELS)
@pytest.mark.parametrize("view", ["change", "history", "delete"])
def test_a_direct_url_to_another_units_object_is_a_404(
    personas: Personas, objects: Objects, model: str, view: str
) -> None:
    client = staff_client(personas.manager)
    foreign = objects.by_unit["WHS"][model]
    assert client.get(f"{URL}{model}/{foreign.pk}/{view}/").status_code == 404
    before = fingerprint()
    assert client.post(f"{URL}{model}/{foreign.pk}/{view}/", {"post": "yes"}).status_code in (403, 404)
    assert fingerprint() == before


@pytest.mark.parametrize("model", MANAGER_MODELS)
def test_a_direct_url_to_an_object_of_the_subtree_opens(personas: Personas, objects: Objects, model: str) -> None:
    client = staff_client(personas.manager)
    own = objects.by_unit["RET-EC"][model]
    assert client.get(f"{URL}{model}/{own.pk}/change/").status_code == 200
    assert client.get(f"{URL}{model}/{own.pk}/history/").status_code == 200


def test_a_history_record_of_another_units_object_is_a_404(personas: Personas, objects: Objects) -> None:
    foreign = objects.by_unit["WHS"]["objective"]
    record = foreign.history.first()
    url = f"{URL}objective/{foreign.pk}/history/{record.history_id}/"
    assert staff_client(personas.manager).get(url).status_code == 404


# ------------------------------------------------------------------------------------------- choices
def autocomplete(client: Any, model: str, field: str, term: str = "") -> set[str]:
    response = client.get("/admin/autocomplete/", {"app_label": "scorecard", "model_name": model,
                                                   "field_name": field, "term": term})
    assert response.status_code == 200, response.status_code
    return {row["text"] for row in response.json()["results"]}


def test_the_map_autocomplete_offers_a_manager_only_the_subtrees_maps(personas: Personas, objects: Objects) -> None:
    texts = autocomplete(staff_client(personas.manager), "objective", "map")
    assert texts == {"RET: RET strategy", "RET-EC: RET-EC strategy"}


def test_the_effect_autocomplete_of_a_link_offers_only_the_subtrees_objectives(
    personas: Personas, objects: Objects
) -> None:
    texts = autocomplete(staff_client(personas.manager), "causeeffectlink", "effect")
    assert {t.split()[0] for t in texts} == {"RET-O1", "RET-EC-O1"}


def test_the_supports_autocomplete_offers_objectives_above_to_align_to(personas: Personas, objects: Objects) -> None:
    # Objectives of ancestor units are what an alignment points at; a manager reads them but does not manage them.
    texts = autocomplete(staff_client(personas.manager), "alignment", "supports")
    assert "NW-O1 Objective NW-O1" in texts
    assert "NW-O1 Objective NW-O1" not in autocomplete(staff_client(personas.manager), "alignment", "objective")


def test_the_measure_autocomplete_offers_an_updater_the_subtrees_measures(personas: Personas, objects: Objects) -> None:
    texts = autocomplete(staff_client(personas.updater), "actual", "measure")
    assert {t.split()[0] for t in texts} == {"RET-M1", "RET-EC-M1"}


def test_the_unit_autocomplete_of_an_initiative_is_limited_and_searchable(personas: Personas, objects: Objects) -> None:
    client = staff_client(personas.manager)
    assert autocomplete(client, "initiative", "unit") == {"RET Retail", "RET-EC E-commerce"}
    assert autocomplete(client, "initiative", "unit", "commerce") == {"RET-EC E-commerce"}


def test_a_manager_may_look_up_owners_but_not_open_the_user_list(personas: Personas, objects: Objects) -> None:
    client = staff_client(personas.manager)
    response = client.get("/admin/autocomplete/", {"app_label": "scorecard", "model_name": "objective",
                                                   "field_name": "owner", "term": "ret_"})
    assert response.status_code == 200
    assert {r["text"] for r in response.json()["results"]} >= {"ret_manager", "ret_updater"}
    assert client.get("/admin/auth/user/").status_code == 403
    assert staff_client(personas.viewer).get("/admin/autocomplete/", {
        "app_label": "scorecard", "model_name": "objective", "field_name": "owner"}).status_code == 403


def test_the_form_choices_of_a_foreign_key_are_limited_to_the_subtree(personas: Personas, objects: Objects) -> None:
    response = staff_client(personas.manager).get(f"{URL}objective/add/")
    form = response.context["adminform"].form
    assert {m.unit.code for m in form.fields["map"].queryset} == {"RET", "RET-EC"}
    assert {p.map.unit.code for p in form.fields["perspective"].queryset} == {"RET", "RET-EC"}


# --------------------------------------------------------------------------------- writes elsewhere
def test_a_manager_cannot_create_an_objective_in_another_units_map(personas: Personas, objects: Objects) -> None:
    client = staff_client(personas.manager)
    whs = objects.by_unit["WHS"]
    data = form_data(client.get(f"{URL}objective/add/"))
    data.update(map=whs["strategymap"].pk, perspective=whs["perspective"].pk, code="X1", name="Sneaky", weight=1)
    before = fingerprint()
    assert "Select a valid choice" in errors_of(client.post(f"{URL}objective/add/", data))
    assert fingerprint() == before


def test_a_manager_creates_an_objective_in_a_map_of_the_subtree(personas: Personas, objects: Objects) -> None:
    client = staff_client(personas.manager)
    ec = objects.by_unit["RET-EC"]
    data = form_data(client.get(f"{URL}objective/add/"))
    data.update(map=ec["strategymap"].pk, perspective=ec["perspective"].pk, code="E9", name="Own", weight=1)
    response = client.post(f"{URL}objective/add/", data)
    assert response.status_code == 302, errors_of(response)
    assert Objective.objects.get(code="E9").map == ec["strategymap"]


def test_a_manager_cannot_move_an_objective_to_another_units_map(personas: Personas, objects: Objects) -> None:
    client = staff_client(personas.manager)
    own = objects.by_unit["RET"]["objective"]
    whs = objects.by_unit["WHS"]
    data = form_data(client.get(f"{URL}objective/{own.pk}/change/"))
    data.update(map=whs["strategymap"].pk, perspective=whs["perspective"].pk)
    before = fingerprint()
    assert "Select a valid choice" in errors_of(client.post(f"{URL}objective/{own.pk}/change/", data))
    assert fingerprint() == before


def test_a_manager_cannot_link_an_inline_row_to_another_units_objective(personas: Personas, objects: Objects) -> None:
    client = staff_client(personas.manager)
    own = objects.by_unit["RET"]["objective"]
    data = form_data(client.get(f"{URL}objective/{own.pk}/change/"))
    add_inline_row(data, "effect_links", {"effect": objects.by_unit["WHS"]["objective"].pk})
    before = fingerprint()
    assert "Select a valid choice" in errors_of(client.post(f"{URL}objective/{own.pk}/change/", data))
    assert fingerprint() == before
    assert not CauseEffectLink.objects.exists()


@pytest.mark.parametrize("model,fields", [
    ("initiative", lambda w: {"unit": w["orgunit"].pk, "code": "X", "name": "x", "budget": 0, "spent": 0,
                              "percent_complete": 0}),
    ("measure", lambda w: {"objective": w["objective"].pk, "code": "X", "name": "x", "polarity": "increasing",
                           "scoring": "goal_red_flag", "frequency": "quarterly", "weight": 1}),
    ("alignment", lambda w: {"objective": w["objective"].pk, "supports": None, "weight": 1}),
    ("strategymap", lambda w: {"unit": w["orgunit"].pk, "title": "x", "red_flag_percent": 10,
                               "rollup": "weighted_average"}),
])
def test_a_manager_cannot_create_anything_in_another_unit(
    personas: Personas, objects: Objects, model: str, fields: Any
) -> None:
    client = staff_client(personas.manager)
    data = form_data(client.get(f"{URL}{model}/add/"))
    body = fields(objects.by_unit["WHS"])
    if "supports" in body:
        body["supports"] = objects.by_unit["NW"]["objective"].pk
    data.update(body)
    before = fingerprint()
    assert "Select a valid choice" in errors_of(client.post(f"{URL}{model}/add/", data))
    assert fingerprint() == before


def test_a_manager_aligns_an_own_objective_to_one_above(personas: Personas, objects: Objects) -> None:
    client = staff_client(personas.manager)
    data = form_data(client.get(f"{URL}alignment/add/"))
    data.update(objective=objects.by_unit["RET-EC"]["objective"].pk,
                supports=objects.by_unit["RET"]["objective"].pk, weight=2)
    response = client.post(f"{URL}alignment/add/", data)
    assert response.status_code == 302, errors_of(response)
    assert Alignment.objects.filter(objective__code="RET-EC-O1", supports__code="RET-O1", weight=2).exists()


def test_a_managers_cascade_offers_only_child_units_they_manage(personas: Personas, objects: Objects) -> None:
    client = staff_client(personas.manager)
    ret = objects.by_unit["RET"]["objective"]
    body = {"action": "cascade_to_child_unit", "_selected_action": [ret.pk]}
    page = client.post(f"{URL}objective/", body)
    assert {u.code for u in page.context["form"].fields["child"].queryset} == {"RET-EC"}
    response = client.post(f"{URL}objective/", {**body, "apply": "1", "child": objects.by_unit["RET-EC"][
        "orgunit"].pk}, follow=True)
    assert "Cascaded 1 objective(s) to RET-EC" in response.text
    assert Alignment.objects.filter(objective__map__unit__code="RET-EC", supports=ret).exists()


def test_a_managers_cascade_of_another_units_objective_finds_nothing(personas: Personas, objects: Objects) -> None:
    client = staff_client(personas.manager)
    foreign = objects.by_unit["NW"]["objective"]
    before = fingerprint()
    response = client.post(f"{URL}objective/", {"action": "cascade_to_child_unit", "_selected_action": [foreign.pk],
                                                "apply": "1", "child": objects.by_unit["RET"]["orgunit"].pk})
    # The selection is taken from the manager's own list, where NW's objective is not: nothing to do.
    assert response.status_code == 302
    assert fingerprint() == before


# ------------------------------------------------------------------------------------------- updaters
def test_an_updater_changes_initiative_progress_but_not_its_definition(personas: Personas, objects: Objects) -> None:
    client = staff_client(personas.updater)
    initiative = objects.by_unit["RET"]["initiative"]
    response = client.get(f"{URL}initiative/{initiative.pk}/change/")
    form = response.context["adminform"].form
    assert set(form.fields) == {"spent", "percent_complete", "status_note", "seen_version"}
    data = form_data(response)
    data.update(percent_complete="55", spent="1000", name="Hijacked", budget="999999999")
    milestone = Milestone.objects.get(initiative=initiative)
    data.update({"milestones-0-done": "2026-05-01", "milestones-0-name": "Renamed"})
    response = client.post(f"{URL}initiative/{initiative.pk}/change/", data)
    assert response.status_code == 302, errors_of(response)
    initiative.refresh_from_db()
    milestone.refresh_from_db()
    assert (initiative.percent_complete, initiative.spent, initiative.name) == (55, 1000, "Initiative RET-I1")
    assert initiative.budget == 100000
    assert (str(milestone.done), milestone.name.startswith("Milestone")) == ("2026-05-01", True)


def test_an_updater_cannot_add_an_initiative_or_change_a_measure(personas: Personas, objects: Objects) -> None:
    client = staff_client(personas.updater)
    assert client.get(f"{URL}initiative/add/").status_code == 403
    measure = objects.by_unit["RET"]["measure"]
    assert "View measure" in client.get(f"{URL}measure/{measure.pk}/change/").text
    before = fingerprint()
    assert client.post(f"{URL}measure/{measure.pk}/change/", {"name": "x"}).status_code == 403
    assert fingerprint() == before


def test_an_updater_records_an_actual_in_the_subtree_but_not_elsewhere(personas: Personas, objects: Objects) -> None:
    client = staff_client(personas.updater)
    data = form_data(client.get(f"{URL}actual/add/"))
    data.update(measure=objects.by_unit["RET-EC"]["measure"].pk, period="2026-09-30", value="7")
    response = client.post(f"{URL}actual/add/", data)
    assert response.status_code == 302, errors_of(response)
    assert Actual.objects.get(period="2026-09-30").entered_by == personas.updater
    data.update(measure=objects.by_unit["WHS"]["measure"].pk, period="2026-12-31")
    before = fingerprint()
    assert "Select a valid choice" in errors_of(client.post(f"{URL}actual/add/", data))
    assert fingerprint() == before


def test_an_outsider_manager_sees_none_of_retail(personas: Personas, objects: Objects) -> None:
    client = staff_client(personas.outsider_manager)
    shown = listed(client.get(f"{URL}initiative/"))
    assert shown == {objects.by_unit["WHS"]["initiative"].pk}
    assert not Initiative.objects.filter(pk__in=shown, unit__code__startswith="RET").exists()
    assert Measure.objects.count() == 4 and OrgUnit.objects.count() == 4
    assert User.objects.filter(username="whs_manager").exists()


@pytest.mark.parametrize("term", ["\x00", "x" * 3000, "%", "_", "' OR 1=1 --"])
def test_garbage_in_an_autocomplete_search_stays_in_scope_and_is_never_a_500(
    personas: Personas, objects: Objects, term: str
) -> None:
    found = autocomplete(staff_client(personas.manager), "objective", "map", term)
    assert found <= {"RET: RET strategy", "RET-EC: RET-EC strategy"}


@pytest.mark.parametrize("params", [{}, {"app_label": "scorecard"}, {"app_label": "nope", "model_name": "x",
                                    "field_name": "y"}, {"app_label": "scorecard", "model_name": "objective",
                                                        "field_name": "name"}])
def test_a_malformed_autocomplete_request_is_a_403(personas: Personas, objects: Objects,
                                                  params: dict[str, str]) -> None:
    assert staff_client(personas.manager).get("/admin/autocomplete/", params).status_code == 403
