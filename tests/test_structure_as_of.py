"""The map as it stood on a past date: the historical snapshot, ``render_map --structure-as-of`` and the map page."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client, override_settings

from cascade.loader import QUERIES, load_snapshot
from cascade.render.api import render_map
from cascade.render.runner import RenderError
from cascade.rollup import compute_scores
from scorecard.history import end_of_day
from tests.conftest import PAST


def codes(snapshot: Any) -> list[str]:
    return sorted(o.code for o in snapshot.objectives.values())


def test_the_snapshot_of_a_past_date_holds_the_objectives_links_targets_and_values_of_then(evolved: Any) -> None:
    unit = evolved["unit"]
    then = load_snapshot(unit, structure_at=end_of_day(PAST), notes=False)
    now = load_snapshot(unit, notes=False)
    assert codes(then) == ["C1", "F1"] and codes(now) == ["C1", "F1", "L1"]
    by_code = {o.code: o for o in then.objectives.values()}
    assert by_code["C1"].name == "Keep customers"
    assert [(c.cause_id, c.effect_id) for c in then.causes] == [(evolved["c1"].pk, evolved["f1"].pk)]
    assert now.causes == []
    measures = {m.code: m for m in then.measures.values()}
    assert sorted(measures) == ["C1.1", "F1.1"]  # C1.1 was deleted since, and still is part of that map
    assert measures["F1.1"].target == 8
    assert list(measures["F1.1"].actuals.values) == [8.5]  # the value as entered then, not the correction
    assert [m.target for m in now.measures.values() if m.code == "F1.1"] == [9]


def test_statuses_of_a_past_date_are_scored_on_the_targets_and_values_of_then(evolved: Any) -> None:
    unit = evolved["unit"]
    then = load_snapshot(unit, structure_at=end_of_day(PAST), as_of=PAST)
    now = load_snapshot(unit, as_of=PAST)
    f1 = evolved["f1"].pk
    assert compute_scores(then, PAST).objectives[f1].status == "green"  # 8.5 against 8
    assert compute_scores(now, PAST).objectives[f1].status == "red"  # 5 against 9, red flag 6


def test_the_historical_snapshot_costs_at_most_the_same_twelve_queries(
    evolved: Any, django_assert_max_num_queries: Any
) -> None:
    # Fewer when a step has no ids to look for (no initiatives: no milestone or impact query).
    with django_assert_max_num_queries(QUERIES):
        load_snapshot(evolved["unit"], structure_at=end_of_day(PAST))
    with django_assert_max_num_queries(QUERIES):
        load_snapshot(None, structure_at=end_of_day(PAST))


def test_the_whole_enterprise_as_of_a_past_date(evolved: Any) -> None:
    then = load_snapshot(None, structure_at=end_of_day(PAST))
    assert sorted(o.code for o in then.objectives.values() if o.unit_id == evolved["unit"].pk) == ["C1", "F1"]


def test_render_map_draws_the_structure_of_then_and_says_so(evolved: Any) -> None:
    rendered = render_map(evolved["unit"], structure_as_of=PAST, fmt="dot")
    dot = rendered.data.decode()
    assert "Keep customers" in dot
    assert "coming back" not in dot and "Build data skills" not in dot
    assert f'id="c{evolved["c1"].pk}-{evolved["f1"].pk}"' in dot  # the link since removed
    assert f"Structure as of {PAST.isoformat()}, from the change history" in dot
    assert f"Status as of {PAST.isoformat()}" in dot  # status defaults to the structure's date
    assert "status-green" in dot and "status-red" not in dot
    assert rendered.filename == f"map-ret-structure-{PAST.isoformat()}.dot"
    today = render_map(evolved["unit"], fmt="dot").data.decode()
    assert "Build data skills" in today and "Structure as of" not in today


def test_render_map_takes_a_separate_status_date_and_the_drafting_view(evolved: Any) -> None:
    later = dt.date(2026, 3, 31)
    dot = render_map(evolved["unit"], structure_as_of=PAST, as_of=later, fmt="dot").data.decode()
    assert f"Status as of {later.isoformat()}" in dot
    assert render_map(evolved["unit"], structure_as_of=PAST, as_of=later, fmt="dot").filename == (
        f"map-ret-structure-{PAST.isoformat()}-status-{later.isoformat()}.dot")
    draft = render_map(evolved["unit"], structure_as_of=PAST, status=False, fmt="dot")
    assert "Drafting map" in draft.data.decode() and draft.filename.endswith(f"structure-{PAST.isoformat()}.dot")


def test_a_date_before_the_map_existed_is_a_clear_error(evolved: Any) -> None:
    with pytest.raises(RenderError, match=r"Unit RET had no strategy map on 2025-01-01\.") as caught:
        render_map(evolved["unit"], structure_as_of=dt.date(2025, 1, 1), fmt="dot")
    assert caught.value.code == "bad_request"


def test_the_command_renders_the_past_map(evolved: Any, tmp_path: Any) -> None:
    out = tmp_path / "then.svg"
    call_command("render_map", "RET", "--structure-as-of", PAST.isoformat(), "-o", str(out), stderr=io.StringIO())
    svg = out.read_text()
    assert svg.startswith("<?xml") and "Keep customers" in svg and "Build data skills" not in svg


@pytest.mark.parametrize(("args", "message"), [
    (["--structure-as-of", "last spring"], "--structure-as-of 'last spring' is not a date: write it as YYYY-MM-DD"),
    (["--structure-as-of", "2025-01-01"], "Unit RET had no strategy map on 2025-01-01"),
    (["--structure-as-of", "2999-01-01"], "The structure date 2999-01-01 is in the future: the history ends today"),
])
def test_the_command_explains_a_bad_structure_date(evolved: Any, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("render_map", "RET", *args, "--format", "dot", stdout=io.StringIO())


# ------------------------------------------------------------------------------------------- the map page
def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_map_page_shows_the_structure_of_a_past_date(evolved: Any, personas: Any) -> None:
    client = signed_in(personas.viewer)
    page = client.get("/units/RET/map/", {"structure_as_of": PAST.isoformat()}).content.decode()
    assert "The map as it stood at the end of 10 Jan 2026" in page
    assert "Keep customers" in page and "Build data skills" not in page and "coming back" not in page
    assert f'value="{PAST.isoformat()}"' in page  # the date stays in the form and the period picker
    assert f"/units/RET/map.pdf?as_of={PAST.isoformat()}&amp;structure_as_of={PAST.isoformat()}" in page
    now = client.get("/units/RET/map/").content.decode()
    assert "Build data skills" in now and "as it stood at the end" not in now


def test_the_past_map_downloads_as_a_pdf_and_prints(evolved: Any, personas: Any) -> None:
    client = signed_in(personas.viewer)
    pdf = client.get("/units/RET/map.pdf", {"structure_as_of": PAST.isoformat(), "paper": "a3"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert f"map-ret-structure-{PAST.isoformat()}.pdf" in pdf["Content-Disposition"]
    page = client.get("/units/RET/map/print/", {"structure_as_of": PAST.isoformat()}).content.decode()
    assert "Keep customers" in page and "Build data skills" not in page


def test_the_map_page_draws_the_changes_since_a_date(evolved: Any, personas: Any) -> None:
    client = signed_in(personas.viewer)
    page = client.get("/units/RET/map/", {"changes_since": PAST.isoformat()}).content.decode()
    assert "Changes to the map from 10 Jan 2026 to now" in page
    assert "change&#45;added" in page and "change&#45;changed" in page  # Graphviz writes "-" as &#45;
    assert "<li>+ objective L1: Build data skills (perspective L)</li>" in page
    assert "<li>- link C1 -&gt; F1</li>" in page
    pdf = client.get("/units/RET/map.pdf", {"changes_since": PAST.isoformat()})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and "map-diff-ret" in pdf["Content-Disposition"]


@pytest.mark.parametrize(("params", "message"), [
    ({"structure_as_of": "spring"}, "structure_as_of: “spring” is not a date"),
    ({"changes_since": "2026-13-01"}, "changes_since: “2026-13-01” is not a date"),
    ({"changes_since": "2026-02-01", "structure_as_of": "2026-01-15"}, "changes_since: 2026-02-01 is after"),
    ({"structure_as_of": "0001-01-01"}, "structure_as_of: 0001-01-01 is out of range"),
])
def test_bad_dates_on_the_map_page_are_a_400_naming_the_parameter(
    evolved: Any, personas: Any, params: dict[str, str], message: str
) -> None:
    client = signed_in(personas.viewer)
    for url in ("/units/RET/map/", "/units/RET/map.pdf", "/units/RET/map/print/"):
        response = client.get(url, params)
        assert response.status_code == 400, url
        assert message in response.content.decode(), url


def test_a_date_before_the_map_existed_says_so_on_the_page(evolved: Any, personas: Any) -> None:
    client = signed_in(personas.viewer)
    params = {"structure_as_of": "2025-01-01"}
    page = client.get("/units/RET/map/", params)
    assert page.status_code == 200
    assert "Unit RET had no strategy map on 2025-01-01." in page.content.decode()
    pdf = client.get("/units/RET/map.pdf", params)
    assert pdf.status_code == 400 and "had no strategy map on 2025-01-01" in pdf.content.decode()
    both = {"changes_since": "2025-01-01", "structure_as_of": "2025-06-01"}
    page = client.get("/units/RET/map/", both)
    assert "Unit RET had no strategy map on 2025-01-01 nor 2025-06-01." in page.content.decode()


def test_changes_since_before_the_map_existed_list_the_whole_map_as_added(evolved: Any, personas: Any) -> None:
    page = signed_in(personas.viewer).get("/units/RET/map/", {"changes_since": "2025-01-01"}).content.decode()
    assert "<li>+ objective L1: Build data skills (perspective L)</li>" in page
    assert "<li>+ objective F1: Grow revenue (perspective F)</li>" in page
    assert "change&#45;added" in page and "change&#45;removed" not in page


@override_settings(SCORECARD_VIEWERS_SEE_ALL=False)
def test_the_past_map_of_a_unit_out_of_sight_is_a_404(evolved: Any, personas: Any) -> None:
    client = signed_in(personas.outsider_manager)
    for params in ({"structure_as_of": PAST.isoformat()}, {"changes_since": PAST.isoformat()}):
        assert client.get("/units/RET/map/", params).status_code == 404
        assert client.get("/units/RET/map.pdf", params).status_code == 404


# ------------------------------------------------------------------------------------------------- the API
def test_the_map_render_endpoint_takes_structure_as_of(evolved: Any, personas: Any) -> None:
    from tests.test_api_support import client_for

    client = client_for(personas.viewer)
    url = f"/api/units/{evolved['unit'].pk}/map/"
    then = client.get(url, {"structure_as_of": PAST.isoformat(), "fmt": "dot"})
    assert then.status_code == 200
    dot = then.content.decode()
    assert "Keep customers" in dot and "Build data skills" not in dot and f"Status as of {PAST}" in dot
    assert f"map-ret-structure-{PAST.isoformat()}.dot" in then["Content-Disposition"]
    bad = client.get(url, {"structure_as_of": "2026-02-30"})
    assert bad.status_code == 400 and "structure_as_of" in bad.json()
    before = client.get(url, {"structure_as_of": "2025-01-01"})
    assert before.status_code == 400 and "had no strategy map on 2025-01-01" in before.json()["detail"]
