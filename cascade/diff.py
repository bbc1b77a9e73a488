"""The difference between two versions of a unit's map: objectives, links, measures and targets.

A version comes from the database as of a time (``scorecard.history.structure_as_of``) or from a scorecard/v1
YAML file (``structure_from_yaml``); ``diff_structures`` compares two of them as plain data, without the
database. Measure fields that set the scoring (baseline, target, red flag, tolerances, polarity, scoring) are
reported as target changes, the rest of a measure as measure changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
    if old.title != new.title:
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
