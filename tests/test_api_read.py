"""The read endpoints of cascade/api: the same JSON as the commands, graphs, renders with their content
types, scoped to what the reader may see, and clear 4xx on bad parameters."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.test import override_settings

from tests.test_api_queries import grow
from tests.test_api_support import World, client_for, world_fixture  # noqa: F401

AS_OF = "2026-09-30"


def test_the_scorecard_is_the_same_json_as_the_command(world: World) -> None:
    out = io.StringIO()
    call_command("scorecard", "RET-EC", "--json", "--as-of", AS_OF, stdout=out)
    response = client_for(world.personas.viewer).get(f"/api/units/{world.tree.ret_ec.pk}/scorecard/",
                                                     {"as_of": AS_OF})
    assert response.status_code == 200
    assert response.json() == json.loads(out.getvalue())


def test_the_analysis_is_the_same_json_as_the_command(world: World) -> None:
    out = io.StringIO()
    call_command("analyse", "RET-EC", "--json", "--as-of", AS_OF, "--top", "5", stdout=out)
    response = client_for(world.personas.viewer).get(f"/api/units/{world.tree.ret_ec.pk}/analysis/",
                                                     {"as_of": AS_OF, "top": 5})
    assert response.status_code == 200
    assert response.json() == json.loads(out.getvalue())


def test_the_graph_lists_the_subtrees_nodes_and_edges(world: World) -> None:
    response = client_for(world.personas.viewer).get(f"/api/units/{world.tree.ret_ec.pk}/graph/", {"as_of": AS_OF})
    assert response.status_code == 200
    body = response.json()
    nodes = {n["node"]: n for n in body["nodes"]}
    assert nodes[f"o:{world.o1.pk}"]["code"] == "E1"
    assert nodes[f"o:{world.o1.pk}"]["status"] in {"green", "amber", "red", "none"}
    assert nodes[f"i:{world.initiative.pk}"]["kind"] == "initiative"
    edges = {(e["source"], e["target"], e["kind"]) for e in body["edges"]}
    assert (f"o:{world.o1.pk}", f"o:{world.o2.pk}", "causes") in edges
    assert (f"o:{world.o1.pk}", f"o:{world.ret_obj.pk}", "supports") in edges
    assert (f"i:{world.initiative.pk}", f"o:{world.o1.pk}", "impacts") in edges
    assert not any(n.get("code") == "W1" for n in body["nodes"]), "WHS is not in RET-EC's subtree"


@pytest.mark.parametrize(("fmt", "content_type", "magic"), [
    ("svg", "image/svg+xml", b"<svg"), ("pdf", "application/pdf", b"%PDF"), ("png", "image/png", b"\x89PNG"),
    ("dot", "text/vnd.graphviz", b"digraph"),
])
def test_the_map_renders_in_every_format_with_its_content_type(world: World, fmt, content_type, magic) -> None:
    response = client_for(world.personas.viewer).get(
        f"/api/units/{world.tree.ret_ec.pk}/map/", {"fmt": fmt, "as_of": AS_OF, "paper": "a3"})
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith(content_type)
    assert magic in response.content[:400]
    assert f'.{fmt}"' in response["Content-Disposition"]


@pytest.mark.parametrize("url", ["/api/units/{ret}/cascade/", "/api/initiatives/{init}/impact/",
                                 "/api/objectives/{o1}/drivers/"])
def test_the_other_views_render_as_svg(world: World, url: str) -> None:
    url = url.format(ret=world.tree.ret.pk, init=world.initiative.pk, o1=world.o1.pk)
    response = client_for(world.personas.viewer).get(url, {"as_of": AS_OF})
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in response.content


def test_a_client_asking_for_the_image_by_accept_header_gets_it(world: World) -> None:
    response = client_for(world.personas.viewer).get(
        f"/api/units/{world.tree.ret_ec.pk}/map/", {"fmt": "png"}, HTTP_ACCEPT="image/png")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"


def test_format_is_not_hijacked_by_drf(world: World) -> None:
    response = client_for(world.personas.viewer).get(f"/api/units/{world.tree.ret_ec.pk}/map/", {"format": "pdf"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")


@pytest.mark.parametrize(("url", "params", "field"), [
    ("/api/units/{ec}/scorecard/", {"as_of": "2026-02-30"}, "as_of"),
    ("/api/units/{ec}/scorecard/", {"as_of": "0001-01-01"}, "as_of"),
    ("/api/units/{ec}/scorecard/", {"as_of": "9999-12-31"}, "as_of"),
    ("/api/units/{ec}/analysis/", {"top": "-1"}, "top"),
    ("/api/units/{ec}/map/", {"fmt": "gif"}, "fmt"),
    ("/api/units/{ec}/map/", {"paper": "a0"}, "paper"),
    ("/api/units/{ec}/map/", {"fmt": "png", "dpi": "100000"}, "dpi"),
    ("/api/units/{ec}/cascade/", {"depth": "-3"}, "depth"),
    ("/api/units/{ec}/map/", {"status": "maybe"}, "status"),
])
def test_bad_parameters_get_a_400_naming_them(world: World, url: str, params: dict, field: str) -> None:
    response = client_for(world.personas.viewer).get(url.format(ec=world.tree.ret_ec.pk), params)
    assert response.status_code == 400
    assert field in response.json()


def test_a_map_of_a_unit_without_one_is_a_400_that_says_so(world: World) -> None:
    response = client_for(world.personas.viewer).get(f"/api/units/{world.lab_unit.pk}/map/")
    assert response.status_code == 400
    assert "no strategy map" in response.json()["detail"]


@pytest.mark.parametrize("url", ["/api/units/{whs}/scorecard/", "/api/units/{whs}/analysis/",
                                 "/api/units/{whs}/graph/", "/api/units/{whs}/map/", "/api/units/{whs}/cascade/",
                                 "/api/initiatives/{wi}/impact/", "/api/objectives/{wo}/drivers/"])
@override_settings(SCORECARD_VIEWERS_SEE_ALL=False)
def test_with_viewers_limited_other_units_reads_are_not_found(world: World, url: str) -> None:
    url = url.format(whs=world.tree.whs.pk, wi=world.whs["initiative"].pk, wo=world.whs["objective"].pk)
    assert client_for(world.personas.viewer).get(url).status_code == 404
    assert client_for(world.personas.outsider_manager).get(url).status_code == 200
    assert client_for(None).get(url).status_code == 401


@pytest.mark.parametrize("size", [0, 20])
def test_the_scorecard_costs_the_same_queries_whatever_the_size(
    world: World, django_assert_num_queries, size: int
) -> None:
    grow(world, size)
    client = client_for(world.personas.manager)
    # token + user, the unit, then the snapshot loader's fixed 12 (no executive check: every user reads all)
    with django_assert_num_queries(14):
        response = client.get(f"/api/units/{world.tree.ret.pk}/scorecard/", {"as_of": AS_OF})
    assert response.status_code == 200


def scored_world(world: World) -> None:
    """E1 well above goal (green), E2 far below its red flag (red), E3 without measures (none)."""
    from tests.factories import ActualFactory, MeasureFactory

    world.measure.target, world.measure.red_flag = 100, 80
    world.measure.save()
    world.actual.value = 120
    world.actual.save()
    red = MeasureFactory(objective=world.o2, code="EM2", target=100, red_flag=80)
    ActualFactory(measure=red, period=world.actual.period, value=50)


@pytest.mark.parametrize(("status", "codes"), [
    ("red", ["E2"]), ("green", ["E1"]), ("none", ["E3"]), ("red,green", ["E1", "E2"]), (None, ["E1", "E2", "E3"]),
])
def test_objectives_filter_by_their_status_as_of_the_date(world: World, status: str | None, codes: list) -> None:
    scored_world(world)
    params = {"as_of": AS_OF, **({"status": status} if status else {})}
    response = client_for(world.personas.viewer).get(f"/api/units/{world.tree.ret_ec.pk}/objectives/", params)
    assert response.status_code == 200
    rows = response.json()["objectives"]
    assert [r["code"] for r in rows] == codes
    assert all(r["unit_code"] == "RET-EC" for r in rows)


def test_objectives_by_status_cover_the_subtree_but_not_the_ancestors(world: World) -> None:
    scored_world(world)
    rows = client_for(world.personas.viewer).get(f"/api/units/{world.tree.ret.pk}/objectives/").json()["objectives"]
    assert {(r["unit_code"], r["code"]) for r in rows} == {("RET", "R1"), ("RET-EC", "E1"), ("RET-EC", "E2"),
                                                           ("RET-EC", "E3")}
    only_ec = client_for(world.personas.viewer).get(f"/api/units/{world.tree.ret_ec.pk}/objectives/").json()
    assert "R1" not in {r["code"] for r in only_ec["objectives"]}


def test_an_unknown_status_or_health_is_a_400_naming_the_choices(world: World) -> None:
    client = client_for(world.personas.viewer)
    response = client.get(f"/api/units/{world.tree.ret.pk}/objectives/", {"status": "purple"})
    assert response.status_code == 400
    assert "green, amber, red, none" in response.json()["status"][0]
    assert client.get(f"/api/units/{world.tree.ret.pk}/initiatives/", {"health": "fine"}).status_code == 400


def test_initiatives_filter_by_health(world: World) -> None:
    world.initiative.percent_complete = 100
    world.initiative.save()
    client = client_for(world.personas.viewer)
    done = client.get(f"/api/units/{world.tree.ret.pk}/initiatives/", {"health": "complete", "as_of": AS_OF})
    assert [r["code"] for r in done.json()["initiatives"]] == ["EI1"]
    open_ = client.get(f"/api/units/{world.tree.ret.pk}/initiatives/", {"health": "at_risk,behind", "as_of": AS_OF})
    assert open_.json()["initiatives"] == []
