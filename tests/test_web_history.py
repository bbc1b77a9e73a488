"""Change history on the objective and initiative pages: who changed what and when, read from the real pages."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from django.utils.formats import date_format

from cascade.web.history import HISTORY_LIMIT
from scorecard.history import acting_as
from scorecard.models import Actual, CauseEffectLink, Measure
from scorecard.results_io import import_actuals
from scorecard.services import actual_record, save_validated
from tests.factories import InitiativeFactory, MeasureFactory, MilestoneFactory, ObjectiveFactory
from tests.test_web_support import build_enterprise

pytestmark = pytest.mark.django_db
Q3 = dt.date(2026, 9, 30)


@pytest.fixture
def ent(tree: Any, personas: Any) -> Any:
    return build_enterprise(tree)


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_of(client: Client, url: str, **params: str) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, url
    return response.content.decode()


def _text(fragment: str) -> str:
    """What a reader sees: tags dropped, the screen-reader words beside the arrow too, spaces collapsed."""
    fragment = re.sub(r'<span class="visually-hidden">.*?</span>', "", fragment, flags=re.S)
    fragment = re.sub(r"</?(?:li|ul|p|br)\b[^>]*>", " ", fragment)  # blocks part words; inline tags do not
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def history_rows(page: str) -> list[dict[str, str]]:
    """The History table's rows, newest first, as {When, Who, What, Change} texts (plus the machine time)."""
    section = page[page.index('<section class="history"'):]
    section = section[:section.index("</section>")]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", section, re.S):
        cells = dict(re.findall(r'<td data-label="(\w+)">(.*?)</td>', row, re.S))
        if cells:
            texts = {label: _text(cell) for label, cell in cells.items()}
            texts["datetime"] = re.search(r'<time datetime="([^"]+)"', cells["When"]).group(1)  # type: ignore[union-attr]
            rows.append(texts)
    return rows


def target_history(page: str, measure: Measure) -> list[str]:
    """The lines of a measure card's target history, newest first."""
    card = page[page.index(f'id="measure-{measure.pk}"'):]
    card = card[:card.index("</article>")]
    if "Target history" not in card:
        return []
    listing = card[card.index('<ul class="target-history">'):]
    return [_text(item) for item in re.findall(r"<li>(.*?)</li>", listing[:listing.index("</ul>")], re.S)]


def find(rows: list[dict[str, str]], what: str, change: str = "") -> list[dict[str, str]]:
    return [r for r in rows if r["What"] == what and change in r["Change"]]


# ---------------------------------------------------------------------------------------------- objective
def test_the_objective_page_shows_who_changed_the_objective_newest_first(ent: Any, personas: Any) -> None:
    r1 = ent.ret_objectives[0]
    with acting_as(personas.manager):
        r1.name = "Grow revenue faster"
        r1.description = "Repeat customers first"
        save_validated(r1)
    with acting_as(personas.executive):
        r1.owner = personas.manager
        r1.weight = 2
        save_validated(r1)
    rows = history_rows(page_of(signed_in(personas.viewer), f"/objectives/{r1.pk}/"))
    mine = find(rows, "Objective R1")
    assert [(r["Who"], r["Change"]) for r in mine] == [
        ("exec", "changed owner — → ret_manager weight 1 → 2"),
        ("ret_manager", "changed name Grow revenue 1 → Grow revenue faster description — → Repeat customers first"),
        ("system", "created"),  # made by the factories: nobody to name, as with load_demo
    ]
    times = [r["datetime"] for r in rows]
    assert times == sorted(times, reverse=True)
    assert rows[0] == mine[0]


def test_target_changes_show_under_their_own_measure_card(ent: Any, personas: Any) -> None:
    r1 = ent.ret_objectives[0]
    sales, other = ent.ret_measures[0], MeasureFactory(objective=r1, code="R1.2", target=50)
    with acting_as(personas.manager):
        sales.target = 110
        save_validated(sales)
    with acting_as(personas.executive):
        other.red_flag = 40
        other.polarity = "decreasing"
        save_validated(other)
    page = page_of(signed_in(personas.viewer), f"/objectives/{r1.pk}/")
    lines = target_history(page, sales)
    assert re.fullmatch(r"target 100 → 110 by ret_manager on \d+ \w{3} \d{4} \d\d:\d\d", lines[0])
    assert lines[1].startswith("Created with target 100; red flag 90; polarity Increasing is better; scoring "
                               "Goal / red flag by system on ")
    assert all("red flag 90 → 40" not in line for line in lines)
    assert target_history(page, other)[0].startswith(
        "red flag — → 40; polarity Increasing is better → Decreasing is better by exec on ")
    # The timeline has them too, under the measure's code.
    rows = history_rows(page)
    assert find(rows, "Measure R1.1", "target 100 → 110")[0]["Who"] == "ret_manager"


def test_a_removed_link_is_still_listed_even_when_its_other_objective_is_gone(ent: Any, personas: Any) -> None:
    r1, r2 = ent.ret_objectives
    assert CauseEffectLink.objects.filter(cause=r2, effect=r1).exists()
    with acting_as(personas.manager):
        CauseEffectLink.objects.get(cause=r2, effect=r1).delete()
    client = signed_in(personas.viewer)
    for objective in (r1, r2):
        rows = find(history_rows(page_of(client, f"/objectives/{objective.pk}/")), "Link R2 → R1")
        assert [(r["Who"], r["Change"]) for r in rows] == [("ret_manager", "removed"), ("system", "added")]
    r3 = ObjectiveFactory(map=r1.map, perspective=r1.perspective, code="R3")
    CauseEffectLink.objects.create(cause=r3, effect=r1)
    with acting_as(personas.executive):
        r3.delete()  # takes its link along: R1 still says which link went
    rows = find(history_rows(page_of(client, f"/objectives/{r1.pk}/")), "Link R3 → R1")
    assert [(r["Who"], r["Change"]) for r in rows] == [("exec", "removed"), ("system", "added")]


def test_alignment_changes_show_on_both_objectives(ent: Any, personas: Any) -> None:
    alignment = ent.ret_objectives[0].alignments.get()
    with acting_as(personas.executive):
        alignment.weight = 3
        save_validated(alignment)
    client = signed_in(personas.executive)
    for objective in (ent.ret_objectives[0], ent.nw_objective):
        rows = find(history_rows(page_of(client, f"/objectives/{objective.pk}/")), "Alignment RET R1 → NW F1")
        assert [(r["Who"], r["Change"]) for r in rows] == [("exec", "changed weight 1 → 3"), ("system", "added")]


def test_an_actual_correction_shows_old_and_new_value_with_its_period_and_a_deletion(ent: Any, personas: Any
                                                                                     ) -> None:
    sales = ent.ret_measures[0]
    with acting_as(personas.updater):
        actual_record(measure=sales, period=Q3, value=115, note="recount")
    with acting_as(personas.manager):
        Actual.objects.get(measure=sales, period=dt.date(2025, 12, 31)).delete()
    rows = history_rows(page_of(signed_in(personas.viewer), f"/objectives/{ent.ret_objectives[0].pk}/"))
    assert [(r["Who"], r["Change"]) for r in find(rows, "Actual R1.1 · 30 Sep 2026")] == [
        ("ret_updater", "corrected value 110 → 115 note Quarter 4 note → recount"),
        ("system", "entered value 110 note Quarter 4 note"),
    ]
    assert [(r["Who"], r["Change"]) for r in find(rows, "Actual R1.1 · 31 Dec 2025")] == [
        ("ret_manager", "deleted"), ("system", "entered value 80 note Quarter 1 note")]


def test_an_import_shows_its_reason_and_its_user_or_says_import(ent: Any, personas: Any) -> None:
    def upload(value: int, user: Any, name: str) -> None:
        data = io.BytesIO(f"unit,measure,period,value,note\nRET,R1.1,2026-09-30,{value},\n".encode())
        result = import_actuals(data, fmt="csv", user=user, reason=f"import_actuals {name}")
        assert not result.errors, result.errors

    upload(120, personas.updater, "q3.csv")  # an empty note column clears the note
    upload(125, None, "q3-restated.csv")  # a script without --user: nobody to name
    rows = history_rows(page_of(signed_in(personas.viewer), f"/objectives/{ent.ret_objectives[0].pk}/"))
    corrections = find(rows, "Actual R1.1 · 30 Sep 2026", "corrected")
    assert [(r["Who"], r["Change"]) for r in corrections] == [
        ("import", "corrected value 120 → 125 Reason: import_actuals q3-restated.csv"),
        ("ret_updater", "corrected value 110 → 120 note Quarter 4 note → — Reason: import_actuals q3.csv"),
    ]


def test_only_the_newest_changes_show_until_all_are_asked_for(ent: Any, personas: Any) -> None:
    r1, sales = ent.ret_objectives[0], ent.ret_measures[0]
    with acting_as(personas.manager):
        for step in range(HISTORY_LIMIT + 5):
            sales.target = 200 + step
            save_validated(sales)
    client = signed_in(personas.viewer)
    page = page_of(client, f"/objectives/{r1.pk}/", as_of="2026-09-30")
    total = len(history_rows(page_of(client, f"/objectives/{r1.pk}/", history="all")))
    assert total > HISTORY_LIMIT + 5
    rows = history_rows(page)
    assert len(rows) == HISTORY_LIMIT
    assert "target 223 → 224" in rows[0]["Change"]
    assert f'href="?as_of=2026-09-30&amp;history=all#history">Show all {total} changes</a>' in page
    lines = target_history(page, sales)
    assert len(lines) == HISTORY_LIMIT and lines[0].startswith("target 223 → 224 ")
    assert f"Show all {HISTORY_LIMIT + 6} target changes" in page

    everything = page_of(client, f"/objectives/{r1.pk}/", as_of="2026-09-30", history="all")
    assert len(history_rows(everything)) == total
    assert len(target_history(everything, sales)) == HISTORY_LIMIT + 6
    assert target_history(everything, sales)[-1].startswith("Created with target 100")
    assert "Show all" not in everything
    assert f'href="?as_of=2026-09-30#history">Show the newest {HISTORY_LIMIT} only</a>' in everything


@override_settings(TIME_ZONE="Pacific/Auckland")
def test_times_are_shown_in_the_sites_time_zone(ent: Any, personas: Any) -> None:
    r1 = ent.ret_objectives[0]
    with acting_as(personas.manager):
        r1.name = "Renamed"
        save_validated(r1)
    when = r1.history.latest().history_date
    rows = history_rows(page_of(signed_in(personas.viewer), f"/objectives/{r1.pk}/"))
    assert rows[0]["When"] == date_format(timezone.localtime(when), "j M Y H:i")
    assert rows[0]["When"] != date_format(when.astimezone(dt.UTC), "j M Y H:i") or when.hour == 0


def test_an_objective_without_changes_says_so_and_a_measure_without_targets_has_no_target_history(
    tree: Any, personas: Any
) -> None:
    from scorecard.models import Objective

    objective = ObjectiveFactory(map=tree.ret.strategy_map, code="Q1")
    Objective.history.filter(id=objective.pk).delete()  # records from before history was kept: none at all
    measure = MeasureFactory(objective=objective, code="Q1.1", target=None)
    Measure.history.filter(id=measure.pk).delete()
    page = page_of(signed_in(personas.viewer), f"/objectives/{objective.pk}/")
    assert "No changes recorded yet." in page and "Target history" not in page


# --------------------------------------------------------------------------------------------- initiative
def test_the_initiative_page_shows_changes_to_the_initiative_its_milestones_and_its_links(ent: Any, personas: Any
                                                                                          ) -> None:
    initiative = ent.ret_initiative
    pilot = initiative.milestones.get()
    with acting_as(personas.manager):
        initiative.budget = 1500
        initiative.end = dt.date(2027, 3, 31)
        initiative.owner = personas.updater
        save_validated(initiative)
        MilestoneFactory(initiative=initiative, name="Rollout", due=dt.date(2026, 12, 31)).delete()
    client = signed_in(personas.manager)
    # Through the pages: HistoryRequestMiddleware names the signed-in user.
    response = signed_in(personas.updater).post(f"/initiatives/{initiative.pk}/progress/", {
        "version": initiative.version, "percent_complete": "55", "spent": "300", "status_note": "On track again",
        f"done_{pilot.pk}": "2026-07-15"})
    assert response.status_code == 302
    response = client.post(f"/initiatives/{initiative.pk}/links/", {"objective": ent.nw_objective.pk, "weight": "2",
                                                                  "note": ""})
    assert response.status_code == 302
    impact = initiative.impacts.get(objective=ent.ret_objectives[0])
    assert client.post(f"/initiatives/{initiative.pk}/links/{impact.pk}/delete/").status_code == 302

    rows = history_rows(page_of(signed_in(personas.viewer), f"/initiatives/{initiative.pk}/"))
    seen = [(r["Who"], r["What"], r["Change"]) for r in rows]
    assert ("ret_manager", "Link to RET R1", "removed") in seen
    assert ("ret_manager", "Link to NW F1", "added") in seen
    assert ("ret_updater", "Milestone Pilot stores live", "changed done — → 15 Jul 2026") in seen
    assert ("ret_updater", "Initiative LOYAL",
            "changed spent 200 → 300 percent complete 40 → 55 status note — → On track again") in seen
    assert ("ret_manager", "Initiative LOYAL",
            "changed owner — → ret_updater end 31 Dec 2026 → 31 Mar 2027 budget 1,000 → 1,500") in seen
    assert [r[2] for r in seen if r[1] == "Milestone Rollout"] == ["removed", "added due 31 Dec 2026"]
    assert seen[0][1] == "Link to RET R1" and seen[-1] == ("system", "Initiative LOYAL", "created")


# -------------------------------------------------------------------------------------------- permissions
@override_settings(SCORECARD_VIEWERS_SEE_ALL=False)
def test_history_adds_no_way_in_a_viewer_of_another_branch_still_gets_404(ent: Any, personas: Any) -> None:
    whs_initiative = InitiativeFactory(unit=ent.tree.whs, code="WHSI")
    with acting_as(personas.outsider_manager):
        ent.whs_objective.name = "Wholesale secret"
        save_validated(ent.whs_objective)
    viewer = signed_in(personas.viewer)  # viewer of RET
    for url in (f"/objectives/{ent.whs_objective.pk}/", f"/initiatives/{whs_initiative.pk}/"):
        for params in ({}, {"history": "all"}):
            assert viewer.get(url, params).status_code == 404, (url, params)
    outsider = signed_in(personas.outsider_manager)  # manager of WHS
    for url in (f"/objectives/{ent.ret_objectives[0].pk}/", f"/initiatives/{ent.ret_initiative.pk}/"):
        assert outsider.get(url, {"history": "all"}).status_code == 404, url
    assert "Wholesale secret" in page_of(outsider, f"/objectives/{ent.whs_objective.pk}/")
