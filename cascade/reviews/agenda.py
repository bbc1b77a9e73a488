"""Agenda generation (issue 7): what needs attention in a unit as of a period, ranked, with the meeting's minutes
shared out and the status/strategic split checked. Pure Python over a Snapshot, its Scores and the strategy graph.

What is picked (only the unit's own map and initiatives; other units appear in the questions):

- red and amber **objectives** (kind both). A red or amber measure of such an objective is folded into the
  objective's item (its numbers become the item's status questions) instead of getting an item of its own;
- red and amber **measures** of an objective that is itself green or unscored (kind status; "both" when the
  measure is red and no initiative works on its objective: then the strategic question is whether one should);
- **initiatives** at risk, behind, over budget or with overdue milestones (kind both), and initiatives that
  impact **nothing** (kind strategic);
- **stale data**: one topic item listing every stale measure of the unit (kind status);
- **alignment gaps**: one topic item for ancestor objectives the unit does not support and unit objectives that
  support nothing above (kind strategic);
- **open action items** from the unit's earlier reviews: one topic item (kind status).

Ranking (``priority``; higher is more pressing; documented here because the facilitator sees the number):

- objective: red 100, amber 60; +4 per objective it feeds downstream (effects and supported ancestor
  objectives, transitively), at most +20; +10 when no initiative works on it or its drivers;
- measure item: red 70, amber 40; +15 when red with no initiative on its objective;
- initiative: at risk 90, behind 60, otherwise 20; +25 over budget; +10 per overdue milestone (at most +30);
  +5 per red or amber objective it reaches (at most +20); one that impacts nothing: 35;
- stale data: 25 + 5 per measure (at most 50); alignment gaps: 30 + 5 per gap (at most 55);
- open actions: 50 + 5 per action (at most 80), and always placed **first** on the agenda: a review starts by
  following up the last one.
Ties go to objectives, then initiatives, measures, topics, then by code. The agenda holds the
``minutes // AVERAGE_ITEM_MINUTES`` most pressing items (8: a 90-minute review gets 11); the rest are returned as
``left_off`` for the facilitator to add back by hand.

Time: every item gets ``MIN_ITEM_MINUTES``; the remaining minutes are shared in proportion to priority and
rounded by the largest-remainder method, so the timeboxes add up exactly to the meeting's length. A "both" item
counts half to status and half to strategic discussion; either side below ``MIN_SHARE`` (30%) of the meeting
gets a warning.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import networkx as nx

from cascade.analysis import alignment_gaps, early_warnings, impact
from cascade.graph import build_graph, objective_node
from cascade.reviews import questions as q
from cascade.reviews.questions import Context, OpenAction
from cascade.rollup import Scores
from cascade.snapshot import Snapshot

MIN_ITEM_MINUTES = 5
# The generator fills at most minutes // AVERAGE_ITEM_MINUTES items: a 90-minute review gets 11 items with real
# time each rather than 18 five-minute ones; the rest is listed as left off.
AVERAGE_ITEM_MINUTES = 8
MIN_SHARE = 0.30
WEAK = ("red", "amber")
_SUBJECT_ORDER = {"objective": 0, "initiative": 1, "measure": 2, "topic": 3}

TOPIC_OPEN_ACTIONS = "open_actions"
TOPIC_STALE = "stale_data"
TOPIC_GAPS = "alignment_gaps"


@dataclass(slots=True)
class Candidate:
    """One proposed agenda item."""

    subject: str  # objective | measure | initiative | topic
    subject_id: int | None  # database id of the objective, measure or initiative; None for a topic
    key: str  # "objective:12", "topic:stale_data": identifies the subject across regenerations
    title: str
    kind: str  # status | strategic | both
    priority: float
    code: str = ""
    reasons: list[str] = field(default_factory=list)
    status_questions: list[str] = field(default_factory=list)
    strategic_questions: list[str] = field(default_factory=list)
    minutes: int = 0
    rank: int = 0

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


@dataclass(frozen=True, slots=True)
class TimeSplit:
    total: int
    status_minutes: float
    strategic_minutes: float
    warnings: tuple[str, ...] = ()

    @property
    def status_share(self) -> float:
        return self.status_minutes / self.total if self.total else 0.0

    @property
    def strategic_share(self) -> float:
        return self.strategic_minutes / self.total if self.total else 0.0


@dataclass(slots=True)
class Agenda:
    items: list[Candidate]  # in meeting order, with minutes
    left_off: list[Candidate]  # ranked but not fitting in the meeting
    total_minutes: int
    split: TimeSplit


# ------------------------------------------------------------------------------------------------ time
def share_minutes(priorities: Sequence[float], total: int, minimum: int = MIN_ITEM_MINUTES) -> list[int]:
    """Minutes per item: ``minimum`` each, the rest in proportion to priority, summing exactly to ``total``.

    Largest remainder: floor every share, then hand the leftover minutes one by one to the largest fractional
    parts (earlier items win ties). With no positive priority the rest is shared evenly. Raises ValueError when
    the items do not fit (``len * minimum > total``).
    """
    n = len(priorities)
    if n == 0:
        return []
    if n * minimum > total:
        raise ValueError(f"{n} items of at least {minimum} minutes do not fit in {total} minutes")
    spare = total - n * minimum
    weights = [max(p, 0.0) for p in priorities]
    if sum(weights) <= 0:
        weights = [1.0] * n
    whole = sum(weights)
    exact = [spare * w / whole for w in weights]
    floors = [math.floor(x) for x in exact]
    leftover = spare - sum(floors)
    order = sorted(range(n), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:leftover]:
        floors[i] += 1
    return [minimum + f for f in floors]


def time_split(items: Sequence[tuple[str, int]], total: int | None = None) -> TimeSplit:
    """Status and strategic minutes of (kind, minutes) pairs; a warning per side under 30% of the meeting."""
    total = sum(m for _, m in items) if total is None else total
    status = sum(m if k == "status" else m / 2 if k == "both" else 0 for k, m in items)
    strategic = sum(m if k == "strategic" else m / 2 if k == "both" else 0 for k, m in items)
    warnings = []
    for label, minutes, advice in (
        ("Status", status, "add status items or give them more time"),
        ("Strategic", strategic, "add strategic questions (what do our initiatives move, what rests on the red "
                                 "objectives?) or give them more time"),
    ):
        share = minutes / total if total else 0.0
        if share < MIN_SHARE:
            warnings.append(
                f"{label} discussion gets {share:.0%} of the meeting ({minutes:g} of {total} minutes), under the "
                f"{MIN_SHARE:.0%} floor: {advice}."
            )
    return TimeSplit(total, float(status), float(strategic), tuple(warnings))


# ------------------------------------------------------------------------------------------- candidates
def candidates(
    snapshot: Snapshot,
    scores: Scores,
    unit_id: int,
    *,
    open_actions: Sequence[OpenAction] = (),
    meeting_date: dt.date | None = None,
    graph: nx.MultiDiGraph | None = None,
) -> list[Candidate]:
    """Every item worth discussing, ranked (``rank`` 1 = most pressing), before time is shared out."""
    graph = graph if graph is not None else build_graph(snapshot)
    ctx = Context(snapshot, scores, graph, unit_id)
    smap = snapshot.map_of_unit(unit_id)
    own_objectives = sorted((o for o in snapshot.objectives.values() if smap is not None and o.map_id == smap.id),
                            key=lambda o: o.code)
    own_ids = {o.id for o in own_objectives}
    found: list[Candidate] = []
    flow = nx.DiGraph((a, b) for a, b, d in graph.edges(data=True) if d["kind"] in ("causes", "supports"))

    def downstream(oid: int) -> int:
        node = objective_node(oid)
        return len(nx.descendants(flow, node)) if node in flow else 0

    warnings = early_warnings(graph, scores, unit_id)
    red_uncovered = {w.measure_id for w in warnings.red_without_initiative if w.objective_id in own_ids}

    # Objectives (with their weak measures folded in).
    on_agenda: set[int] = set()
    for obj in own_objectives:
        node = scores.objective(obj.id)
        if node.status not in WEAK:
            continue
        on_agenda.add(obj.id)
        down = downstream(obj.id)
        priority = (100.0 if node.status == "red" else 60.0) + min(4.0 * down, 20.0)
        strategic = q.objective_strategic_questions(ctx, obj)
        reasons = [f"{node.status} objective (score {node.score:.1f})" if node.score is not None
                   else f"{node.status} objective"]
        if any(s.startswith("No initiative works on") for s in strategic):
            priority += 10.0
            reasons.append("no initiative works on it or its drivers")
        weak = [m.code for m in ctx.measures_of(obj.id)
                if scores.measures.get(m.id) is not None and scores.measures[m.id].status in WEAK]
        if weak:
            reasons.append(f"weak measures {', '.join(weak)}")
        if down:
            reasons.append(f"feeds {down} objective{'s' if down != 1 else ''} downstream")
        for mid in sorted(red_uncovered):
            m = snapshot.measures[mid]
            # Already asked at the objective's level when nothing works on it or its drivers.
            if m.objective_id == obj.id and "no initiative works on it or its drivers" not in reasons:
                strategic.append(q.red_measure_without_initiative_question(ctx, m))
        found.append(Candidate(
            "objective", obj.id, f"objective:{obj.id}", f"{obj.code} {obj.name}", "both", priority, code=obj.code,
            reasons=reasons, status_questions=q.objective_status_questions(ctx, obj),
            strategic_questions=strategic,
        ))

    # Measures whose objective is not on the agenda.
    for obj in own_objectives:
        if obj.id in on_agenda:
            continue
        for m in ctx.measures_of(obj.id):
            ms = scores.measures.get(m.id)
            if ms is None or ms.status not in WEAK:
                continue
            uncovered = m.id in red_uncovered
            priority = (70.0 if ms.status == "red" else 40.0) + (15.0 if uncovered else 0.0)
            parent = scores.objective(obj.id).status
            reasons = [f"{ms.status} measure (score {ms.score:.1f}) under {obj.code} ({parent})"
                       if ms.score is not None else f"{ms.status} measure"]
            strategic = []
            if uncovered:
                reasons.append(f"red with no initiative on {obj.code}")
                strategic.append(q.red_measure_without_initiative_question(ctx, m))
            status_q = q.measure_status_question(ctx, m)
            found.append(Candidate(
                "measure", m.id, f"measure:{m.id}", f"{m.code} {m.name}", "both" if uncovered else "status",
                priority, code=m.code, reasons=reasons, status_questions=[status_q] if status_q else [],
                strategic_questions=strategic,
            ))

    # Initiatives of the unit.
    gaps = alignment_gaps(graph, unit_id)
    idle = set(gaps.initiatives_without_impacts)
    for ini in sorted((i for i in snapshot.initiatives.values() if i.unit_id == unit_id), key=lambda i: i.code):
        health = scores.initiatives.get(ini.id)
        if health is None:
            continue
        if ini.id in idle:
            found.append(Candidate(
                "initiative", ini.id, f"initiative:{ini.id}", f"{ini.code} {ini.name}", "strategic", 35.0,
                code=ini.code, reasons=["impacts no objective"],
                status_questions=[], strategic_questions=q.initiative_strategic_questions(ctx, ini),
            ))
            continue
        reasons = []
        priority = {"at_risk": 90.0, "behind": 60.0}.get(health.health, 0.0)
        if priority:
            reasons.append(f"{q.HEALTH_WORDS[health.health]} (schedule index {health.schedule_index:.2f})"
                           if health.schedule_index is not None else q.HEALTH_WORDS[health.health])
        if health.over_budget:
            priority += 25.0
            reasons.append("over budget")
        if health.overdue_milestones:
            n = len(health.overdue_milestones)
            priority += min(10.0 * n, 30.0)
            reasons.append(f"{n} overdue milestone{'s' if n != 1 else ''}")
        if not reasons:
            continue
        if priority < 20.0:
            priority = 20.0
        reached = impact(graph, ini.id, scores).reached
        weak_reached = sum(1 for r in reached if r.status in WEAK)
        priority += min(5.0 * weak_reached, 20.0)
        if weak_reached:
            reasons.append(f"reaches {weak_reached} red or amber objective{'s' if weak_reached != 1 else ''}")
        found.append(Candidate(
            "initiative", ini.id, f"initiative:{ini.id}", f"{ini.code} {ini.name}", "both", priority, code=ini.code,
            reasons=reasons, status_questions=q.initiative_status_questions(ctx, ini, health),
            strategic_questions=q.initiative_strategic_questions(ctx, ini),
        ))

    # Stale data, one topic.
    stale = [snapshot.measures[w.measure_id] for w in warnings.stale if w.objective_id in own_ids]
    if stale:
        stale.sort(key=lambda m: m.code)
        found.append(Candidate(
            "topic", None, f"topic:{TOPIC_STALE}", f"Stale data: {len(stale)} measure{'s' if len(stale) != 1 else ''}",
            "status", min(25.0 + 5.0 * len(stale), 50.0), code="~stale",
            reasons=[f"stale: {', '.join(m.code for m in stale)}"],
            status_questions=[q.stale_question(ctx, m) for m in stale],
        ))

    # Alignment gaps, one topic.
    gap_questions = [q.unsupported_question(ctx, o) for o in gaps.unsupported_ancestor_objectives]
    gap_questions += [q.supports_nothing_question(ctx, o) for o in gaps.objectives_supporting_nothing]
    if gap_questions:
        n = len(gap_questions)
        codes = [ctx.objective_label(o, status=False).split(" ")[0] if snapshot.objectives[o].unit_id == unit_id
                 else f"{ctx.unit_code(snapshot.objectives[o].unit_id)}:{snapshot.objectives[o].code}"
                 for o in [*gaps.unsupported_ancestor_objectives, *gaps.objectives_supporting_nothing]]
        found.append(Candidate(
            "topic", None, f"topic:{TOPIC_GAPS}", f"Alignment gaps: {n}", "strategic", min(30.0 + 5.0 * n, 55.0),
            code="~gaps", reasons=[f"alignment gaps: {', '.join(codes)}"], strategic_questions=gap_questions,
        ))

    # Open actions from earlier reviews, one topic.
    if open_actions:
        day = meeting_date or scores.as_of
        n = len(open_actions)
        found.append(Candidate(
            "topic", None, f"topic:{TOPIC_OPEN_ACTIONS}", f"Open actions from earlier reviews: {n}", "status",
            min(50.0 + 5.0 * n, 80.0), code="~actions", reasons=[f"{n} open action item{'s' if n != 1 else ''}"],
            status_questions=[q.open_action_question(a, scores.as_of, day) for a in open_actions],
        ))

    found.sort(key=lambda c: (-c.priority, _SUBJECT_ORDER[c.subject], c.code, c.subject_id or 0))
    for rank, cand in enumerate(found, start=1):
        cand.rank = rank
    return found


def meeting_order(ranked: Sequence[Candidate]) -> list[Candidate]:
    """Open actions first (a review follows up the last one), then by rank."""
    first = [c for c in ranked if c.key == f"topic:{TOPIC_OPEN_ACTIONS}"]
    return first + [c for c in ranked if c.key != f"topic:{TOPIC_OPEN_ACTIONS}"]


def generate_agenda(
    snapshot: Snapshot,
    scores: Scores,
    unit_id: int,
    *,
    minutes: int = 90,
    open_actions: Sequence[OpenAction] = (),
    meeting_date: dt.date | None = None,
    graph: nx.MultiDiGraph | None = None,
) -> Agenda:
    """The ranked agenda of ``unit_id`` with timeboxes summing to ``minutes`` and the status/strategic split."""
    ranked = candidates(snapshot, scores, unit_id, open_actions=open_actions, meeting_date=meeting_date,
                        graph=graph)
    capacity = max(minutes // AVERAGE_ITEM_MINUTES, 1) if minutes >= MIN_ITEM_MINUTES else 0
    # Fit by rank (the most pressing first), then put the kept items in meeting order.
    kept = ranked[:capacity]
    left_off = ranked[capacity:]
    items = meeting_order(kept)
    for cand, share in zip(items, share_minutes([c.priority for c in items], minutes), strict=True):
        cand.minutes = share
    split = time_split([(c.kind, c.minutes) for c in items], minutes if items else 0)
    return Agenda(items=items, left_off=left_off, total_minutes=minutes, split=split)
