"""Initiative health as of a date (issue 3 §3): before, during and after the schedule. Pure, no database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from scorecard.scoring import expected_percent, initiative_health

START, END = dt.date(2026, 1, 1), dt.date(2026, 1, 21)  # 20 days: each day is 5 %
MID = dt.date(2026, 1, 11)  # 50 % expected


@dataclass
class Ini:
    percent_complete: float = 0
    start: dt.date | None = START
    end: dt.date | None = END
    budget: float = 1000
    spent: float = 0


@dataclass(frozen=True)
class Ms:
    name: str
    due: dt.date
    done: dt.date | None = None


def test_expected_percent_is_linear_between_start_and_end_and_flat_outside() -> None:
    assert expected_percent(START, END, dt.date(2025, 12, 1)) == 0.0
    assert expected_percent(START, END, START) == 0.0
    assert expected_percent(START, END, MID) == 50.0
    assert expected_percent(START, END, dt.date(2026, 1, 6)) == 25.0
    assert expected_percent(START, END, END) == 100.0
    assert expected_percent(START, END, dt.date(2027, 1, 1)) == 100.0
    assert expected_percent(None, END, MID) is None


def test_before_the_start_an_untouched_initiative_is_not_started() -> None:
    h = initiative_health(Ini(), dt.date(2025, 12, 15))
    assert (h.health, h.expected_percent, h.schedule_index) == ("not_started", 0.0, None)


def test_work_begun_before_the_start_is_on_track() -> None:
    assert initiative_health(Ini(percent_complete=5), dt.date(2025, 12, 15)).health == "on_track"


@pytest.mark.parametrize(
    ("percent", "index", "health"),
    [
        (60, 1.2, "on_track"),
        (47.5, 0.95, "on_track"),
        (47.4, 0.948, "behind"),
        (42.5, 0.85, "behind"),
        (42.4, 0.848, "at_risk"),
        (0, 0.0, "at_risk"),
    ],
)
def test_during_the_schedule_health_follows_the_schedule_index_bands(
    percent: float, index: float, health: str
) -> None:
    h = initiative_health(Ini(percent_complete=percent), MID)
    assert h.expected_percent == 50.0
    assert h.schedule_index == pytest.approx(index)
    assert h.health == health


def test_after_the_end_the_expected_percent_is_a_hundred() -> None:
    late = initiative_health(Ini(percent_complete=90), dt.date(2026, 3, 1))
    assert (late.expected_percent, late.schedule_index, late.health) == (100.0, 0.9, "behind")
    done = initiative_health(Ini(percent_complete=100), dt.date(2026, 3, 1))
    assert done.health == "complete"


def test_a_finished_initiative_is_complete_even_before_its_end() -> None:
    assert initiative_health(Ini(percent_complete=100), MID).health == "complete"


def test_cost_index_is_earned_value_over_spent_and_none_when_nothing_is_spent() -> None:
    h = initiative_health(Ini(percent_complete=50, budget=1000, spent=250), MID)
    assert h.earned_value == 500.0
    assert h.cost_index == 2.0
    assert initiative_health(Ini(percent_complete=50, spent=0), MID).cost_index is None


def test_spending_more_than_the_budget_is_an_overrun() -> None:
    assert initiative_health(Ini(budget=1000, spent=1000.01), MID).over_budget is True
    assert initiative_health(Ini(budget=1000, spent=1000), MID).over_budget is False


def test_milestones_due_before_the_date_and_not_done_by_then_are_overdue() -> None:
    milestones = [
        Ms("done in time", dt.date(2026, 1, 5), done=dt.date(2026, 1, 4)),
        Ms("never done", dt.date(2026, 1, 8)),
        Ms("done later", dt.date(2026, 1, 3), done=dt.date(2026, 1, 15)),
        Ms("due today", MID),
        Ms("due later", dt.date(2026, 1, 20)),
    ]
    h = initiative_health(Ini(percent_complete=50), MID, milestones)
    assert [(m.name, m.due) for m in h.overdue_milestones] == [
        ("done later", dt.date(2026, 1, 3)),
        ("never done", dt.date(2026, 1, 8)),
    ]


def test_without_dates_there_is_no_schedule_to_fall_behind() -> None:
    h = initiative_health(Ini(percent_complete=30, start=None, end=None), MID)
    assert (h.expected_percent, h.schedule_index, h.health) == (None, None, "on_track")
    assert initiative_health(Ini(start=None), MID).health == "not_started"


def test_a_one_day_initiative_expects_nothing_on_its_day_and_everything_after_it() -> None:
    h = initiative_health(Ini(percent_complete=80, start=MID, end=MID), MID)
    assert (h.expected_percent, h.health) == (0.0, "on_track")
    after = initiative_health(Ini(percent_complete=80, start=MID, end=MID), dt.date(2026, 1, 12))
    assert (after.expected_percent, after.health) == (100.0, "at_risk")
