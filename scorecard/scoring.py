"""Scoring one measure and one initiative as of a date: plain values in, small frozen dataclasses out.

Pure Python, no Django and no ``cascade`` import: callers pass anything with the attributes named by the
``MeasureLike`` / ``InitiativeLike`` protocols (a ``cascade.snapshot`` dataclass, a model instance, a test's
SimpleNamespace).

Scale and status (issue 3 §1). A score lies on 0..10; green from 20/3 (shown 6.67), amber from 10/3 (shown 3.33),
red below; "none" when there is no target or no value, and such measures are left out of every roll-up.
Scores are never rounded here. To make "exactly at the goal is green, exactly at the red flag is amber" hold in
floating point, every linear score is computed as ``AMBER_AT * (1 + t)`` where ``t`` is the position between
the red flag (t = 0) and the goal (t = 1): ``x / x`` is exactly 1.0 and ``0 / x`` exactly 0.0 in IEEE
arithmetic, and doubling is exact, so a value at the goal scores precisely ``GREEN_AT`` and one at the red flag
precisely ``AMBER_AT``. ``GREEN_AT`` is the float nearest 20/3, which is the smallest double >= the exact
fraction 20/3 (and likewise ``AMBER_AT`` for 10/3), so ``score >= GREEN_AT`` gives the same answer as comparing
with the exact fraction.

Decisions where the issue is silent (documented here, tested in tests/test_scoring.py):
- An explicit red flag wins over polarity for the direction of ``goal_red_flag`` (Spider Impact's convention:
  the order of goal and red flag sets the direction); polarity places the default red flag and decides the
  goal == red flag case.
- ``closer``: without ``red_tolerance`` it is ``red_flag_percent`` of |target|; without ``tolerance`` half the
  red tolerance. Beyond the red tolerance the tolerance -> red tolerance slope continues down to 0. With
  ``goal_only`` a ``closer`` measure scores 10 within the tolerance, else 0. ``yes_no`` needs no target; a
  ``closer`` yes/no measure is read like an increasing one.
- ``percent_of_target`` is a percentage (actual / target x 100); ``progress`` the plain ratio
  (actual - baseline) / (target - baseline), 1.0 meaning the target is reached.
- ``red_flag`` in the result is the effective red flag of a ``goal_red_flag`` measure (the default one when none
  is set), otherwise the stored one.
- ``stale``: the latest value's period lies before as-of minus two periods of the measure's frequency (month
  arithmetic, month ends kept as month ends). A measure with no value at all is unscored, not stale.
- Initiative health without both dates: "not_started" at 0 %, else "on_track" (nothing to fall behind of).
  Before (or on) the start date the expected percent is 0 and the schedule index none: "not_started" at 0 %,
  "on_track" when work has begun early.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

AMBER_AT = 10 / 3  # shown 3.33
GREEN_AT = 2 * AMBER_AT  # == 20 / 3 exactly in floating point; shown 6.67
MAX_SCORE = 10.0

FREQUENCY_MONTHS = {"monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12, "biennial": 24}

ON_TRACK_AT = 0.95
BEHIND_AT = 0.85


# ------------------------------------------------------------------------------------------------ inputs
class ActualLike(Protocol):
    @property
    def period(self) -> dt.date: ...
    @property
    def value(self) -> float: ...


class MeasureLike(Protocol):
    polarity: str
    scoring: str
    frequency: str
    baseline: float | None
    target: float | None
    red_flag: float | None
    tolerance: float | None
    red_tolerance: float | None


class MilestoneLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def due(self) -> dt.date: ...
    @property
    def done(self) -> dt.date | None: ...


class InitiativeLike(Protocol):
    start: dt.date | None
    end: dt.date | None
    budget: float
    spent: float
    percent_complete: float


# ----------------------------------------------------------------------------------------------- results
# Results are plain (not frozen) slotted dataclasses: a roll-up builds one per measure, and a frozen dataclass
# costs four times as much to build. Treat them as read-only.
@dataclass(slots=True)
class MeasureScore:
    score: float | None  # 0..10, unrounded; None: unscored
    status: str  # green | amber | red | none
    actual: float | None = None
    period: dt.date | None = None
    target: float | None = None
    red_flag: float | None = None  # effective red flag (see module docstring)
    percent_of_target: float | None = None  # actual / target x 100
    progress: float | None = None  # (actual - baseline) / (target - baseline)
    trend: str | None = None  # better | worse | flat | None (no previous value)
    stale: bool = False


@dataclass(frozen=True, slots=True)
class OverdueMilestone:
    name: str
    due: dt.date


@dataclass(frozen=True, slots=True)
class InitiativeHealth:
    percent_complete: float
    expected_percent: float | None  # None when start or end is missing
    schedule_index: float | None  # percent complete / expected; None when expected is 0 or unknown
    cost_index: float | None  # earned value / spent; None when nothing is spent
    health: str  # not_started | complete | on_track | behind | at_risk
    overdue_milestones: tuple[OverdueMilestone, ...] = ()
    over_budget: bool = False
    earned_value: float = 0.0


# ------------------------------------------------------------------------------------------------ status
def status_for(score: float | None) -> str:
    """green / amber / red for a 0..10 score, "none" for an unscored one (exact thresholds 20/3 and 10/3)."""
    if score is None:
        return "none"
    if score >= GREEN_AT:
        return "green"
    if score >= AMBER_AT:
        return "amber"
    return "red"


def _clamp(x: float) -> float:
    return 0.0 if x < 0.0 else MAX_SCORE if x > MAX_SCORE else x


def _linear(t: float) -> float:
    """Score for position t, t = 0 at the red flag and 1 at the goal, linear and clamped."""
    return _clamp(AMBER_AT * (1.0 + t))


def default_red_flag(target: float, polarity: str, red_flag_percent: float) -> float:
    """The red flag that lies ``red_flag_percent`` of |target| away from the target on the bad side."""
    offset = abs(target) * red_flag_percent / 100.0
    return target + offset if polarity == "decreasing" else target - offset


def effective_red_flag(measure: MeasureLike, red_flag_percent: float = 10.0) -> float | None:
    if measure.scoring != "goal_red_flag" or measure.polarity == "closer" or measure.target is None:
        return measure.red_flag
    if measure.red_flag is not None:
        return measure.red_flag
    return default_red_flag(measure.target, measure.polarity, red_flag_percent)


def _closer_tolerances(measure: MeasureLike, red_flag_percent: float) -> tuple[float, float]:
    target = measure.target or 0.0
    red_tol = measure.red_tolerance
    if red_tol is None:
        red_tol = abs(target) * red_flag_percent / 100.0
        if measure.tolerance is not None and measure.tolerance > red_tol:
            red_tol = measure.tolerance
    tol = measure.tolerance if measure.tolerance is not None else red_tol / 2.0
    return tol, red_tol


def score_value(measure: MeasureLike, value: float, red_flag_percent: float = 10.0) -> float | None:
    """The 0..10 score of ``value`` for ``measure``; None when it cannot be scored (no target)."""
    scoring, polarity, target = measure.scoring, measure.polarity, measure.target
    if scoring == "yes_no":
        yes = value == 1
        if polarity == "decreasing":
            yes = not yes
        return MAX_SCORE if yes else 0.0
    if target is None:
        return None
    if polarity == "closer":
        distance = abs(value - target)
        tol, red_tol = _closer_tolerances(measure, red_flag_percent)
        if scoring == "goal_only":
            return MAX_SCORE if distance <= tol else 0.0
        if distance <= tol:
            if tol == 0:
                return MAX_SCORE
            # 10 at the target, 20/3 at the tolerance: same exactness trick, t runs 1 -> 2.
            return _linear(1.0 + (tol - distance) / tol)
        if red_tol == tol:
            return 0.0
        return _linear((red_tol - distance) / (red_tol - tol))
    better_or_equal = value >= target if polarity != "decreasing" else value <= target
    if scoring == "goal_only":
        return MAX_SCORE if better_or_equal else 0.0
    red = effective_red_flag(measure, red_flag_percent)
    assert red is not None  # target is set, so a red flag exists
    if red == target:
        return MAX_SCORE if better_or_equal else 0.0
    return _linear((value - red) / (target - red))


@functools.lru_cache(maxsize=1024)  # a roll-up asks for the same few (as-of, months) pairs thousands of times
def subtract_months(day: dt.date, months: int) -> dt.date:
    """``day`` minus ``months`` months; a month end stays a month end, other days are clipped."""
    year, month = divmod(day.year * 12 + (day.month - 1) - months, 12)
    month += 1
    # Dates near year 1 or 9999 (an as-of typed by hand) must not raise: clamp to the calendar's ends.
    if year < dt.MINYEAR:
        return dt.date.min
    if year > dt.MAXYEAR:
        return dt.date.max
    last = calendar.monthrange(year, month)[1]
    if day.day == calendar.monthrange(day.year, day.month)[1]:
        return dt.date(year, month, last)
    return dt.date(year, month, min(day.day, last))


def _trend(measure: MeasureLike, latest: float, previous: float | None) -> str | None:
    if previous is None:
        return None
    if measure.polarity == "closer":
        if measure.target is None:
            return None
        now, before = abs(latest - measure.target), abs(previous - measure.target)
        return "flat" if now == before else "better" if now < before else "worse"
    if latest == previous:
        return "flat"
    up = latest > previous
    return "better" if up == (measure.polarity != "decreasing") else "worse"


def score_measure(
    measure: MeasureLike,
    actuals: Sequence[ActualLike],
    as_of: dt.date,
    *,
    red_flag_percent: float = 10.0,
    periods: Sequence[dt.date] | None = None,
    values: Sequence[float] | None = None,
) -> MeasureScore:
    """Score ``measure`` as of ``as_of`` from ``actuals`` (sorted by period, oldest first).

    The value used is the latest one whose period is on or before ``as_of``. ``periods`` and ``values`` may pass
    the actuals' periods and values pre-extracted as parallel sequences (the roll-up does, so that scoring
    15,000 measures builds no list and no point object per call).
    """
    if periods is None:
        periods = [a.period for a in actuals]
    index = bisect.bisect_right(periods, as_of) - 1
    red_flag = effective_red_flag(measure, red_flag_percent)
    if index < 0:
        return MeasureScore(None, "none", target=measure.target, red_flag=red_flag)
    if values is not None:
        value = values[index]
        previous = values[index - 1] if index > 0 else None
    else:
        value = actuals[index].value
        previous = actuals[index - 1].value if index > 0 else None
    period = periods[index]
    score = score_value(measure, value, red_flag_percent)
    target, baseline = measure.target, measure.baseline
    percent = value / target * 100.0 if target else None
    progress = None
    if target is not None and baseline is not None and target != baseline:
        progress = (value - baseline) / (target - baseline)
    months = FREQUENCY_MONTHS.get(measure.frequency, 3)
    stale = period < subtract_months(as_of, 2 * months)
    return MeasureScore(
        score=score,
        status=status_for(score),
        actual=value,
        period=period,
        target=target,
        red_flag=red_flag,
        percent_of_target=percent,
        progress=progress,
        trend=_trend(measure, value, previous),
        stale=stale,
    )


# --------------------------------------------------------------------------------------------- roll-ups
def combine(pairs: Iterable[tuple[float | None, float]], rule: str = "weighted_average") -> float | None:
    """Roll children's (score, weight) pairs into one score.

    Unscored children and children of weight 0 are left out; nothing left gives None. ``worst_child`` takes
    the minimum. A weighted mean lies between its smallest and largest member; clamping it there keeps
    floating-point drift from turning, say, three measures exactly at their goal into an amber objective.
    """
    total = weights = 0.0
    low = high = None
    for score, weight in pairs:
        if score is None or weight <= 0:
            continue
        total += score * weight
        weights += weight
        if low is None or score < low:
            low = score
        if high is None or score > high:
            high = score
    if low is None or high is None:
        return None
    if rule == "worst_child":
        return low
    mean = total / weights
    return low if mean < low else high if mean > high else mean


# ------------------------------------------------------------------------------------------- initiatives
def expected_percent(start: dt.date | None, end: dt.date | None, as_of: dt.date) -> float | None:
    """Linear between start (0) and end (100); None when a date is missing."""
    if start is None or end is None:
        return None
    if as_of <= start:
        return 0.0
    if as_of >= end:
        return 100.0
    return (as_of - start).days / (end - start).days * 100.0


def initiative_health(
    initiative: InitiativeLike, as_of: dt.date, milestones: Iterable[MilestoneLike] = ()
) -> InitiativeHealth:
    """Schedule and cost indices, health band, overdue milestones and budget overrun as of ``as_of``."""
    pct = float(initiative.percent_complete)
    budget, spent = float(initiative.budget), float(initiative.spent)
    expected = expected_percent(initiative.start, initiative.end, as_of)
    schedule_index = pct / expected if expected else None
    earned = pct * budget / 100.0
    cost_index = earned / spent if spent else None
    if pct >= 100:
        health = "complete"
    elif schedule_index is None:
        health = "not_started" if pct == 0 else "on_track"
    elif schedule_index >= ON_TRACK_AT:
        health = "on_track"
    elif schedule_index >= BEHIND_AT:
        health = "behind"
    else:
        health = "at_risk"
    overdue = tuple(
        OverdueMilestone(m.name, m.due)
        for m in sorted(milestones, key=lambda m: (m.due, m.name))
        if m.due < as_of and (m.done is None or m.done > as_of)
    )
    return InitiativeHealth(
        percent_complete=pct,
        expected_percent=expected,
        schedule_index=schedule_index,
        cost_index=cost_index,
        health=health,
        overdue_milestones=overdue,
        over_budget=spent > budget,
        earned_value=earned,
    )
