"""Scoring one measure (issue 3 §1): every scoring type and polarity at its boundaries. Pure, no database."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from scorecard.scoring import (
    AMBER_AT,
    GREEN_AT,
    combine,
    score_measure,
    score_value,
    status_for,
    subtract_months,
)

AS_OF = dt.date(2026, 9, 30)


@dataclass
class M:
    target: float | None = 100.0
    red_flag: float | None = None
    polarity: str = "increasing"
    scoring: str = "goal_red_flag"
    frequency: str = "quarterly"
    baseline: float | None = None
    tolerance: float | None = None
    red_tolerance: float | None = None


@dataclass(frozen=True)
class A:
    period: dt.date
    value: float


def scored(measure: M, value: float, pct: float = 10.0) -> tuple[float | None, str]:
    s = score_value(measure, value, pct)
    return s, status_for(s)


# ----------------------------------------------------------------------------------------- thresholds
def test_the_thresholds_are_the_floats_nearest_to_twenty_and_ten_thirds() -> None:
    assert Fraction(20, 3) <= Fraction(GREEN_AT)
    assert Fraction(math.nextafter(GREEN_AT, 0)) < Fraction(20, 3)
    assert Fraction(10, 3) <= Fraction(AMBER_AT)
    assert Fraction(math.nextafter(AMBER_AT, 0)) < Fraction(10, 3)


def test_status_is_green_from_twenty_thirds_amber_from_ten_thirds_and_red_below() -> None:
    assert status_for(10.0) == "green"
    assert status_for(GREEN_AT) == "green"
    assert status_for(math.nextafter(GREEN_AT, 0)) == "amber"
    assert status_for(AMBER_AT) == "amber"
    assert status_for(math.nextafter(AMBER_AT, 0)) == "red"
    assert status_for(0.0) == "red"
    assert status_for(None) == "none"


# ------------------------------------------------------------------------------------- goal / red flag
def test_goal_red_flag_scores_exactly_green_at_the_goal_and_exactly_amber_at_the_red_flag() -> None:
    m = M(target=8, red_flag=6)
    assert scored(m, 8) == (GREEN_AT, "green")
    assert scored(m, 6) == (AMBER_AT, "amber")
    assert scored(m, math.nextafter(6, 0))[1] == "red"
    assert scored(m, math.nextafter(8, 0))[1] == "amber"


def test_goal_red_flag_is_linear_between_and_beyond_and_clamped() -> None:
    m = M(target=8, red_flag=6)
    assert score_value(m, 7) == pytest.approx(5.0)
    assert score_value(m, 10) == pytest.approx(10.0)  # goal + (goal - red flag)
    assert score_value(m, 9) == pytest.approx(25 / 3)
    assert score_value(m, 4) == pytest.approx(0.0)  # red flag - (goal - red flag)
    assert score_value(m, 5) == pytest.approx(5 / 3)
    assert score_value(m, 1000) == 10.0
    assert score_value(m, -1000) == 0.0


def test_decreasing_polarity_with_a_red_flag_above_the_goal_rewards_lower_values() -> None:
    m = M(target=12, red_flag=13, polarity="decreasing")
    assert scored(m, 12) == (GREEN_AT, "green")
    assert scored(m, 13) == (AMBER_AT, "amber")
    assert scored(m, 13.5) == (pytest.approx(5 / 3), "red")
    assert score_value(m, 11) == pytest.approx(10.0)
    assert score_value(m, 14) == pytest.approx(0.0)


def test_the_default_red_flag_lies_red_flag_percent_of_the_target_on_the_bad_side() -> None:
    up = M(target=100)
    assert scored(up, 90) == (AMBER_AT, "amber")
    assert scored(up, 89.99)[1] == "red"
    assert scored(up, 100) == (GREEN_AT, "green")
    down = M(target=100, polarity="decreasing")
    assert scored(down, 110) == (AMBER_AT, "amber")
    assert scored(down, 110.01)[1] == "red"
    assert score_value(down, 105) == pytest.approx(5.0)


def test_the_default_red_flag_follows_the_maps_percentage_and_the_absolute_value_of_the_target() -> None:
    assert scored(M(target=100), 80, pct=20) == (AMBER_AT, "amber")
    negative = M(target=-50)  # increasing: -55 is the red flag (10 % of |target| below)
    assert scored(negative, -55) == (AMBER_AT, "amber")
    assert scored(negative, -50) == (GREEN_AT, "green")
    assert score_measure(negative, [A(AS_OF, -52.5)], AS_OF).red_flag == -55


def test_goal_equal_to_red_flag_scores_ten_at_or_better_than_the_goal_and_zero_otherwise() -> None:
    m = M(target=5, red_flag=5)
    assert scored(m, 5) == (10.0, "green")
    assert scored(m, 6) == (10.0, "green")
    assert scored(m, 4.99) == (0.0, "red")
    down = M(target=5, red_flag=5, polarity="decreasing")
    assert score_value(down, 4) == 10.0
    assert score_value(down, 5.01) == 0.0


def test_a_zero_target_without_red_flag_has_goal_equal_to_red_flag() -> None:
    m = M(target=0)
    assert score_value(m, 0) == 10.0
    assert score_value(m, -0.1) == 0.0
    assert score_value(M(target=0, polarity="decreasing"), 0.1) == 0.0


@given(
    goal=st.floats(-1e9, 1e9, allow_nan=False),
    red=st.floats(-1e9, 1e9, allow_nan=False),
)
def test_any_goal_and_red_flag_land_exactly_on_green_and_amber(goal: float, red: float) -> None:
    assume(goal != red)
    polarity = "increasing" if goal > red else "decreasing"
    m = M(target=goal, red_flag=red, polarity=polarity)
    assert scored(m, goal)[1] == "green"
    assert scored(m, red)[1] == "amber"


@given(
    target=st.floats(-1e6, 1e6, allow_nan=False),
    a=st.floats(-1e7, 1e7, allow_nan=False),
    b=st.floats(-1e7, 1e7, allow_nan=False),
)
def test_scores_stay_within_zero_and_ten_and_rise_with_the_value_when_increasing(
    target: float, a: float, b: float
) -> None:
    m = M(target=target)
    low, high = sorted((a, b))
    s_low, s_high = score_value(m, low), score_value(m, high)
    assert s_low is not None and s_high is not None
    assert 0.0 <= s_low <= s_high <= 10.0


# ------------------------------------------------------------------------------------------ goal only
def test_goal_only_scores_ten_at_or_better_than_the_goal_and_zero_below() -> None:
    m = M(target=50, scoring="goal_only")
    assert scored(m, 50) == (10.0, "green")
    assert scored(m, 49.9) == (0.0, "red")
    down = M(target=50, scoring="goal_only", polarity="decreasing")
    assert score_value(down, 50) == 10.0
    assert score_value(down, 50.1) == 0.0


# -------------------------------------------------------------------------------------------- yes / no
def test_yes_no_scores_ten_for_yes_when_increasing_and_the_reverse_when_decreasing() -> None:
    m = M(target=None, scoring="yes_no")
    assert scored(m, 1) == (10.0, "green")
    assert scored(m, 0) == (0.0, "red")
    down = M(target=None, scoring="yes_no", polarity="decreasing")
    assert score_value(down, 1) == 0.0
    assert score_value(down, 0) == 10.0


# --------------------------------------------------------------------------------------------- closer
def test_closer_scores_ten_at_target_green_at_tolerance_amber_at_red_tolerance() -> None:
    m = M(target=100, polarity="closer", tolerance=5, red_tolerance=15)
    assert scored(m, 100) == (10.0, "green")
    assert scored(m, 105) == (GREEN_AT, "green")
    assert scored(m, 95) == (GREEN_AT, "green")
    assert scored(m, 115) == (AMBER_AT, "amber")
    assert scored(m, 85) == (AMBER_AT, "amber")
    assert scored(m, 115.01)[1] == "red"
    assert scored(m, 105.01)[1] == "amber"


def test_closer_is_linear_between_and_beyond_and_clamped() -> None:
    m = M(target=100, polarity="closer", tolerance=5, red_tolerance=15)
    assert score_value(m, 102.5) == pytest.approx(25 / 3)
    assert score_value(m, 110) == pytest.approx(5.0)
    assert score_value(m, 125) == pytest.approx(0.0)  # the tolerance -> red tolerance slope continues
    assert score_value(m, 120) == pytest.approx(5 / 3)
    assert score_value(m, 300) == 0.0


def test_closer_without_tolerances_uses_the_red_flag_percentage_and_half_of_it() -> None:
    m = M(target=200, polarity="closer")
    assert scored(m, 220) == (AMBER_AT, "amber")  # red tolerance 10 % of 200
    assert scored(m, 190) == (GREEN_AT, "green")  # tolerance half of that
    assert score_measure(m, [A(AS_OF, 200)], AS_OF).red_flag is None


def test_closer_with_goal_only_scores_ten_within_tolerance() -> None:
    m = M(target=100, polarity="closer", scoring="goal_only", tolerance=2)
    assert score_value(m, 102) == 10.0
    assert score_value(m, 97.9) == 0.0


def test_closer_with_equal_tolerances_drops_to_zero_past_them() -> None:
    m = M(target=10, polarity="closer", tolerance=1, red_tolerance=1)
    assert score_value(m, 11) == GREEN_AT
    assert score_value(m, 11.01) == 0.0


# ------------------------------------------------------------------------------------------- unscored
def test_a_measure_without_target_or_without_value_is_unscored() -> None:
    tbd = score_measure(M(target=None), [A(AS_OF, 5)], AS_OF)
    assert (tbd.score, tbd.status, tbd.actual) == (None, "none", 5)
    empty = score_measure(M(), [], AS_OF)
    assert (empty.score, empty.status, empty.actual, empty.stale) == (None, "none", None, False)


def test_the_value_used_is_the_latest_on_or_before_the_as_of_date() -> None:
    actuals = [A(dt.date(2026, 3, 31), 80), A(dt.date(2026, 6, 30), 90), A(dt.date(2026, 9, 30), 100)]
    at_june = score_measure(M(), actuals, dt.date(2026, 9, 29))
    assert (at_june.actual, at_june.period) == (90, dt.date(2026, 6, 30))
    assert score_measure(M(), actuals, dt.date(2026, 9, 30)).actual == 100
    before_any = score_measure(M(), actuals, dt.date(2026, 3, 30))
    assert (before_any.status, before_any.actual) == ("none", None)


# ------------------------------------------------------------------------- percent, progress and trend
def test_percent_of_target_and_progress_from_baseline() -> None:
    s = score_measure(M(target=80, baseline=60), [A(AS_OF, 76)], AS_OF)
    assert s.percent_of_target == pytest.approx(95.0)
    assert s.progress == pytest.approx(0.8)
    zero = score_measure(M(target=0, baseline=0), [A(AS_OF, 3)], AS_OF)
    assert (zero.percent_of_target, zero.progress) == (None, None)
    no_baseline = score_measure(M(target=80), [A(AS_OF, 76)], AS_OF)
    assert no_baseline.progress is None


@pytest.mark.parametrize(
    ("polarity", "previous", "latest", "trend"),
    [
        ("increasing", 90, 95, "better"),
        ("increasing", 95, 90, "worse"),
        ("increasing", 95, 95, "flat"),
        ("decreasing", 95, 90, "better"),
        ("decreasing", 90, 95, "worse"),
        ("closer", 90, 104, "better"),
        ("closer", 104, 90, "worse"),
        ("closer", 95, 105, "flat"),
    ],
)
def test_trend_compares_with_the_previous_value_by_polarity(
    polarity: str, previous: float, latest: float, trend: str
) -> None:
    actuals = [A(dt.date(2026, 6, 30), previous), A(AS_OF, latest)]
    assert score_measure(M(polarity=polarity), actuals, AS_OF).trend == trend


def test_trend_is_none_without_a_previous_value() -> None:
    assert score_measure(M(), [A(AS_OF, 1)], AS_OF).trend is None


# ------------------------------------------------------------------------------------------------ stale
@pytest.mark.parametrize(
    ("frequency", "latest", "as_of", "stale"),
    [
        ("monthly", dt.date(2026, 1, 31), dt.date(2026, 3, 31), False),
        ("monthly", dt.date(2025, 12, 31), dt.date(2026, 3, 31), True),
        ("quarterly", dt.date(2026, 3, 31), dt.date(2026, 9, 30), False),
        ("quarterly", dt.date(2025, 12, 31), dt.date(2026, 9, 30), True),
        ("annual", dt.date(2024, 12, 31), dt.date(2026, 12, 31), False),
        ("annual", dt.date(2024, 12, 31), dt.date(2027, 1, 1), True),
    ],
)
def test_a_measure_is_stale_when_its_latest_value_is_older_than_two_periods(
    frequency: str, latest: dt.date, as_of: dt.date, stale: bool
) -> None:
    assert score_measure(M(frequency=frequency), [A(latest, 100)], as_of).stale is stale


def test_subtracting_months_keeps_month_ends() -> None:
    assert subtract_months(dt.date(2026, 9, 30), 6) == dt.date(2026, 3, 31)
    assert subtract_months(dt.date(2026, 3, 31), 1) == dt.date(2026, 2, 28)
    assert subtract_months(dt.date(2026, 3, 15), 13) == dt.date(2025, 2, 15)
    assert subtract_months(dt.date(2026, 1, 31), -1) == dt.date(2026, 2, 28)
    assert subtract_months(dt.date(1, 2, 1), 6) == dt.date.min
    assert subtract_months(dt.date(9999, 12, 1), -1) == dt.date.max


def test_a_measure_scored_as_of_the_first_year_of_the_calendar_does_not_fail() -> None:
    early = score_measure(M(frequency="biennial"), [A(dt.date(1, 1, 31), 100)], dt.date(1, 3, 1))
    assert (early.status, early.stale) == ("green", False)


# ------------------------------------------------------------------------------------------- combine
def test_combine_takes_the_weighted_mean_leaving_out_unscored_and_weightless_children() -> None:
    assert combine([(10.0, 3), (0.0, 1), (None, 5), (2.0, 0)]) == pytest.approx(7.5)
    assert combine([(None, 1)]) is None
    assert combine([]) is None
    assert combine([(4.0, 0)]) is None


def test_combine_worst_child_takes_the_minimum() -> None:
    assert combine([(9.0, 1), (2.0, 5), (None, 1)], "worst_child") == 2.0


def test_the_mean_of_children_exactly_at_the_goal_stays_exactly_green() -> None:
    assert status_for(combine([(GREEN_AT, w) for w in (0.1, 0.7, 0.3, 1.9, 2.3)])) == "green"
    assert status_for(combine([(AMBER_AT, w) for w in (0.1, 0.7, 0.3)])) == "amber"
