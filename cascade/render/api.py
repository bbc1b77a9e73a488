"""The public rendering functions: what the commands, the web pages and the REST API call.

Each takes model instances the caller has already checked access to (through ``scorecard.access``), loads one
snapshot (a fixed number of queries, ``cascade.loader``), scores it (``cascade.rollup``), builds the DOT
(``cascade.render.dot``) and lays it out (``cascade.render.runner``, cached). Bad arguments and Graphviz trouble
raise ``RenderError`` with a message for the user and a ``code`` (``bad_request``, ``too_large``, ``timeout``,
``graphviz_missing``, ``graphviz_failed``) that a view can map to a status.

    render_map(unit, as_of=date(2026, 9, 30), fmt="pdf", paper="a3")   -> Rendered(data, content_type, filename)
    render_cascade(unit, depth=2, aligned_only=True)
    render_impact(initiative)
    render_drivers(objective)
    render_diff(old_structure, new_structure, old_label="2026-01-10", new_label="now")
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.core.cache import cache

from cascade.analysis import drivers as analyse_drivers
from cascade.analysis import impact as analyse_impact
from cascade.diff import count_line, diff_view
from cascade.graph import build_graph
from cascade.loader import load_snapshot
from cascade.render.dot import (
    PAPERS,
    GraphJob,
    NodeFacts,
    PathEdge,
    cascade_dot,
    map_dot,
    paths_dot,
)
from cascade.render.escape import css_token
from cascade.render.runner import FORMATS, RenderError, render_job
from cascade.rollup import Scores, compute_scores
from cascade.snapshot import Snapshot
from scorecard.history import MapStructure, data_version, end_of_day
from scorecard.models import Initiative, Objective, OrgUnit

DEFAULT_DPI = 150
DPI_RANGE = (36, 600)
HEALTH_WORDS = {"not_started": "not started", "complete": "complete", "on_track": "on track",
                "behind": "behind schedule", "at_risk": "at risk"}


@dataclass(frozen=True)
class Rendered:
    data: bytes
    content_type: str
    filename: str


def svg_for_inline(data: bytes) -> str:
    """Rendered SVG for embedding in a page: the XML prolog, DOCTYPE and comments before <svg> removed."""
    text = data.decode("utf-8")
    start = text.find("<svg")
    if start < 0:
        raise ValueError("not an SVG document")
    return text[start:]


def _check(fmt: str, paper: str, dpi: int | None) -> None:
    if fmt not in FORMATS:
        raise RenderError(f"Unknown format {fmt!r}: choose one of {', '.join(FORMATS)}.", code="bad_request")
    if paper not in PAPERS:
        raise RenderError(f"Unknown paper {paper!r}: choose one of {', '.join(PAPERS)}.", code="bad_request")
    if dpi is not None and not DPI_RANGE[0] <= int(dpi) <= DPI_RANGE[1]:
        raise RenderError(f"dpi {dpi} is out of range: choose {DPI_RANGE[0]} to {DPI_RANGE[1]}.",
                          code="bad_request")


def _paper_for(fmt: str, paper: str) -> str | None:
    # SVG is for the screen: natural size, scaled by CSS. Print formats (and DOT for people who print) get
    # the one-page layout for the paper.
    return None if fmt == "svg" else paper


def _finish(job: GraphJob, fmt: str, dpi: int | None, stem: str) -> Rendered:
    data = render_job(job, fmt, dpi=(dpi or DEFAULT_DPI) if fmt == "png" else None)
    return Rendered(data=data, content_type=FORMATS[fmt], filename=f"{stem}.{fmt}")


MEMO_SECONDS = 24 * 3600  # entries are keyed by the data version: they never go stale, they only age out


def _memo(parts: tuple[object, ...], build: Callable[[], Rendered]) -> Rendered:
    """A whole render from the cache when nothing it depends on changed: the view's arguments (``parts``) and
    ``scorecard.history.data_version`` (one query). Otherwise ``build`` runs (its Graphviz step has its own cache
    by DOT hash). This is what makes an unchanged map cost about a millisecond instead of a snapshot load."""
    key = "render:" + hashlib.sha256(repr((parts, data_version())).encode()).hexdigest()
    hit = cache.get(key)
    if hit is not None:
        return Rendered(*hit)
    rendered = build()
    cache.set(key, (rendered.data, rendered.content_type, rendered.filename), MEMO_SECONDS)
    return rendered


def _num(value: float) -> str:
    return f"{value:.4g}"


def objective_facts(snapshot: Snapshot, scores: Scores) -> dict[int, NodeFacts]:
    """Status, score and the latest values (for the tooltip) of every scored objective in the snapshot."""
    latest: dict[int, list[str]] = {}
    for measure in sorted(snapshot.measures.values(), key=lambda m: m.code):
        ms = scores.measures.get(measure.id)
        if ms is None or ms.actual is None:
            continue
        lines = latest.setdefault(measure.objective_id, [])
        if len(lines) < 4:
            units = f" {measure.units}" if measure.units else ""
            period = f" ({ms.period.isoformat()})" if ms.period else ""
            lines.append(f"{measure.code} {measure.name}: {_num(ms.actual)}{units}{period}")
    return {
        oid: NodeFacts(status=node.status, score=node.score, latest="\n".join(latest.get(oid, [])))
        for oid, node in scores.objectives.items()
    }


def _unit_facts(scores: Scores) -> Mapping[int, NodeFacts]:
    return {uid: NodeFacts(status=node.status, score=node.score) for uid, node in scores.units.items()}


def _as_of(as_of: dt.date | None) -> dt.date:
    return as_of or dt.date.today()


def render_map(
    unit: OrgUnit,
    *,
    as_of: dt.date | None = None,
    status: bool = True,
    fmt: str = "svg",
    paper: str = "a4",
    dpi: int | None = None,
    structure_as_of: dt.date | None = None,
) -> Rendered:
    """The strategy map of ``unit``: with ``status`` coloured as of ``as_of`` (default today), else the drafting map.

    Loads the unit's subtree, because an objective's score includes the objectives aligned to it from below.
    ``structure_as_of`` draws the map as it stood at the end of that day, from the change history: objectives,
    links, measures and targets of then, scored on the values entered by then, as of that day unless ``as_of``
    says otherwise. That is the map a review meeting of that day saw.
    """
    _check(fmt, paper, dpi)
    if structure_as_of is None:  # a past structure is read from the history, which the data version does not key
        day = _as_of(as_of)
        return _memo(("map", unit.pk, day, status, fmt, paper, dpi),
                     lambda: _render_map(unit, day, None, status=status, fmt=fmt, paper=paper, dpi=dpi))
    if structure_as_of > dt.date.today():
        raise RenderError(f"The structure date {structure_as_of.isoformat()} is in the future: the history ends "
                          "today. Leave it out for the map as it is now.", code="bad_request")
    return _render_map(unit, as_of or structure_as_of, structure_as_of, status=status, fmt=fmt, paper=paper,
                       dpi=dpi)


def _render_map(unit: OrgUnit, day: dt.date, structure_as_of: dt.date | None, *, status: bool, fmt: str,
                paper: str, dpi: int | None) -> Rendered:
    at = end_of_day(structure_as_of) if structure_as_of is not None else None
    snapshot = load_snapshot(unit, subtree=status, as_of=day, notes=False, structure_at=at)
    if snapshot.map_of_unit(unit.pk) is None:
        message = (f"Unit {unit.code} had no strategy map on {structure_as_of.isoformat()}." if structure_as_of
                   else f"Unit {unit.code} has no strategy map yet.")
        raise RenderError(message, code="bad_request")
    facts = objective_facts(snapshot, compute_scores(snapshot, day)) if status else None
    note = (f"Structure as of {structure_as_of.isoformat()}, from the change history" if structure_as_of else "")
    job = map_dot(snapshot, unit.pk, facts=facts, as_of=day if status else None, paper=_paper_for(fmt, paper),
                  note=note)
    stem = f"{job.name}-{day.isoformat()}" if status else f"{job.name}-draft"
    if structure_as_of is not None:
        stem = f"{job.name}-structure-{structure_as_of.isoformat()}"
        if status and day != structure_as_of:
            stem += f"-status-{day.isoformat()}"
    return _finish(job, fmt, dpi, stem)


def render_cascade(
    unit: OrgUnit,
    *,
    depth: int | None = 2,
    as_of: dt.date | None = None,
    aligned_only: bool = False,
    status: bool = True,
    fmt: str = "svg",
    paper: str = "a4",
    dpi: int | None = None,
) -> Rendered:
    """``unit`` and its descendants down to ``depth`` levels (None: all), a cluster per unit, left to right.

    ``aligned_only`` keeps only objectives that support or are supported by another objective in the view.
    """
    _check(fmt, paper, dpi)
    if depth is not None and depth < 0:
        raise RenderError(f"depth {depth} must be 0 or more.", code="bad_request")
    day = _as_of(as_of)

    def build() -> Rendered:
        snapshot = load_snapshot(unit, subtree=True, as_of=day, notes=False)
        scores = compute_scores(snapshot, day) if status else None
        job = cascade_dot(
            snapshot, unit.pk, depth=depth, aligned_only=aligned_only,
            facts=objective_facts(snapshot, scores) if scores else None,
            unit_facts=_unit_facts(scores) if scores else None,
            as_of=day if status else None, paper=_paper_for(fmt, paper),
        )
        return _finish(job, fmt, dpi, f"{job.name}-{day.isoformat()}" if status else f"{job.name}-draft")

    return _memo(("cascade", unit.pk, day, depth, aligned_only, status, fmt, paper, dpi), build)


def render_impact(
    initiative: Initiative,
    *,
    as_of: dt.date | None = None,
    status: bool = True,
    fmt: str = "svg",
    paper: str = "a4",
    dpi: int | None = None,
) -> Rendered:
    """``initiative`` and every path to the objectives it reaches (impacts, cause-effect links, alignment up).

    Loads the whole enterprise: paths climb into ancestor units and their scores depend on every unit below.
    """
    _check(fmt, paper, dpi)
    day = _as_of(as_of)

    def build() -> Rendered:
        snapshot = load_snapshot(None, as_of=day, notes=False)
        scores = compute_scores(snapshot, day)
        result = analyse_impact(build_graph(snapshot), initiative.pk, scores)
        edges = [PathEdge(("i", initiative.pk), ("o", link.objective_id), "impacts")
                 for link in snapshot.impacts if link.initiative_id == initiative.pk]
        edges += [PathEdge(("o", a), ("o", b), kind) for a, b, kind in result.edges]
        unit = snapshot.units[initiative.unit_id]
        health = scores.initiatives.get(initiative.pk)
        line = f"{initiative.percent_complete:.0f}% complete"
        if health is not None and status:
            line += f", {HEALTH_WORDS.get(health.health, health.health)}"
        reached = len(result.reached)
        job = paths_dot(
            snapshot, title=f"Impact of {unit.code}: {initiative.code} {initiative.name} · reaches {reached} objective"
                            + ("" if reached == 1 else "s"),
            focus=("i", initiative.pk), edges=edges, facts=objective_facts(snapshot, scores) if status else None,
            initiative_lines={initiative.pk: line}, as_of=day if status else None, paper=_paper_for(fmt, paper),
            name=f"impact-{css_token(unit.code)}-{css_token(initiative.code)}",
        )
        return _finish(job, fmt, dpi, f"{job.name}-{day.isoformat()}")

    return _memo(("impact", initiative.pk, day, status, fmt, paper, dpi), build)


def render_drivers(
    objective: Objective,
    *,
    max_hops: int | None = None,
    as_of: dt.date | None = None,
    status: bool = True,
    fmt: str = "svg",
    paper: str = "a4",
    dpi: int | None = None,
) -> Rendered:
    """What moves ``objective``: its causes and supporting objectives (transitively) and their initiatives.

    ``max_hops`` keeps only drivers at most that many links away (1: direct causes and supporters), for a view
    that prints legibly when the whole upstream is large.
    """
    _check(fmt, paper, dpi)
    if max_hops is not None and max_hops < 1:
        raise RenderError(f"hops {max_hops} must be 1 or more.", code="bad_request")
    day = _as_of(as_of)

    def build() -> Rendered:
        unit = OrgUnit.objects.get(strategy_map__objectives=objective)
        snapshot = load_snapshot(unit, subtree=True, as_of=day, notes=False)
        scores = compute_scores(snapshot, day)
        result = analyse_drivers(build_graph(snapshot), objective.pk, scores)
        causes = {(c.cause_id, c.effect_id) for c in snapshot.causes}
        kept = [d for d in result.objectives if max_hops is None or d.hops <= max_hops]
        drawn = {objective.pk} | {d.objective_id for d in kept}
        edges: list[PathEdge] = []
        for driver in kept:
            for a, b in zip(driver.path, driver.path[1:], strict=False):
                edges.append(PathEdge(("o", a), ("o", b), "causes" if (a, b) in causes else "supports"))
        lines: dict[int, str] = {}
        initiatives = [ini for ini in result.initiatives if drawn.intersection(ini.objective_ids)]
        for ini in initiatives:
            edges += [PathEdge(("i", ini.initiative_id), ("o", oid), "impacts") for oid in ini.objective_ids
                      if oid in drawn]
            data = snapshot.initiatives[ini.initiative_id]
            lines[ini.initiative_id] = f"{data.percent_complete:.0f}% complete" + (
                f", {HEALTH_WORDS.get(ini.health, ini.health)}" if ini.health and status else "")
        target = snapshot.objectives[objective.pk]
        scope = "" if max_hops is None else f" within {max_hops} link" + ("" if max_hops == 1 else "s")
        job = paths_dot(
            snapshot, title=f"Drivers of {unit.code}: {target.code} {target.name} · {len(kept)} objectives, "
                            f"{len(initiatives)} initiatives{scope}",
            focus=("o", objective.pk), edges=edges, facts=objective_facts(snapshot, scores) if status else None,
            initiative_lines=lines, as_of=day if status else None, paper=_paper_for(fmt, paper),
            name=f"drivers-{css_token(unit.code)}-{css_token(target.code)}",
        )
        return _finish(job, fmt, dpi, f"{job.name}-{day.isoformat()}")

    return _memo(("drivers", objective.pk, day, max_hops, status, fmt, paper, dpi), build)


def render_diff(
    old: MapStructure,
    new: MapStructure,
    *,
    old_label: str,
    new_label: str,
    unit_name: str = "",
    fmt: str = "svg",
    paper: str = "a4",
    dpi: int | None = None,
) -> Rendered:
    """The difference between two versions of a unit's map, drawn on the map: added objectives and links
    outlined green, removed ones dashed red, changed ones (name, band, theme, weight, measures, targets) amber.

    The versions come from ``scorecard.history.structure_as_of`` or ``cascade.diff.structure_from_yaml``;
    ``old_label`` and ``new_label`` say which they are on the page (e.g. "2026-01-10", "now", "plan.yaml").
    """
    _check(fmt, paper, dpi)
    view = diff_view(old, new, unit_name=unit_name)
    summary = count_line(view.lines) if view.lines else "no change"
    job = map_dot(view.snapshot, view.unit_id, paper=_paper_for(fmt, paper), marks=view.marks,
                  link_marks=view.link_marks, note=f"Changes from {old_label} to {new_label}: {summary}",
                  name=f"map-diff-{css_token(new.unit)}")
    return _finish(job, fmt, dpi, f"{job.name}-{css_token(old_label)}-{css_token(new_label)}")
