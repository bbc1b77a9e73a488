"""Review meetings through the database: planning, editing the agenda, recording, closing, constraints, the
commands and the briefing pack's PDF (real WeasyPrint, real Graphviz, text read back with pdftotext)."""

from __future__ import annotations

import datetime as dt
import subprocess
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from cascade.models import ActionItem, AgendaItem, ReviewMeeting
from cascade.reviews import services
from tests.factories import (
    ActualFactory,
    CauseEffectLinkFactory,
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
def scenario(tree: Any) -> dict[str, Any]:
    """RET's map: P3 (red) -> C2 (amber) -> F1 (green); CRM at risk impacts C2; REFIT impacts nothing."""
    smap = tree.ret.strategy_map
    f = PerspectiveFactory(map=smap, code="F", name="Financial", position=0)
    c = PerspectiveFactory(map=smap, code="C", name="Customer", position=1)
    p = PerspectiveFactory(map=smap, code="P", name="Process", position=2)
    f1 = ObjectiveFactory(map=smap, perspective=f, code="F1", name="Grow revenue")
    c2 = ObjectiveFactory(map=smap, perspective=c, code="C2", name="Improve retention")
    p3 = ObjectiveFactory(map=smap, perspective=p, code="P3", name="Faster onboarding")
    for obj, value in ((f1, 100.0), (c2, 85.0), (p3, 50.0)):
        m = MeasureFactory(objective=obj, code=f"{obj.code}.1", name=f"{obj.name} index", target=100.0,
                           red_flag=80.0)
        ActualFactory(measure=m, period=AS_OF, value=value)
    CauseEffectLinkFactory(cause=p3, effect=c2)
    CauseEffectLinkFactory(cause=c2, effect=f1)
    crm = InitiativeFactory(unit=tree.ret, code="CRM", name="CRM rollout", start=dt.date(2026, 8, 1),
                            end=dt.date(2026, 11, 9), budget=100000, spent=70000, percent_complete=45)
    ImpactFactory(initiative=crm, objective=c2)
    refit = InitiativeFactory(unit=tree.ret, code="REFIT", name="Office refit", percent_complete=10)
    return {"unit": tree.ret, "f1": f1, "c2": c2, "p3": p3, "crm": crm, "refit": refit}


def plan(scenario: dict[str, Any], **kw: Any) -> ReviewMeeting:
    meeting, _ = services.meeting_plan(unit=scenario["unit"], date=kw.pop("date", DAY), as_of=AS_OF, **kw)
    return meeting


def subjects(meeting: ReviewMeeting) -> list[str]:
    return [i.title for i in meeting.items.order_by("order")]


def test_planning_a_review_stores_the_generated_agenda_in_rank_order(scenario: dict[str, Any]) -> None:
    meeting = plan(scenario)
    items = list(meeting.items.order_by("order"))
    assert [i.title for i in items][:3] == ["P3 Faster onboarding", "CRM CRM rollout", "C2 Improve retention"]
    assert {i.title for i in items} >= {"REFIT Office refit"}
    assert "F1 Grow revenue" not in subjects(meeting)
    assert sum(i.minutes for i in items) == 90
    crm = next(i for i in items if i.initiative_id == scenario["crm"].pk)
    assert crm.question_list("status")[0].startswith(
        "CRM rollout is 45% complete where 60% was expected by 30 Sep (schedule index 0.75) and has spent 70%")
    assert "CRM rollout drives C2 Improve retention (amber) and through it F1 Grow revenue (green)" in \
        crm.strategic_questions
    assert crm.rank == 2 and crm.reason.startswith("at risk (schedule index 0.75)")


def test_open_actions_of_the_previous_review_are_the_first_item_of_the_next(scenario: dict[str, Any]) -> None:
    first = plan(scenario, date=dt.date(2026, 10, 1))
    owner = UserFactory(username="bob")
    services.action_add(meeting=first, description="Send churn analysis", owner=owner, due=dt.date(2026, 10, 8))
    done = services.action_add(meeting=first, description="Book the room")
    services.action_edit(action=done, done=dt.date(2026, 10, 2))
    second = plan(scenario)
    top = second.items.order_by("order").first()
    assert top.topic == "Open actions from earlier reviews: 1"
    assert top.status_questions == ("“Send churn analysis” (owner bob, due 8 Oct, 7 days overdue; from the review "
                                    "of 1 Oct): is it done? If not, what is in the way?")


def test_regenerating_keeps_recorded_and_hand_added_items_and_still_sums_to_the_length(
        scenario: dict[str, Any]) -> None:
    meeting = plan(scenario)
    p3 = meeting.items.get(objective=scenario["p3"])
    services.item_edit(item=p3, notes="Onboarding team is short of two people")
    services.item_add(meeting=meeting, topic="Budget 2027 preview", kind="strategic")
    before = meeting.items.count()
    services.agenda_regenerate(meeting=meeting)
    titles = subjects(meeting)
    assert titles[:2] == ["P3 Faster onboarding", "Budget 2027 preview"]
    assert titles.count("P3 Faster onboarding") == 1
    assert meeting.items.count() == before
    assert sum(meeting.items.values_list("minutes", flat=True)) == 90


def test_adding_an_object_writes_its_questions_from_the_data(scenario: dict[str, Any]) -> None:
    meeting = plan(scenario)
    item = services.item_add(meeting=meeting, objective=scenario["f1"])
    assert item.title == "F1 Grow revenue" and item.manual
    assert item.question_list("strategic")  # written from the graph, not left empty
    assert sum(meeting.items.values_list("minutes", flat=True)) == 90


def test_dropping_and_reordering_keep_the_time_whole(scenario: dict[str, Any]) -> None:
    meeting = plan(scenario)
    ids = list(meeting.items.order_by("order").values_list("pk", flat=True))
    services.item_drop(item=AgendaItem.objects.get(pk=ids[0]))
    assert sum(meeting.items.values_list("minutes", flat=True)) == 90
    rest = ids[1:]
    services.items_reorder(meeting=meeting, item_ids=list(reversed(rest)))
    assert list(meeting.items.order_by("order").values_list("pk", flat=True)) == list(reversed(rest))
    with pytest.raises(ValidationError, match="every item of this agenda exactly once"):
        services.items_reorder(meeting=meeting, item_ids=rest[:1])


def test_a_stale_version_is_refused_and_nothing_changes(scenario: dict[str, Any]) -> None:
    meeting = plan(scenario)
    item = meeting.items.first()
    services.item_edit(item=item, version=item.version, decision="Go")
    with pytest.raises(services.Stale, match="changed by someone else"):
        services.item_edit(item=item, version=item.version, decision="Stop")
    assert AgendaItem.objects.get(pk=item.pk).decision == "Go"


def test_a_closed_meeting_refuses_agenda_changes_but_its_actions_can_be_done(scenario: dict[str, Any]) -> None:
    meeting = plan(scenario)
    action = services.action_add(meeting=meeting, description="Hire two onboarding staff")
    services.meeting_close(meeting=meeting)
    with pytest.raises(ValidationError, match="is closed"):
        services.item_edit(item=meeting.items.first(), notes="late note")
    with pytest.raises(ValidationError, match="is closed"):
        services.agenda_regenerate(meeting=meeting)
    services.action_edit(action=action, done=dt.date(2026, 11, 1))
    assert ActionItem.objects.get(pk=action.pk).done == dt.date(2026, 11, 1)


def test_an_item_with_two_subjects_is_refused_by_clean_and_by_the_database(scenario: dict[str, Any]) -> None:
    meeting = plan(scenario)
    item = AgendaItem(meeting=meeting, title="x", objective=scenario["f1"], initiative=scenario["crm"])
    with pytest.raises(ValidationError, match="several subjects"):
        item.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        AgendaItem.objects.create(meeting=meeting, title="x", objective=scenario["f1"], topic="also a topic")
    with pytest.raises(IntegrityError), transaction.atomic():
        AgendaItem.objects.create(meeting=meeting, title="nothing")


def test_a_subject_from_an_unrelated_unit_is_refused(scenario: dict[str, Any], tree: Any) -> None:
    meeting = plan(scenario)
    foreign = ObjectiveFactory(map=tree.whs.strategy_map, code="W1")
    with pytest.raises(ValidationError, match="belongs to unit WHS"):
        services.item_add(meeting=meeting, objective=foreign)


def test_a_meeting_cannot_review_a_period_after_its_date(scenario: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="lies after the meeting date"):
        services.meeting_plan(unit=scenario["unit"], date=dt.date(2026, 9, 1), as_of=AS_OF)
    assert not ReviewMeeting.objects.exists()


def test_deleting_a_discussed_objective_is_refused_but_deleting_its_meeting_is_not(scenario: dict[str, Any]) -> None:
    from django.db.models import RestrictedError

    meeting = plan(scenario)
    with pytest.raises(RestrictedError):
        scenario["p3"].delete()
    meeting.delete()
    scenario["p3"].delete()


# -------------------------------------------------------------------------------------------------- commands
def test_plan_review_prints_the_meeting_id_and_its_agenda(scenario: dict[str, Any]) -> None:
    out = StringIO()
    call_command("plan_review", "RET", "--date", "2026-10-15", "--as-of", "2026-09-30", "--minutes", "60",
                 stdout=out)
    meeting = ReviewMeeting.objects.get()
    text = out.getvalue()
    assert text.startswith(f"Meeting {meeting.pk}: Retail strategy review")
    assert " 1. 0:00" in text and "P3 Faster onboarding" in text
    assert "S: CRM rollout is 45% complete" in text and "G: CRM rollout drives C2" in text
    assert meeting.minutes_length == 60 and sum(meeting.items.values_list("minutes", flat=True)) == 60


def test_plan_review_dry_run_saves_nothing(scenario: dict[str, Any]) -> None:
    out = StringIO()
    call_command("plan_review", "RET", "--date", "2026-10-15", "--as-of", "2026-09-30", "--dry-run", stdout=out)
    assert "Dry run: nothing saved." in out.getvalue()
    assert not ReviewMeeting.objects.exists() and not AgendaItem.objects.exists()


@pytest.mark.parametrize(("args", "message"), [
    (["NOPE", "--date", "2026-10-15", "--as-of", "2026-09-30"], "UNIT: no unit with code “NOPE”"),
    (["RET", "--date", "15/10/2026", "--as-of", "2026-09-30"], "--date: “15/10/2026” is not a date"),
    (["RET", "--date", "2026-10-15", "--as-of", "2026-13-01"], "--as-of: “2026-13-01” is not a date"),
    (["RET", "--date", "2026-10-15", "--as-of", "2026-09-30", "--minutes", "ninety"], "--minutes: “ninety”"),
    (["RET", "--date", "2026-10-15", "--as-of", "2026-09-30", "--minutes", "5"], "--minutes: 5 is out of range"),
    (["RET", "--date", "2026-09-01", "--as-of", "2026-09-30"], "--as-of: 2026-09-30 lies after the meeting"),
    (["RET", "--date", "2026-10-15", "--as-of", "2026-09-30", "--facilitator", "ghost"], "--facilitator: no user"),
])
def test_plan_review_names_the_bad_argument(scenario: dict[str, Any], args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("plan_review", *args, stdout=StringIO())
    assert not ReviewMeeting.objects.exists()


def pdf_text(path: Path) -> list[str]:
    """The text of each page (pdftotext from poppler-utils)."""
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout
    return text.decode("utf-8").split("\f")[:-1]


def test_briefing_pack_holds_cover_map_agenda_initiative_pages_measures_and_actions(
        scenario: dict[str, Any], tmp_path: Path) -> None:
    owner = UserFactory(username="ann", first_name="Ann", last_name="Lee")
    meeting = plan(scenario, facilitator=owner, attendees=[owner, UserFactory(username="bo")])
    services.action_add(meeting=meeting, description="Draft the onboarding plan", due=dt.date(2026, 11, 1))
    target = tmp_path / "pack.pdf"
    out, err = StringIO(), StringIO()
    call_command("briefing_pack", str(meeting.pk), "-o", str(target), stdout=out, stderr=err)
    pages = pdf_text(target)
    n_initiatives = meeting.items.filter(initiative__isnull=False).count()
    assert n_initiatives == 2
    assert f"Wrote {target}: {len(pages)} pages" in out.getvalue()
    assert "[##############################]" in err.getvalue() and "PDF written" in err.getvalue()
    cover = pages[0]
    assert "Retail strategy review" in cover and "RET Retail" in cover and "Ann Lee, bo" in cover
    assert "Thursday 15 October 2026" in cover
    assert "Strategy map of RET as of 30 Sep 2026" in pages[1] and "Faster onboarding" in pages[1]
    whole = "\n".join(pages)
    flat = " ".join(whole.split())
    assert "Agenda" in whole and "0:00–" in whole
    assert "CRM rollout is 45% complete where 60% was expected by 30 Sep (schedule index 0.75)" in flat
    initiative_pages = [p for p in pages if p.lstrip().startswith("Initiative:")]
    assert len(initiative_pages) == n_initiatives
    crm_page = " ".join(next(p for p in initiative_pages if "CRM rollout" in p.split("\n")[0]).split())
    assert "Impact of RET: CRM CRM rollout" in crm_page and "Schedule index 0.75" in crm_page
    measures = " ".join(next(p for p in pages[1:] if "Measures of red and amber objectives" in p).split())
    assert "P3 Faster onboarding RED" in measures and "C2 Improve retention AMBER" in measures
    assert "F1 Grow revenue" not in measures
    assert "Draft the onboarding plan" in pages[-1] and "Open action items" in pages[-1]


@pytest.mark.parametrize(("meeting", "output", "message"), [
    ("abc", "x.pdf", "MEETING: “abc” is not a meeting id"),
    ("999999", "x.pdf", "MEETING: no review meeting with id 999999"),
])
def test_briefing_pack_names_the_bad_argument(db: Any, tmp_path: Path, meeting: str, output: str,
                                              message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("briefing_pack", meeting, "-o", str(tmp_path / output), stdout=StringIO())


def test_briefing_pack_refuses_a_missing_directory(scenario: dict[str, Any], tmp_path: Path) -> None:
    meeting = plan(scenario)
    with pytest.raises(CommandError, match="-o: the directory .* does not exist"):
        call_command("briefing_pack", str(meeting.pk), "-o", str(tmp_path / "no" / "pack.pdf"), stdout=StringIO())


def test_changing_one_timebox_is_reported_until_the_time_is_shared_again(scenario: dict[str, Any]) -> None:
    meeting = plan(scenario)
    item = meeting.items.order_by("order").first()
    services.item_edit(item=item, minutes=item.minutes + 7)
    split = services.meeting_split(meeting)
    assert split.warnings[-1] == ("The timeboxes add up to 97 minutes, the meeting lasts 90: share the time again "
                                  "or adjust an item.")
    services.retime(meeting)
    assert not any("add up to" in w for w in services.meeting_split(meeting).warnings)


def test_a_unit_without_a_map_still_gets_a_pack_that_says_why_the_map_is_missing(
        tree: Any, tmp_path: Path) -> None:
    from scorecard.models import OrgUnit

    bare = OrgUnit.objects.create(code="NEW", name="New unit", parent=tree.nw)
    InitiativeFactory(unit=bare, code="IDLE", name="Idle project")
    meeting, agenda = services.meeting_plan(unit=bare, date=DAY, as_of=AS_OF)
    assert [c.title for c in agenda.items] == ["IDLE Idle project"]
    target = tmp_path / "bare.pdf"
    call_command("briefing_pack", str(meeting.pk), "-o", str(target), "--quiet", stdout=StringIO())
    text = " ".join(" ".join(pdf_text(target)).split())
    assert "The map could not be drawn: Unit NEW has no strategy map yet." in text
    assert "Idle project is linked to no objective" in text
