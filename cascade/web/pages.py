"""Page data: what each page shows, read in a fixed number of queries and handed to the templates.

Scores, statuses, initiative health and analyses come from the engine (``cascade.loader``, ``cascade.rollup``,
``scorecard.scoring``, ``cascade.analysis``) and pictures from the renderer (``cascade.render``); nothing here
computes a score or draws a map itself.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from cascade.analysis import alignment_gaps, early_warnings, impact
from cascade.diff import diff_structures, empty_structure
from cascade.graph import build_graph
from cascade.loader import load_snapshot
from cascade.render.api import Rendered, render_cascade, render_diff, render_impact, render_map
from cascade.render.escape import css_token
from cascade.render.runner import RenderError
from cascade.rollup import Scores, compute_scores
from cascade.snapshot import InitiativeData, MeasureData, ObjectiveData, Snapshot, UnitData
from cascade.web.charts import actuals_chart, sparkline
from cascade.web.forms import quarter_end_on_or_before, quarter_ends
from cascade.web.history import initiative_history, objective_history
from scorecard import access
from scorecard.access import Action
from scorecard.history import MapStructure, end_of_day, structure_as_of
from scorecard.models import Actual, Alignment, Impact, Initiative, Measure, Objective, OrgUnit, StrategyMap, Theme
from scorecard.scoring import initiative_health, score_measure

MAX_DEPTH = 6


def default_as_of() -> dt.date:
    """The latest quarter end on or before today: the period most reviews talk about."""
    return quarter_end_on_or_before(timezone.localdate())


def period_choices(as_of: dt.date, count: int = 8) -> list[dt.date]:
    """Quarter ends for the as-of picker: the last ``count`` up to today, plus the chosen date if it is
    another one (a link may carry any date)."""
    choices = quarter_ends(default_as_of(), count)
    if as_of not in choices:
        choices = sorted([*choices, as_of], reverse=True)
    return choices


def parse_depth(raw: str | None) -> int:
    if raw in (None, ""):
        return 2
    try:
        depth = int(str(raw))
    except ValueError:
        raise ValueError(f"depth: “{raw}” is not a whole number; use 1 to {MAX_DEPTH}.") from None
    if not 1 <= depth <= MAX_DEPTH:
        raise ValueError(f"depth: {depth} is out of range; use 1 to {MAX_DEPTH}.")
    return depth


def results_initial(measures: Sequence[Measure], period: dt.date) -> dict[str, Any]:
    """The grid's starting values: what is already recorded for the period (one query)."""
    initial: dict[str, Any] = {"period": period}
    for actual in Actual.objects.filter(measure__in=[m.pk for m in measures], period=period):
        initial[f"value_{actual.measure_id}"] = _plain(actual.value)
        initial[f"note_{actual.measure_id}"] = actual.note
    return initial


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def linkable_objectives(initiative: Initiative) -> QuerySet[Objective]:
    """Objectives an initiative may impact: those of its own unit and of its ancestors, not yet linked."""
    unit = initiative.unit
    return (
        Objective.objects.filter(map__unit_id__in=[unit.pk, *unit.ancestor_ids()])
        .exclude(impacts__initiative=initiative)
        .select_related("map__unit")
        .order_by("map__unit__path", "perspective__position", "code")
    )


# ------------------------------------------------------------------------------------- engine, page rows
# Rows handed to the templates: plain dicts built from the snapshot (names, ids) and the engine's scores.
SPARK_POINTS = 8


@dataclass
class Loaded:
    """A snapshot and its scores as of a date, and the unit the page is about."""

    snapshot: Snapshot
    scores: Scores
    as_of: dt.date


def load(units: OrgUnit | None, as_of: dt.date, *, notes: bool = False) -> Loaded:
    """The loader's fixed queries, then the roll-up (pure Python). ``None`` loads the whole enterprise.
    Only the objective page shows commentary: the others skip reading every actual's note."""
    snapshot = load_snapshot(units, as_of=as_of, notes=notes)
    return Loaded(snapshot, compute_scores(snapshot, as_of), as_of)


def top_for_support(unit: OrgUnit, objective_ids: Sequence[int] | None = None) -> OrgUnit:
    """The highest unit whose objectives ``unit``'s objectives support (or ``unit`` itself): loading its subtree
    scores the supported ancestor objectives too, so their statuses are real, not "none". One query."""
    qs = Alignment.objects.filter(objective__map__unit=unit)
    if objective_ids is not None:
        qs = qs.filter(objective_id__in=list(objective_ids))
    paths = list(qs.values_list("supports__map__unit__path", flat=True).distinct())
    if not paths:
        return unit
    top_path = min(paths, key=len)
    top_id = int(top_path.strip("/").split("/")[-1])
    return OrgUnit(pk=top_id, path=top_path)


def lineage(snapshot: Snapshot, unit_id: int) -> list[UnitData]:
    """The unit's ancestors (root first) and the unit, from the snapshot (ancestors are loaded as context)."""
    chain: list[UnitData] = []
    current: int | None = unit_id
    while current is not None and current in snapshot.units:
        chain.append(snapshot.units[current])
        current = snapshot.units[current].parent_id
    return list(reversed(chain))


def measure_row(loaded: Loaded, m: MeasureData, *, chart: bool = False) -> dict[str, Any]:
    ms = loaded.scores.measures.get(m.id) or score_measure(m, m.actuals, loaded.as_of)
    history = [a for a in m.actuals if a.period <= loaded.as_of]
    row: dict[str, Any] = {
        "id": m.id, "code": m.code, "name": m.name, "units": m.units,
        "actual": ms.actual, "period": ms.period, "target": m.target, "red_flag": ms.red_flag,
        "score": ms.score, "status": ms.status, "trend": ms.trend, "stale": ms.stale,
        "percent_of_target": ms.percent_of_target,
        # TBD: no target yet (a yes/no measure needs none), so the measure is unscored by design.
        "tbd": m.target is None and m.scoring != "yes_no",
        "sparkline": sparkline([a.value for a in history[-SPARK_POINTS:]], label=f"{m.code} last values"),
    }
    if chart:
        row["chart"] = actuals_chart([(a.period, a.value) for a in history], target=m.target,
                                     red_flag=ms.red_flag, title=f"{m.code} {m.name}", units=m.units)
        row["commentary"] = [{"period": a.period, "value": a.value, "note": a.note}
                             for a in reversed(history) if a.note]
    return row


def objective_ref(loaded: Loaded, objective_id: int) -> dict[str, Any]:
    o = loaded.snapshot.objectives[objective_id]
    node = loaded.scores.objective(objective_id)
    return {"id": o.id, "code": o.code, "name": o.name, "unit_code": loaded.snapshot.units[o.unit_id].code,
            "score": node.score, "status": node.status}


def objective_row(loaded: Loaded, o: ObjectiveData, measures_of: dict[int, list[MeasureData]],
                  *, chart: bool = False) -> dict[str, Any]:
    snap = loaded.snapshot
    node = loaded.scores.objective(o.id)
    theme = snap.themes.get(o.theme_id) if o.theme_id else None
    return {
        "id": o.id, "code": o.code, "name": o.name, "score": node.score, "status": node.status,
        "theme": theme.name if theme else "",
        "measures": [measure_row(loaded, m, chart=chart) for m in measures_of.get(o.id, [])],
        "supports": [objective_ref(loaded, a.supports_id) for a in snap.alignments
                     if a.objective_id == o.id and a.supports_id in snap.objectives],
        "supported_by": [objective_ref(loaded, a.objective_id) for a in snap.alignments
                         if a.supports_id == o.id and a.objective_id in snap.objectives],
    }


def _measures_of(snapshot: Snapshot) -> dict[int, list[MeasureData]]:
    out: dict[int, list[MeasureData]] = defaultdict(list)
    for m in sorted(snapshot.measures.values(), key=lambda m: m.code):
        out[m.objective_id].append(m)
    return out


def initiative_row(loaded: Loaded, ini: InitiativeData) -> dict[str, Any]:
    health = loaded.scores.initiatives.get(ini.id) or initiative_health(ini, loaded.as_of, ini.milestones)
    return {"id": ini.id, "code": ini.code, "name": ini.name, "unit_id": ini.unit_id,
            "percent_complete": health.percent_complete, "expected_percent": health.expected_percent,
            "schedule_index": health.schedule_index, "cost_index": health.cost_index, "health": health.health,
            "overdue_count": len(health.overdue_milestones), "over_budget": health.over_budget}


def _common(user: Any, unit: OrgUnit, loaded: Loaded) -> dict[str, Any]:
    return {
        "unit": unit, "as_of": loaded.as_of, "periods": period_choices(loaded.as_of),
        "lineage": lineage(loaded.snapshot, unit.pk),
        "can_update": access.can(user, Action.UPDATE, unit), "can_manage": access.can(user, Action.MANAGE, unit),
    }


# ------------------------------------------------------------------------------------------------- pages
def home(user: Any, as_of: dt.date) -> dict[str, Any]:
    loaded = load(None, as_of)
    visible = set(access.units_where(user, Action.VIEW).values_list("pk", flat=True))
    snap = loaded.snapshot
    nodes: dict[int, dict[str, Any]] = {}
    for u in sorted(snap.units.values(), key=lambda u: (u.display_order, u.code)):
        node = loaded.scores.units.get(u.id)
        nodes[u.id] = {"unit": u, "score": node.score if node else None, "status": node.status if node else "none",
                       "children": []}
    roots = []
    for uid, node in nodes.items():
        if uid not in visible:
            continue
        parent = snap.units[uid].parent_id
        # A visible unit whose parent is hidden starts its own tree (viewers limited to their subtree).
        if parent in nodes and parent in visible:
            nodes[parent]["children"].append(node)
        else:
            roots.append(node)
    return {"roots": roots, "as_of": as_of, "periods": period_choices(as_of)}


def scorecard(user: Any, unit: OrgUnit, as_of: dt.date) -> dict[str, Any]:
    loaded = load(top_for_support(unit), as_of)
    snap = loaded.snapshot
    smap = snap.map_of_unit(unit.pk)
    node = loaded.scores.units.get(unit.pk)
    measures_of = _measures_of(snap)
    perspectives = []
    if smap is not None:
        objectives = sorted((o for o in snap.objectives.values() if o.map_id == smap.id), key=lambda o: o.code)
        for p in sorted((p for p in snap.perspectives.values() if p.map_id == smap.id),
                        key=lambda p: (p.position, p.code)):
            pnode = loaded.scores.perspectives.get(p.id)
            perspectives.append({
                "code": p.code, "name": p.name, "score": pnode.score if pnode else None,
                "status": pnode.status if pnode else "none",
                "objectives": [objective_row(loaded, o, measures_of) for o in objectives if o.perspective_id == p.id],
            })
    initiatives = [initiative_row(loaded, i) for i in sorted(snap.initiatives.values(), key=lambda i: i.code)
                   if i.unit_id == unit.pk]
    return {
        **_common(user, unit, loaded), "perspectives": perspectives, "initiatives": initiatives,
        "score": node.score if node else None, "status": node.status if node else "none",
        "map_title": smap.title if smap else "", "mission": smap.mission if smap else "",
    }


def objective_page(user: Any, objective: Objective, as_of: dt.date, *, all_history: bool = False) -> dict[str, Any]:
    unit = objective.map.unit
    loaded = load(top_for_support(unit, [objective.pk]), as_of, notes=True)
    snap = loaded.snapshot
    o = snap.objectives[objective.pk]
    perspective = snap.perspectives[o.perspective_id]
    reaching = sorted({imp.initiative_id for imp in snap.impacts if imp.objective_id == o.id})
    row = objective_row(loaded, o, _measures_of(snap), chart=True)
    changes = objective_history(objective, show_all=all_history)
    for m in row["measures"]:
        m["target_history"] = changes.targets.get(m["id"])
    return {
        **_common(user, unit, loaded),
        "o": row,
        "perspective": perspective.name, "owner": o.owner, "description": o.description,
        "causes": [objective_ref(loaded, c.cause_id) for c in snap.causes if c.effect_id == o.id],
        "effects": [objective_ref(loaded, c.effect_id) for c in snap.causes if c.cause_id == o.id],
        "initiatives": [initiative_row(loaded, snap.initiatives[i]) for i in reaching if i in snap.initiatives],
        "history": changes.timeline, "all_history": all_history,
    }


def _root_of(unit: OrgUnit) -> OrgUnit:
    """The root of the unit's tree: impact paths climb alignments to any ancestor, so their statuses need the
    whole tree scored."""
    root_id = int(unit.path.strip("/").split("/")[0])
    return OrgUnit(pk=root_id, path=f"/{root_id}/")


def initiative_page(user: Any, initiative: Initiative, as_of: dt.date, *, all_history: bool = False
                    ) -> dict[str, Any]:
    unit = initiative.unit
    loaded = load(_root_of(unit), as_of)
    snap = loaded.snapshot
    ini = snap.initiatives[initiative.pk]
    health = loaded.scores.initiatives.get(ini.id) or initiative_health(ini, as_of, ini.milestones)
    overdue = {(m.name, m.due) for m in health.overdue_milestones}
    graph = build_graph(snap)
    result = impact(graph, ini.id, loaded.scores)
    reached = [{**objective_ref(loaded, r.objective_id), "hops": r.hops, "via": r.via} for r in result.reached]
    links = []
    impact_ids = dict(Impact.objects.filter(initiative=initiative).values_list("objective_id", "pk"))
    for link in sorted(snap.impacts, key=lambda i: i.objective_id):
        if link.initiative_id == ini.id and link.objective_id in impact_ids:
            ref = objective_ref(loaded, link.objective_id)
            links.append({**ref, "id": impact_ids[link.objective_id], "objective_id": link.objective_id,
                          "weight": link.weight, "note": link.note})
    can_manage = access.can(user, Action.MANAGE, unit)
    svg, render_error = None, ""
    if result.reached:
        try:
            svg = inline_svg(render_impact(initiative, as_of=as_of, fmt="svg").data)
        except RenderError as exc:
            render_error = str(exc)
    return {
        **_common(user, unit, loaded), "svg": svg, "render_error": render_error, "can_manage": can_manage,
        "i": initiative, "owner": ini.owner, "health": initiative_row(loaded, ini) | {
            "over_budget": health.over_budget},
        "milestones": [{"name": m.name, "due": m.due, "done": m.done, "overdue": (m.name, m.due) in overdue}
                       for m in ini.milestones],
        "reached": reached, "links": links,
        "linkable": linkable_objectives(initiative) if can_manage else Objective.objects.none(),
        "history": initiative_history(initiative, show_all=all_history), "all_history": all_history,
    }


def gaps_page(user: Any, unit: OrgUnit, as_of: dt.date) -> dict[str, Any]:
    loaded = load(unit, as_of)
    snap = loaded.snapshot
    graph = build_graph(snap)
    gaps = alignment_gaps(graph, unit.pk)
    warnings = early_warnings(graph, loaded.scores, unit.pk)

    def obj(oid: int, detail: str = "") -> dict[str, Any]:
        ref = objective_ref(loaded, oid)
        context = snap.objectives[oid].unit_id in snap.context_unit_ids
        return {"label": f"{ref['unit_code']} {ref['code']} {ref['name']}", "url": f"/objectives/{oid}/",
                "status": None if context else ref["status"], "detail": detail}

    def measure(w: Any, detail: str) -> dict[str, Any]:
        m = snap.measures[w.measure_id]
        o = snap.objectives[w.objective_id]
        return {"label": f"{snap.units[o.unit_id].code} {m.code} {m.name}", "url": f"/objectives/{o.id}/",
                "status": loaded.scores.measures[m.id].status, "detail": detail}

    def names(ids: Sequence[int]) -> str:
        return ", ".join(snap.objectives[i].code for i in ids)

    sections = [
        {"title": "Objectives above that nothing here supports",
         "items": [obj(o) for o in gaps.unsupported_ancestor_objectives]},
        {"title": "Objectives here that support nothing above",
         "items": [obj(o) for o in gaps.objectives_supporting_nothing]},
        {"title": "Objectives without measures", "items": [obj(o) for o in gaps.objectives_without_measures]},
        {"title": "Objectives without initiatives", "items": [obj(o) for o in gaps.objectives_without_initiatives]},
        {"title": "Initiatives that move no objective (disconnected from direction)",
         "items": [{"label": f"{snap.initiatives[i].code} {snap.initiatives[i].name}", "url": f"/initiatives/{i}/",
                    "status": None, "detail": ""} for i in gaps.initiatives_without_impacts]},
        {"title": "Early warning: objectives whose causes are red",
         "items": [obj(w.objective_id, f"red causes: {names(w.red_causes)}") for w in warnings.red_causes]},
        {"title": "Red measures with no initiative on their objective",
         "items": [measure(w, "") for w in warnings.red_without_initiative]},
        {"title": "Stale measures (no recent value)",
         "items": [measure(w, f"last value {w.period.isoformat() if w.period else 'never'}")
                   for w in warnings.stale]},
    ]
    return {**_common(user, unit, loaded), "sections": sections}


# ------------------------------------------------------------------------------------- rendered pictures
_BEFORE_SVG = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
RENDER_STATUS = {"bad_request": 400, "too_large": 413, "timeout": 504, "graphviz_missing": 503,
                 "graphviz_failed": 502}


def inline_svg(data: bytes) -> SafeString:
    """Renderer SVG ready to sit inside the page: the XML prolog, DOCTYPE and comments before <svg> removed.

    mark_safe is right here and only here: the bytes come from ``cascade.render``, which escapes every user
    string for its context (labels, tooltips) and builds links from integer ids only, and which the hostile-name
    tests check for scripts, event handlers and javascript: URLs. No user text is added to it on this side.
    """
    text = data.decode("utf-8")
    return mark_safe(_BEFORE_SVG.sub("", text, count=1))  # noqa: S308 - renderer output, see docstring


def _light_common(user: Any, unit: OrgUnit, as_of: dt.date) -> dict[str, Any]:
    """Context for pages whose picture is drawn by the renderer (it loads its own snapshot): lineage in one
    query instead of a second snapshot."""
    return {
        "unit": unit, "as_of": as_of, "periods": period_choices(as_of),
        "lineage": [*reversed(unit.ancestors()), unit],
        "can_update": access.can(user, Action.UPDATE, unit), "can_manage": access.can(user, Action.MANAGE, unit),
    }


def _map_header(unit: OrgUnit) -> tuple[str, list[dict[str, str]]]:
    smap = StrategyMap.objects.filter(unit=unit).first()
    if smap is None:
        return "", []
    themes = [{"code": css_token(t.code), "name": t.name} for t in Theme.objects.filter(map=smap).order_by("code")]
    return smap.title, themes


def map_page(user: Any, unit: OrgUnit, as_of: dt.date, *, structure_as_of: dt.date | None = None,
             changes_since: dt.date | None = None) -> dict[str, Any]:
    """The map page: the map now, as it stood on ``structure_as_of`` (from the change history), or, with
    ``changes_since``, the difference from that date to now (or to ``structure_as_of``) drawn on the map."""
    title, themes = _map_header(unit)
    keep = [(name, day.isoformat()) for name, day in
            (("structure_as_of", structure_as_of), ("changes_since", changes_since)) if day]
    context = {**_light_common(user, unit, as_of), "map_title": title, "themes": themes, "svg": None,
               "structure_as_of": structure_as_of, "changes_since": changes_since, "keep_params": keep,
               "query": urlencode([("as_of", as_of.isoformat()), *keep])}
    if changes_since is not None:
        return {**context, **_map_changes(unit, changes_since, structure_as_of)}
    if title or structure_as_of:
        try:
            context["svg"] = inline_svg(render_map(unit, as_of=as_of, status=True, fmt="svg",
                                                   structure_as_of=structure_as_of).data)
        except RenderError as exc:
            context["render_error"] = str(exc)
    return context


def _versions(unit: OrgUnit, since: dt.date, until: dt.date | None) -> tuple[MapStructure, MapStructure]:
    """The unit's map at the end of ``since`` and at the end of ``until`` (now when None), from the history; a
    version from before the map existed is an empty map (everything added), both missing is an error."""
    old = structure_as_of(unit, end_of_day(since))
    new = structure_as_of(unit, end_of_day(until) if until else None)
    if old is None and new is None:
        raise RenderError(f"Unit {unit.code} had no strategy map on {since.isoformat()} nor "
                          f"{until.isoformat() if until else 'now'}.", code="bad_request")
    return old or empty_structure(unit.code), new or empty_structure(unit.code)


def map_changes(unit: OrgUnit, since: dt.date, until: dt.date | None, *, fmt: str = "svg",
                paper: str = "a4") -> tuple[Rendered, list[str]]:
    """The difference of the unit's map from ``since`` to ``until`` (now when None): drawn, and as lines."""
    old, new = _versions(unit, since, until)
    rendered = render_diff(old, new, old_label=since.isoformat(), new_label=until.isoformat() if until else "now",
                           unit_name=unit.name, fmt=fmt, paper=paper)
    return rendered, [str(line) for line in diff_structures(old, new)]


def _map_changes(unit: OrgUnit, since: dt.date, until: dt.date | None) -> dict[str, Any]:
    try:
        rendered, lines = map_changes(unit, since, until)
    except RenderError as exc:
        return {"render_error": str(exc)}
    return {"svg": inline_svg(rendered.data), "changes": lines, "until_label": until.isoformat() if until else "now"}


def print_page(user: Any, unit: OrgUnit, as_of: dt.date, paper: str, *, structure_as_of: dt.date | None = None,
               changes_since: dt.date | None = None) -> dict[str, Any]:
    context = map_page(user, unit, as_of, structure_as_of=structure_as_of, changes_since=changes_since)
    context["paper"] = paper
    context["keep_params"] = [*context["keep_params"], ("paper", paper)]
    return context


def map_pdf(unit: OrgUnit, as_of: dt.date, paper: str, *, structure_as_of: dt.date | None = None,
            changes_since: dt.date | None = None) -> Rendered:
    """One-page PDF of the map, or of its changes since a date, from the renderer (raises RenderError with a
    code the view maps to a status)."""
    if changes_since is None:
        return render_map(unit, as_of=as_of, status=True, fmt="pdf", paper=paper, structure_as_of=structure_as_of)
    return map_changes(unit, changes_since, structure_as_of, fmt="pdf", paper=paper)[0]


def cascade_page(user: Any, unit: OrgUnit, as_of: dt.date, *, depth: int, aligned_only: bool) -> dict[str, Any]:
    context = {**_light_common(user, unit, as_of), "depth": depth, "depths": range(1, MAX_DEPTH + 1),
               "aligned_only": aligned_only, "svg": None,
               "keep_params": [("depth", depth), *([("aligned", "1")] if aligned_only else [])]}
    try:
        context["svg"] = inline_svg(render_cascade(unit, depth=depth, as_of=as_of, aligned_only=aligned_only,
                                                   fmt="svg").data)
    except RenderError as exc:
        context["render_error"] = str(exc)
    # The same cascade as a table: readable without the picture (screen readers, small screens).
    loaded = load(unit, as_of)
    snap = loaded.snapshot
    children: dict[int | None, list[int]] = defaultdict(list)
    for u in sorted(snap.units.values(), key=lambda u: (u.display_order, u.code)):
        children[u.parent_id].append(u.id)
    objectives_of: dict[int, list[int]] = defaultdict(list)
    for o in snap.objectives.values():
        objectives_of[o.unit_id].append(o.id)
    aligned = {a.objective_id for a in snap.alignments}
    rows = []
    stack = [(unit.pk, 0)]  # depth first, so the table reads as the tree (each unit under its parent)
    while stack:
        uid, d = stack.pop()
        u, node = snap.units[uid], loaded.scores.units.get(uid)
        rows.append({"code": u.code, "name": u.name, "depth": d, "indent": "\u2003" * d,
                     "score": node.score if node else None, "status": node.status if node else "none",
                     "objectives": len(objectives_of[uid]),
                     "aligned": sum(1 for o in objectives_of[uid] if o in aligned)})
        if d < depth:
            stack.extend((child, d + 1) for child in reversed(children[uid]))
    context["unit_rows"] = rows
    return context
