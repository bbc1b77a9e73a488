"""The difference between two versions of a unit's map: objectives, links, measures and targets.

A version comes from the database as of a time (``scorecard.history.structure_as_of``) or from a scorecard/v1
YAML file (``structure_from_yaml``); ``diff_structures`` compares two of them as plain data, without the
database. Measure fields that set the scoring (baseline, target, red flag, tolerances, polarity, scoring) are
reported as target changes, the rest of a measure as measure changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cascade.snapshot import CauseLink, DiffMark, MapData, ObjectiveData, PerspectiveData, Snapshot, ThemeData, UnitData
from scorecard.history import MEASURE_FIELDS, TARGET_FIELDS, MapStructure
from scorecard.mapfile.yamlio import YamlSyntaxError, parse
from scorecard.models import DEFAULT_PERSPECTIVES

MEASURE_DEFAULTS: dict[str, Any] = {
    "units": "", "polarity": "increasing", "scoring": "goal_red_flag", "frequency": "quarterly", "baseline": None,
    "target": None, "red_flag": None, "tolerance": None, "red_tolerance": None, "weight": 1.0,
}


class DiffSourceError(ValueError):
    """A version cannot be read (bad YAML, unknown unit, no map)."""


@dataclass(frozen=True, slots=True)
class DiffLine:
    change: str  # added | removed | changed
    kind: str  # perspective | theme | objective | link | measure | target | map
    key: str  # the code, or "CAUSE -> EFFECT"
    detail: str = ""

    def __str__(self) -> str:
        sign = {"added": "+", "removed": "-", "changed": "~"}[self.change]
        return f"{sign} {self.kind} {self.key}" + (f": {self.detail}" if self.detail else "")


def _show(value: Any) -> str:
    if value is None or value == "":
        return "(none)"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _field_changes(old: dict[str, Any], new: dict[str, Any], fields: tuple[str, ...]) -> list[str]:
    return [f"{f} {_show(old.get(f))} -> {_show(new.get(f))}" for f in fields if old.get(f) != new.get(f)]


def diff_structures(old: MapStructure, new: MapStructure) -> list[DiffLine]:
    """Everything added, removed or changed from ``old`` to ``new``, grouped by kind, codes in order."""
    lines: list[DiffLine] = []
    if old.title != new.title and old.title and new.title:  # "" is the empty version of a map not there yet
        lines.append(DiffLine("changed", "map", new.unit, f"title {old.title!r} -> {new.title!r}"))
    for kind, a, b in (("perspective", old.perspectives, new.perspectives), ("theme", old.themes, new.themes)):
        for code in sorted(a.keys() | b.keys()):
            if code not in a:
                lines.append(DiffLine("added", kind, code, str(b[code][0] if kind == "perspective" else b[code])))
            elif code not in b:
                lines.append(DiffLine("removed", kind, code))
            elif a[code] != b[code]:
                lines.append(DiffLine("changed", kind, code, f"{a[code]} -> {b[code]}"))
    objective_fields = ("name", "perspective", "theme", "weight")
    for code in sorted(old.objectives.keys() | new.objectives.keys()):
        a, b = old.objectives.get(code), new.objectives.get(code)
        if a is None:
            lines.append(DiffLine("added", "objective", code, f"{b['name']} (perspective {b['perspective']})"))
        elif b is None:
            lines.append(DiffLine("removed", "objective", code, a["name"]))
        else:
            changes = _field_changes(a, b, objective_fields)
            if changes:
                lines.append(DiffLine("changed", "objective", code, "; ".join(changes)))
    for key in sorted(old.links.keys() | new.links.keys()):
        label = f"{key[0]} -> {key[1]}"
        if key not in old.links:
            lines.append(DiffLine("added", "link", label, new.links[key]))
        elif key not in new.links:
            lines.append(DiffLine("removed", "link", label))
        elif old.links[key] != new.links[key]:
            lines.append(DiffLine("changed", "link", label, f"note {old.links[key]!r} -> {new.links[key]!r}"))
    plain_fields = tuple(f for f in MEASURE_FIELDS if f not in TARGET_FIELDS)
    for code in sorted(old.measures.keys() | new.measures.keys()):
        a, b = old.measures.get(code), new.measures.get(code)
        if a is None:
            lines.append(DiffLine("added", "measure", code, f"{b['name']} (objective {b['objective']}, "
                                                            f"target {_show(b['target'])})"))
        elif b is None:
            lines.append(DiffLine("removed", "measure", code, a["name"]))
        else:
            changes = _field_changes(a, b, plain_fields)
            if changes:
                lines.append(DiffLine("changed", "measure", code, "; ".join(changes)))
            targets = _field_changes(a, b, TARGET_FIELDS)
            if targets:
                lines.append(DiffLine("changed", "target", code, "; ".join(targets)))
    return lines


def empty_structure(unit_code: str) -> MapStructure:
    """The version of a unit's map from before it had one: comparing with it lists the whole map as added."""
    return MapStructure(unit=unit_code, title="", perspectives={}, themes={}, objectives={}, links={}, measures={})


def count_line(lines: list[DiffLine]) -> str:
    """How many items were added, removed and changed: "3 added, 2 removed, 2 changed"."""
    return ", ".join(f"{sum(1 for line in lines if line.change == c)} {c}" for c in ("added", "removed", "changed"))


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DiffSourceError(f"{where} is not a number")
    return float(value)


def structure_from_yaml(text: str, unit_code: str, *, name: str = "") -> MapStructure:
    """The map of ``unit_code`` in a scorecard/v1 document (defaults as the importer applies them)."""
    try:
        data = parse(text)
    except YamlSyntaxError as exc:
        raise DiffSourceError(f"{name}:{exc.line}: {exc.message}") from None
    units = data.get("units") if isinstance(data, dict) else None
    if not isinstance(units, list):
        raise DiffSourceError(f"{name}: not a scorecard/v1 document (no list of units)")
    unit = next((u for u in units if isinstance(u, dict) and u.get("code") == unit_code), None)
    if unit is None:
        raise DiffSourceError(f"{name}: no unit {unit_code} in the file")
    smap = unit.get("map")
    if not isinstance(smap, dict):
        raise DiffSourceError(f"{name}: unit {unit_code} has no map in the file")

    def items(container: dict[str, Any], key: str) -> list[dict[str, Any]]:
        value = container.get(key) or []
        if not isinstance(value, list) or not all((isinstance(v, dict) and "code" in v) or key == "links"
                                                  for v in value):
            raise DiffSourceError(f"{name}: {unit_code}: '{key}' must be a list of mappings with a code")
        return value

    raw_perspectives = smap.get("perspectives")
    if raw_perspectives is None:
        perspectives = {code: (label, i) for i, (code, label) in enumerate(DEFAULT_PERSPECTIVES)}
    else:
        perspectives = {p["code"]: (p.get("name", ""), i) for i, p in enumerate(items(smap, "perspectives"))}
    themes = {t["code"]: t.get("name", "") for t in items(smap, "themes")}
    objectives: dict[str, dict[str, Any]] = {}
    measures: dict[str, dict[str, Any]] = {}
    for o in items(smap, "objectives"):
        objectives[o["code"]] = {"name": o.get("name", ""), "perspective": o.get("perspective", ""),
                                 "theme": o.get("theme") or "",
                                 "weight": _number(o.get("weight", 1), f"{name}: {unit_code}: {o['code']}: weight")}
        for m in items(o, "measures"):
            values = {**MEASURE_DEFAULTS, **{k: m[k] for k in MEASURE_FIELDS if k in m}}
            values["objective"], values["name"] = o["code"], m.get("name", "")
            for number in ("baseline", "target", "red_flag", "tolerance", "red_tolerance", "weight"):
                if values[number] is not None:
                    values[number] = _number(values[number], f"{name}: {unit_code}: measure {m['code']}: {number}")
            measures[m["code"]] = values
    links = {}
    for link in items(smap, "links"):
        if not isinstance(link, dict) or "cause" not in link or "effect" not in link:
            raise DiffSourceError(f"{name}: {unit_code}: a link needs a cause and an effect")
        links[(str(link["cause"]), str(link["effect"]))] = link.get("note", "") or ""
    return MapStructure(unit=unit_code, title=str(smap.get("title", "")), perspectives=perspectives,
                        themes=themes, objectives=objectives, links=links, measures=measures)


# ------------------------------------------------------------------------------------------ diff rendering
@dataclass(frozen=True)
class DiffView:
    """Both versions of a map in one snapshot, with what changed: what ``render.dot.map_dot`` draws as a diff.

    Ids in ``snapshot`` are made up here (1, 2, ...): a version from a file or the history has no live rows.
    """

    snapshot: Snapshot
    unit_id: int
    marks: dict[int, DiffMark]  # objective id -> added | removed | changed (unchanged ones absent)
    link_marks: dict[tuple[int, int], str]  # (cause id, effect id) -> added | removed | changed
    lines: list[DiffLine]


def _summary(lines: list[DiffLine]) -> str:
    """A few words for the box: which parts changed ("name; target F1.1; +measure L1.2")."""
    parts: list[str] = []
    for line in lines:
        if line.kind == "objective":
            parts.extend(change.split(" ", 1)[0] for change in line.detail.split("; "))
        elif line.change == "changed":
            parts.append(f"{line.kind} {line.key}")
        else:
            parts.append(f"{'+' if line.change == 'added' else '−'}{line.kind} {line.key}")
    return "; ".join(dict.fromkeys(parts))


def diff_view(old: MapStructure, new: MapStructure, *, unit_name: str = "") -> DiffView:
    """The union of ``old`` and ``new`` as a snapshot, objectives and links marked by how they changed.

    A changed measure or target marks its objective (in the newer version, or the older one if it went) as
    changed; a removed perspective keeps its band, named "(removed)", so the removed objectives have a place.
    """
    lines = diff_structures(old, new)
    snap = Snapshot()
    snap.units[1] = UnitData(1, new.unit, unit_name or new.unit)
    snap.maps[1] = MapData(1, 1, new.title or old.title)
    perspective_ids: dict[str, int] = {}
    ordered = sorted(new.perspectives.items(), key=lambda item: (item[1][1], item[0]))
    ordered += sorted(((c, p) for c, p in old.perspectives.items() if c not in new.perspectives),
                      key=lambda item: (item[1][1], item[0]))
    for position, (code, (name, _pos)) in enumerate(ordered):
        pid = perspective_ids[code] = len(perspective_ids) + 1
        label = name if code in new.perspectives else f"{name} (removed)"
        snap.perspectives[pid] = PerspectiveData(pid, 1, code, label, position)
    theme_ids: dict[str, int] = {}
    for code in sorted(new.themes.keys() | old.themes.keys()):
        tid = theme_ids[code] = len(theme_ids) + 1
        snap.themes[tid] = ThemeData(tid, 1, code, new.themes.get(code, old.themes.get(code, "")))
    objective_ids: dict[str, int] = {}
    for code in sorted(new.objectives.keys() | old.objectives.keys()):
        data = new.objectives.get(code) or old.objectives[code]
        persp = perspective_ids.get(data["perspective"])
        if persp is None:  # a YAML version naming a perspective it does not define: give it a band
            persp = perspective_ids[data["perspective"]] = len(perspective_ids) + 1
            snap.perspectives[persp] = PerspectiveData(persp, 1, data["perspective"], data["perspective"], persp)
        oid = objective_ids[code] = len(objective_ids) + 1
        snap.objectives[oid] = ObjectiveData(oid, 1, 1, persp, code, data["name"], theme_ids.get(data["theme"]))
    by_objective: dict[str, list[DiffLine]] = {}
    link_marks: dict[tuple[int, int], str] = {}
    for key in sorted(new.links.keys() | old.links.keys()):
        if key[0] in objective_ids and key[1] in objective_ids:
            snap.causes.append(CauseLink(objective_ids[key[0]], objective_ids[key[1]]))
    for line in lines:
        if line.kind == "objective":
            by_objective.setdefault(line.key, []).append(line)
        elif line.kind in ("measure", "target"):
            measure = new.measures.get(line.key) or old.measures.get(line.key) or {}
            owners = {measure.get("objective")}
            if line.key in old.measures and line.key in new.measures:
                owners.add(old.measures[line.key]["objective"])  # moved to another objective: both changed
            for owner in owners - {None}:
                by_objective.setdefault(owner, []).append(line)
        elif line.kind == "link":
            cause, effect = line.key.split(" -> ")
            if cause in objective_ids and effect in objective_ids:
                link_marks[(objective_ids[cause], objective_ids[effect])] = line.change
    marks: dict[int, DiffMark] = {}
    for code, own in by_objective.items():
        if code not in objective_ids:
            continue
        if code not in old.objectives:
            change = "added"
        elif code not in new.objectives:
            change = "removed"
        else:
            change = "changed"
        details = tuple(str(line) for line in own)
        summary = "" if change != "changed" else _summary(own)
        marks[objective_ids[code]] = DiffMark(change, summary, details)
    return DiffView(snapshot=snap, unit_id=1, marks=marks, link_marks=link_marks, lines=lines)
