"""The admin as executives use it: drafting maps, objectives, measures and initiatives through the admin views;
every bad input of issue 2 the admin can receive ends as a form error that names the problem and writes
nothing; the "cascade to a child unit" action; the stale-save guard; history."""

from __future__ import annotations

import datetime as dt
import re
import threading
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from scorecard.admin_base import check_not_stale
from scorecard.models import (
    Actual,
    Alignment,
    CauseEffectLink,
    Initiative,
    Measure,
    Objective,
    OrgUnit,
    Perspective,
    StrategyMap,
)
from tests.conftest import Personas, Tree
from tests.factories import (
    ActualFactory,
    CauseEffectLinkFactory,
    ImpactFactory,
    InitiativeFactory,
    MeasureFactory,
    MilestoneFactory,
    ObjectiveFactory,
    OrgUnitFactory,
    PerspectiveFactory,
    ThemeFactory,
)
from tests.test_admin_support import add_inline_row, errors_of, fingerprint, form_data, staff_client

URL = "/admin/scorecard/"


@pytest.fixture
def exec_client(personas: Personas) -> Any:
    return staff_client(personas.executive)


def change_form(client: Any, model: str, pk: int) -> dict[str, Any]:
    response = client.get(f"{URL}{model}/{pk}/change/")
    assert response.status_code == 200
    return form_data(response)


def add_form(client: Any, model: str) -> dict[str, Any]:
    response = client.get(f"{URL}{model}/add/")
    assert response.status_code == 200
    return form_data(response)


# -------------------------------------------------------------------------------------------- drafting
def test_the_admin_index_lists_every_scorecard_model_for_an_executive(exec_client: Any) -> None:
    response = exec_client.get("/admin/")
    assert response.status_code == 200
    for name in ("Org units", "Strategy maps", "Perspectives", "Themes", "Objectives", "Alignments", "Measures",
                 "Actuals", "Initiatives", "Memberships"):
        assert name in response.text


def test_a_new_map_gets_the_four_classic_perspectives_when_none_are_entered(exec_client: Any, tree: Tree) -> None:
    unit = OrgUnitFactory(code="NEW", parent=tree.nw)
    data = add_form(exec_client, "strategymap")
    data.update(unit=unit.pk, title="New strategy", red_flag_percent=10, rollup="weighted_average")
    response = exec_client.post(f"{URL}strategymap/add/", data)
    assert response.status_code == 302, errors_of(response)
    new_map = StrategyMap.objects.get(unit=unit)
    assert list(new_map.perspectives.values_list("code", "position")) == [("F", 0), ("C", 1), ("P", 2), ("L", 3)]


def test_a_new_map_keeps_the_perspectives_entered_inline_and_gets_no_defaults(exec_client: Any, tree: Tree) -> None:
    unit = OrgUnitFactory(code="GOV", parent=tree.nw)
    data = add_form(exec_client, "strategymap")
    data.update(unit=unit.pk, title="Public", red_flag_percent=10, rollup="worst_child")
    add_inline_row(data, "perspectives", {"code": "M", "name": "Mission", "position": 0, "weight": 2})
    add_inline_row(data, "perspectives", {"code": "S", "name": "Stewardship", "position": 1, "weight": 1})
    add_inline_row(data, "themes", {"code": "SAFE", "name": "Safe city"})
    response = exec_client.post(f"{URL}strategymap/add/", data)
    assert response.status_code == 302, errors_of(response)
    new_map = StrategyMap.objects.get(unit=unit)
    assert list(new_map.perspectives.values_list("code", "weight")) == [("M", 2.0), ("S", 1.0)]
    assert list(new_map.themes.values_list("code", flat=True)) == ["SAFE"]


def test_an_executive_creates_an_objective_with_measures_and_links_inline(exec_client: Any, tree: Tree) -> None:
    nw_map = tree.nw.strategy_map
    perspective = PerspectiveFactory(map=nw_map, code="C", name="Customer", position=1)
    effect = ObjectiveFactory(map=nw_map, perspective=perspective, code="C1")
    theme = ThemeFactory(map=nw_map)
    data = add_form(exec_client, "objective")
    data.update(map=nw_map.pk, perspective=perspective.pk, theme=theme.pk, code="C2", name="Delight customers",
                weight=2)
    add_inline_row(data, "measures", {"code": "C2.1", "name": "NPS", "polarity": "increasing",
                                      "scoring": "goal_red_flag", "frequency": "quarterly", "target": 40,
                                      "weight": 1})
    add_inline_row(data, "effect_links", {"effect": effect.pk, "note": "loyal customers buy more"})
    response = exec_client.post(f"{URL}objective/add/", data)
    assert response.status_code == 302, errors_of(response)
    created = Objective.objects.get(map=nw_map, code="C2")
    assert created.theme == theme and created.weight == 2
    measure = Measure.objects.get(objective=created)
    assert (measure.code, measure.map_id, measure.target) == ("C2.1", nw_map.pk, 40)
    assert CauseEffectLink.objects.filter(cause=created, effect=effect, note="loyal customers buy more").exists()


def test_an_executive_changes_and_deletes_an_objective(exec_client: Any, tree: Tree) -> None:
    objective = ObjectiveFactory(map=tree.nw.strategy_map, code="F9", name="Old name")
    data = change_form(exec_client, "objective", objective.pk)
    data["name"] = "New name"
    response = exec_client.post(f"{URL}objective/{objective.pk}/change/", data)
    assert response.status_code == 302, errors_of(response)
    objective.refresh_from_db()
    assert (objective.name, objective.version) == ("New name", 2)
    response = exec_client.post(f"{URL}objective/{objective.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Objective.objects.filter(pk=objective.pk).exists()


def test_an_executive_records_an_actual_and_is_stamped_as_its_author(exec_client: Any, personas: Personas) -> None:
    measure = MeasureFactory(objective__map__unit__code="NW")
    data = add_form(exec_client, "actual")
    data.update(measure=measure.pk, period="2026-06-30", value="12.5", note="Q2")
    response = exec_client.post(f"{URL}actual/add/", data)
    assert response.status_code == 302, errors_of(response)
    actual = Actual.objects.get(measure=measure, period=dt.date(2026, 6, 30))
    assert (actual.value, actual.entered_by) == (12.5, personas.executive)


def test_history_of_an_object_is_visible_with_who_changed_it(exec_client: Any, tree: Tree) -> None:
    objective = ObjectiveFactory(map=tree.nw.strategy_map, code="F9")
    data = change_form(exec_client, "objective", objective.pk)
    data["name"] = "Renamed for history"
    assert exec_client.post(f"{URL}objective/{objective.pk}/change/", data).status_code == 302
    response = exec_client.get(f"{URL}objective/{objective.pk}/history/")
    assert response.status_code == 200
    assert "Renamed for history" in response.text and "exec" in response.text
    assert objective.history.first().history_user.username == "exec"


def test_the_history_of_an_objective_lists_its_links_and_alignments_removed_ones_included(
    exec_client: Any, tree: Tree, personas: Personas
) -> None:
    from scorecard.history import acting_as
    from scorecard.services import delete_object

    smap = tree.nw.strategy_map
    effect = ObjectiveFactory(map=smap, code="F9", name="Grow")
    with acting_as(personas.executive):
        cause = ObjectiveFactory(map=smap, code="C9", name="Keep", perspective=effect.perspective)
        link = CauseEffectLinkFactory(cause=cause, effect=effect, note="first note")
        delete_object(link)
    page = exec_client.get(f"{URL}objective/{effect.pk}/history/").text
    assert "Cause-effect links" in page and page.count("C9 → F9") == 2  # created, then deleted
    assert "deleted" in page and "exec" in page


def test_the_history_of_a_measure_shows_its_targets_as_columns(exec_client: Any, tree: Tree) -> None:
    measure = MeasureFactory(objective=ObjectiveFactory(map=tree.nw.strategy_map, code="F9"), target=80, red_flag=70)
    data = change_form(exec_client, "measure", measure.pk)
    data["target"] = "85"
    assert exec_client.post(f"{URL}measure/{measure.pk}/change/", data).status_code == 302, "saved"
    page = exec_client.get(f"{URL}measure/{measure.pk}/history/").text
    assert '<th scope="col">target</th>' in page and '<th scope="col">red_flag</th>' in page
    assert "<td>85.0</td>" in page and "<td>80.0</td>" in page  # the target of each version, a column
    assert re.search(r"<strong>Target:</strong>\s*80\.0\s*&nbsp;&rarr;&nbsp;&nbsp;85\.0", page)


def test_the_history_of_an_initiative_lists_its_links_to_objectives_and_milestones(
    exec_client: Any, tree: Tree
) -> None:
    initiative = InitiativeFactory(unit=tree.nw, code="X1")
    objective = ObjectiveFactory(map=tree.nw.strategy_map, code="F9")
    ImpactFactory(initiative=initiative, objective=objective)
    MilestoneFactory(initiative=initiative, name="Pilot live")
    page = exec_client.get(f"{URL}initiative/{initiative.pk}/history/").text
    assert "Links to objectives" in page and "NW F9" in page
    assert "Milestones" in page and "Pilot live" in page


def test_reverting_from_history_is_refused_because_it_would_skip_the_guards(exec_client: Any, tree: Tree) -> None:
    objective = ObjectiveFactory(map=tree.nw.strategy_map, code="F9")
    record = objective.history.first()
    url = f"{URL}objective/{objective.pk}/history/{record.history_id}/"
    assert exec_client.get(url).status_code == 200
    assert exec_client.post(url, {"name": "x"}).status_code == 403


# ------------------------------------------------------------------------------------------- bad input
def assert_refused(client: Any, url: str, data: dict[str, Any], *needles: str) -> None:
    before = fingerprint()
    response = client.post(url, data)
    text = errors_of(response)
    for needle in needles:
        assert needle in text, text
    assert fingerprint() == before


def test_a_link_that_closes_a_cycle_is_a_form_error_naming_the_cycle(exec_client: Any, tree: Tree) -> None:
    a = ObjectiveFactory(map=tree.nw.strategy_map, code="L1")
    b = ObjectiveFactory(map=tree.nw.strategy_map, code="P2")
    CauseEffectLinkFactory(cause=b, effect=a)
    data = change_form(exec_client, "objective", a.pk)
    add_inline_row(data, "effect_links", {"effect": b.pk})
    assert_refused(exec_client, f"{URL}objective/{a.pk}/change/", data, "cycle L1 -> P2 -> L1")


def test_a_cycle_closed_through_a_chain_of_existing_links_is_refused(exec_client: Any, tree: Tree) -> None:
    m = tree.nw.strategy_map
    a, b, c = (ObjectiveFactory(map=m, code=code) for code in ("A", "B", "C"))
    CauseEffectLinkFactory(cause=b, effect=c)
    CauseEffectLinkFactory(cause=c, effect=a)
    data = change_form(exec_client, "objective", a.pk)
    add_inline_row(data, "effect_links", {"effect": b.pk})
    add_inline_row(data, "effect_links", {"effect": ObjectiveFactory(map=m, code="D").pk})
    assert_refused(exec_client, f"{URL}objective/{a.pk}/change/", data, "cycle A -> B -> C -> A")


def test_a_link_across_maps_is_a_form_error(exec_client: Any, tree: Tree) -> None:
    a = ObjectiveFactory(map=tree.nw.strategy_map, code="F1")
    other = ObjectiveFactory(map=tree.ret.strategy_map, code="R1")
    data = change_form(exec_client, "objective", a.pk)
    add_inline_row(data, "effect_links", {"effect": other.pk})
    assert_refused(exec_client, f"{URL}objective/{a.pk}/change/", data, "crosses maps")


def test_a_link_to_itself_is_a_form_error(exec_client: Any, tree: Tree) -> None:
    a = ObjectiveFactory(map=tree.nw.strategy_map, code="F1")
    data = change_form(exec_client, "objective", a.pk)
    add_inline_row(data, "effect_links", {"effect": a.pk})
    assert_refused(exec_client, f"{URL}objective/{a.pk}/change/", data, "cannot cause itself")


@pytest.mark.parametrize("field", ["perspective", "theme"])
def test_a_perspective_or_theme_of_another_map_is_a_form_error(exec_client: Any, tree: Tree, field: str) -> None:
    objective = ObjectiveFactory(map=tree.nw.strategy_map, code="F1")
    foreign = {"perspective": PerspectiveFactory(map=tree.ret.strategy_map, code="X"),
               "theme": ThemeFactory(map=tree.ret.strategy_map, code="X")}[field]
    data = change_form(exec_client, "objective", objective.pk)
    data[field] = foreign.pk
    assert_refused(exec_client, f"{URL}objective/{objective.pk}/change/", data, f"{field} X belongs to another map")


def test_a_duplicate_objective_code_in_the_map_is_a_form_error(exec_client: Any, tree: Tree) -> None:
    first = ObjectiveFactory(map=tree.nw.strategy_map, code="F1")
    data = add_form(exec_client, "objective")
    data.update(map=tree.nw.strategy_map.pk, perspective=first.perspective_id, code="F1", name="Again", weight=1)
    assert_refused(exec_client, f"{URL}objective/add/", data, "An objective with this code already exists")


def test_a_measure_code_taken_by_another_objective_of_the_map_is_a_form_error(exec_client: Any, tree: Tree) -> None:
    # The inline row cannot see the map (it is derived from the objective): the save catches it, rolls back
    # and shows it on the form.
    m = tree.nw.strategy_map
    MeasureFactory(objective=ObjectiveFactory(map=m, code="F1"), code="K1")
    other = ObjectiveFactory(map=m, code="F2")
    data = change_form(exec_client, "objective", other.pk)
    data["name"] = "Renamed too"
    add_inline_row(data, "measures", {"code": "K1", "name": "Clash", "polarity": "increasing",
                                      "scoring": "goal_red_flag", "frequency": "quarterly", "weight": 1})
    assert_refused(exec_client, f"{URL}objective/{other.pk}/change/", data,
                   "A measure with this code already exists in this map")
    assert Objective.objects.get(pk=other.pk).name != "Renamed too"


def test_two_new_measures_with_the_same_code_are_a_form_error(exec_client: Any, tree: Tree) -> None:
    objective = ObjectiveFactory(map=tree.nw.strategy_map, code="F1")
    data = change_form(exec_client, "objective", objective.pk)
    row = {"name": "Twin", "polarity": "increasing", "scoring": "goal_red_flag", "frequency": "quarterly",
           "weight": 1}
    add_inline_row(data, "measures", {"code": "T1", **row})
    add_inline_row(data, "measures", {"code": "T1", **row})
    assert_refused(exec_client, f"{URL}objective/{objective.pk}/change/", data, "already exists in this map")


@pytest.mark.parametrize("model,field", [("objective", "weight"), ("measure", "weight"),
                                          ("alignment", "weight"), ("initiative", "budget"),
                                          ("initiative", "spent")])
def test_a_negative_number_where_none_is_allowed_is_a_form_error(
    exec_client: Any, tree: Tree, model: str, field: str
) -> None:
    nw_objective = ObjectiveFactory(map=tree.nw.strategy_map, code="F1")
    obj = {
        "objective": lambda: nw_objective,
        "measure": lambda: MeasureFactory(objective=nw_objective),
        "alignment": lambda: Alignment.objects.create(
            objective=ObjectiveFactory(map=tree.ret.strategy_map), supports=nw_objective),
        "initiative": lambda: InitiativeFactory(unit=tree.nw),
    }[model]()
    data = change_form(exec_client, model, obj.pk)
    data[field] = "-1"
    assert_refused(exec_client, f"{URL}{model}/{obj.pk}/change/", data, "greater than or equal to 0")


def test_a_negative_perspective_weight_inline_is_a_form_error(exec_client: Any, tree: Tree) -> None:
    m = tree.nw.strategy_map
    PerspectiveFactory(map=m)
    data = change_form(exec_client, "strategymap", m.pk)
    data["perspectives-0-weight"] = "-2"
    assert_refused(exec_client, f"{URL}strategymap/{m.pk}/change/", data, "greater than or equal to 0")


def test_percent_complete_over_100_is_a_form_error(exec_client: Any, tree: Tree) -> None:
    initiative = InitiativeFactory(unit=tree.nw)
    data = change_form(exec_client, "initiative", initiative.pk)
    data["percent_complete"] = "101"
    assert_refused(exec_client, f"{URL}initiative/{initiative.pk}/change/", data, "less than or equal to 100")


def test_an_end_before_the_start_is_a_form_error(exec_client: Any, tree: Tree) -> None:
    initiative = InitiativeFactory(unit=tree.nw, code="CRM")
    data = change_form(exec_client, "initiative", initiative.pk)
    data.update(start="2026-06-01", end="2026-05-31")
    assert_refused(exec_client, f"{URL}initiative/{initiative.pk}/change/", data,
                   "Initiative CRM: the end 2026-05-31 is before the start 2026-06-01")


def test_an_impact_on_a_cousin_units_objective_is_a_form_error(exec_client: Any, tree: Tree) -> None:
    initiative = InitiativeFactory(unit=tree.ret, code="CRM")
    cousin = ObjectiveFactory(map=tree.whs.strategy_map, code="W1")
    data = change_form(exec_client, "initiative", initiative.pk)
    add_inline_row(data, "impacts", {"objective": cousin.pk, "weight": 1})
    assert_refused(exec_client, f"{URL}initiative/{initiative.pk}/change/", data,
                   "an initiative impacts objectives of its own unit")


@pytest.mark.parametrize("target,needle", [("own", "of its own unit"), ("descendant", "is a descendant"),
                                            ("cousin", "not an ancestor (a cousin)")])
def test_an_alignment_to_the_own_unit_a_descendant_or_a_cousin_is_a_form_error(
    exec_client: Any, tree: Tree, target: str, needle: str
) -> None:
    objective = ObjectiveFactory(map=tree.ret.strategy_map, code="R1")
    unit = {"own": tree.ret, "descendant": tree.ret_ec, "cousin": tree.whs}[target]
    supports = ObjectiveFactory(map=unit.strategy_map, code="X1")
    data = add_form(exec_client, "alignment")
    data.update(objective=objective.pk, supports=supports.pk, weight=1)
    assert_refused(exec_client, f"{URL}alignment/add/", data, needle)


def test_a_duplicate_alignment_is_a_form_error(exec_client: Any, tree: Tree) -> None:
    objective = ObjectiveFactory(map=tree.ret.strategy_map)
    supports = ObjectiveFactory(map=tree.nw.strategy_map)
    Alignment.objects.create(objective=objective, supports=supports)
    data = add_form(exec_client, "alignment")
    data.update(objective=objective.pk, supports=supports.pk, weight=1)
    assert_refused(exec_client, f"{URL}alignment/add/", data, "This alignment already exists")


def test_a_unit_that_would_become_its_own_ancestor_is_a_form_error(exec_client: Any, tree: Tree) -> None:
    data = change_form(exec_client, "orgunit", tree.ret.pk)
    data["parent"] = tree.ret_ec.pk
    assert_refused(exec_client, f"{URL}orgunit/{tree.ret.pk}/change/", data, "would become its own ancestor")
    assert OrgUnit.objects.get(pk=tree.ret.pk).parent_id == tree.nw.pk


@pytest.mark.parametrize("value,needle", [("nan", "Enter a number"), ("inf", "Enter a number"),
                                           ("-Infinity", "Enter a number"), ("twelve", "Enter a number")])
def test_an_actual_that_is_not_a_finite_number_is_a_form_error(exec_client: Any, value: str, needle: str) -> None:
    measure = MeasureFactory()
    data = add_form(exec_client, "actual")
    data.update(measure=measure.pk, period="2026-06-30", value=value)
    assert_refused(exec_client, f"{URL}actual/add/", data, needle)


def test_an_actual_for_an_unknown_measure_or_a_period_that_is_no_date_is_a_form_error(exec_client: Any) -> None:
    measure = MeasureFactory()
    data = add_form(exec_client, "actual")
    data.update(measure=measure.pk + 999, period="2026-06-30", value="1")
    assert_refused(exec_client, f"{URL}actual/add/", data, "Select a valid choice")
    data.update(measure=measure.pk, period="end of June")
    assert_refused(exec_client, f"{URL}actual/add/", data, "Enter a valid date")


def test_a_second_actual_for_the_same_period_is_a_form_error(exec_client: Any) -> None:
    actual = ActualFactory()
    data = add_form(exec_client, "actual")
    data.update(measure=actual.measure_id, period=actual.period.isoformat(), value="5")
    assert_refused(exec_client, f"{URL}actual/add/", data, "already has a value for this period")


def test_a_bad_code_is_a_form_error(exec_client: Any, tree: Tree) -> None:
    data = add_form(exec_client, "orgunit")
    data.update(code="has space", name="Bad", parent=tree.nw.pk, display_order=0)
    assert_refused(exec_client, f"{URL}orgunit/add/", data, "may contain only letters, digits")


def test_deleting_a_perspective_that_objectives_use_is_a_form_error(exec_client: Any, tree: Tree) -> None:
    m = tree.nw.strategy_map
    ObjectiveFactory(map=m, perspective=PerspectiveFactory(map=m, code="F"))
    data = change_form(exec_client, "strategymap", m.pk)
    data["perspectives-0-DELETE"] = "on"
    assert_refused(exec_client, f"{URL}strategymap/{m.pk}/change/", data, "Deleting perspective")


# ---------------------------------------------------------------------------------------------- cascade
def test_cascading_objectives_to_a_child_unit_copies_and_aligns_each(exec_client: Any, tree: Tree) -> None:
    nw_map = tree.nw.strategy_map
    f1 = ObjectiveFactory(map=nw_map, code="F1", name="Grow revenue",
                          perspective=PerspectiveFactory(map=nw_map, code="F"))
    c2 = ObjectiveFactory(map=nw_map, code="C2", name="Delight customers",
                          perspective=PerspectiveFactory(map=nw_map, code="C", name="Customer", position=1))
    body = {"action": "cascade_to_child_unit", "_selected_action": [f1.pk, c2.pk]}
    page = exec_client.post(f"{URL}objective/", body)
    assert page.status_code == 200
    offered = {u.code for u in page.context["form"].fields["child"].queryset}
    assert offered == {"RET", "WHS", "RET-EC"}
    response = exec_client.post(f"{URL}objective/", {**body, "apply": "1", "child": tree.ret.pk}, follow=True)
    assert response.status_code == 200
    assert "Cascaded 2 objective(s) to RET" in response.text
    copies = Objective.objects.filter(map=tree.ret.strategy_map).order_by("code")
    assert [(c.code, c.name, c.perspective.code) for c in copies] == [
        ("C2", "Delight customers", "C"), ("F1", "Grow revenue", "F")]
    assert set(Alignment.objects.values_list("objective__code", "supports_id")) == {("C2", c2.pk), ("F1", f1.pk)}


def test_cascading_to_a_unit_that_is_not_below_is_refused_on_the_page(exec_client: Any, tree: Tree) -> None:
    r1 = ObjectiveFactory(map=tree.ret.strategy_map, code="R1")
    before = fingerprint()
    body = {"action": "cascade_to_child_unit", "_selected_action": [r1.pk], "apply": "1", "child": tree.whs.pk}
    response = exec_client.post(f"{URL}objective/", body)
    assert response.status_code == 200
    assert "Select a valid choice" in str(response.context["form"].errors)
    assert fingerprint() == before


def test_cascading_from_a_unit_without_children_says_so(exec_client: Any, tree: Tree) -> None:
    leaf = ObjectiveFactory(map=tree.ret_ec.strategy_map, code="E1")
    response = exec_client.post(f"{URL}objective/", {"action": "cascade_to_child_unit",
                                                      "_selected_action": [leaf.pk]}, follow=True)
    assert "There is no unit below" in response.text
    assert Objective.objects.count() == 1


def test_a_failing_cascade_writes_nothing_and_shows_the_reason(exec_client: Any, tree: Tree) -> None:
    # Objectives of NW and RET together: RET-EC is below both, so it is offered, and the cascade succeeds
    # for both; but cascading NW and RET objectives to WHS is not offered (WHS is not below RET).
    nw1 = ObjectiveFactory(map=tree.nw.strategy_map, code="F1")
    r1 = ObjectiveFactory(map=tree.ret.strategy_map, code="R1")
    body = {"action": "cascade_to_child_unit", "_selected_action": [nw1.pk, r1.pk]}
    page = exec_client.post(f"{URL}objective/", body)
    assert {u.code for u in page.context["form"].fields["child"].queryset} == {"RET-EC"}
    response = exec_client.post(f"{URL}objective/", {**body, "apply": "1", "child": tree.ret_ec.pk}, follow=True)
    assert "Cascaded 2 objective(s) to RET-EC" in response.text
    assert Objective.objects.filter(map=tree.ret_ec.strategy_map).count() == 2


# ------------------------------------------------------------------------------------------ stale saves
def test_a_stale_save_is_refused_with_a_message_and_changes_nothing(exec_client: Any, tree: Tree) -> None:
    objective = ObjectiveFactory(map=tree.nw.strategy_map, code="F1", name="Original")
    data = change_form(exec_client, "objective", objective.pk)
    # Someone else saves in between.
    other = Objective.objects.get(pk=objective.pk)
    other.name = "Theirs"
    other.save()
    data["name"] = "Mine"
    assert_refused(exec_client, f"{URL}objective/{objective.pk}/change/", data,
                   "changed by someone else since you opened it; reload")
    assert Objective.objects.get(pk=objective.pk).name == "Theirs"


def test_a_save_without_the_version_it_was_opened_at_is_refused(exec_client: Any, tree: Tree) -> None:
    initiative = InitiativeFactory(unit=tree.nw)
    data = change_form(exec_client, "initiative", initiative.pk)
    del data["seen_version"]
    data["name"] = "Mine"
    assert_refused(exec_client, f"{URL}initiative/{initiative.pk}/change/", data, "changed by someone else")


def test_a_stale_inline_row_is_refused_even_when_only_the_main_form_was_edited(exec_client: Any, tree: Tree) -> None:
    # The form would write the row's old values back over theirs: that is a lost update too.
    m = tree.nw.strategy_map
    PerspectiveFactory(map=m, code="F", position=0)
    theirs = PerspectiveFactory(map=m, code="C", name="Customer", position=1)
    data = change_form(exec_client, "strategymap", m.pk)
    theirs.name = "Clients"
    theirs.save()
    data["title"] = "Retitled"
    assert_refused(exec_client, f"{URL}strategymap/{m.pk}/change/", data, "perspective C Clients was changed by "
                   "someone else")
    assert Perspective.objects.get(pk=theirs.pk).name == "Clients"


def test_a_row_saved_elsewhere_without_a_change_does_not_block_the_save(exec_client: Any, tree: Tree) -> None:
    m = tree.nw.strategy_map
    row = PerspectiveFactory(map=m, code="F", position=0)
    data = change_form(exec_client, "strategymap", m.pk)
    row.save()  # a newer version with the same values: nothing of it would be overwritten
    data["title"] = "Retitled"
    response = exec_client.post(f"{URL}strategymap/{m.pk}/change/", data)
    assert response.status_code == 302, errors_of(response)
    assert StrategyMap.objects.get(pk=m.pk).title == "Retitled"
    assert Perspective.objects.get(pk=row.pk).version == 2


def test_an_inline_row_edited_from_a_stale_form_is_refused(exec_client: Any, tree: Tree) -> None:
    m = tree.nw.strategy_map
    theirs = PerspectiveFactory(map=m, code="C", name="Customer", position=1)
    data = change_form(exec_client, "strategymap", m.pk)
    theirs.name = "Customers again"
    theirs.save()
    data["perspectives-0-name"] = "Mine"
    assert_refused(exec_client, f"{URL}strategymap/{m.pk}/change/", data, "changed by someone else")
    assert Perspective.objects.get(pk=theirs.pk).name == "Customers again"


def test_saving_an_initiative_unchanged_bumps_the_version_once(exec_client: Any, tree: Tree) -> None:
    initiative = InitiativeFactory(unit=tree.nw)
    data = change_form(exec_client, "initiative", initiative.pk)
    assert data["seen_version"] == 1
    assert exec_client.post(f"{URL}initiative/{initiative.pk}/change/", data).status_code == 302
    assert Initiative.objects.get(pk=initiative.pk).version == 2


def test_the_save_time_guard_refuses_a_row_that_moved_on_since_the_form_was_read(tree: Tree) -> None:
    # The form compares with the row it loaded; under the row lock the save compares again (a race past clean()).
    objective = ObjectiveFactory(map=tree.nw.strategy_map, code="F1")
    seen = objective.version
    check_not_stale(objective, seen)  # nothing moved: no error
    Objective.objects.get(pk=objective.pk).save()
    with pytest.raises(ValidationError, match="changed by someone else since you opened it; reload"):
        check_not_stale(objective, seen)
    Objective.objects.filter(pk=objective.pk).delete()
    with pytest.raises(ValidationError, match="was deleted by someone else"):
        check_not_stale(objective, seen)


@pytest.mark.django_db(transaction=True)
def test_two_executives_saving_the_same_form_at_once_get_one_save_and_one_refusal(personas: Personas,
                                                                                    tree: Tree) -> None:
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(("file:", ":memory:")):
        pytest.skip("threads need a database they can share; SQLite in-memory test databases are per-connection")
    objective = ObjectiveFactory(map=tree.nw.strategy_map, code="F1", name="Original")
    data = change_form(staff_client(personas.executive), "objective", objective.pk)
    outcomes: list[int] = []
    start = threading.Barrier(2)

    def save(name: str) -> None:
        try:
            client = staff_client(personas.executive)
            start.wait()
            response = client.post(f"{URL}objective/{objective.pk}/change/", {**data, "name": name})
            outcomes.append(response.status_code)
            if response.status_code == 200:
                assert "changed by someone else" in errors_of(response)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(n,)) for n in ("left", "right")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == [200, 302]
    saved = Objective.objects.get(pk=objective.pk)
    assert (saved.version, saved.name in ("left", "right")) == (2, True)


# ------------------------------------------------------------------------------------------ every page
MODELS = ["orgunit", "strategymap", "perspective", "theme", "objective", "alignment", "measure", "actual",
          "initiative", "membership"]


@pytest.mark.parametrize("model", MODELS)
def test_every_add_and_change_page_renders_for_an_executive(exec_client: Any, personas: Personas,
                                                            tree: Tree, model: str) -> None:
    objective = ObjectiveFactory(map=tree.ret.strategy_map)
    obj = {
        "orgunit": lambda: tree.ret, "strategymap": lambda: tree.ret.strategy_map,
        "perspective": lambda: objective.perspective, "theme": lambda: ThemeFactory(map=tree.ret.strategy_map),
        "objective": lambda: objective,
        "alignment": lambda: Alignment.objects.create(objective=objective,
                                                      supports=ObjectiveFactory(map=tree.nw.strategy_map)),
        "measure": lambda: MeasureFactory(objective=objective), "actual": lambda: ActualFactory(),
        "initiative": lambda: InitiativeFactory(unit=tree.ret),
        "membership": lambda: personas.manager.memberships.get(),
    }[model]()
    assert exec_client.get(f"{URL}{model}/add/").status_code == 200
    response = exec_client.get(f"{URL}{model}/{obj.pk}/change/")
    assert response.status_code == 200
    assert 'name="seen_version"' in response.text
    assert exec_client.get(f"{URL}{model}/{obj.pk}/history/").status_code == 200
    assert exec_client.get(f"{URL}{model}/{obj.pk}/delete/").status_code == 200


def test_an_executive_creates_a_unit_and_grants_a_role(exec_client: Any, personas: Personas, tree: Tree) -> None:
    data = add_form(exec_client, "orgunit")
    data.update(code="RET-ST", name="Stores", kind="department", parent=tree.ret.pk, display_order=1)
    response = exec_client.post(f"{URL}orgunit/add/", data)
    assert response.status_code == 302, errors_of(response)
    stores = OrgUnit.objects.get(code="RET-ST")
    assert stores.path == f"{tree.ret.path}{stores.pk}/"
    data = add_form(exec_client, "membership")
    data.update(user=personas.viewer.pk, unit=stores.pk, role="manager")
    response = exec_client.post(f"{URL}membership/add/", data)
    assert response.status_code == 302, errors_of(response)
    assert personas.viewer.memberships.filter(unit=stores, role="manager").exists()
    data.update(role="owner")
    assert_refused(exec_client, f"{URL}membership/add/", data, "Select a valid choice")


def test_a_manager_deletes_an_objective_of_the_own_unit(personas: Personas, tree: Tree) -> None:
    objective = ObjectiveFactory(map=tree.ret_ec.strategy_map)
    MeasureFactory(objective=objective)
    client = staff_client(personas.manager)
    assert client.get(f"{URL}objective/{objective.pk}/delete/").status_code == 200
    assert client.post(f"{URL}objective/{objective.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Objective.objects.filter(pk=objective.pk).exists() and not Measure.objects.exists()


GARBAGE = ["", "x" * 5000, "\x00", "-1e309", "NaN", "9" * 40, "2026-02-30", "<script>alert(1)</script>", "[]"]


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("garbage", GARBAGE, ids=range(len(GARBAGE)))
def test_garbage_in_every_field_of_an_add_form_is_a_form_error_never_a_500(
    exec_client: Any, tree: Tree, model: str, garbage: str
) -> None:
    data = add_form(exec_client, model)
    fields = exec_client.get(f"{URL}{model}/add/").context["adminform"].form.fields
    body = {**data, **{name: garbage for name in fields}}
    before = fingerprint()
    response = exec_client.post(f"{URL}{model}/add/", body)
    assert response.status_code == 200
    assert errors_of(response)
    assert fingerprint() == before


@pytest.mark.parametrize("garbage", GARBAGE, ids=range(len(GARBAGE)))
def test_garbage_in_inline_rows_is_a_form_error_never_a_500(exec_client: Any, tree: Tree, garbage: str) -> None:
    objective = ObjectiveFactory(map=tree.nw.strategy_map, code="F1")
    data = change_form(exec_client, "objective", objective.pk)
    add_inline_row(data, "effect_links", {"effect": garbage or "x", "note": garbage})
    add_inline_row(data, "measures", {"code": garbage or "x", "name": garbage, "owner": garbage or "x",
                                      "polarity": garbage, "weight": garbage})
    before = fingerprint()
    response = exec_client.post(f"{URL}objective/{objective.pk}/change/", data)
    assert errors_of(response)
    assert fingerprint() == before


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("query", [{"q": "\x00"}, {"q": "x" * 3000}, {"o": "99.-x"}, {"p": "99999"},
                                   {"map__unit__id__exact": "x"}, {"unit__id__exact": "9" * 40},
                                   {"perspective__code": "\x00"}, {"period__gte": "garbage"}])
def test_garbage_in_a_changelists_query_string_is_never_a_500(exec_client: Any, tree: Tree, model: str,
                                                              query: dict[str, str]) -> None:
    ObjectiveFactory(map=tree.nw.strategy_map)
    response = exec_client.get(f"{URL}{model}/", query)
    assert response.status_code in (200, 302)


@pytest.mark.parametrize("selected", [["x"], ["9" * 40], ["1", "\x00"], ["-5"]], ids=range(4))
@pytest.mark.parametrize("action", ["cascade_to_child_unit", "delete_selected", "no_such_action"])
def test_a_garbage_selection_for_an_action_is_refused_with_a_message_never_a_500(
    exec_client: Any, tree: Tree, selected: list[str], action: str
) -> None:
    ObjectiveFactory(map=tree.nw.strategy_map)
    before = fingerprint()
    for extra in ({"index": "0"}, {"apply": "1", "child": "x"}, {"post": "yes"}):
        response = exec_client.post(f"{URL}objective/", {"action": action, "_selected_action": selected, **extra})
        assert response.status_code in (200, 302)
    assert fingerprint() == before


HUGE = "9" * 30


@pytest.mark.parametrize("path", ["x/change/", f"{HUGE}/change/", "x/history/", f"{HUGE}/history/", "x/delete/",
                                  f"{HUGE}/delete/", "{pk}/history/x/", "{pk}/history/" + HUGE + "/",
                                  "x/history/1/", "{pk}/history/-1/", "%00/change/"])
def test_a_garbage_id_in_an_admin_url_is_a_404_never_a_500(exec_client: Any, tree: Tree, path: str) -> None:
    objective = ObjectiveFactory(map=tree.nw.strategy_map)
    assert exec_client.get(f"{URL}objective/" + path.format(pk=objective.pk)).status_code == 404


def test_an_executive_reads_the_history_of_a_deleted_objective(exec_client: Any, tree: Tree) -> None:
    objective = ObjectiveFactory(map=tree.nw.strategy_map, code="GONE")
    pk = objective.pk
    objective.delete()
    response = exec_client.get(f"{URL}objective/{pk}/history/")
    assert response.status_code == 200 and "GONE" in response.text
