"""Writes: the If-Match guard (428, 412), CSRF on session sign-in, tokens, results entry all or nothing,
and garbage input that must end in a 4xx with a message, never a 500."""

from __future__ import annotations

import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from rest_framework.authtoken.models import Token

from scorecard.models import Actual, Objective
from tests.test_api_support import World, client_for, fingerprint, if_match, world_fixture  # noqa: F401


# ------------------------------------------------------------------------------------------ If-Match
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_write_without_if_match_is_refused_with_428_and_changes_nothing(world: World, method: str) -> None:
    before = fingerprint()
    body = {"map": world.ec_map.pk, "perspective": world.ec_p.pk, "code": "E3", "name": "x"}
    response = getattr(client_for(world.personas.manager), method)(
        f"/api/objectives/{world.o3.pk}/", body, format="json")
    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]
    assert fingerprint() == before


@pytest.mark.parametrize("header", ["*", 'W/"1"', "1", '"1", "2"', '"abc"', ""])
def test_an_if_match_that_names_no_single_version_is_refused_with_428(world: World, header: str) -> None:
    before = fingerprint()
    response = client_for(world.personas.manager).patch(
        f"/api/objectives/{world.o3.pk}/", {"name": "x"}, format="json", HTTP_IF_MATCH=header)
    assert response.status_code == 428
    assert fingerprint() == before


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_write_with_a_stale_etag_is_refused_with_412_and_changes_nothing(world: World, method: str) -> None:
    client = client_for(world.personas.manager)
    stale = client.get(f"/api/objectives/{world.o3.pk}/").headers["ETag"]
    assert client.patch(f"/api/objectives/{world.o3.pk}/", {"name": "First"}, format="json",
                        HTTP_IF_MATCH=stale).status_code == 200
    before = fingerprint()
    body = {"map": world.ec_map.pk, "perspective": world.ec_p.pk, "code": "E3", "name": "Second"}
    response = getattr(client, method)(f"/api/objectives/{world.o3.pk}/", body, format="json", HTTP_IF_MATCH=stale)
    assert response.status_code == 412
    assert "version 2" in response.json()["detail"]
    assert fingerprint() == before
    assert Objective.objects.get(pk=world.o3.pk).name == "First"


def test_each_successful_write_returns_the_next_etag_and_records_history(world: World) -> None:
    client = client_for(world.personas.manager)
    first = client.patch(f"/api/objectives/{world.o3.pk}/", {"name": "A"}, format="json", HTTP_IF_MATCH='"1"')
    assert first.headers["ETag"] == '"2"'
    second = client.patch(f"/api/objectives/{world.o3.pk}/", {"name": "B"}, format="json", HTTP_IF_MATCH='"2"')
    assert second.headers["ETag"] == '"3"'
    history = Objective.history.filter(id=world.o3.pk).order_by("history_date")
    assert [h.name for h in history][-2:] == ["A", "B"]
    assert history.last().history_user == world.personas.manager


@pytest.mark.django_db(transaction=True)
def test_two_clients_racing_with_the_same_etag_get_one_200_and_one_412(world: World) -> None:
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(("file:", ":memory:")):
        pytest.skip("threads need a database they can share; SQLite in-memory test databases are per-connection")
    url = f"/api/objectives/{world.o3.pk}/"
    statuses: list[int] = []
    start = threading.Barrier(2)

    def write(name: str) -> None:
        try:
            client = client_for(world.personas.manager)
            start.wait()
            statuses.append(client.patch(url, {"name": name}, format="json", HTTP_IF_MATCH='"1"').status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in ("left", "right")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 412]
    assert Objective.objects.get(pk=world.o3.pk).version == 2


# ------------------------------------------------------------------------------------------ sign-in
def test_a_session_write_without_a_csrf_token_is_refused(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.personas.manager)
    before = fingerprint()
    response = client.patch(f"/api/objectives/{world.o3.pk}/", '{"name": "x"}', content_type="application/json",
                            HTTP_IF_MATCH='"1"')
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert fingerprint() == before


def test_a_session_write_with_the_csrf_token_goes_through(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.personas.manager)
    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token
    response = client.patch(f"/api/objectives/{world.o3.pk}/", '{"name": "x"}', content_type="application/json",
                            HTTP_IF_MATCH='"1"', HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200, response.content


def test_a_session_can_read_without_csrf(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.personas.viewer)
    assert client.get("/api/objectives/").status_code == 200


def test_issue_token_prints_a_working_token_and_revoke_makes_it_fail(world: World) -> None:
    out = io.StringIO()
    call_command("issue_token", "ret_viewer", stdout=out)
    key = out.getvalue().strip()
    assert Token.objects.get(user=world.personas.viewer).key == key
    again = io.StringIO()
    call_command("issue_token", "ret_viewer", stdout=again)
    assert again.getvalue().strip() == key, "issuing twice prints the same token"
    client = Client()
    assert client.get("/api/units/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    call_command("issue_token", "ret_viewer", "--revoke", stdout=io.StringIO())
    response = client.get("/api/units/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"


def test_issue_token_dry_run_writes_nothing_and_unknown_users_are_an_error(world: World) -> None:
    out = io.StringIO()
    call_command("issue_token", "ret_viewer", "--dry-run", stdout=out)
    assert "would issue a new token" in out.getvalue()
    assert not Token.objects.filter(user=world.personas.viewer).exists()
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command("issue_token", "ghost")


def test_issue_token_rotate_replaces_the_token(world: World) -> None:
    first, second = io.StringIO(), io.StringIO()
    call_command("issue_token", "ret_viewer", stdout=first)
    call_command("issue_token", "ret_viewer", "--rotate", stdout=second)
    assert first.getvalue().strip() != second.getvalue().strip()
    assert Token.objects.get(user=world.personas.viewer).key == second.getvalue().strip()


def test_anonymous_requests_get_401_with_the_token_challenge(world: World) -> None:
    response = Client().get("/api/objectives/")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"


# ------------------------------------------------------------------------------------------ results entry
def results_url(world: World) -> str:
    return f"/api/units/{world.tree.ret.pk}/results/"


def test_results_entry_writes_every_value_of_the_period(world: World) -> None:
    from tests.factories import MeasureFactory

    other = MeasureFactory(objective=world.o2, code="EM2")
    response = client_for(world.personas.updater).post(results_url(world), {
        "period": "2026-03-31",
        "values": [{"measure": world.measure.pk, "value": 4.1, "note": "replaced"},
                   {"measure": other.pk, "value": 0}],
    }, format="json")
    assert response.status_code == 200, response.content
    assert [a["value"] for a in response.json()["actuals"]] == [4.1, 0.0]
    replaced = Actual.objects.get(measure=world.measure, period="2026-03-31")
    assert (replaced.value, replaced.note, replaced.entered_by) == (4.1, "replaced", world.personas.updater)
    assert Actual.objects.get(measure=other, period="2026-03-31").value == 0


@pytest.mark.parametrize(("cell", "field"), [
    ({"measure": 0, "value": 1}, "measure"),
    ({"measure": 10**12, "value": 1}, "measure"),
    ({"value": 1}, "measure"),
    ({"measure": "PLACEHOLDER", "value": "abc"}, "value"),
    ({"measure": "PLACEHOLDER", "value": None}, "value"),
    ({"measure": "PLACEHOLDER", "value": 1e308 * 10}, "value"),
    ({"measure": "PLACEHOLDER", "value": "NaN"}, "value"),
])
def test_one_bad_cell_refuses_the_whole_period_and_names_its_index(world: World, cell: dict, field: str) -> None:
    cell = {k: (world.measure.pk if v == "PLACEHOLDER" else v) for k, v in cell.items()}
    before = fingerprint()
    import json

    body = json.dumps({"period": "2026-06-30", "values": [{"measure": world.measure.pk, "value": 1}, cell]},
                      allow_nan=True).replace("Infinity", "1e999")
    response = client_for(world.personas.manager).post(results_url(world), body, content_type="application/json")
    assert response.status_code == 400, response.content
    errors = response.json()["values"]
    assert [e["index"] for e in errors] == [1]
    assert field in errors[0]["errors"]
    assert fingerprint() == before


def test_a_measure_given_twice_is_reported_at_its_second_index(world: World) -> None:
    before = fingerprint()
    response = client_for(world.personas.manager).post(results_url(world), {
        "period": "2026-06-30", "values": [{"measure": world.measure.pk, "value": 1},
                                           {"measure": world.measure.pk, "value": 2}]}, format="json")
    assert response.status_code == 400
    assert response.json()["values"][0]["index"] == 1
    assert "twice" in response.json()["values"][0]["errors"]["measure"][0]
    assert fingerprint() == before


def test_a_measure_of_another_branch_is_not_part_of_this_units_results(world: World) -> None:
    before = fingerprint()
    response = client_for(world.personas.executive).post(results_url(world), {
        "period": "2026-06-30", "values": [{"measure": world.whs["measure"].pk, "value": 1}]}, format="json")
    assert response.status_code == 400
    assert response.json()["values"][0]["measure"] == world.whs["measure"].pk
    assert fingerprint() == before


def test_one_measure_outside_the_updaters_scope_refuses_all(world: World) -> None:
    from tests.factories import MeasureFactory, ObjectiveFactory, PerspectiveFactory

    nw_map = world.tree.nw.strategy_map
    nw_measure = MeasureFactory(objective=ObjectiveFactory(map=nw_map, perspective=PerspectiveFactory(map=nw_map)))
    before = fingerprint()
    response = client_for(world.personas.updater).post(f"/api/units/{world.tree.nw.pk}/results/", {
        "period": "2026-06-30", "values": [{"measure": world.measure.pk, "value": 1},
                                           {"measure": nw_measure.pk, "value": 2}]}, format="json")
    assert response.status_code == 403
    assert nw_measure.code in response.json()["detail"]
    assert fingerprint() == before


@pytest.mark.parametrize("body", [
    {}, {"period": "2026-06-30"}, {"period": "2026-06-30", "values": []}, {"period": "not a date", "values": []},
    {"period": "2026-02-30", "values": [{"measure": 1, "value": 1}]}, [], "text", 17, None,
    {"period": "2026-06-30", "values": "x"}, {"period": "2026-06-30", "values": [1, 2]},
])
def test_malformed_results_bodies_get_400(world: World, body: object) -> None:
    before = fingerprint()
    response = client_for(world.personas.manager).post(results_url(world), body, format="json")
    assert response.status_code == 400, response.content
    assert fingerprint() == before


# ------------------------------------------------------------------------------------------ garbage
GARBAGE_BODIES = [
    "{not json", "[]", "null", "17", '"text"', '{"code": null}', '{"code": ["a"]}', '{"name": {"a": 1}}',
    '{"weight": "heavy"}', '{"weight": 1e999}', '{"weight": NaN}', '{"map": "abc"}', '{"map": -1}',
    '{"map": 1e30}', '{"map": 99999999999999999999999}', '{"code": "' + "x" * 5000 + '"}',
    '{"code": "a\\u0000b"}', '{"name": "\\ud800"}', '{"period": "2026-13-45"}', '{"budget": 1e20}',
    '{"percent_complete": 101}', '{"start": "2026-05-01", "end": "2026-01-01"}', '{"value": true}',
]


@pytest.mark.parametrize("resource", ["objectives", "measures", "actuals", "initiatives", "links", "units"])
@pytest.mark.parametrize("body", GARBAGE_BODIES)
def test_garbage_bodies_are_refused_with_a_4xx_and_change_nothing(world: World, resource: str, body: str) -> None:
    client = client_for(world.personas.executive)
    before = fingerprint()
    created = client.post(f"/api/{resource}/", body, content_type="application/json")
    assert 400 <= created.status_code < 500, created.content
    assert isinstance(created.json(), dict)
    assert fingerprint() == before


@pytest.mark.parametrize("body", GARBAGE_BODIES)
def test_garbage_patches_are_refused_with_a_4xx_and_change_nothing(world: World, body: str) -> None:
    before = fingerprint()
    response = client_for(world.personas.executive).patch(
        f"/api/initiatives/{world.initiative.pk}/", body, content_type="application/json",
        **if_match(world.initiative))
    assert 400 <= response.status_code < 500, response.content
    assert fingerprint() == before


@pytest.mark.parametrize("query", [
    "page=0", "page=-1", "page=abc", "page=99999999999999999999", "page_size=0", "page_size=-5",
    "page_size=abc", "page_size=100000", "unit=abc", "unit=-1", "unit=99999999999999999999",
    "subtree=0", "unit_code=%00", "owner=%00", "ordering=nonsense", "ordering=-owner__password",
    "perspective=1.5", "format=xml", "fmt=svg", "period=2026-02-30", "done=maybe",
])
def test_garbage_query_parameters_never_cause_a_server_error(world: World, query: str) -> None:
    client = client_for(world.personas.manager)
    for resource in ("objectives", "measures", "actuals", "initiatives", "milestones"):
        response = client.get(f"/api/{resource}/?{query}")
        assert response.status_code in (200, 400, 404), (resource, response.content)


def test_unsupported_content_types_get_415(world: World) -> None:
    response = client_for(world.personas.manager).post(
        "/api/objectives/", "code=X&name=Y", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


def test_deleting_a_perspective_still_in_use_is_a_400_that_names_its_objectives(world: World) -> None:
    before = fingerprint()
    response = client_for(world.personas.manager).delete(f"/api/perspectives/{world.ec_p.pk}/",
                                                         **if_match(world.ec_p))
    assert response.status_code == 400
    assert "E1" in response.json()["non_field_errors"][0]
    assert fingerprint() == before


def test_a_cycle_is_refused_with_the_cycle_named(world: World) -> None:
    response = client_for(world.personas.manager).post(
        "/api/links/", {"cause": world.o2.pk, "effect": world.o1.pk}, format="json")
    assert response.status_code == 400
    assert "E2 -> E1 -> E2" in response.json()["effect"][0]


def test_a_duplicate_code_is_a_400_not_an_integrity_error(world: World) -> None:
    response = client_for(world.personas.manager).post("/api/objectives/", {
        "map": world.ec_map.pk, "perspective": world.ec_p.pk, "code": "E1", "name": "again"}, format="json")
    assert response.status_code == 400
    assert "already exists" in str(response.json())
