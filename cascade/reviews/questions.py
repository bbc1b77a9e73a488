"""The questions a review asks, written from the data: status questions carry the numbers, strategic questions
follow the graph's paths (issue 7). Pure Python over a Snapshot, its Scores and its strategy graph.

Status questions are about management and control (on time? on budget? on target?); strategic questions are
about what a thing does to the strategy (what does this project move, what rests on this objective, what
happens if it stops?). Every sentence names its subject by code and name, and every number it quotes comes from
the roll-up or the initiative health of ``scorecard.scoring``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import networkx as nx

from cascade.analysis import Reached, drivers, impact
from cascade.graph import node_id, objective_node
from cascade.rollup import Scores
from cascade.snapshot import InitiativeData, MeasureData, ObjectiveData, Snapshot
from scorecard.scoring import InitiativeHealth, MeasureScore

STATUS_WORDS = {"green": "green", "amber": "amber", "red": "red", "none": "no data"}
HEALTH_WORDS = {"not_started": "not started", "complete": "complete", "on_track": "on track", "behind": "behind",
                "at_risk": "at risk"}
MAX_PATH_QUESTIONS = 3  # direct objectives of an initiative that get their own strategic question
MAX_MEASURE_QUESTIONS = 4


@dataclass(frozen=True, slots=True)
class OpenAction:
    """An action item still open from an earlier review of the unit (plain data for the generator)."""

    id: int
    description: str
    owner: str
    due: dt.date | None
    meeting_date: dt.date
    meeting_title: str = ""


@dataclass(slots=True)
class Context:
    """What the questions are written from: one snapshot, its scores, its graph, the unit under review."""

    snapshot: Snapshot
    scores: Scores
    graph: nx.MultiDiGraph
    unit_id: int
    _measures_of: dict[int, list[MeasureData]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for m in sorted(self.snapshot.measures.values(), key=lambda m: m.code):
            self._measures_of.setdefault(m.objective_id, []).append(m)

    @property
    def as_of(self) -> dt.date:
        return self.scores.as_of

    def measures_of(self, objective_id: int) -> list[MeasureData]:
        return self._measures_of.get(objective_id, [])

    def objective_label(self, objective_id: int, *, status: bool = True) -> str:
        """"C2 Improve retention (amber)"; objectives of another unit carry its code: "NW F1 Grow revenue"."""
        obj = self.snapshot.objectives[objective_id]
        prefix = "" if obj.unit_id == self.unit_id else f"{self.snapshot.units[obj.unit_id].code} "
        text = f"{prefix}{obj.code} {obj.name}"
        if status:
            text += f" ({STATUS_WORDS[self.scores.objective(objective_id).status]})"
        return text

    def unit_code(self, unit_id: int | None = None) -> str:
        return self.snapshot.units[self.unit_id if unit_id is None else unit_id].code


# ----------------------------------------------------------------------------------------------- numbers
def fmt_number(value: float | None, units: str = "") -> str:
    """7 -> "7", 7.25 -> "7.25", 1234567.0 -> "1,234,567"; units attached the way people write them."""
    if value is None:
        return "n/a"
    text = f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.0f}"
    if text == "-0":
        text = "0"
    units = units.strip()
    if not units:
        return text
    if units.startswith("%"):
        return f"{text}%{units[1:]}"
    return f"{text} {units}"


def fmt_money(value: float) -> str:
    return f"{value:,.0f}"


def fmt_date(day: dt.date, as_of: dt.date | None = None) -> str:
    """"30 Sep" within the as-of year, "30 Sep 2025" otherwise."""
    text = f"{day.day} {day:%b}"
    return text if as_of is not None and day.year == as_of.year else f"{text} {day.year}"


def _percent(part: float, whole: float) -> float:
    return part / whole * 100.0 if whole else 0.0


# ------------------------------------------------------------------------------------------- initiatives
def initiative_status_questions(ctx: Context, ini: InitiativeData, health: InitiativeHealth) -> list[str]:
    as_of = ctx.as_of
    name = ini.name
    questions: list[str] = []
    spent_share = _percent(ini.spent, ini.budget)
    budget_clause = (f"has spent {spent_share:.0f}% of its budget" if ini.budget
                     else f"has spent {fmt_money(ini.spent)} without a budget")
    if health.health in ("behind", "at_risk") and health.expected_percent is not None:
        questions.append(
            f"{name} is {health.percent_complete:.0f}% complete where {health.expected_percent:.0f}% was expected "
            f"by {fmt_date(as_of, as_of)} (schedule index {health.schedule_index:.2f}) and {budget_clause}: "
            "what is the recovery plan?"
        )
    elif health.health == "not_started" and health.expected_percent:
        questions.append(
            f"{name} has not started although {health.expected_percent:.0f}% was expected by "
            f"{fmt_date(as_of, as_of)}: what is holding it, and is its end date still real?"
        )
    else:
        expected = (f" ({health.expected_percent:.0f}% expected by {fmt_date(as_of, as_of)})"
                    if health.expected_percent is not None else "")
        questions.append(
            f"{name} is {health.percent_complete:.0f}% complete{expected}, {HEALTH_WORDS[health.health]}, and "
            f"{budget_clause}: anything the meeting should know?"
        )
    if health.over_budget:
        over = _percent(ini.spent - ini.budget, ini.budget) if ini.budget else 0.0
        ci = f" (cost index {health.cost_index:.2f})" if health.cost_index is not None else ""
        questions.append(
            f"{name} has spent {fmt_money(ini.spent)} against a budget of {fmt_money(ini.budget)}"
            f"{f', {over:.0f}% over' if ini.budget else ''}, for {fmt_money(health.earned_value)} of work done{ci}: "
            "what drives the overrun, and is more money needed to finish?"
        )
    elif health.cost_index is not None and health.cost_index < 0.9 and health.health != "complete":
        questions.append(
            f"{name} has earned {fmt_money(health.earned_value)} of value for {fmt_money(ini.spent)} spent "
            f"(cost index {health.cost_index:.2f}): will the budget of {fmt_money(ini.budget)} last to the end?"
        )
    for milestone in health.overdue_milestones[:3]:
        late = (as_of - milestone.due).days
        questions.append(
            f"Milestone “{milestone.name}” of {name} was due {fmt_date(milestone.due, as_of)} and is not done "
            f"({late} days late): what is the new date, and what does the delay put at risk?"
        )
    return questions


def _furthest_through(reached: Iterable[Reached], first: int) -> Reached | None:
    """Of the objectives reached through ``first``, the one furthest along (ties: another unit's, then id)."""
    best: Reached | None = None
    for r in reached:
        if len(r.path) < 2 or r.path[0] != first:
            continue
        key = (len(r.path), r.objective_id)
        if best is None or key > (len(best.path), best.objective_id):
            best = r
    return best


def initiative_strategic_questions(ctx: Context, ini: InitiativeData) -> list[str]:
    result = impact(ctx.graph, ini.id, ctx.scores)
    direct = [r for r in result.reached if r.hops == 1]
    name = ini.name
    if not direct:
        return [
            f"{name} is linked to no objective (budget {fmt_money(ini.budget)}, spent {fmt_money(ini.spent)}): "
            "which objective is it meant to move? If none, should it continue?"
        ]
    # Weakest objectives first: that is where the lever matters most.
    rank = {"red": 0, "amber": 1, "none": 2, "green": 3}
    direct.sort(key=lambda r: (rank.get(r.status, 2), r.objective_id))
    questions = []
    for r in direct[:MAX_PATH_QUESTIONS]:
        first = ctx.objective_label(r.objective_id)
        code = ctx.snapshot.objectives[r.objective_id].code
        onward = _furthest_through(result.reached, r.objective_id)
        if onward is not None:
            through = ctx.objective_label(onward.objective_id)
            questions.append(
                f"{name} drives {first} and through it {through}: is it still our best lever for {code}? "
                "What changes if it stops?"
            )
        else:
            questions.append(
                f"{name} drives {first}, which feeds nothing further on the map: is it still our best lever "
                f"for {code}? What changes if it stops?"
            )
    if len(direct) > MAX_PATH_QUESTIONS:
        rest = ", ".join(ctx.snapshot.objectives[r.objective_id].code for r in direct[MAX_PATH_QUESTIONS:])
        questions.append(f"It also moves {rest}: which of its objectives matters most if it must be cut back?")
    red = sum(1 for r in result.reached if r.status == "red")
    amber = sum(1 for r in result.reached if r.status == "amber")
    if red or amber:
        parts = [f"{n} {'is' if n == 1 else 'are'} {word}" for n, word in ((red, "red"), (amber, "amber")) if n]
        questions.append(
            f"Of the {len(result.reached)} objectives it reaches, {' and '.join(parts)}: should it get more "
            "priority, or is another initiative better placed?"
        )
    return questions


# -------------------------------------------------------------------------------------------- objectives
def measure_sentence(ctx: Context, m: MeasureData, ms: MeasureScore) -> str:
    """"F1.1 Revenue growth is 7% YoY for 30 Sep against a target of 8% YoY (red flag 6% YoY), worse than before"."""
    word = f"{STATUS_WORDS[ms.status]} at " if ms.status in ("red", "amber", "green") else ""
    text = f"{m.code} {m.name} is {word}{fmt_number(ms.actual, m.units)}"
    if ms.period is not None:
        text += f" for {fmt_date(ms.period, ctx.as_of)}"
    if m.scoring == "yes_no":
        text += " (a yes/no measure, 1 = yes)"
    elif ms.target is not None:
        text += f" against a target of {fmt_number(ms.target, m.units)}"
        if ms.red_flag is not None and m.scoring == "goal_red_flag":
            text += f" (red flag {fmt_number(ms.red_flag, m.units)})"
    if ms.trend == "worse":
        text += ", worse than the period before"
    elif ms.trend == "better":
        text += ", better than the period before"
    return text


def measure_status_question(ctx: Context, m: MeasureData) -> str | None:
    ms = ctx.scores.measures.get(m.id)
    if ms is None or ms.actual is None:
        return None
    ending = "what is behind the gap, and when will it close?" if ms.status in ("red", "amber") else \
        "is that where we want it?"
    return f"{measure_sentence(ctx, m, ms)}: {ending}"


def objective_status_questions(ctx: Context, obj: ObjectiveData) -> list[str]:
    node = ctx.scores.objective(obj.id)
    questions = []
    weak = [m for m in ctx.measures_of(obj.id)
            if (ms := ctx.scores.measures.get(m.id)) is not None and ms.status in ("red", "amber")]
    weak.sort(key=lambda m: (ctx.scores.measures[m.id].score or 0.0, m.code))
    for m in weak[:MAX_MEASURE_QUESTIONS]:
        q = measure_status_question(ctx, m)
        if q:
            questions.append(q)
    score = f"score {node.score:.1f} of 10" if node.score is not None else "no score"
    if not weak:
        supporters = [a.objective_id for a in ctx.snapshot.alignments if a.supports_id == obj.id
                      and ctx.scores.objective(a.objective_id).status in ("red", "amber")]
        if supporters:
            names = ", ".join(ctx.objective_label(s) for s in supporters[:4])
            questions.append(
                f"{obj.code} {obj.name} is {STATUS_WORDS[node.status]} ({score}) through the objectives that "
                f"support it ({names}): which unit needs help, and what help?"
            )
        else:
            questions.append(f"{obj.code} {obj.name} is {STATUS_WORDS[node.status]} ({score}): what explains it?")
    return questions


def downstream_of(ctx: Context, objective_id: int) -> list[int]:
    """Objectives fed directly by this one: its effects and the ancestor objectives it supports."""
    node = objective_node(objective_id)
    found = {node_id(b) for _, b, d in ctx.graph.out_edges(node, data=True) if d["kind"] in ("causes", "supports")}
    return sorted(found)


def objective_strategic_questions(ctx: Context, obj: ObjectiveData) -> list[str]:
    label = ctx.objective_label(obj.id)
    questions = []
    down = downstream_of(ctx, obj.id)
    if down:
        names = " and ".join(ctx.objective_label(d) for d in down[:3])
        questions.append(
            f"{label} feeds {names}: if {obj.code} stays where it is, what happens to "
            f"{'them' if len(down) > 1 else ctx.snapshot.objectives[down[0]].code}, and are those targets still "
            "realistic?"
        )
    found = drivers(ctx.graph, obj.id, ctx.scores)
    red_causes = [d for d in found.objectives if d.hops == 1 and d.status == "red"]
    if red_causes:
        names = ", ".join(ctx.objective_label(d.objective_id) for d in red_causes[:3])
        questions.append(f"Its direct drivers include {names}: is that the root cause, and should it be fixed first?")
    if found.initiatives:
        parts = []
        for d in found.initiatives[:4]:
            ini = ctx.snapshot.initiatives[d.initiative_id]
            health = HEALTH_WORDS.get(d.health or "", "health unknown")
            parts.append(f"{ini.name} ({health})")
        questions.append(
            f"{obj.code} is moved by {', '.join(parts)}: are they enough to turn it, or do we need to "
            "reprioritise?"
        )
    else:
        questions.append(
            f"No initiative works on {obj.code} or its drivers: do we need one, or do we accept the gap for now?"
        )
    return questions


# ------------------------------------------------------------------------------------- measures, topics
def red_measure_without_initiative_question(ctx: Context, m: MeasureData) -> str:
    obj = ctx.snapshot.objectives[m.objective_id]
    return (f"{m.code} {m.name} is red and no initiative is linked to {obj.code} {obj.name} itself: do we start "
            "one, change the target, or accept the gap?")


def stale_question(ctx: Context, m: MeasureData) -> str:
    ms = ctx.scores.measures.get(m.id)
    obj = ctx.snapshot.objectives[m.objective_id]
    last = fmt_date(ms.period, ctx.as_of) if ms is not None and ms.period else "never"
    owner = f", owner {m.owner}" if m.owner else ", no owner"
    return (f"{m.code} {m.name} ({obj.code}{owner}, {m.frequency}) was last reported for {last}, more than two "
            f"periods before {fmt_date(ctx.as_of, ctx.as_of)}: when will it be updated, and who enters it?")


def unsupported_question(ctx: Context, objective_id: int) -> str:
    unit = ctx.unit_code()
    return (f"{ctx.objective_label(objective_id)} gets no support from {unit}: should {unit} contribute to it, "
            "or is it deliberately out of scope?")


def supports_nothing_question(ctx: Context, objective_id: int) -> str:
    unit = ctx.snapshot.units[ctx.unit_id]
    parent = ctx.snapshot.units.get(unit.parent_id) if unit.parent_id is not None else None
    above = parent.code if parent is not None else "the units above"
    return (f"{ctx.objective_label(objective_id)} supports no objective above {unit.code}: how does it serve the "
            f"strategy of {above}, or should it be aligned?")


def open_action_question(action: OpenAction, as_of: dt.date, meeting_date: dt.date) -> str:
    owner = f"owner {action.owner}" if action.owner else "no owner"
    due = ""
    if action.due is not None:
        due = f", due {fmt_date(action.due, meeting_date)}"
        late = (meeting_date - action.due).days
        if late > 0:
            due += f", {late} days overdue"
    return (f"“{action.description}” ({owner}{due}; from the review of {fmt_date(action.meeting_date, meeting_date)}): "
            "is it done? If not, what is in the way?")
