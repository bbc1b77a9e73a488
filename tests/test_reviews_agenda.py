"""Agenda generation on a hand-built snapshot (no database): what is picked, how it is ranked, the questions'
numbers and paths, and how the minutes are shared."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cascade.reviews.agenda import (
    MIN_ITEM_MINUTES,
    candidates,
    generate_agenda,
    share_minutes,
    time_split,
)
from cascade.reviews.questions import OpenAction
from cascade.rollup import compute_scores
from cascade.snapshot import (
    ActualPoint,
    AlignmentLink,
    CauseLink,
    ImpactLink,
    InitiativeData,
    MapData,
    MeasureData,
    MilestoneData,
    ObjectiveData,
    PerspectiveData,
    Snapshot,
    UnitData,
)

AS_OF = dt.date(2026, 9, 30)
TOP, UNIT = 1, 2
F1, C2, P3, L4, TOP_F = 11, 12, 13, 14, 19
CRM, IDLE, FINE = 31, 32, 33


def scenario() -> Snapshot:
    """TOP -> UNIT. UNIT's map: L4 -> P3 -> C2 -> F1, F1 supports TOP:F9.

    F1 green, C2 amber, P3 red (no initiative on it), L4 green but stale. CRM (impacts C2) is 45% done where
    60% was expected and has spent 70% of its budget; IDLE impacts nothing; FINE is on track.
    """
    s = Snapshot()
    s.units[TOP] = UnitData(TOP, "TOP", "Group")
    s.units[UNIT] = UnitData(UNIT, "RET", "Retail", parent_id=TOP)
    s.maps[1] = MapData(1, TOP, "Group map")
    s.maps[2] = MapData(2, UNIT, "Retail map")
    s.perspectives[1] = PerspectiveData(1, 1, "F", "Financial", 0)
    for pid, code, name, pos in ((21, "F", "Financial", 0), (22, "C", "Customer", 1), (23, "P", "Process", 2),
                                 (24, "L", "Learning", 3)):
        s.perspectives[pid] = PerspectiveData(pid, 2, code, name, pos)
    s.objectives[TOP_F] = ObjectiveData(TOP_F, 1, TOP, 1, "F9", "Group profit")
    s.objectives[F1] = ObjectiveData(F1, 2, UNIT, 21, "F1", "Grow revenue")
    s.objectives[C2] = ObjectiveData(C2, 2, UNIT, 22, "C2", "Improve retention")
    s.objectives[P3] = ObjectiveData(P3, 2, UNIT, 23, "P3", "Faster onboarding")
    s.objectives[L4] = ObjectiveData(L4, 2, UNIT, 24, "L4", "Skilled staff")

    def measure(mid: int, oid: int, code: str, value: float, period: dt.date = AS_OF, **kw: object) -> None:
        s.measures[mid] = MeasureData(mid, oid, code, f"Measure {code}", target=100.0, red_flag=80.0,
                                      actuals=[ActualPoint(period, value)], **kw)  # type: ignore[arg-type]

    measure(101, F1, "F1.1", 100.0)  # at goal: green
    measure(102, C2, "C2.1", 85.0, units="%")  # a quarter of the way from red flag to goal: amber
    measure(103, P3, "P3.1", 50.0)  # far below the red flag: red
    measure(104, L4, "L4.1", 100.0, period=dt.date(2025, 12, 31))  # quarterly, three quarters old: stale
    s.causes += [CauseLink(L4, P3), CauseLink(P3, C2), CauseLink(C2, F1)]
    s.alignments.append(AlignmentLink(F1, TOP_F))
    s.initiatives[CRM] = InitiativeData(CRM, UNIT, "CRM", "CRM rollout", start=dt.date(2026, 8, 1),
                                        end=dt.date(2026, 11, 9), budget=100000.0, spent=70000.0,
                                        percent_complete=45.0,
                                        milestones=[MilestoneData(1, "Pilot live", dt.date(2026, 9, 15))])
    s.initiatives[IDLE] = InitiativeData(IDLE, UNIT, "IDLE", "Office refit", budget=5000.0, spent=100.0,
                                         percent_complete=10.0)
    s.initiatives[FINE] = InitiativeData(FINE, UNIT, "FINE", "Shelf labels", start=dt.date(2026, 1, 1),
                                         end=dt.date(2026, 12, 31), budget=1000.0, spent=500.0,
                                         percent_complete=80.0)
    s.impacts += [ImpactLink(CRM, C2), ImpactLink(FINE, F1)]
    return s


@pytest.fixture
def ranked() -> list:
    s = scenario()
    return candidates(s, compute_scores(s, AS_OF), UNIT)


def test_the_generator_picks_weak_objectives_troubled_and_idle_initiatives_stale_data_and_gaps(ranked: list) -> None:
    keys = {c.key for c in ranked}
    assert keys == {
        f"objective:{C2}", f"objective:{P3}", f"initiative:{CRM}", f"initiative:{IDLE}",
        "topic:stale_data", "topic:alignment_gaps",
    }


def test_green_objectives_on_track_initiatives_and_folded_measures_get_no_item_of_their_own(ranked: list) -> None:
    keys = {c.key for c in ranked}
    assert f"objective:{F1}" not in keys and f"initiative:{FINE}" not in keys
    # The red measure of P3 is discussed in P3's item, not twice.
    assert "measure:103" not in keys
    p3 = next(c for c in ranked if c.key == f"objective:{P3}")
    assert any(q.startswith("P3.1 Measure P3.1 is red at 50") for q in p3.status_questions)


def test_items_are_ranked_red_objective_first_then_the_initiative_at_risk(ranked: list) -> None:
    order = [c.key for c in sorted(ranked, key=lambda c: c.rank)]
    assert order[:3] == [f"objective:{P3}", f"initiative:{CRM}", f"objective:{C2}"]
    assert [c.rank for c in sorted(ranked, key=lambda c: c.rank)] == list(range(1, len(ranked) + 1))
    p3 = order.index(f"objective:{P3}")
    assert "no initiative works on it or its drivers" in sorted(ranked, key=lambda c: c.rank)[p3].reason


def test_kinds_follow_the_subject(ranked: list) -> None:
    kinds = {c.key: c.kind for c in ranked}
    assert kinds[f"objective:{C2}"] == "both"
    assert kinds[f"initiative:{CRM}"] == "both"
    assert kinds[f"initiative:{IDLE}"] == "strategic"
    assert kinds["topic:stale_data"] == "status"
    assert kinds["topic:alignment_gaps"] == "strategic"


def test_status_questions_carry_the_numbers_of_the_initiative(ranked: list) -> None:
    crm = next(c for c in ranked if c.key == f"initiative:{CRM}")
    assert crm.status_questions[0] == (
        "CRM rollout is 45% complete where 60% was expected by 30 Sep (schedule index 0.75) and has spent 70% of "
        "its budget: what is the recovery plan?"
    )
    assert any("Milestone “Pilot live” of CRM rollout was due 15 Sep and is not done (15 days late)" in q
               for q in crm.status_questions)


def test_strategic_questions_follow_the_graph_path(ranked: list) -> None:
    crm = next(c for c in ranked if c.key == f"initiative:{CRM}")
    assert crm.strategic_questions[0] == (
        "CRM rollout drives C2 Improve retention (amber) and through it TOP F9 Group profit (green): is it still "
        "our best lever for C2? What changes if it stops?"
    )
    idle = next(c for c in ranked if c.key == f"initiative:{IDLE}")
    assert idle.strategic_questions[0].startswith("Office refit is linked to no objective (budget 5,000, spent 100)")


def test_objective_questions_name_the_measure_numbers_and_what_rests_on_the_objective(ranked: list) -> None:
    c2 = next(c for c in ranked if c.key == f"objective:{C2}")
    assert c2.status_questions[0].startswith(
        "C2.1 Measure C2.1 is amber at 85% for 30 Sep against a target of 100% (red flag 80%)")
    assert c2.strategic_questions[0].startswith("C2 Improve retention (amber) feeds F1 Grow revenue (green)")
    assert any("moved by CRM rollout (at risk)" in q for q in c2.strategic_questions)
    assert any("Its direct drivers include P3 Faster onboarding (red)" in q for q in c2.strategic_questions)


def test_stale_data_and_alignment_gaps_are_one_topic_each(ranked: list) -> None:
    stale = next(c for c in ranked if c.key == "topic:stale_data")
    assert stale.title == "Stale data: 1 measure"
    assert stale.status_questions[0].startswith("L4.1 Measure L4.1 (L4, no owner, quarterly) was last reported for "
                                                "31 Dec 2025")
    gaps = next(c for c in ranked if c.key == "topic:alignment_gaps")
    assert any(q.startswith("C2 Improve retention (amber) supports no objective above RET") for q in
               gaps.strategic_questions)


def test_open_actions_come_first_on_the_agenda_with_their_lateness() -> None:
    s = scenario()
    actions = [OpenAction(1, "Send churn analysis", "bob", dt.date(2026, 10, 1), dt.date(2026, 7, 10))]
    agenda = generate_agenda(s, compute_scores(s, AS_OF), UNIT, minutes=90, open_actions=actions,
                             meeting_date=dt.date(2026, 10, 15))
    first = agenda.items[0]
    assert first.key == "topic:open_actions"
    assert first.status_questions == [
        "“Send churn analysis” (owner bob, due 1 Oct, 14 days overdue; from the review of 10 Jul): is it done? "
        "If not, what is in the way?"
    ]


def test_minutes_add_up_to_the_meeting_length_and_nobody_gets_less_than_the_minimum() -> None:
    s = scenario()
    agenda = generate_agenda(s, compute_scores(s, AS_OF), UNIT, minutes=90)
    assert sum(c.minutes for c in agenda.items) == 90
    assert min(c.minutes for c in agenda.items) >= MIN_ITEM_MINUTES
    # More pressing items get at least as much time.
    by_rank = sorted(agenda.items, key=lambda c: c.rank)
    assert by_rank[0].minutes >= by_rank[-1].minutes


def test_a_short_meeting_keeps_the_most_pressing_items_and_lists_the_rest_as_left_off() -> None:
    s = scenario()
    agenda = generate_agenda(s, compute_scores(s, AS_OF), UNIT, minutes=20)
    assert [c.key for c in agenda.items] == [f"objective:{P3}", f"initiative:{CRM}"]
    assert sum(c.minutes for c in agenda.items) == 20
    assert len(agenda.left_off) == 4


@given(st.lists(st.floats(min_value=0, max_value=500, allow_nan=False), min_size=1, max_size=18),
       st.integers(min_value=90, max_value=480))
def test_shared_minutes_always_sum_exactly_to_the_total(priorities: list[float], total: int) -> None:
    shares = share_minutes(priorities, total)
    assert sum(shares) == total
    assert all(m >= MIN_ITEM_MINUTES for m in shares)


def test_sharing_refuses_more_items_than_fit() -> None:
    with pytest.raises(ValueError, match="do not fit in 20 minutes"):
        share_minutes([1, 1, 1, 1, 1], 20)


def test_the_split_warns_when_strategic_time_falls_under_30_percent() -> None:
    split = time_split([("status", 50), ("both", 20), ("strategic", 10)], 80)
    assert split.status_minutes == 60 and split.strategic_minutes == 20
    assert len(split.warnings) == 1
    assert split.warnings[0].startswith("Strategic discussion gets 25% of the meeting (20 of 80 minutes)")


def test_the_split_does_not_warn_at_exactly_30_percent() -> None:
    split = time_split([("status", 70), ("strategic", 30)], 100)
    assert split.warnings == ()
    split = time_split([("status", 29), ("strategic", 71)], 100)
    assert [w.split(" ")[0] for w in split.warnings] == ["Status"]
