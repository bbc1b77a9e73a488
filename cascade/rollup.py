"""Roll-up through the cascade: measure -> objective -> perspective -> unit, bottom-up over the unit tree.

``compute_scores(snapshot, as_of)`` scores every measure and initiative of the snapshot and rolls the scores up
in one pass over the units in topological order, deepest first (issue 3 §2): when a unit is reached, every
objective that supports one of its objectives (always in a descendant unit) has already been scored, so an
objective's score is simply the combination of

- its measures' scores (measure weights), and
- the scores of the objectives aligned to it from below (alignment weights),

by the map's rule: weighted mean, or ``worst_child`` (minimum). A perspective combines its objectives (objective
weights), a unit its perspectives (perspective weights), by the same rule. Unscored children (and children of
weight 0) are left out; nothing scored gives None / "none". Units in ``snapshot.context_unit_ids`` are not scored.

``scorecard_json(snapshot, scores, unit_id)`` is the JSON of issue 3 §5, shared by ``manage.py scorecard --json``
and the REST API. Plain Python: no Django, no queries.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from cascade.snapshot import ActualSeries, ObjectiveData, Snapshot
from scorecard.scoring import InitiativeHealth, MeasureScore, combine, initiative_health, score_measure, status_for


@dataclass(slots=True)  # not frozen: cheaper to build by the thousand; treat as read-only
class NodeScore:
    """The rolled-up score (0..10, unrounded, None when nothing below is scored) and its status."""

    score: float | None
    status: str  # green | amber | red | none


NONE = NodeScore(None, "none")


@dataclass(slots=True)
class Scores:
    as_of: dt.date
    measures: dict[int, MeasureScore] = field(default_factory=dict)
    objectives: dict[int, NodeScore] = field(default_factory=dict)
    perspectives: dict[int, NodeScore] = field(default_factory=dict)
    units: dict[int, NodeScore] = field(default_factory=dict)
    initiatives: dict[int, InitiativeHealth] = field(default_factory=dict)

    def objective(self, objective_id: int) -> NodeScore:
        """The objective's score, "none" when it was not scored (e.g. a context objective)."""
        return self.objectives.get(objective_id, NONE)


def _node(score: float | None) -> NodeScore:
    return NodeScore(score, status_for(score)) if score is not None else NONE


def units_bottom_up(snapshot: Snapshot) -> list[int]:
    """Unit ids in topological order of the tree, children before their parents (deepest first)."""
    depth: dict[int, int] = {}
    units = snapshot.units
    for uid in units:
        chain: list[int] = []
        on_chain: set[int] = set()
        current: int | None = uid
        # The set guards against a parent loop in hand-built data (the database cannot hold one).
        while current is not None and current in units and current not in depth and current not in on_chain:
            chain.append(current)
            on_chain.add(current)
            current = units[current].parent_id
        base = depth[current] if current is not None and current in depth else -1
        for offset, node in enumerate(reversed(chain), start=1):
            depth[node] = base + offset
    return sorted(units, key=lambda u: (-depth[u], u))


def compute_scores(snapshot: Snapshot, as_of: dt.date) -> Scores:
    """Score every measure and initiative and roll up every objective, perspective and unit as of ``as_of``."""
    scores = Scores(as_of=as_of)
    map_of_unit = {m.unit_id: m for m in snapshot.maps.values()}
    measures_of: dict[int, list[Any]] = defaultdict(list)
    for m in snapshot.measures.values():
        measures_of[m.objective_id].append(m)
    supporters_of: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for a in snapshot.alignments:
        supporters_of[a.supports_id].append((a.objective_id, a.weight))
    objectives_of_map: dict[int, list[ObjectiveData]] = defaultdict(list)
    for o in snapshot.objectives.values():
        objectives_of_map[o.map_id].append(o)
    perspectives_of_map: dict[int, list[Any]] = defaultdict(list)
    for p in snapshot.perspectives.values():
        perspectives_of_map[p.map_id].append(p)

    skip = snapshot.context_unit_ids
    measure_scores, objective_scores = scores.measures, scores.objectives
    for uid in units_bottom_up(snapshot):
        if uid in skip:
            continue
        smap = map_of_unit.get(uid)
        if smap is None:
            scores.units[uid] = NONE
            continue
        rule, pct = smap.rollup, smap.red_flag_percent
        by_perspective: dict[int, list[tuple[float | None, float]]] = defaultdict(list)
        for obj in objectives_of_map[smap.id]:
            pairs: list[tuple[float | None, float]] = []
            for m in measures_of[obj.id]:
                actuals = m.actuals
                if isinstance(actuals, ActualSeries):
                    ms = score_measure(m, actuals, as_of, red_flag_percent=pct, periods=actuals.periods,
                                       values=actuals.values)
                else:
                    ms = score_measure(m, actuals, as_of, red_flag_percent=pct)
                measure_scores[m.id] = ms
                pairs.append((ms.score, m.weight))
            for sup_id, weight in supporters_of[obj.id]:
                sup = objective_scores.get(sup_id)
                if sup is not None:
                    pairs.append((sup.score, weight))
            node = _node(combine(pairs, rule))
            objective_scores[obj.id] = node
            by_perspective[obj.perspective_id].append((node.score, obj.weight))
        unit_pairs = []
        for p in perspectives_of_map[smap.id]:
            node = _node(combine(by_perspective[p.id], rule))
            scores.perspectives[p.id] = node
            unit_pairs.append((node.score, p.weight))
        scores.units[uid] = _node(combine(unit_pairs, rule))

    for ini in snapshot.initiatives.values():
        if ini.unit_id not in skip:
            scores.initiatives[ini.id] = initiative_health(ini, as_of, ini.milestones)
    return scores


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def scorecard_json(snapshot: Snapshot, scores: Scores, unit_id: int) -> dict[str, Any]:
    """The scorecard of one unit as the JSON of issue 3 §5 (numbers unrounded, dates ISO, null for none)."""
    unit = snapshot.units[unit_id]
    smap = snapshot.map_of_unit(unit_id)
    unit_score = scores.units.get(unit_id, NONE)
    measures_of: dict[int, list[Any]] = defaultdict(list)
    for m in snapshot.measures.values():
        measures_of[m.objective_id].append(m)
    supporters_of: dict[int, list[int]] = defaultdict(list)
    for a in snapshot.alignments:
        supporters_of[a.supports_id].append(a.objective_id)

    perspectives = []
    if smap is not None:
        objectives = sorted(
            (o for o in snapshot.objectives.values() if o.map_id == smap.id), key=lambda o: o.code
        )
        for p in sorted(
            (p for p in snapshot.perspectives.values() if p.map_id == smap.id), key=lambda p: (p.position, p.code)
        ):
            pscore = scores.perspectives.get(p.id, NONE)
            objective_rows = []
            for o in objectives:
                if o.perspective_id != p.id:
                    continue
                oscore = scores.objective(o.id)
                measure_rows = []
                for m in sorted(measures_of[o.id], key=lambda m: m.code):
                    ms = scores.measures.get(m.id)
                    measure_rows.append({
                        "code": m.code,
                        "name": m.name,
                        "actual": ms.actual if ms else None,
                        "period": _iso(ms.period) if ms else None,
                        "target": m.target,
                        "red_flag": ms.red_flag if ms else m.red_flag,
                        "score": ms.score if ms else None,
                        "status": ms.status if ms else "none",
                        "percent_of_target": ms.percent_of_target if ms else None,
                        "progress": ms.progress if ms else None,
                        "trend": ms.trend if ms else None,
                        "stale": ms.stale if ms else False,
                    })
                supported_by = []
                for sid in supporters_of[o.id]:
                    sup = snapshot.objectives[sid]
                    sscore = scores.objective(sid)
                    supported_by.append({
                        "unit": snapshot.units[sup.unit_id].code,
                        "objective": sup.code,
                        "score": sscore.score,
                        "status": sscore.status,
                    })
                supported_by.sort(key=lambda r: (r["unit"], r["objective"]))
                objective_rows.append({
                    "code": o.code,
                    "name": o.name,
                    "score": oscore.score,
                    "status": oscore.status,
                    "measures": measure_rows,
                    "supported_by": supported_by,
                })
            perspectives.append({
                "code": p.code,
                "name": p.name,
                "score": pscore.score,
                "status": pscore.status,
                "objectives": objective_rows,
            })

    initiatives = []
    for ini in sorted((i for i in snapshot.initiatives.values() if i.unit_id == unit_id), key=lambda i: i.code):
        health = scores.initiatives.get(ini.id) or initiative_health(ini, scores.as_of, ini.milestones)
        initiatives.append({
            "code": ini.code,
            "name": ini.name,
            "percent_complete": health.percent_complete,
            "expected_percent": health.expected_percent,
            "schedule_index": health.schedule_index,
            "cost_index": health.cost_index,
            "health": health.health,
            "overdue_milestones": [{"name": m.name, "due": m.due.isoformat()} for m in health.overdue_milestones],
        })
    return {
        "unit": unit.code,
        "as_of": scores.as_of.isoformat(),
        "score": unit_score.score,
        "status": unit_score.status,
        "perspectives": perspectives,
        "initiatives": initiatives,
    }
