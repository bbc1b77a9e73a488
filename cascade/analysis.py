"""Analyses over the strategy graph (issue 3 §4): impact, drivers, alignment gaps, early warnings, leverage,
cycles. Each is a plain function over the ``cascade.graph.build_graph`` MultiDiGraph (plus ``Scores`` where a
status is reported); ids in and out are database ids, never node names, so renderers and the API can use them
directly.

- ``impact(graph, initiative_id, scores)``: every objective the initiative reaches through its impacts, then
  cause-effect links and alignment upwards, each with its shortest ``path`` (objective ids from the directly
  impacted objective to it), ``hops`` (initiative -> objective counts 1), up to ``MAX_PATHS_PER_OBJECTIVE``
  distinct ``paths``, and its score and status; ``edges`` lists every edge on those paths for drawing.
- ``drivers(graph, objective_id, scores)``: the reverse: the objectives upstream (causes and supporting
  objectives of lower units, transitively), the initiatives that impact any of them, and the supporting units.
- ``alignment_gaps(graph, unit_id)``: ancestor objectives nothing in the unit supports (directly or through an
  intermediate unit's objective it supports); unit objectives that support nothing above (units below the top
  only); objectives without measures; objectives without initiatives; initiatives that impact nothing.
- ``early_warnings(graph, scores, unit_id)``: objectives not (yet) red with a red cause; red measures whose
  objective no initiative impacts; stale measures; over the unit's subtree.
- ``leverage(graph, unit_id)``: the unit subtree's objectives ranked by how many objectives lie downstream of
  them (causes and supports, transitively) and then by betweenness centrality in the objective graph.
- ``find_cycles(graph)``: one cycle per strongly connected component of the causes/supports/unit-tree edges.
- ``analysis_json(...)``: all of that for one unit, as ``manage.py analyse --json`` prints it.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from cascade.graph import edges_of_kind, initiative_node, node_id, objective_node, unit_node
from cascade.rollup import NONE, NodeScore, Scores

MAX_PATHS_PER_OBJECTIVE = 20
# Exact betweenness is O(V.E); above this many objectives it is estimated from this many sampled sources.
BETWEENNESS_SAMPLE = 400
FLOW_KINDS = ("causes", "supports")


# ------------------------------------------------------------------------------------------------ helpers
def _objective_score(scores: Scores | None, objective_id: int) -> NodeScore:
    return scores.objective(objective_id) if scores is not None else NONE


def _kind(graph: nx.MultiDiGraph, node: str) -> str:
    return str(graph.nodes[node]["kind"])


def _out(graph: nx.MultiDiGraph, node: str, kinds: tuple[str, ...]) -> list[tuple[str, str]]:
    """(successor, edge kind) pairs of ``node`` along edges of the given kinds, in a stable order."""
    found = {(b, d["kind"]) for _, b, d in graph.out_edges(node, data=True) if d["kind"] in kinds}
    return sorted(found)


def _in(graph: nx.MultiDiGraph, node: str, kinds: tuple[str, ...]) -> list[tuple[str, str]]:
    found = {(a, d["kind"]) for a, _, d in graph.in_edges(node, data=True) if d["kind"] in kinds}
    return sorted(found)


def unit_ancestors(graph: nx.MultiDiGraph, unit_id: int) -> list[int]:
    """Proper ancestor unit ids, nearest first, through the ``contains`` edges between units."""
    result: list[int] = []
    node = unit_node(unit_id)
    seen = {node}
    while True:
        parents = [a for a, k in _in(graph, node, ("contains",)) if _kind(graph, a) == "unit"]
        if not parents or parents[0] in seen:
            return result
        node = parents[0]
        seen.add(node)
        result.append(node_id(node))


def unit_subtree(graph: nx.MultiDiGraph, unit_id: int) -> list[int]:
    """The unit and its descendants (ids, breadth first)."""
    result, queue = [], deque([unit_node(unit_id)])
    seen: set[str] = set()
    while queue:
        node = queue.popleft()
        if node in seen:
            continue
        seen.add(node)
        result.append(node_id(node))
        queue.extend(b for b, _ in _out(graph, node, ("contains",)) if _kind(graph, b) == "unit")
    return result


def objectives_of_units(graph: nx.MultiDiGraph, unit_ids: list[int]) -> list[int]:
    """Objective ids of these units, unit by unit, each unit's from the top band down, then by code."""
    result = []
    for uid in unit_ids:
        own = [b for b, _ in _out(graph, unit_node(uid), ("contains",)) if _kind(graph, b) == "objective"]
        own.sort(key=lambda n: (graph.nodes[n].get("position", 0), graph.nodes[n]["code"], n))
        result.extend(node_id(b) for b in own)
    return result


def initiatives_of_units(graph: nx.MultiDiGraph, unit_ids: list[int]) -> list[int]:
    result = []
    for uid in unit_ids:
        result.extend(node_id(b) for b, _ in _out(graph, unit_node(uid), ("contains",))
                      if _kind(graph, b) == "initiative")
    return result


# ------------------------------------------------------------------------------------------------- impact
@dataclass(frozen=True, slots=True)
class Reached:
    objective_id: int
    unit_id: int
    hops: int  # initiative -> directly impacted objective is 1
    via: str  # kind of the last edge on the shortest path: impacts | causes | supports
    path: tuple[int, ...]  # shortest: objective ids from the impacted objective to this one
    paths: tuple[tuple[int, ...], ...]  # all distinct paths (up to MAX_PATHS_PER_OBJECTIVE), shortest first
    score: float | None
    status: str


@dataclass(slots=True)
class ImpactResult:
    initiative_id: int
    reached: list[Reached] = field(default_factory=list)  # by hops, then objective id
    edges: list[tuple[int, int, str]] = field(default_factory=list)  # objective edges on the paths, for drawing


def impact(graph: nx.MultiDiGraph, initiative_id: int, scores: Scores | None = None) -> ImpactResult:
    """Every objective the initiative reaches: impacts, then cause-effect links and alignment upwards."""
    start = initiative_node(initiative_id)
    result = ImpactResult(initiative_id)
    if start not in graph:
        return result
    paths: dict[str, list[tuple[tuple[int, ...], str]]] = {}
    # Depth-first enumeration of paths; the graph is a DAG, the on-path check guards against a bad cycle.
    stack: list[tuple[str, tuple[int, ...], str]] = [
        (b, (node_id(b),), "impacts") for b, _ in reversed(_out(graph, start, ("impacts",)))
    ]
    budget = MAX_PATHS_PER_OBJECTIVE * max(graph.number_of_nodes(), 1)
    edges: set[tuple[int, int, str]] = set()
    while stack and budget > 0:
        node, path, via = stack.pop()
        found = paths.setdefault(node, [])
        if len(found) >= MAX_PATHS_PER_OBJECTIVE:
            continue
        budget -= 1
        found.append((path, via))
        for nxt, kind in reversed(_out(graph, node, FLOW_KINDS)):
            nid = node_id(nxt)
            if nid not in path:
                stack.append((nxt, (*path, nid), kind))
    for node, found in paths.items():
        found.sort(key=lambda pv: (len(pv[0]), pv[0]))
        for p, _ in found:
            edges.update(zip(p, p[1:], ["?"] * (len(p) - 1), strict=False))
        best, via = found[0]
        oid = node_id(node)
        s = _objective_score(scores, oid)
        result.reached.append(Reached(
            objective_id=oid, unit_id=int(graph.nodes[node]["unit_id"]), hops=len(best), via=via, path=best,
            paths=tuple(p for p, _ in found), score=s.score, status=s.status,
        ))
    result.reached.sort(key=lambda r: (r.hops, r.objective_id))
    # Name each drawn edge by its kind in the graph.
    for a, b, _ in sorted(edges):
        kinds = {d["kind"] for d in graph.get_edge_data(objective_node(a), objective_node(b), default={}).values()}
        result.edges.append((a, b, "causes" if "causes" in kinds else "supports"))
    return result


# ------------------------------------------------------------------------------------------------ drivers
@dataclass(frozen=True, slots=True)
class Driver:
    objective_id: int
    unit_id: int
    hops: int  # 1: a direct cause or supporter
    relation: str  # causes | supports: the kind of its first edge towards the target
    path: tuple[int, ...]  # objective ids from this driver to the target (both included)
    score: float | None
    status: str


@dataclass(frozen=True, slots=True)
class InitiativeDriver:
    initiative_id: int
    unit_id: int
    objective_ids: tuple[int, ...]  # the objectives (target or drivers) it impacts directly
    hops: int  # 1 when it impacts the target itself
    health: str | None


@dataclass(slots=True)
class Drivers:
    objective_id: int
    objectives: list[Driver] = field(default_factory=list)
    initiatives: list[InitiativeDriver] = field(default_factory=list)
    units: list[int] = field(default_factory=list)  # other units whose objectives support the target


def drivers(graph: nx.MultiDiGraph, objective_id: int, scores: Scores | None = None) -> Drivers:
    """Which objectives, initiatives and supporting units move ``objective_id`` (breadth first upstream)."""
    target = objective_node(objective_id)
    result = Drivers(objective_id)
    if target not in graph:
        return result
    best: dict[str, tuple[int, ...]] = {target: (objective_id,)}
    relation: dict[str, str] = {}
    queue = deque([target])
    while queue:
        node = queue.popleft()
        for prev, kind in _in(graph, node, FLOW_KINDS):
            if prev not in best:
                best[prev] = (node_id(prev), *best[node])
                relation[prev] = kind
                queue.append(prev)
    own_unit = graph.nodes[target]["unit_id"]
    units: set[int] = set()
    for node, path in best.items():
        if node == target:
            continue
        oid = node_id(node)
        s = _objective_score(scores, oid)
        uid = int(graph.nodes[node]["unit_id"])
        result.objectives.append(Driver(oid, uid, len(path) - 1, relation[node], path, s.score, s.status))
        if uid != own_unit:
            units.add(uid)
    result.objectives.sort(key=lambda d: (d.hops, d.objective_id))
    by_initiative: dict[str, list[str]] = {}
    for node in best:
        for ini, _ in _in(graph, node, ("impacts",)):
            by_initiative.setdefault(ini, []).append(node)
    for ini, nodes in by_initiative.items():
        iid = node_id(ini)
        health = scores.initiatives[iid].health if scores is not None and iid in scores.initiatives else None
        hops = min(len(best[n]) for n in nodes)
        result.initiatives.append(InitiativeDriver(
            iid, int(graph.nodes[ini]["unit_id"]), tuple(sorted(node_id(n) for n in nodes)), hops, health
        ))
    result.initiatives.sort(key=lambda d: (d.hops, d.initiative_id))
    result.units = sorted(units)
    return result


# ------------------------------------------------------------------------------------------ alignment gaps
@dataclass(slots=True)
class Gaps:
    unit_id: int
    unsupported_ancestor_objectives: list[int] = field(default_factory=list)
    objectives_supporting_nothing: list[int] = field(default_factory=list)
    objectives_without_measures: list[int] = field(default_factory=list)
    objectives_without_initiatives: list[int] = field(default_factory=list)
    initiatives_without_impacts: list[int] = field(default_factory=list)


def alignment_gaps(graph: nx.MultiDiGraph, unit_id: int) -> Gaps:
    gaps = Gaps(unit_id)
    own = objectives_of_units(graph, [unit_id])
    ancestors = unit_ancestors(graph, unit_id)
    if ancestors:
        supported: set[int] = set()
        frontier = [objective_node(o) for o in own]
        while frontier:
            node = frontier.pop()
            for up, _ in _out(graph, node, ("supports",)):
                if node_id(up) not in supported:
                    supported.add(node_id(up))
                    frontier.append(up)
        gaps.unsupported_ancestor_objectives = [
            o for o in objectives_of_units(graph, ancestors) if o not in supported
        ]
        gaps.objectives_supporting_nothing = [
            o for o in own if not _out(graph, objective_node(o), ("supports",))
        ]
    for o in own:
        node = objective_node(o)
        if not _in(graph, node, ("measures",)):
            gaps.objectives_without_measures.append(o)
        if not _in(graph, node, ("impacts",)):
            gaps.objectives_without_initiatives.append(o)
    gaps.initiatives_without_impacts = [
        i for i in initiatives_of_units(graph, [unit_id]) if not _out(graph, initiative_node(i), ("impacts",))
    ]
    return gaps


# ------------------------------------------------------------------------------------------ early warnings
@dataclass(frozen=True, slots=True)
class LeadingWarning:
    objective_id: int
    status: str  # the objective's own status: green | amber | none
    red_causes: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class MeasureWarning:
    measure_id: int
    objective_id: int
    period: dt.date | None


@dataclass(slots=True)
class Warnings:
    red_causes: list[LeadingWarning] = field(default_factory=list)
    red_without_initiative: list[MeasureWarning] = field(default_factory=list)
    stale: list[MeasureWarning] = field(default_factory=list)


def early_warnings(graph: nx.MultiDiGraph, scores: Scores, unit_id: int | None = None) -> Warnings:
    """Warnings over the unit's subtree (the whole graph when ``unit_id`` is None)."""
    if unit_id is None:
        objectives = sorted(node_id(n) for n, d in graph.nodes(data=True) if d["kind"] == "objective")
    else:
        objectives = objectives_of_units(graph, unit_subtree(graph, unit_id))
    warnings = Warnings()
    for oid in objectives:
        node = objective_node(oid)
        own = scores.objective(oid)
        red = tuple(sorted(
            node_id(c) for c, _ in _in(graph, node, ("causes",)) if scores.objective(node_id(c)).status == "red"
        ))
        if own.status != "red" and red:
            warnings.red_causes.append(LeadingWarning(oid, own.status, red))
        covered = bool(_in(graph, node, ("impacts",)))
        for m, _ in _in(graph, node, ("measures",)):
            ms = scores.measures.get(node_id(m))
            if ms is None:
                continue
            if ms.status == "red" and not covered:
                warnings.red_without_initiative.append(MeasureWarning(node_id(m), oid, ms.period))
            if ms.stale:
                warnings.stale.append(MeasureWarning(node_id(m), oid, ms.period))
    return warnings


# ------------------------------------------------------------------------------------------------ leverage
@dataclass(frozen=True, slots=True)
class Leverage:
    objective_id: int
    unit_id: int
    downstream: int  # objectives reachable through causes and supports
    share: float  # downstream / (objectives in the graph - 1)
    betweenness: float  # normalised, in the objective graph


def objective_flow_graph(graph: nx.MultiDiGraph) -> nx.DiGraph:
    """Objectives only, with the causes and supports edges between them."""
    flow = edges_of_kind(graph, *FLOW_KINDS)
    return flow.subgraph(n for n, d in graph.nodes(data=True) if d["kind"] == "objective").copy()


def leverage(graph: nx.MultiDiGraph, unit_id: int | None = None, *, top: int | None = None) -> list[Leverage]:
    """Rank objectives by what lies downstream of them.

    With ``unit_id`` the ranking covers the unit's subtree and is measured within the part of the map that
    concerns the unit (its subtree's and its ancestors' objectives), so ``share`` and betweenness are not
    diluted by unrelated branches of a large enterprise.
    """
    flow = objective_flow_graph(graph)
    if unit_id is None:
        candidates = sorted(node_id(n) for n in flow)
    else:
        subtree = unit_subtree(graph, unit_id)
        candidates = objectives_of_units(graph, subtree)
        relevant = objectives_of_units(graph, subtree + unit_ancestors(graph, unit_id))
        flow = flow.subgraph(objective_node(o) for o in relevant).copy()
    total = max(flow.number_of_nodes() - 1, 1)
    n = flow.number_of_nodes()
    if n > BETWEENNESS_SAMPLE:
        between = nx.betweenness_centrality(flow, k=BETWEENNESS_SAMPLE, seed=0)
    else:
        between = nx.betweenness_centrality(flow)
    rows = []
    for oid in candidates:
        node = objective_node(oid)
        down = len(nx.descendants(flow, node))
        rows.append(Leverage(oid, int(flow.nodes[node]["unit_id"]), down, down / total, between.get(node, 0.0)))
    rows.sort(key=lambda r: (-r.downstream, -r.betweenness, r.objective_id))
    return rows[:top] if top is not None else rows


# -------------------------------------------------------------------------------------------------- cycles
def find_cycles(graph: nx.MultiDiGraph) -> list[list[str]]:
    """One cycle (node names, first node repeated last) per looping part of the causes/supports/unit graph."""
    flow = edges_of_kind(graph, *FLOW_KINDS)
    flow.add_edges_from((a, b) for a, b, d in graph.edges(data=True)
                        if d["kind"] == "contains" and graph.nodes[b]["kind"] == "unit")
    cycles = []
    for component in nx.strongly_connected_components(flow):
        if len(component) == 1:
            (only,) = component
            if not flow.has_edge(only, only):
                continue
            cycles.append([only, only])
            continue
        edges = nx.find_cycle(flow.subgraph(component))
        cycles.append([a for a, _b in edges] + [edges[0][0]])
    cycles.sort()
    return cycles


# ---------------------------------------------------------------------------------------------------- JSON
def _ref(graph: nx.MultiDiGraph, node: str) -> dict[str, Any]:
    data = graph.nodes[node]
    unit = graph.nodes[unit_node(data["unit_id"])]["code"] if "unit_id" in data else data["code"]
    return {"unit": unit, "code": data["code"], "name": data["name"]}


def analysis_json(graph: nx.MultiDiGraph, scores: Scores, unit_id: int, *, top: int = 10) -> dict[str, Any]:
    """Gaps, warnings, leverage (top ``top``) and cycles for one unit, with codes and names, for the command."""
    gaps = alignment_gaps(graph, unit_id)
    warnings = early_warnings(graph, scores, unit_id)

    def obj(oid: int) -> dict[str, Any]:
        s = scores.objective(oid)
        return {**_ref(graph, objective_node(oid)), "score": s.score, "status": s.status}

    def measure(w: MeasureWarning) -> dict[str, Any]:
        ms = scores.measures[w.measure_id]
        return {**_ref(graph, f"m:{w.measure_id}"), "objective": graph.nodes[objective_node(w.objective_id)]["code"],
                "actual": ms.actual, "period": w.period.isoformat() if w.period else None,
                "score": ms.score, "status": ms.status}

    return {
        "unit": graph.nodes[unit_node(unit_id)]["code"],
        "as_of": scores.as_of.isoformat(),
        "gaps": {
            "unsupported_ancestor_objectives": [obj(o) for o in gaps.unsupported_ancestor_objectives],
            "objectives_supporting_nothing": [obj(o) for o in gaps.objectives_supporting_nothing],
            "objectives_without_measures": [obj(o) for o in gaps.objectives_without_measures],
            "objectives_without_initiatives": [obj(o) for o in gaps.objectives_without_initiatives],
            "initiatives_without_impacts": [
                _ref(graph, initiative_node(i)) for i in gaps.initiatives_without_impacts
            ],
        },
        "warnings": {
            "red_causes": [
                {**obj(w.objective_id), "red_causes": [obj(c) for c in w.red_causes]} for w in warnings.red_causes
            ],
            "red_without_initiative": [measure(w) for w in warnings.red_without_initiative],
            "stale": [measure(w) for w in warnings.stale],
        },
        "leverage": [
            {**obj(r.objective_id), "downstream": r.downstream, "share": r.share, "betweenness": r.betweenness}
            for r in leverage(graph, unit_id, top=top)
        ],
        "cycles": [[_ref(graph, n) | {"kind": graph.nodes[n]["kind"]} for n in c] for c in find_cycles(graph)],
    }
