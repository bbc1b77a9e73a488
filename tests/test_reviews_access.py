"""Review pages and API: who reads, who edits (facilitator, managers, executives), CSRF, If-Match, scoping, and
the writes the facilitator does during a meeting."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from cascade.models import ActionItem, AgendaItem, ReviewMeeting
from cascade.reviews import services
from tests.factories import (
    ActualFactory,
    ImpactFactory,
    InitiativeFactory,
    MeasureFactory,
    ObjectiveFactory,
    PerspectiveFactory,
    UserFactory,
)

AS_OF = dt.date(2026, 9, 30)
DAY = dt.date(2026, 10, 15)


@pytest.fixture
def meeting(tree: Any, personas: Any) -> ReviewMeeting:
    smap = tree.ret.strategy_map
    persp = PerspectiveFactory(map=smap, code="C", name="Customer")
    c2 = ObjectiveFactory(map=smap, perspective=persp, code="C2", name="Improve retention")
    m = MeasureFactory(objective=c2, code="C2.1", target=100.0, red_flag=80.0)
    ActualFactory(measure=m, period=AS_OF, value=85.0)
    crm = InitiativeFactory(unit=tree.ret, code="CRM", name="CRM rollout", start=dt.date(2026, 8, 1),
                            end=dt.date(2026, 11, 9), budget=100000, spent=70000, percent_complete=45)
    ImpactFactory(initiative=crm, objective=c2)
    facilitator = UserFactory(username="fay")  # no role at all: facilitating is what lets her edit
    created, _ = services.meeting_plan(unit=tree.ret, date=DAY, as_of=AS_OF, facilitator=facilitator)
    return created


def client_for(user: Any, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    if user is not None:
        client.force_login(user)
    return client


def first_item(meeting: ReviewMeeting) -> AgendaItem:
    return meeting.items.order_by("order").first()


def edit_payload(item: AgendaItem, **changes: Any) -> dict[str, Any]:
    data = {"version": item.version, "title": item.title, "kind": item.kind, "minutes": item.minutes,
            "status_questions": item.status_questions, "strategic_questions": item.strategic_questions,
            "notes": item.notes, "decision": item.decision, **changes}
    return {f"i{item.pk}-{k}": v for k, v in data.items()}


# ------------------------------------------------------------------------------------------------- pages
def test_anonymous_visitors_are_sent_to_the_login_page(meeting: ReviewMeeting) -> None:
    response = Client().get(f"/reviews/{meeting.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("who", ["executive", "manager", "outsider_manager", "updater", "viewer"])
def test_every_signed_in_user_reads_the_meeting_and_its_minutes(meeting: ReviewMeeting, personas: Any,
                                                                 who: str) -> None:
    client = client_for(getattr(personas, who))
    page = client.get(f"/reviews/{meeting.pk}/")
    assert page.status_code == 200
    assert "CRM rollout" in page.content.decode()
    assert client.get(f"/reviews/{meeting.pk}/minutes/").status_code == 200


def test_outside_their_subtree_users_get_a_404_when_viewers_do_not_see_all(meeting: ReviewMeeting, personas: Any,
                                                                          settings: Any) -> None:
    settings.SCORECARD_VIEWERS_SEE_ALL = False
    client = client_for(personas.outsider_manager)
    assert client.get(f"/reviews/{meeting.pk}/").status_code == 404
    assert client.get(f"/reviews/{meeting.pk}/pack.pdf").status_code == 404
    assert client.get("/units/RET/reviews/").status_code == 404


@pytest.mark.parametrize(("who", "allowed"), [
    ("executive", True), ("manager", True), ("facilitator", True),
    ("outsider_manager", False), ("updater", False), ("viewer", False),
])
def test_only_the_facilitator_and_managers_edit_an_item(meeting: ReviewMeeting, personas: Any, who: str,
                                                        allowed: bool) -> None:
    user = meeting.facilitator if who == "facilitator" else getattr(personas, who)
    item = first_item(meeting)
    response = client_for(user).post(f"/reviews/items/{item.pk}/", edit_payload(item, notes="We agreed X"))
    item.refresh_from_db()
    if allowed:
        assert response.status_code == 302 and item.notes == "We agreed X"
    else:
        assert response.status_code == 403 and item.notes == ""


@pytest.mark.parametrize("path", ["regenerate/", "close/", "items/", "actions/"])
def test_a_viewer_cannot_change_the_meeting_by_any_form(meeting: ReviewMeeting, personas: Any, path: str) -> None:
    before = (meeting.items.count(), ActionItem.objects.count(), meeting.version)
    response = client_for(personas.viewer).post(f"/reviews/{meeting.pk}/{path}",
                                                {"version": meeting.version, "topic": "x", "description": "y"})
    meeting.refresh_from_db()
    assert response.status_code == 403
    assert (meeting.items.count(), ActionItem.objects.count(), meeting.version) == before


def test_forms_without_a_csrf_token_are_refused(meeting: ReviewMeeting, personas: Any) -> None:
    item = first_item(meeting)
    response = client_for(personas.manager, csrf=True).post(f"/reviews/items/{item.pk}/",
                                                            edit_payload(item, notes="no token"))
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.notes == ""


def test_the_meeting_page_has_no_inline_script(meeting: ReviewMeeting, personas: Any) -> None:
    html = client_for(personas.manager).get(f"/reviews/{meeting.pk}/").content.decode()
    assert "<script>" not in html and "onclick" not in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_a_manager_plans_a_review_from_the_unit_page_and_a_viewer_may_not(tree: Any, personas: Any) -> None:
    data = {"date": "2026-10-15", "as_of": "2026-09-30", "minutes_length": "60", "title": "Q3 review"}
    assert client_for(personas.viewer).post("/units/RET/reviews/", data).status_code == 403
    assert not ReviewMeeting.objects.exists()
    response = client_for(personas.manager).post("/units/RET/reviews/", data)
    created = ReviewMeeting.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reviews/{created.pk}/"
    assert created.title == "Q3 review" and created.minutes_length == 60


def test_planning_with_a_period_after_the_date_shows_the_error_and_saves_nothing(tree: Any, personas: Any) -> None:
    data = {"date": "2026-09-01", "as_of": "2026-09-30", "minutes_length": "90"}
    response = client_for(personas.manager).post("/units/RET/reviews/", data)
    assert response.status_code == 400
    assert "lies after the meeting date" in response.content.decode()
    assert not ReviewMeeting.objects.exists()


def test_during_the_meeting_the_facilitator_records_decisions_and_actions_then_closes(
        meeting: ReviewMeeting, personas: Any) -> None:
    client = client_for(meeting.facilitator)
    item = first_item(meeting)
    client.post(f"/reviews/items/{item.pk}/", edit_payload(item, decision="Fund a recovery sprint"))
    response = client.post(f"/reviews/{meeting.pk}/actions/", {
        "agenda_item": item.pk, "description": "Draft the recovery plan", "owner": personas.manager.pk,
        "due": "2026-10-31"})
    assert response.status_code == 302
    action = ActionItem.objects.get()
    assert action.agenda_item == item and action.unit == meeting.unit and action.owner == personas.manager
    meeting.refresh_from_db()
    response = client.post(f"/reviews/{meeting.pk}/close/", {"version": meeting.version})
    assert response["Location"] == f"/reviews/{meeting.pk}/minutes/"
    minutes = client.get(response["Location"]).content.decode()
    assert "Fund a recovery sprint" in minutes and "Draft the recovery plan" in minutes
    # Closed: the page no longer offers the item forms, and a posted edit is refused with a message.
    client.post(f"/reviews/items/{item.pk}/", edit_payload(AgendaItem.objects.get(pk=item.pk), notes="late"))
    assert AgendaItem.objects.get(pk=item.pk).notes == ""


def test_the_next_meeting_shows_open_actions_and_marks_them_done(meeting: ReviewMeeting, personas: Any) -> None:
    action = services.action_add(meeting=meeting, description="Call the vendor", owner=personas.manager)
    nxt, _ = services.meeting_plan(unit=meeting.unit, date=dt.date(2026, 11, 15), as_of=dt.date(2026, 10, 31))
    client = client_for(personas.manager)
    page = client.get(f"/reviews/{nxt.pk}/").content.decode()
    assert "Open actions from earlier reviews" in page and "Call the vendor" in page
    response = client.post(f"/reviews/actions/{action.pk}/done/", {"version": action.version, "done": "2026-11-15",
                                                                    "next_meeting": nxt.pk})
    assert response["Location"] == f"/reviews/{nxt.pk}/#actions"
    assert ActionItem.objects.get(pk=action.pk).done == dt.date(2026, 11, 15)


def test_a_stale_form_is_refused_with_a_message(meeting: ReviewMeeting, personas: Any) -> None:
    client = client_for(personas.manager)
    item = first_item(meeting)
    old = edit_payload(item, notes="first")
    client.post(f"/reviews/items/{item.pk}/", old)
    response = client.post(f"/reviews/items/{item.pk}/", {**old, f"i{item.pk}-notes": "second"}, follow=True)
    assert "changed by someone else" in response.content.decode()
    assert AgendaItem.objects.get(pk=item.pk).notes == "first"


def test_move_drop_and_add_keep_the_agenda_whole(meeting: ReviewMeeting, personas: Any) -> None:
    client = client_for(personas.manager)
    ids = list(meeting.items.order_by("order").values_list("pk", flat=True))
    client.post(f"/reviews/items/{ids[1]}/move/", {"direction": "up"})
    assert list(meeting.items.order_by("order").values_list("pk", flat=True))[:2] == [ids[1], ids[0]]
    meeting.refresh_from_db()
    client.post(f"/reviews/{meeting.pk}/items/",
                {"version": meeting.version, "topic": "Budget 2027", "kind": "strategic"})
    assert meeting.items.filter(topic="Budget 2027", manual=True).exists()
    drop = meeting.items.get(pk=ids[0])
    client.post(f"/reviews/items/{drop.pk}/drop/", {"version": drop.version})
    assert not meeting.items.filter(pk=ids[0]).exists()
    assert sum(meeting.items.values_list("minutes", flat=True)) == meeting.minutes_length


def test_the_pack_downloads_as_a_pdf(meeting: ReviewMeeting, personas: Any) -> None:
    response = client_for(personas.viewer).get(f"/reviews/{meeting.pk}/pack.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"] == 'attachment; filename="briefing-RET-2026-10-15.pdf"'


# --------------------------------------------------------------------------------------------------- API
def api(user: Any, *, csrf: bool = False) -> APIClient:
    client = APIClient(enforce_csrf_checks=csrf)
    if user is not None:
        client.force_authenticate(user) if not csrf else client.force_login(user)
    return client


def test_the_api_needs_a_signed_in_user(meeting: ReviewMeeting) -> None:
    assert APIClient().get("/api/reviews/").status_code in (401, 403)


def test_the_api_lists_only_reviews_in_scope(meeting: ReviewMeeting, personas: Any, settings: Any) -> None:
    settings.SCORECARD_VIEWERS_SEE_ALL = False
    assert api(personas.outsider_manager).get("/api/reviews/").json()["count"] == 0
    assert api(personas.outsider_manager).get(f"/api/reviews/{meeting.pk}/").status_code == 404
    body = api(personas.viewer).get("/api/reviews/").json()
    assert [r["id"] for r in body["results"]] == [meeting.pk]
    assert body["results"][0]["unit"] == "RET" and body["results"][0]["items"]


def test_the_api_list_of_reviews_costs_the_same_queries_for_one_or_five_meetings(
        meeting: ReviewMeeting, personas: Any, django_assert_num_queries: Any) -> None:
    client = api(personas.executive)
    client.get("/api/reviews/")  # warm the user's access cache
    # count, the page of meetings (units and facilitators joined), attendees and items (prefetched)
    with django_assert_num_queries(4):
        assert client.get("/api/reviews/").status_code == 200
    for day in (1, 2, 3, 4):
        services.meeting_plan(unit=meeting.unit, date=dt.date(2026, 10, 15 + day), as_of=AS_OF)
    with django_assert_num_queries(4):
        assert len(client.get("/api/reviews/").json()["results"]) == 5


def test_the_api_creates_a_review_only_for_managers_of_the_unit(tree: Any, personas: Any) -> None:
    body = {"unit": "RET", "date": "2026-10-15", "as_of": "2026-09-30", "minutes_length": 60}
    assert api(personas.viewer).post("/api/reviews/", body, format="json").status_code == 403
    assert api(personas.outsider_manager).post("/api/reviews/", body, format="json").status_code == 403
    response = api(personas.manager).post("/api/reviews/", body, format="json")
    assert response.status_code == 201
    assert response.json()["minutes_length"] == 60 and response["ETag"] == '"1"'


def test_the_api_refuses_bad_input_with_field_messages(tree: Any, personas: Any) -> None:
    client = api(personas.manager)
    response = client.post("/api/reviews/", {"unit": "RET", "date": "2026-09-01", "as_of": "2026-09-30"},
                           format="json")
    assert response.status_code == 400 and "lies after the meeting date" in response.json()["as_of"][0]
    response = client.post("/api/reviews/", {"unit": "NOPE", "date": "x", "as_of": "2026-09-30",
                                             "minutes_length": 5}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"unit", "date", "minutes_length"}
    assert not ReviewMeeting.objects.exists()


def test_api_item_edits_need_if_match_and_editing_rights(meeting: ReviewMeeting, personas: Any) -> None:
    item = first_item(meeting)
    url = f"/api/review-items/{item.pk}/"
    etag = api(personas.viewer).get(url)["ETag"]
    assert api(personas.viewer).patch(url, {"notes": "x"}, format="json", HTTP_IF_MATCH=etag).status_code == 403
    manager = api(personas.manager)
    assert manager.patch(url, {"notes": "x"}, format="json").status_code == 428
    assert manager.patch(url, {"notes": "x"}, format="json", HTTP_IF_MATCH='"99"').status_code == 412
    response = manager.patch(url, {"notes": "x", "decision": "go"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200 and response.json()["decision"] == "go"
    assert response["ETag"] == f'"{item.version + 1}"'


def test_api_session_writes_need_the_csrf_token(meeting: ReviewMeeting, personas: Any) -> None:
    item = first_item(meeting)
    response = api(personas.manager, csrf=True).patch(f"/api/review-items/{item.pk}/", {"notes": "x"},
                                                       format="json", HTTP_IF_MATCH=f'"{item.version}"')
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


def test_api_adds_items_and_actions_reorders_and_closes(meeting: ReviewMeeting, personas: Any) -> None:
    client = api(meeting.facilitator)
    response = client.post("/api/review-items/", {"meeting": meeting.pk, "topic": "Budget 2027"}, format="json")
    assert response.status_code == 201 and response.json()["manual"] is True
    both = client.post("/api/review-items/", {"meeting": meeting.pk, "topic": "x",
                                              "initiative": InitiativeFactory(unit=meeting.unit).pk}, format="json")
    assert both.status_code == 400
    item = first_item(meeting)
    response = client.post("/api/review-actions/", {"meeting": meeting.pk, "agenda_item": item.pk,
                                                    "description": "Send the plan", "owner": "ret_manager"},
                           format="json")
    assert response.status_code == 201 and response.json()["unit_code"] == "RET"
    meeting.refresh_from_db()
    ids = list(meeting.items.order_by("order").values_list("pk", flat=True))
    url = f"/api/reviews/{meeting.pk}/"
    response = client.post(url + "reorder/", {"items": ids[::-1]}, format="json",
                           HTTP_IF_MATCH=f'"{meeting.version}"')
    assert response.status_code == 200 and [i["id"] for i in response.json()["items"]] == ids[::-1]
    assert client.post(url + "retime/", format="json").status_code == 428
    response = client.post(url + "retime/", format="json", HTTP_IF_MATCH=response["ETag"])
    assert response.status_code == 200 and sum(i["minutes"] for i in response.json()["items"]) == 90
    assert client.post(url + "close/", format="json", HTTP_IF_MATCH=response["ETag"]).status_code == 200
    after = client.patch(f"/api/review-items/{ids[0]}/", {"notes": "late"}, format="json",
                         HTTP_IF_MATCH=f'"{AgendaItem.objects.get(pk=ids[0]).version}"')
    assert after.status_code == 400 and "is closed" in str(after.json())


def test_api_cannot_add_items_to_a_meeting_the_user_does_not_edit(meeting: ReviewMeeting, personas: Any) -> None:
    response = api(personas.updater).post("/api/review-items/", {"meeting": meeting.pk, "topic": "x"}, format="json")
    assert response.status_code == 403
    response = api(personas.outsider_manager).post("/api/review-actions/", {"meeting": meeting.pk,
                                                                            "description": "x"}, format="json")
    assert response.status_code == 403
    assert ActionItem.objects.count() == 0


def test_api_refuses_unknown_fields_instead_of_dropping_them(meeting: ReviewMeeting, personas: Any) -> None:
    item = first_item(meeting)
    response = api(personas.manager).patch(f"/api/review-items/{item.pk}/", {"notez": "typo"}, format="json",
                                           HTTP_IF_MATCH=f'"{item.version}"')
    assert response.status_code == 400 and response.json() == {"notez": ["Unknown field."]}
    response = api(personas.manager).post("/api/reviews/", {"unit": "RET", "date": "2026-10-15",
                                                            "as_of": "2026-09-30", "lenght": 60}, format="json")
    assert response.status_code == 400 and "lenght" in response.json()


# ------------------------------------------------------------------------------------------------- admin
def test_the_admin_lists_meetings_in_scope_and_lets_only_managers_change_them(
        meeting: ReviewMeeting, personas: Any, tree: Any, settings: Any) -> None:
    settings.SCORECARD_VIEWERS_SEE_ALL = False
    other, _ = services.meeting_plan(unit=tree.whs, date=DAY, as_of=AS_OF, title="Wholesale review")
    for user in (personas.manager, personas.viewer, personas.outsider_manager, personas.executive):
        user.is_staff = True
        user.save()
    page = client_for(personas.manager).get("/admin/cascade/reviewmeeting/").content.decode()
    assert "Retail strategy review" in page and "Wholesale review" not in page
    # Out of scope: the admin answers as for a missing object (back to the index with a message).
    assert client_for(personas.manager).get(f"/admin/cascade/reviewmeeting/{other.pk}/change/").status_code == 302
    viewer_page = client_for(personas.viewer).get(f"/admin/cascade/reviewmeeting/{meeting.pk}/change/")
    assert viewer_page.status_code == 200 and 'name="title"' not in viewer_page.content.decode()  # read only
    assert client_for(personas.manager).get(f"/admin/cascade/reviewmeeting/{meeting.pk}/change/").status_code == 200
    assert "Wholesale review" in client_for(personas.executive).get("/admin/cascade/reviewmeeting/").content.decode()


def test_the_facilitator_shares_the_time_again_from_the_page(meeting: ReviewMeeting, personas: Any) -> None:
    client = client_for(meeting.facilitator)
    item = first_item(meeting)
    client.post(f"/reviews/items/{item.pk}/", edit_payload(item, minutes=item.minutes + 10))
    assert "The timeboxes add up to 100 minutes" in client.get(f"/reviews/{meeting.pk}/").content.decode()
    meeting.refresh_from_db()
    assert client_for(personas.viewer).post(f"/reviews/{meeting.pk}/retime/",
                                            {"version": meeting.version}).status_code == 403
    client.post(f"/reviews/{meeting.pk}/retime/", {"version": meeting.version})
    assert sum(meeting.items.values_list("minutes", flat=True)) == 90
