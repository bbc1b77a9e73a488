"""The strategy graph: a networkx MultiDiGraph of a snapshot (issue 3 §4).

Nodes are strings ``"u:<id>"`` (unit), ``"o:<id>"`` (objective), ``"m:<id>"`` (measure), ``"i:<id>"``
(initiative), with attributes ``kind`` ("unit" | "objective" | "measure" | "initiative"), ``id``, ``code``,
``name`` and, on objectives, measures and initiatives, ``unit_id``; objectives also carry ``perspective_id`` and
``position`` (their perspective's band, 0 at the top).
Context units of a subtree snapshot get ``context=True``.

Edges point the way influence flows, each with ``kind``:

- ``contains``: unit -> child unit, unit -> its objective, unit -> its initiative;
- ``causes``: cause objective -> effect objective (inside one map);
- ``supports``: lower unit's objective -> the ancestor objective it is aligned to (attr ``weight``);
- ``measures``: measure -> the objective it measures (attr ``weight``);
- ``impacts``: initiative -> objective (attr ``weight``).

So "downstream" of an objective is what its success feeds (effects, supported objectives); the analyses in
``cascade.analysis`` pick the edge kinds they follow.
"""

from __future__ import annotations

import networkx as nx

from cascade.snapshot import Snapshot


def unit_node(unit_id: int) -> str:
    return f"u:{unit_id}"


def objective_node(objective_id: int) -> str:
    return f"o:{objective_id}"


def measure_node(measure_id: int) -> str:
    return f"m:{measure_id}"


def initiative_node(initiative_id: int) -> str:
    return f"i:{initiative_id}"


def node_id(node: str) -> int:
    """The database id in a node name ("o:5" -> 5)."""
    return int(node.split(":", 1)[1])


def build_graph(snapshot: Snapshot) -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph()
    for u in snapshot.units.values():
        graph.add_node(unit_node(u.id), kind="unit", id=u.id, code=u.code, name=u.name,
                       context=u.id in snapshot.context_unit_ids)
    for u in snapshot.units.values():
        if u.parent_id is not None and u.parent_id in snapshot.units:
            graph.add_edge(unit_node(u.parent_id), unit_node(u.id), kind="contains")
    for o in snapshot.objectives.values():
        n = objective_node(o.id)
        band = snapshot.perspectives[o.perspective_id].position if o.perspective_id in snapshot.perspectives else 0
        graph.add_node(n, kind="objective", id=o.id, code=o.code, name=o.name, unit_id=o.unit_id,
                       perspective_id=o.perspective_id, position=band)
        graph.add_edge(unit_node(o.unit_id), n, kind="contains")
    for m in snapshot.measures.values():
        n = measure_node(m.id)
        unit_id = snapshot.objectives[m.objective_id].unit_id
        graph.add_node(n, kind="measure", id=m.id, code=m.code, name=m.name, unit_id=unit_id)
        graph.add_edge(n, objective_node(m.objective_id), kind="measures", weight=m.weight)
    for i in snapshot.initiatives.values():
        n = initiative_node(i.id)
        graph.add_node(n, kind="initiative", id=i.id, code=i.code, name=i.name, unit_id=i.unit_id)
        graph.add_edge(unit_node(i.unit_id), n, kind="contains")
    for c in snapshot.causes:
        if c.cause_id in snapshot.objectives and c.effect_id in snapshot.objectives:
            graph.add_edge(objective_node(c.cause_id), objective_node(c.effect_id), kind="causes")
    for a in snapshot.alignments:
        if a.objective_id in snapshot.objectives and a.supports_id in snapshot.objectives:
            graph.add_edge(objective_node(a.objective_id), objective_node(a.supports_id), kind="supports",
                           weight=a.weight)
    for imp in snapshot.impacts:
        if imp.initiative_id in snapshot.initiatives and imp.objective_id in snapshot.objectives:
            graph.add_edge(initiative_node(imp.initiative_id), objective_node(imp.objective_id), kind="impacts",
                           weight=imp.weight)
    return graph


def edges_of_kind(graph: nx.MultiDiGraph, *kinds: str) -> nx.DiGraph:
    """A simple DiGraph view-copy holding only edges of the given kinds (and every node)."""
    sub = nx.DiGraph()
    sub.add_nodes_from(graph.nodes(data=True))
    wanted = set(kinds)
    sub.add_edges_from((a, b, d) for a, b, d in graph.edges(data=True) if d["kind"] in wanted)
    return sub
