"""The pages that write: results entry, initiative create, link/unlink and progress. Real database."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from scorecard.models import Actual, Impact, Initiative, Milestone
from tests.factories import MeasureFactory
from tests.test_web_support import build_enterprise

pytestmark = pytest.mark.django_db

Q3 = "2026-09-30"
NEXT = dt.date(2026, 12, 31)


@pytest.fixture
def ent(tree: Any, personas: Any) -> Any:
    return build_enterprise(tree)


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def results_post(ent: Any, values: dict[int, str], period: str = "2026-12-31", notes: dict[int, str] | None = None
                 ) -> dict[str, str]:
    data = {"period": period}
    for m in ent.ret_measures:
        data[f"value_{m.pk}"] = values.get(m.pk, "")
        data[f"note_{m.pk}"] = (notes or {}).get(m.pk, "")
    return data


# ------------------------------------------------------------------------------------------- results entry
def test_a_manager_enters_a_periods_results_for_every_measure_at_once(ent: Any, personas: Any) -> None:
    m1, m2 = ent.ret_measures
    response = signed_in(personas.manager).post(
        "/units/RET/results/", results_post(ent, {m1.pk: "101.5", m2.pk: "1,200"}, notes={m1.pk: "Strong Q4"})
    )
    assert response.status_code == 302
    assert response["Location"] == "/units/RET/results/?period=2026-12-31"
    saved = {a.measure_id: a for a in Actual.objects.filter(period=NEXT)}
    assert saved[m1.pk].value == 101.5 and saved[m1.pk].note == "Strong Q4"
    assert saved[m1.pk].entered_by == personas.manager
    assert saved[m2.pk].value == 1200


def test_an_updater_may_enter_results_but_a_viewer_and_an_outside_manager_may_not(ent: Any, personas: Any) -> None:
    m1 = ent.ret_measures[0]
    assert signed_in(personas.updater).post("/units/RET/results/", results_post(ent, {m1.pk: "99"})).status_code == 302
    for user in (personas.viewer, personas.outsider_manager):
        refused = signed_in(user).get("/units/RET/results/")
        assert refused.status_code == 403
        assert "Your role does not let you change RET." in refused.content.decode()
        response = signed_in(user).post("/units/RET/results/", results_post(ent, {m1.pk: "5"}, period="2027-03-31"))
        assert response.status_code == 403
    assert not Actual.objects.filter(period=dt.date(2027, 3, 31)).exists()


def test_a_bad_cell_gets_its_own_message_and_nothing_is_saved(ent: Any, personas: Any) -> None:
    m1, m2 = ent.ret_measures
    before = Actual.objects.count()
    response = signed_in(personas.manager).post(
        "/units/RET/results/", results_post(ent, {m1.pk: "120", m2.pk: "lots"})
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "R2.1: “lots” is not a number." in page
    assert "Nothing was saved." in page
    assert 'aria-invalid="true"' in page
    assert Actual.objects.count() == before
    # The good cell keeps what was typed, so the user fixes only the bad one.
    assert 'value="120"' in page


def test_infinity_a_non_month_end_period_and_a_note_without_value_are_refused(ent: Any, personas: Any) -> None:
    m1, m2 = ent.ret_measures
    client = signed_in(personas.manager)
    page = client.post("/units/RET/results/", results_post(ent, {m1.pk: "inf"})).content.decode()
    assert "R1.1: the value must be a finite number." in page
    page = client.post("/units/RET/results/", results_post(ent, {m1.pk: "1"}, period="2026-12-15")).content.decode()
    assert "2026-12-15 is not the last day of a month" in page
    page = client.post("/units/RET/results/", results_post(ent, {}, notes={m2.pk: "why"})).content.decode()
    assert "R2.1: a commentary needs a value for the period." in page
    page = client.post("/units/RET/results/", results_post(ent, {})).content.decode()
    assert "Nothing to save: enter at least one value." in page
    assert not Actual.objects.filter(period__gt=dt.date(2026, 9, 30)).exists()


def test_yes_no_measures_take_yes_and_no(ent: Any, personas: Any) -> None:
    yes_no = MeasureFactory(objective=ent.ret_objectives[0], code="YN", scoring="yes_no", target=1)
    client = signed_in(personas.manager)
    data = results_post(ent, {})
    data[f"value_{yes_no.pk}"] = "Yes"
    data[f"note_{yes_no.pk}"] = ""
    assert client.post("/units/RET/results/", data).status_code == 302
    assert Actual.objects.get(measure=yes_no, period=NEXT).value == 1.0
    data[f"value_{yes_no.pk}"] = "maybe"
    assert "YN: enter yes or no" in client.post("/units/RET/results/", data).content.decode()


def test_the_grid_shows_the_values_already_recorded_for_the_period(ent: Any, personas: Any) -> None:
    page = signed_in(personas.manager).get(f"/units/RET/results/?period={Q3}").content.decode()
    assert 'value="110"' in page and 'value="Quarter 4 note"' in page
    assert 'value="2026-09-30"' in page


def test_a_period_that_is_no_date_is_a_400_naming_the_parameter(ent: Any, personas: Any) -> None:
    response = signed_in(personas.manager).get("/units/RET/results/?period=soon")
    assert response.status_code == 400
    assert "period: “soon” is not a date" in response.content.decode()


def test_forms_need_a_csrf_token(ent: Any, personas: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.manager)
    m1 = ent.ret_measures[0]
    assert client.post("/units/RET/results/", results_post(ent, {m1.pk: "1"})).status_code == 403
    assert not Actual.objects.filter(period=NEXT).exists()
    page = client.get("/units/RET/results/").content.decode()
    assert 'name="csrfmiddlewaretoken"' in page


def test_anonymous_users_are_sent_to_sign_in_and_unknown_units_are_404(ent: Any, personas: Any) -> None:
    response = Client().get("/units/RET/results/")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
    assert signed_in(personas.manager).get("/units/NOPE/results/").status_code == 404


# --------------------------------------------------------------------------------------------- initiatives
def test_a_manager_creates_an_initiative_for_the_unit(ent: Any, personas: Any) -> None:
    response = signed_in(personas.manager).post("/units/RET-EC/initiatives/new/", {
        "code": "APP", "name": "Shopping app", "description": "", "start": "2026-01-01", "end": "2026-12-31",
        "budget": "5000",
    })
    created = Initiative.objects.get(code="APP")
    assert response.status_code == 302 and response["Location"] == reverse("web:initiative", args=[created.pk])
    assert created.unit == ent.tree.ret_ec and created.budget == 5000


def test_an_initiative_with_a_taken_code_or_end_before_start_is_refused_with_a_message(ent: Any, personas: Any
                                                                                       ) -> None:
    client = signed_in(personas.manager)
    page = client.post("/units/RET/initiatives/new/", {"code": "LOYAL", "name": "Again", "budget": "0"}
                       ).content.decode()
    assert "An initiative with this code already exists in this unit." in page
    page = client.post("/units/RET/initiatives/new/", {"code": "NEW", "name": "Backwards", "budget": "0",
                                                       "start": "2026-05-01", "end": "2026-01-01"}).content.decode()
    assert "the end 2026-01-01 is before the start 2026-05-01" in page
    assert Initiative.objects.filter(unit=ent.tree.ret).count() == 1


def test_updaters_and_outside_managers_cannot_create_initiatives(ent: Any, personas: Any) -> None:
    for user in (personas.updater, personas.outsider_manager):
        assert signed_in(user).post("/units/RET/initiatives/new/", {"code": "X", "name": "X", "budget": "0"}
                                    ).status_code == 403
    assert not Initiative.objects.filter(code="X").exists()


def test_linking_offers_only_own_and_ancestor_objectives(ent: Any, personas: Any) -> None:
    from cascade.web.pages import linkable_objectives

    offered = set(linkable_objectives(ent.ret_initiative))
    assert ent.nw_objective in offered and ent.ret_objectives[1] in offered
    assert ent.ret_objectives[0] not in offered  # already linked
    assert ent.whs_objective not in offered  # a cousin unit


def test_a_manager_links_an_initiative_to_an_ancestor_objective_and_unlinks_it(ent: Any, personas: Any) -> None:
    client = signed_in(personas.manager)
    url = f"/initiatives/{ent.ret_initiative.pk}/links/"
    response = client.post(url, {"objective": ent.nw_objective.pk, "weight": "2", "note": "loyal customers"})
    assert response.status_code == 302
    impact = Impact.objects.get(initiative=ent.ret_initiative, objective=ent.nw_objective)
    assert impact.weight == 2 and impact.note == "loyal customers"
    response = client.post(f"/initiatives/{ent.ret_initiative.pk}/links/{impact.pk}/delete/")
    assert response.status_code == 302
    assert not Impact.objects.filter(pk=impact.pk).exists()


def test_linking_to_a_cousin_units_objective_is_refused(ent: Any, personas: Any) -> None:
    response = signed_in(personas.manager).post(
        f"/initiatives/{ent.ret_initiative.pk}/links/", {"objective": ent.whs_objective.pk, "weight": "1"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Impact.objects.filter(objective=ent.whs_objective).exists()


def test_only_managers_of_the_initiatives_unit_link_and_unlink(ent: Any, personas: Any) -> None:
    impact = Impact.objects.get(initiative=ent.ret_initiative)
    for user in (personas.updater, personas.viewer, personas.outsider_manager):
        client = signed_in(user)
        assert client.post(f"/initiatives/{ent.ret_initiative.pk}/links/",
                           {"objective": ent.nw_objective.pk, "weight": "1"}).status_code == 403
        assert client.post(f"/initiatives/{ent.ret_initiative.pk}/links/{impact.pk}/delete/").status_code == 403
    assert Impact.objects.filter(initiative=ent.ret_initiative).count() == 1


def test_state_changes_refuse_get(ent: Any, personas: Any) -> None:
    impact = Impact.objects.get(initiative=ent.ret_initiative)
    client = signed_in(personas.manager)
    assert client.get(f"/initiatives/{ent.ret_initiative.pk}/links/{impact.pk}/delete/").status_code == 405
    assert client.get(f"/initiatives/{ent.ret_initiative.pk}/links/").status_code == 405
    assert Impact.objects.filter(pk=impact.pk).exists()


def test_an_updater_records_progress_and_a_milestone_done_date(ent: Any, personas: Any) -> None:
    milestone = Milestone.objects.get(initiative=ent.ret_initiative)
    response = signed_in(personas.updater).post(f"/initiatives/{ent.ret_initiative.pk}/progress/", {
        "percent_complete": "65", "spent": "450.50", "status_note": "Pilot went well",
        f"done_{milestone.pk}": "2026-06-28",
    })
    assert response.status_code == 302
    ent.ret_initiative.refresh_from_db()
    milestone.refresh_from_db()
    assert ent.ret_initiative.percent_complete == 65 and str(ent.ret_initiative.spent) == "450.50"
    assert ent.ret_initiative.status_note == "Pilot went well"
    assert milestone.done == dt.date(2026, 6, 28)


def test_progress_out_of_range_is_refused_whole(ent: Any, personas: Any) -> None:
    milestone = Milestone.objects.get(initiative=ent.ret_initiative)
    response = signed_in(personas.manager).post(f"/initiatives/{ent.ret_initiative.pk}/progress/", {
        "percent_complete": "150", "spent": "-1", "status_note": "", f"done_{milestone.pk}": "2026-06-28",
    })
    page = response.content.decode()
    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 100." in page
    assert "Ensure this value is greater than or equal to 0." in page
    milestone.refresh_from_db()
    assert milestone.done is None
    ent.ret_initiative.refresh_from_db()
    assert ent.ret_initiative.percent_complete == 40


def test_viewers_cannot_update_progress_and_unknown_initiatives_are_404(ent: Any, personas: Any) -> None:
    assert signed_in(personas.viewer).get(f"/initiatives/{ent.ret_initiative.pk}/progress/").status_code == 403
    assert signed_in(personas.manager).get("/initiatives/999999/progress/").status_code == 404


def test_progress_saved_over_someone_elses_newer_save_is_refused(ent: Any, personas: Any) -> None:
    client = signed_in(personas.updater)
    page = client.get(f"/initiatives/{ent.ret_initiative.pk}/progress/").content.decode()
    opened = int(re.search(r'name="version" value="(\d+)"', page).group(1))  # type: ignore[union-attr]
    # Someone else saves first.
    assert client.post(f"/initiatives/{ent.ret_initiative.pk}/progress/", {
        "percent_complete": "50", "spent": "300", "status_note": "first", "version": str(opened)}).status_code == 302
    response = client.post(f"/initiatives/{ent.ret_initiative.pk}/progress/", {
        "percent_complete": "45", "spent": "250", "status_note": "second", "version": str(opened)})
    assert response.status_code == 200
    assert "was changed by someone else after you opened this form (now at 50% complete)" in (
        response.content.decode())
    ent.ret_initiative.refresh_from_db()
    assert ent.ret_initiative.status_note == "first" and ent.ret_initiative.percent_complete == 50
