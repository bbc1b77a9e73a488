"""What people do in a real browser: enter results and link an initiative and see the map change, print a map on
one page, walk every page without console errors, keyboard use, a tablet, hostile names."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest

from scorecard.models import Actual, Impact
from tests.browser.conftest import ARTIFACTS, Watched
from tests.test_web_support import HOSTILE, build_enterprise

pytestmark = [pytest.mark.browser, pytest.mark.slow]
AS_OF = "2026-09-30"


def objective_classes(w: Watched, objective_id: int) -> str:
    return str(w.page.locator(f"[data-map-frame] svg g#o{objective_id}").get_attribute("class"))


def pdf_pages(path: str) -> int:
    info = subprocess.run(["pdfinfo", path], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]


def test_a_unit_manager_enters_results_links_an_initiative_and_sees_the_map_change(
    watched: Watched, tree: Any, personas: Any
) -> None:
    ent = build_enterprise(tree)
    r1, r2 = ent.ret_objectives
    w, page = watched, watched.page
    w.sign_in("ret_manager")
    w.go(f"/units/RET/map/?as_of={AS_OF}")
    assert "status-green" in objective_classes(w, r1.pk)
    w.shot("01-map-before")

    # Results for the quarter: R1.1 falls far below its red flag; one bad cell first, then fixed.
    w.go(f"/units/RET/results/?period={AS_OF}")
    m1, m2 = ent.ret_measures
    page.fill(f"#id_value_{m1.pk}", "40")
    page.fill(f"#id_value_{m2.pk}", "a lot")
    page.click("text=Save all results")
    assert page.locator(".error-summary").is_visible()
    assert page.locator(f"#id_value_{m2.pk}-errors").inner_text() == "R2.1: “a lot” is not a number."
    w.shot("02-results-bad-cell")
    assert Actual.objects.get(measure=m1, period=AS_OF).value == 110  # nothing saved
    page.fill(f"#id_value_{m2.pk}", "105")
    page.fill(f"#id_note_{m1.pk}", "Competitor price war")
    page.click("text=Save all results")
    page.wait_for_url(re.compile(r"/units/RET/results/\?period=2026-09-30$"))
    assert "Saved 2 value(s) for 2026-09-30." in page.locator(".messages").inner_text()
    w.shot("03-results-saved")

    # Link the initiative to the other objective too.
    w.go(f"/initiatives/{ent.ret_initiative.pk}/")
    page.select_option("#id_objective", str(r2.pk))
    page.fill("#id_weight", "2")
    page.click(".link-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/initiatives/{ent.ret_initiative.pk}/$"))
    assert Impact.objects.filter(initiative=ent.ret_initiative, objective=r2).exists()
    w.shot("04-initiative-linked")

    # The map shows the drop, and its toggles work.
    w.go(f"/units/RET/map/?as_of={AS_OF}")
    assert "status-red" in objective_classes(w, r1.pk)
    w.shot("05-map-after")
    page.uncheck("#toggle-status")
    assert "no-status" in str(page.locator("[data-map-frame]").get_attribute("class"))
    page.check("#toggle-status")
    page.select_option("#theme-select", "theme-opx")
    assert "theme-hit" in objective_classes(w, r1.pk)
    assert "theme-hit" not in objective_classes(w, r2.pk)
    w.shot("06-map-theme-highlight")
    # Clicking an objective opens its page.
    page.locator(f"[data-map-frame] svg g#o{r1.pk} a").first.click()
    page.wait_for_url(re.compile(rf"/objectives/{r1.pk}/$"))
    assert "Competitor price war" in page.content()
    w.shot("07-objective")


def test_a_facilitator_prints_the_map_on_one_page_and_downloads_the_pdf(
    watched: Watched, tree: Any, personas: Any
) -> None:
    build_enterprise(tree, objectives_per_unit=6)
    w, page = watched, watched.page
    w.sign_in("exec")
    for paper in ("a4", "a3"):
        w.go(f"/units/RET/map/print/?as_of={AS_OF}&paper={paper}")
        w.shot(f"10-print-view-{paper}")
        page.emulate_media(media="print")
        ARTIFACTS.mkdir(exist_ok=True)
        target = ARTIFACTS / f"print-{paper}.pdf"
        page.pdf(path=str(target), prefer_css_page_size=True, print_background=True)
        assert pdf_pages(str(target)) == 1, paper
        size = subprocess.run(["pdfinfo", str(target)], capture_output=True, text=True, check=True).stdout
        width, height = (float(x) for x in re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", size).groups())  # type: ignore[union-attr]
        assert width > height  # landscape
        assert abs(width - (842 if paper == "a4" else 1191)) < 3
        page.emulate_media(media="screen")
        with page.expect_download() as info:
            page.click("text=Download PDF")
        download = ARTIFACTS / f"download-{paper}.pdf"
        info.value.save_as(str(download))
        assert pdf_pages(str(download)) == 1


def test_every_page_loads_without_console_errors_and_works_from_the_keyboard(
    watched: Watched, tree: Any, personas: Any
) -> None:
    ent = build_enterprise(tree)
    w, page = watched, watched.page
    w.sign_in("ret_manager")
    pages = {
        "20-home": "/", "21-scorecard": "/units/RET/", "22-cascade": "/units/NW/cascade/",
        "23-gaps": "/units/RET/gaps/", "24-initiative": f"/initiatives/{ent.ret_initiative.pk}/",
        "25-progress": f"/initiatives/{ent.ret_initiative.pk}/progress/",
        "26-new-initiative": "/units/RET/initiatives/new/", "27-results": "/units/RET/results/",
    }
    for name, path in pages.items():
        w.go(path + ("&" if "?" in path else "?") + f"as_of={AS_OF}" if "progress" not in path else path)
        assert page.title().endswith("Scorecard Cascade")
        w.shot(name)
    # Keyboard: the first Tab reaches the skip link, Enter moves focus to the content.
    w.go("/units/RET/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # The period picker submits on change.
    page.select_option("#as-of", "2026-03-31")
    page.wait_for_url(re.compile(r"as_of=2026-03-31"))
    # Focus is visible: a focused link gets an outline.
    page.focus("a.brand")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    # Signing out is a POST from the header; afterwards pages ask to sign in again.
    page.click("text=Sign out")
    page.wait_for_url(re.compile(r"/login/$"))
    w.go("/units/RET/")
    assert "/login/?next=" in page.url
    page.fill("#id_username", "ret_manager")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    assert "Please enter a correct" in page.locator(".error-summary").inner_text()
    w.shot("28-login-error")


def test_a_tablet_shows_the_scorecard_without_sideways_scrolling(browser: Any, live_server: Any, tree: Any,
                                                                   personas: Any) -> None:
    build_enterprise(tree)
    context = browser.new_context(viewport={"width": 768, "height": 1024}, has_touch=True, is_mobile=True)
    page = context.new_page()
    w = Watched(page, live_server.url)
    w.sign_in("ret_viewer")
    for name, path in (("30-tablet-scorecard", "/units/RET/"), ("31-tablet-map", "/units/RET/map/")):
        w.go(f"{path}?as_of={AS_OF}")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{path} scrolls sideways by {overflow}px"
        w.shot(name)
    context.close()
    assert not w.problems, "\n".join(w.problems)


def test_hostile_names_show_as_text_on_every_page(watched: Watched, tree: Any, personas: Any) -> None:
    ent = build_enterprise(tree, name=HOSTILE)
    for obj in (tree.ret, tree.nw):
        obj.name = HOSTILE
        obj.save()
    ent.ret_initiative.name = HOSTILE
    ent.ret_initiative.status_note = HOSTILE
    ent.ret_initiative.save()
    m = ent.ret_measures[0]
    m.name, m.units = HOSTILE, "<script>alert(1)</script>"  # units hold 40 characters
    m.save()
    w, page = watched, watched.page
    w.sign_in("exec")
    paths = ["/", "/units/RET/", "/units/RET/map/", "/units/RET/map/print/", "/units/NW/cascade/",
             "/units/RET/gaps/", f"/objectives/{ent.ret_objectives[0].pk}/", f"/initiatives/{ent.ret_initiative.pk}/",
             "/units/RET/results/", f"/initiatives/{ent.ret_initiative.pk}/progress/"]
    for i, path in enumerate(paths):
        w.go(f"{path}?as_of={AS_OF}")
        # The name is on the page as text, and no element came out of it.
        assert HOSTILE in page.locator("main").inner_text(), path
        assert page.evaluate("document.querySelectorAll('main script').length") == 0, path
        w.shot(f"40-hostile-{i}")
