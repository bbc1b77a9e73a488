"""The reading pages on a real database with real Graphviz: content, access, parameters, headers."""

from __future__ import annotations

import re
import subprocess
import tempfile
from typing import Any

import pytest
from django.test import Client, override_settings

from scorecard.models import Objective
from tests.factories import MeasureFactory
from tests.test_web_support import build_enterprise

pytestmark = pytest.mark.django_db
AS_OF = "2026-09-30"


@pytest.fixture
def ent(tree: Any, personas: Any) -> Any:
    return build_enterprise(tree)


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_urls(ent: Any) -> list[str]:
    return [
        "/", "/units/RET/", "/units/RET/map/", "/units/RET/map/print/", "/units/RET/cascade/", "/units/RET/gaps/",
        f"/objectives/{ent.ret_objectives[0].pk}/", f"/initiatives/{ent.ret_initiative.pk}/",
    ]


def test_every_page_sends_anonymous_users_to_sign_in(ent: Any) -> None:
    for url in [*page_urls(ent), "/units/RET/map.pdf"]:
        response = Client().get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/?next="), url


def test_every_page_opens_for_a_viewer_with_a_content_security_policy_and_no_framing(ent: Any, personas: Any
                                                                                      ) -> None:
    client = signed_in(personas.viewer)
    for url in page_urls(ent):
        response = client.get(url, {"as_of": AS_OF})
        assert response.status_code == 200, url
        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, url
        assert "frame-ancestors 'none'" in csp
        assert response["X-Frame-Options"] == "DENY"
        page = response.content.decode()
        assert "<script>" not in page and " style=" not in page and "<style" not in page, url


def test_unknown_codes_and_ids_are_404(ent: Any, personas: Any) -> None:
    client = signed_in(personas.viewer)
    for url in ["/units/NOPE/", "/units/NOPE/map/", "/units/NOPE/map/print/", "/units/NOPE/cascade/",
                "/units/NOPE/gaps/", "/units/NOPE/map.pdf", "/objectives/999999/", "/initiatives/999999/"]:
        assert client.get(url).status_code == 404, url


@override_settings(SCORECARD_VIEWERS_SEE_ALL=False)
def test_units_outside_a_viewers_subtree_are_404_when_viewers_do_not_see_all(ent: Any, personas: Any) -> None:
    client = signed_in(personas.viewer)  # viewer of RET
    assert client.get("/units/RET/").status_code == 200
    assert client.get("/units/RET-EC/").status_code == 200
    for url in ["/units/WHS/", "/units/WHS/map/", "/units/NW/", f"/objectives/{ent.whs_objective.pk}/"]:
        assert client.get(url).status_code == 404, url
    home = client.get("/").content.decode()
    assert "/units/RET/" in home and "/units/WHS/" not in home


def test_home_shows_the_unit_tree_with_scores_and_status_words(ent: Any, personas: Any) -> None:
    page = signed_in(personas.viewer).get("/", {"as_of": AS_OF}).content.decode()
    # RET's two measures end at 110 against target 100 (red flag 90): a goal beyond the goal scores 10, green.
    assert re.search(r'href="/units/RET/\?as_of=2026-09-30">RET</a>.*?10\.0.*?On target', page, re.S)
    # NW's objective is supported by RET R1 (10): NW rolls up to green too; the tree nests RET under NW.
    assert page.index(">NW<") < page.index(">RET<") < page.index(">RET-EC<")
    assert "No data" in page  # WHS: objective without measures


def test_the_scorecard_lists_perspectives_objectives_and_measures_with_status_trend_and_sparkline(
    ent: Any, personas: Any
) -> None:
    MeasureFactory(objective=ent.ret_objectives[1], code="TBD1", name="Future measure", target=None)
    page = signed_in(personas.viewer).get("/units/RET/", {"as_of": AS_OF}).content.decode()
    assert page.index(">Financial<") < page.index(">Customer<")
    assert "R1.1 Sales 1" in page and "110" in page and "10.0" in page
    assert "On target" in page and "↗" in page and "better" in page
    assert 'class="sparkline"' in page and 'aria-label="R1.1 last values: 80, 90, 100, 110"' in page
    assert "TBD" in page
    assert "Supports:" in page and f"/objectives/{ent.nw_objective.pk}/" in page
    assert "LOYAL Loyalty programme" in page


def test_the_as_of_picker_changes_the_values_shown(ent: Any, personas: Any) -> None:
    client = signed_in(personas.viewer)
    page = client.get("/units/RET/", {"as_of": "2026-03-31"}).content.decode()
    assert 'aria-label="R1.1 last values: 80, 90"' in page
    assert '<option value="2026-03-31" selected>' in page
    # An older period shows as stale when the last value lies more than two quarters back.
    page = client.get("/units/RET/", {"as_of": "2027-06-30"}).content.decode()
    assert "Stale" in page


def test_an_unreadable_as_of_or_paper_or_depth_is_a_400_naming_the_parameter(ent: Any, personas: Any) -> None:
    client = signed_in(personas.viewer)
    response = client.get("/units/RET/", {"as_of": "last week"})
    assert response.status_code == 400 and "as_of: “last week” is not a date" in response.content.decode()
    for far in ("0001-03-31", "9999-12-31"):
        response = client.get("/units/RET/", {"as_of": far})
        assert response.status_code == 400 and f"as_of: {far} is out of range" in response.content.decode()
    response = client.get("/units/RET/map/print/", {"paper": "a0"})
    assert response.status_code == 400 and "paper: “a0” is not a paper size" in response.content.decode()
    response = client.get("/units/RET/cascade/", {"depth": "99"})
    assert response.status_code == 400 and "depth: 99 is out of range" in response.content.decode()


def test_the_map_page_inlines_the_renderers_svg_with_links_and_status_classes(ent: Any, personas: Any) -> None:
    page = signed_in(personas.viewer).get("/units/RET/map/", {"as_of": AS_OF}).content.decode()
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page
    assert re.search(r'<svg\b', page)
    assert re.search(r'class="[^"]*objective[^"]*status&#45;green', page) or 'status-green' in page
    assert f'/objectives/{ent.ret_objectives[0].pk}/' in page
    assert 'id="toggle-status"' in page and '<option value="theme-opx">Operational excellence</option>' in page
    assert '/units/RET/cascade/' in page and '/units/RET/map/print/' in page


def test_the_print_view_sets_the_paper_and_offers_the_pdf(ent: Any, personas: Any) -> None:
    client = signed_in(personas.viewer)
    page = client.get("/units/RET/map/print/", {"as_of": AS_OF}).content.decode()
    assert "print-a4" in page and "print-a3.css" not in page
    assert '/units/RET/map.pdf?as_of=2026-09-30&amp;paper=a4' in page
    page = client.get("/units/RET/map/print/", {"as_of": AS_OF, "paper": "a3"}).content.decode()
    assert "print-a3.css" in page and "A3 landscape" in page


def pdf_pages(data: bytes) -> int:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        info = subprocess.run(["pdfinfo", f.name], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]


@pytest.mark.parametrize("paper", ["a4", "a3"])
def test_the_pdf_download_is_one_page_of_the_chosen_paper(ent: Any, personas: Any, paper: str) -> None:
    client = signed_in(personas.viewer)
    for url in ["/units/RET/map.pdf", "/units/RET/map/print/"]:
        response = client.get(url, {"as_of": AS_OF, "paper": paper, "download": "pdf"})
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment; filename=")
        assert response.content.startswith(b"%PDF")
        assert pdf_pages(response.content) == 1


def test_a_unit_without_a_map_says_so_instead_of_failing(ent: Any, personas: Any) -> None:
    from tests.factories import OrgUnitFactory

    OrgUnitFactory(code="NEW", name="New unit", parent=ent.tree.nw)
    client = signed_in(personas.viewer)
    assert "has no strategy map yet" in client.get("/units/NEW/map/").content.decode()
    assert "has no strategy map yet" in client.get("/units/NEW/").content.decode()
    response = client.get("/units/NEW/map.pdf")
    assert response.status_code == 400 and "has no strategy map yet" in response.content.decode()


def test_the_cascade_shows_the_picture_and_the_same_units_as_a_table(ent: Any, personas: Any) -> None:
    page = signed_in(personas.viewer).get("/units/NW/cascade/", {"as_of": AS_OF, "depth": "1"}).content.decode()
    assert "<svg" in page
    table = page[page.index("Units in this cascade"):]
    assert "RET Retail" in table and "WHS Wholesale" in table and "RET-EC" not in table
    # Two levels deep, the table reads as the tree: each unit right under its parent.
    page = signed_in(personas.viewer).get("/units/NW/cascade/", {"as_of": AS_OF, "depth": "2"}).content.decode()
    table = page[page.index("Units in this cascade"):]
    assert table.index("NW Northwind") < table.index("RET Retail") < table.index("RET-EC E-commerce") < (
        table.index("WHS Wholesale"))


def test_renderer_links_to_units_by_id_lead_to_the_units_page(ent: Any, personas: Any) -> None:
    response = signed_in(personas.viewer).get(f"/units/{ent.tree.ret.pk}/")
    assert response.status_code == 302 and response["Location"] == "/units/RET/"


def test_the_gaps_report_lists_what_is_not_connected(ent: Any, personas: Any) -> None:
    page = signed_in(personas.viewer).get("/units/RET/gaps/", {"as_of": AS_OF}).content.decode()
    # R2 supports nothing above; R2 has no initiative; NW F1 is supported (by R1).
    supporting_nothing = page[page.index("Objectives here that support nothing above"):
                              page.index("Objectives without measures")]
    assert "RET R2" in supporting_nothing and "RET R1" not in supporting_nothing
    unsupported = page[page.index("Objectives above that nothing here supports"):
                       page.index("Objectives here that support nothing above")]
    assert "NW F1" not in unsupported


def test_the_objective_page_has_the_chart_commentary_alignment_and_causes(ent: Any, personas: Any) -> None:
    r1 = ent.ret_objectives[0]
    page = signed_in(personas.viewer).get(f"/objectives/{r1.pk}/", {"as_of": AS_OF}).content.decode()
    assert 'class="chart"' in page and 'stroke-dasharray="8 4"' in page and "Target 100" in page
    assert "Red flag 90" in page
    assert "Quarter 4 note" in page and page.index("Quarter 4 note") < page.index("Quarter 1 note")
    assert f'/objectives/{ent.nw_objective.pk}/' in page  # supports NW F1
    causes = page[page.index("Driven by (causes)"):page.index("Drives (effects)")]
    assert "R2 " in causes  # R2 -> R1
    assert "LOYAL Loyalty programme" in page


def test_the_initiative_page_answers_status_and_strategic_questions(ent: Any, personas: Any) -> None:
    page = signed_in(personas.viewer).get(f"/initiatives/{ent.ret_initiative.pk}/", {"as_of": AS_OF}
                                          ).content.decode()
    assert "Schedule index" in page and "Cost index" in page and "Pilot stores live" in page
    assert "Overdue" in page  # due 2026-06-30, not done as of 2026-09-30
    reached = page[page.index("Strategy: which objectives"):page.index("Direct links")]
    assert "RET R1" in reached and "NW F1" in reached  # impact, then alignment upwards
    assert "Impact view" in page and "<svg" in page[page.index("Impact view"):]
    # A viewer gets neither the link form nor unlink buttons.
    assert "Link to an objective" not in page and "Unlink" not in page


def test_a_manager_sees_the_link_form_with_only_allowed_objectives(ent: Any, personas: Any) -> None:
    page = signed_in(personas.manager).get(f"/initiatives/{ent.ret_initiative.pk}/").content.decode()
    form = page[page.index("Link to an objective"):]
    form = form[:form.index("</form>")]
    assert f'value="{ent.nw_objective.pk}"' in form and f'value="{ent.ret_objectives[1].pk}"' in form
    assert f'value="{ent.whs_objective.pk}"' not in form and f'value="{ent.ret_objectives[0].pk}"' not in form
    assert "Unlink" in page


def test_objectives_are_counted_once_per_page(ent: Any, personas: Any) -> None:
    page = signed_in(personas.viewer).get("/units/RET/", {"as_of": AS_OF}).content.decode()
    for o in Objective.objects.filter(map__unit=ent.tree.ret):
        assert page.count(f'id="objective-{o.pk}"') == 1


@pytest.mark.parametrize("garbage", ["", "x", "2026-13-01", "2026-09-30'--", "9" * 60, "%00", "<script>", "-1"])
def test_garbage_query_parameters_get_a_page_or_a_400_never_a_500(ent: Any, personas: Any, garbage: str) -> None:
    client = signed_in(personas.manager)
    for url in [*page_urls(ent), "/units/RET/map.pdf", "/units/RET/results/"]:
        response = client.get(url, {"as_of": garbage, "paper": garbage, "depth": garbage, "period": garbage,
                                    "aligned": garbage, "download": garbage})
        assert response.status_code in (200, 400), (url, garbage, response.status_code)
        assert "<script>" not in response.content.decode().replace("<script src=", "")
