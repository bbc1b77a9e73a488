"""Reading a parsed ``scorecard/v1`` document into specs: keys, types, enums, codes and references.

This is the first of the importer's two passes and touches the database only to learn which codes already
exist (a handful of queries). Each object becomes a :class:`Spec` holding the model field values the file
sets, the line of each key, and its children. A spec with an error is marked ``ok = False``: the writer
skips it and everything under it, so one mistake is reported once, not again by every dependent object.

Key semantics (documented in docs/format.md): a key that is present sets the field (``null`` resets it to
its default); a key that is absent leaves an existing object's field as it is and gives a new object the
default; lists add to and update what exists, and never delete.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model

from scorecard.mapfile.yamlio import BadScalar, LDict, LList
from scorecard.models import (
    CODE_RE,
    DEFAULT_PERSPECTIVES,
    Frequency,
    Measure,
    Objective,
    OrgUnit,
    Perspective,
    Polarity,
    Role,
    Rollup,
    ScoringType,
    StrategyMap,
    Theme,
)

FORMAT = "scorecard/v1"
_CODE = re.compile(CODE_RE)
MISSING: Any = object()  # a key the file does not name


@dataclass(frozen=True)
class MapError:
    """One problem in the file: its line, the code of the object concerned, and the rule broken."""

    line: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.line}: {self.code}: {self.message}"


@dataclass
class Spec:
    kind: str  # unit, map, perspective, theme, objective, measure, actual, link, alignment, initiative...
    label: str  # the code shown in errors: NW, NW:F1, NW:F1.1, NW:CRM ...
    line: int
    fields: dict[str, Any] = field(default_factory=dict)  # model field -> value (only what the file sets)
    lines: dict[str, int] = field(default_factory=dict)  # model field or reference -> line of its key
    keys: dict[str, str] = field(default_factory=dict)  # model field -> YAML key, for messages
    refs: dict[str, Any] = field(default_factory=dict)  # references by code: parent, perspective, owner...
    children: dict[str, list[Spec]] = field(default_factory=dict)
    ok: bool = True
    unit: str = ""  # code of the unit this object belongs to
    code: str = ""  # the object's own code (or username, period...)

    def line_of(self, name: str) -> int:
        return self.lines.get(name, self.line)

    def kids(self, name: str) -> list[Spec]:
        return self.children.get(name, [])


@dataclass
class Document:
    units: list[Spec] = field(default_factory=list)
    people: list[Spec] = field(default_factory=list)
    actuals: list[Spec] = field(default_factory=list)


def split_ref(text: str, own_unit: str) -> tuple[str, str]:
    """``"NW:F1"`` -> ("NW", "F1"); a bare ``"F1"`` belongs to ``own_unit``."""
    if ":" in text:
        unit, code = text.split(":", 1)
        return unit.strip(), code.strip()
    return own_unit, text.strip()


def _type_name(value: Any) -> str:
    if isinstance(value, BadScalar):
        return f"{value.text!r} ({value.reason})"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    if isinstance(value, str):
        return f"the text {value!r}"
    return repr(value)


# ----------------------------------------------------------------------------------------------- reader
class Reader:
    """Walks the document; every problem goes to ``errors``, never raised."""

    def __init__(self) -> None:
        self.errors: list[MapError] = []

    def error(self, line: int, code: str, message: str) -> None:
        self.errors.append(MapError(line, code, message))

    # -- structure --------------------------------------------------------------------------------------
    def mapping(self, value: Any, line: int, label: str, what: str) -> LDict | None:
        if not isinstance(value, LDict):
            self.error(line, label, f"a {what} must be a mapping of keys to values, not {_type_name(value)}")
            return None
        for key, key_line in value.duplicates:
            self.error(key_line, label, f"{what}: the key '{key}' appears twice")
        for key, key_line in value.bad_keys:
            self.error(key_line, label, f"{what}: keys must be text, not {_type_name(key)}")
        return value

    def check_keys(self, m: LDict, spec: Spec, allowed: list[str], required: list[str]) -> None:
        for key in m:
            if key not in allowed:
                self.error(m.lines[key], spec.label, f"unknown key '{key}' in {spec.kind} "
                                                     f"(allowed: {', '.join(allowed)})")
                spec.ok = False
        for key in required:
            if key not in m or m[key] is None:
                self.error(m.line, spec.label, f"{spec.kind} needs '{key}'")
                spec.ok = False

    def items(self, m: LDict, key: str, spec: Spec) -> list[tuple[Any, int]]:
        """The items of the list under ``key`` with their lines ([] when absent or null)."""
        value = m.get(key)
        if value is None:
            return []
        if not isinstance(value, LList):
            self.error(m.lines[key], spec.label, f"{key}: expected a list, not {_type_name(value)}")
            spec.ok = False
            return []
        return list(zip(value, value.lines, strict=True))

    # -- scalars ----------------------------------------------------------------------------------------
    def _bad(self, spec: Spec, line: int, key: str, expected: str, value: Any) -> Any:
        self.error(line, spec.label, f"{key}: expected {expected}, not {_type_name(value)}")
        spec.ok = False
        return MISSING

    def value(self, m: LDict, key: str, spec: Spec, kind: str, *, field_name: str | None = None,
              choices: list[str] | None = None, nullable: bool = True, store: bool = True) -> Any:
        """Read ``m[key]`` as ``kind``; store it in ``spec.fields`` and return it (MISSING when absent/bad)."""
        if key not in m:
            return MISSING
        raw, line = m[key], m.lines[key]
        name = field_name or key
        spec.lines[name] = line
        spec.keys[name] = key
        if raw is None:
            if not nullable:
                return self._bad(spec, line, key, f"{kind_label(kind, choices)}", raw)
            value: Any = None
        else:
            value = self.convert(raw, kind, spec, line, key, choices)
            if value is MISSING:
                return MISSING
        if store:
            spec.fields[name] = value
        return value

    def convert(self, raw: Any, kind: str, spec: Spec, line: int, key: str,
                choices: list[str] | None = None) -> Any:
        expected = kind_label(kind, choices)
        if kind == "text":
            if isinstance(raw, bool) or not isinstance(raw, str | int):
                return self._bad(spec, line, key, expected, raw)
            return str(raw)
        if kind == "code":
            if isinstance(raw, bool) or not isinstance(raw, str | int):
                return self._bad(spec, line, key, expected, raw)
            text = str(raw)
            if not _CODE.match(text) or len(text) > 32:
                self.error(line, spec.label, f"{key}: {text!r} is not a valid code (letters, digits and - _ . "
                                             "only, at most 32 characters)")
                spec.ok = False
                return MISSING
            return text
        if kind in ("ref", "username"):
            if isinstance(raw, bool) or not isinstance(raw, str | int) or not str(raw).strip():
                return self._bad(spec, line, key, expected, raw)
            return str(raw).strip()
        if kind in ("number", "decimal"):
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                return self._bad(spec, line, key, expected, raw)
            if not math.isfinite(raw):
                self.error(line, spec.label, f"{key}: {raw} is not a finite number")
                spec.ok = False
                return MISSING
            if kind == "decimal":
                try:
                    return Decimal(str(raw))
                except InvalidOperation:  # pragma: no cover - finite floats always convert
                    return self._bad(spec, line, key, expected, raw)
            return float(raw)
        if kind == "int":
            if isinstance(raw, bool) or not isinstance(raw, int):
                return self._bad(spec, line, key, expected, raw)
            return raw
        if kind == "bool":
            if not isinstance(raw, bool):
                return self._bad(spec, line, key, expected, raw)
            return raw
        if kind == "date":
            if isinstance(raw, dt.datetime):
                return self._bad(spec, line, key, expected, raw)
            if isinstance(raw, dt.date):
                return raw
            if isinstance(raw, str):
                try:
                    return dt.date.fromisoformat(raw.strip())
                except ValueError:
                    pass
            return self._bad(spec, line, key, expected, raw)
        if kind == "enum":
            assert choices is not None
            if not isinstance(raw, str) or raw not in choices:
                return self._bad(spec, line, key, expected, raw)
            return raw
        raise AssertionError(kind)


def kind_label(kind: str, choices: list[str] | None = None) -> str:
    return {
        "text": "text",
        "code": "a code",
        "ref": "a code",
        "username": "a username",
        "number": "a finite number",
        "decimal": "a finite number",
        "int": "a whole number",
        "bool": "true or false",
        "date": "a date (YYYY-MM-DD)",
        "enum": "one of " + ", ".join(choices or []),
    }[kind]


# --------------------------------------------------------------------------------------- the document
UNIT_KEYS = ["code", "name", "kind", "parent", "display_order", "map"]
MAP_KEYS = ["title", "mission", "vision", "red_flag_percent", "rollup", "perspectives", "themes", "objectives",
            "links", "initiatives"]
PERSPECTIVE_KEYS = ["code", "name", "weight"]
THEME_KEYS = ["code", "name"]
OBJECTIVE_KEYS = ["code", "name", "perspective", "theme", "description", "owner", "weight", "supports",
                  "measures"]
MEASURE_KEYS = ["code", "name", "units", "polarity", "scoring", "frequency", "baseline", "target", "red_flag",
                "tolerance", "red_tolerance", "weight", "owner", "source", "actuals"]
ACTUAL_KEYS = ["period", "value", "note"]
TOP_ACTUAL_KEYS = ["measure", "period", "value", "note"]
LINK_KEYS = ["cause", "effect", "note"]
SUPPORT_KEYS = ["objective", "weight"]
INITIATIVE_KEYS = ["code", "name", "description", "owner", "start", "end", "budget", "spent", "percent_complete",
                   "status_note", "impacts", "milestones"]
IMPACT_KEYS = ["objective", "weight", "note"]
MILESTONE_KEYS = ["name", "due", "done"]
PERSON_KEYS = ["username", "name", "email", "executive", "roles"]
ROLE_KEYS = ["unit", "role"]
TOP_KEYS = ["format", "units", "people", "actuals"]


class DocumentReader(Reader):
    def read(self, data: Any) -> Document:
        doc = Document()
        top = Spec("file", "file", 1)
        if data is None:
            self.error(1, "file", f"the file is empty; it must start with 'format: {FORMAT}'")
            return doc
        m = self.mapping(data, getattr(data, "line", 1), "file", "file")
        if m is None:
            return doc
        self.check_keys(m, top, TOP_KEYS, ["format"])
        if "format" in m and m["format"] != FORMAT:
            self.error(m.lines["format"], "file", f"format: expected '{FORMAT}', not {_type_name(m['format'])}")
        for raw, line in self.items(m, "units", top):
            unit = self.unit(raw, line)
            if unit is not None:
                doc.units.append(unit)
        for raw, line in self.items(m, "people", top):
            person = self.person(raw, line)
            if person is not None:
                doc.people.append(person)
        for raw, line in self.items(m, "actuals", top):
            actual = self.top_actual(raw, line)
            if actual is not None:
                doc.actuals.append(actual)
        return doc

    def _start(self, raw: Any, line: int, kind: str, parent_label: str, code_key: str = "code",
               code_kind: str = "code", sep: str = ":") -> tuple[LDict | None, Spec]:
        """A spec labelled with its code (read first, so that every later error names it)."""
        spec = Spec(kind, parent_label or kind, line)
        m = self.mapping(raw, line, spec.label, kind)
        if m is None:
            spec.ok = False
            return None, spec
        code = self.value(m, code_key, spec, code_kind, store=False)
        if isinstance(code, str):
            spec.code = code
            spec.label = f"{parent_label}{sep}{code}" if parent_label else code
        return m, spec

    # -- units and maps ---------------------------------------------------------------------------------
    def unit(self, raw: Any, line: int) -> Spec | None:
        m, spec = self._start(raw, line, "unit", "")
        if m is None:
            return None
        spec.unit = spec.code
        self.check_keys(m, spec, UNIT_KEYS, ["code", "name"])
        self.value(m, "name", spec, "text", nullable=False)
        self.value(m, "kind", spec, "text")
        self.value(m, "display_order", spec, "int", nullable=False)
        parent = self.value(m, "parent", spec, "ref", store=False)
        if "parent" in m and parent is not MISSING:
            spec.refs["parent"] = parent
        if not spec.code:
            return None
        if "map" in m and m["map"] is not None:
            smap = self.strategy_map(m["map"], m.lines["map"], spec.code)
            if smap is not None:
                spec.children["map"] = [smap]
        return spec

    def strategy_map(self, raw: Any, line: int, unit: str) -> Spec | None:
        spec = Spec("map", unit, line, unit=unit, code=unit)
        m = self.mapping(raw, line, unit, "map")
        if m is None:
            return None
        self.check_keys(m, spec, MAP_KEYS, ["title"])
        self.value(m, "title", spec, "text", nullable=False)
        self.value(m, "mission", spec, "text")
        self.value(m, "vision", spec, "text")
        self.value(m, "red_flag_percent", spec, "number", nullable=False)
        self.value(m, "rollup", spec, "enum", choices=list(Rollup.values), nullable=False)
        if "perspectives" in m:
            spec.refs["perspectives_given"] = True
        for key, reader in (("perspectives", self.perspective), ("themes", self.theme),
                            ("objectives", self.objective), ("links", self.link),
                            ("initiatives", self.initiative)):
            spec.children[key] = []
            for item, item_line in self.items(m, key, spec):
                child = reader(item, item_line, unit)
                if child is not None:
                    spec.children[key].append(child)
        return spec

    def perspective(self, raw: Any, line: int, unit: str) -> Spec | None:
        m, spec = self._start(raw, line, "perspective", unit)
        if m is None:
            return None
        spec.unit = unit
        self.check_keys(m, spec, PERSPECTIVE_KEYS, ["code", "name"])
        self.value(m, "name", spec, "text", nullable=False)
        self.value(m, "weight", spec, "number", nullable=False)
        return spec if spec.code else None

    def theme(self, raw: Any, line: int, unit: str) -> Spec | None:
        m, spec = self._start(raw, line, "theme", unit)
        if m is None:
            return None
        spec.unit = unit
        self.check_keys(m, spec, THEME_KEYS, ["code", "name"])
        self.value(m, "name", spec, "text", nullable=False)
        return spec if spec.code else None

    def objective(self, raw: Any, line: int, unit: str) -> Spec | None:
        m, spec = self._start(raw, line, "objective", unit)
        if m is None:
            return None
        spec.unit = unit
        self.check_keys(m, spec, OBJECTIVE_KEYS, ["code", "name", "perspective"])
        self.value(m, "name", spec, "text", nullable=False)
        self.value(m, "description", spec, "text")
        self.value(m, "weight", spec, "number", nullable=False)
        for key in ("perspective", "theme"):
            ref = self.value(m, key, spec, "ref", store=False, nullable=key == "theme")
            if ref is not MISSING:
                spec.refs[key] = ref
        owner = self.value(m, "owner", spec, "username", store=False)
        if owner is not MISSING:
            spec.refs["owner"] = owner
        spec.children["supports"] = []
        for item, item_line in self.items(m, "supports", spec):
            ref = self.reference(item, item_line, spec, "alignment", SUPPORT_KEYS)
            if ref is not None:
                spec.children["supports"].append(ref)
        spec.children["measures"] = []
        for item, item_line in self.items(m, "measures", spec):
            measure = self.measure(item, item_line, unit)
            if measure is not None:
                spec.children["measures"].append(measure)
        return spec if spec.code else None

    def reference(self, raw: Any, line: int, owner: Spec, kind: str, keys: list[str]) -> Spec | None:
        """A ``supports`` or ``impacts`` item: ``"UNIT:CODE"`` or ``{objective: "UNIT:CODE", weight: 2, ...}``."""
        spec = Spec(kind, owner.label, line, unit=owner.unit)
        spec.keys["objective"] = "supports" if kind == "alignment" else "impacts"
        if isinstance(raw, LDict):
            m = self.mapping(raw, line, owner.label, kind)
            assert m is not None
            self.check_keys(m, spec, keys, ["objective"])
            target = self.value(m, "objective", spec, "ref", store=False)
            self.value(m, "weight", spec, "number", nullable=False)
            if "note" in keys:
                self.value(m, "note", spec, "text")
        else:
            target = self.convert(raw, "ref", spec, line, spec.keys["objective"])
        if target is MISSING or target is None:
            return None
        spec.refs["objective"] = split_ref(target, owner.unit)
        spec.lines["objective"] = line
        spec.code = "{}:{}".format(*spec.refs["objective"])
        spec.label = f"{owner.label}->{spec.code}"
        return spec

    def measure(self, raw: Any, line: int, unit: str) -> Spec | None:
        m, spec = self._start(raw, line, "measure", unit)
        if m is None:
            return None
        spec.unit = unit
        self.check_keys(m, spec, MEASURE_KEYS, ["code", "name"])
        self.value(m, "name", spec, "text", nullable=False)
        self.value(m, "units", spec, "text")
        self.value(m, "polarity", spec, "enum", choices=list(Polarity.values), nullable=False)
        scoring = self.value(m, "scoring", spec, "enum", choices=list(ScoringType.values), nullable=False)
        self.value(m, "frequency", spec, "enum", choices=list(Frequency.values), nullable=False)
        for key in ("baseline", "target", "red_flag", "tolerance", "red_tolerance"):
            self.value(m, key, spec, "number")
        self.value(m, "weight", spec, "number", nullable=False)
        self.value(m, "source", spec, "text")
        owner = self.value(m, "owner", spec, "username", store=False)
        if owner is not MISSING:
            spec.refs["owner"] = owner
        spec.children["actuals"] = []
        yes_no = scoring == ScoringType.YES_NO
        for item, item_line in self.items(m, "actuals", spec):
            actual = self.actual(item, item_line, spec.label, ACTUAL_KEYS, yes_no=yes_no)
            if actual is not None:
                actual.unit, actual.refs["measure"] = unit, (unit, spec.code)
                spec.children["actuals"].append(actual)
        return spec if spec.code else None

    def actual(self, raw: Any, line: int, measure_label: str, keys: list[str], *, yes_no: bool | None) -> Spec | None:
        spec = Spec("actual", measure_label, line)
        m = self.mapping(raw, line, measure_label, "actual")
        if m is None:
            return None
        self.check_keys(m, spec, keys, [k for k in keys if k != "note"])
        period = self.value(m, "period", spec, "date", nullable=False)
        if isinstance(period, dt.date):
            spec.code = period.isoformat()
            spec.label = f"{measure_label}@{spec.code}"
        if "value" in m and isinstance(m["value"], bool) and yes_no is not False:
            # Yes/no measures take true/false and store 1/0.
            spec.fields["value"], spec.lines["value"], spec.keys["value"] = float(m["value"]), m.lines["value"], "value"
            if yes_no is None:
                spec.refs["bool_value"] = True
        else:
            value = self.value(m, "value", spec, "number", nullable=False)
            if yes_no and value not in (MISSING, 0.0, 1.0):
                self.error(m.lines["value"], spec.label, f"value: a yes/no measure takes true/false or 1/0, "
                                                         f"not {value:g}")
                spec.ok = False
        self.value(m, "note", spec, "text")
        return spec

    def top_actual(self, raw: Any, line: int) -> Spec | None:
        """An entry of the top-level ``actuals`` list: ``{measure: "NW:F1.1", period: ..., value: ...}``."""
        label = "actuals"
        if isinstance(raw, LDict) and isinstance(raw.get("measure"), str):
            label = raw["measure"]
        spec = self.actual(raw, line, label, TOP_ACTUAL_KEYS, yes_no=None)
        if spec is None:
            return None
        assert isinstance(raw, LDict)
        measure = self.value(raw, "measure", spec, "ref", store=False)
        if isinstance(measure, str):
            if ":" not in measure:
                self.error(raw.lines["measure"], spec.label, f"measure: write the measure as UNIT:CODE, not "
                                                             f"{measure!r}")
                spec.ok = False
                return spec
            spec.refs["measure"] = split_ref(measure, "")
            spec.unit = spec.refs["measure"][0]
        return spec

    def link(self, raw: Any, line: int, unit: str) -> Spec | None:
        spec = Spec("link", unit, line, unit=unit)
        m = self.mapping(raw, line, unit, "link")
        if m is None:
            return None
        self.check_keys(m, spec, LINK_KEYS, ["cause", "effect"])
        ends = {}
        for key in ("cause", "effect"):
            ref = self.value(m, key, spec, "ref", store=False, nullable=False)
            if isinstance(ref, str):
                ends[key] = split_ref(ref, unit)
        self.value(m, "note", spec, "text")
        if len(ends) == 2:
            spec.refs.update(ends)
            spec.code = f"{ends['cause'][1]}->{ends['effect'][1]}"
            spec.label = f"{unit}:{spec.code}"
        else:
            spec.ok = False
        return spec

    def initiative(self, raw: Any, line: int, unit: str) -> Spec | None:
        m, spec = self._start(raw, line, "initiative", unit)
        if m is None:
            return None
        spec.unit = unit
        self.check_keys(m, spec, INITIATIVE_KEYS, ["code", "name"])
        self.value(m, "name", spec, "text", nullable=False)
        self.value(m, "description", spec, "text")
        self.value(m, "status_note", spec, "text")
        self.value(m, "start", spec, "date")
        self.value(m, "end", spec, "date")
        self.value(m, "budget", spec, "decimal", nullable=False)
        self.value(m, "spent", spec, "decimal", nullable=False)
        self.value(m, "percent_complete", spec, "number", nullable=False)
        owner = self.value(m, "owner", spec, "username", store=False)
        if owner is not MISSING:
            spec.refs["owner"] = owner
        spec.children["impacts"] = []
        for item, item_line in self.items(m, "impacts", spec):
            ref = self.reference(item, item_line, spec, "impact", IMPACT_KEYS)
            if ref is not None:
                spec.children["impacts"].append(ref)
        spec.children["milestones"] = []
        for item, item_line in self.items(m, "milestones", spec):
            milestone = self.milestone(item, item_line, spec.label)
            if milestone is not None:
                spec.children["milestones"].append(milestone)
        return spec if spec.code else None

    def milestone(self, raw: Any, line: int, initiative_label: str) -> Spec | None:
        m, spec = self._start(raw, line, "milestone", initiative_label, code_key="name", code_kind="text",
                              sep="/")
        if m is None:
            return None
        self.check_keys(m, spec, MILESTONE_KEYS, ["name", "due"])
        if spec.code:
            spec.fields["name"] = spec.code
        self.value(m, "due", spec, "date", nullable=False)
        self.value(m, "done", spec, "date")
        return spec if spec.code else None

    # -- people -----------------------------------------------------------------------------------------
    def person(self, raw: Any, line: int) -> Spec | None:
        m, spec = self._start(raw, line, "person", "", code_key="username", code_kind="username")
        if m is None:
            return None
        self.check_keys(m, spec, PERSON_KEYS, ["username"])
        name = self.value(m, "name", spec, "text", store=False)
        if name is not MISSING:
            first, _, last = (name or "").strip().partition(" ")
            spec.fields["first_name"], spec.fields["last_name"] = first, last.strip()
            spec.lines["first_name"] = spec.lines["last_name"] = spec.lines["name"]
            spec.keys["first_name"] = spec.keys["last_name"] = "name"
        email = self.value(m, "email", spec, "text")
        if email is None:
            spec.fields["email"] = ""
        executive = self.value(m, "executive", spec, "bool", store=False, nullable=False)
        if executive is not MISSING:
            spec.refs["executive"] = executive
        spec.children["roles"] = []
        for item, item_line in self.items(m, "roles", spec):
            role = Spec("role", spec.label, item_line, code=spec.code)
            rm = self.mapping(item, item_line, spec.label, "role")
            if rm is None:
                spec.ok = False
                continue
            unit = self.value(rm, "unit", role, "ref", store=False, nullable=False)
            if isinstance(unit, str):
                role.unit = unit
                role.label = f"{spec.code}@{unit}"
            self.check_keys(rm, role, ROLE_KEYS, ["unit", "role"])
            self.value(rm, "role", role, "enum", choices=list(Role.values), nullable=False)
            if isinstance(unit, str):
                spec.children["roles"].append(role)
        return spec if spec.code else None


# ------------------------------------------------------------------------------------ references check
@dataclass
class Known:
    """Which codes exist, in the database and in the file: what references may point to."""

    unit_parent: dict[str, str | None] = field(default_factory=dict)  # final parent of every unit
    db_units: set[str] = field(default_factory=set)
    db_maps: set[str] = field(default_factory=set)
    maps: set[str] = field(default_factory=set)
    perspectives: set[tuple[str, str]] = field(default_factory=set)
    themes: set[tuple[str, str]] = field(default_factory=set)
    objectives: set[tuple[str, str]] = field(default_factory=set)
    measures: dict[tuple[str, str], str] = field(default_factory=dict)  # -> scoring
    users: set[str] = field(default_factory=set)


def known_from_database() -> Known:
    """Codes in the database: seven small queries, independent of the file's size."""
    known = Known()
    for code, parent in OrgUnit.objects.values_list("code", "parent__code"):
        known.unit_parent[code] = parent
        known.db_units.add(code)
    known.maps = set(StrategyMap.objects.values_list("unit__code", flat=True))
    known.db_maps = set(known.maps)
    known.perspectives = set(Perspective.objects.values_list("map__unit__code", "code"))
    known.themes = set(Theme.objects.values_list("map__unit__code", "code"))
    known.objectives = set(Objective.objects.values_list("map__unit__code", "code"))
    known.measures = {(u, c): s for u, c, s in Measure.objects.values_list("map__unit__code", "code", "scoring")}
    known.users = set(get_user_model().objects.values_list("username", flat=True))
    return known


class ReferenceChecker:
    """Second half of the first pass: duplicates in the file, and references to unknown codes."""

    def __init__(self, reader: Reader, known: Known) -> None:
        self.reader = reader
        self.known = known

    def error(self, spec: Spec, line: int, message: str) -> None:
        self.reader.error(line, spec.label, message)
        spec.ok = False

    def _unique(self, specs: list[Spec], what: str, key: Any = None) -> None:
        seen: dict[Any, int] = {}
        for spec in specs:
            k = key(spec) if key else spec.code
            if k in seen:
                self.error(spec, spec.line, f"duplicate {what}: already defined on line {seen[k]}")
            else:
                seen[k] = spec.line

    def check(self, doc: Document) -> None:
        k = self.known
        self._unique(doc.units, "unit code")
        self._unique(doc.people, "username")
        # Learn the file's codes first: references may point forward in the file.
        file_maps = [(u, m) for u in doc.units for m in u.kids("map")]
        for unit in doc.units:
            if "parent" in unit.refs:
                k.unit_parent[unit.code] = unit.refs["parent"]
            else:
                k.unit_parent.setdefault(unit.code, None)
        k.users |= {p.code for p in doc.people}
        for unit, smap in file_maps:
            u = unit.code
            k.maps.add(u)
            if not smap.refs.get("perspectives_given") and u not in k.db_maps:
                k.perspectives |= {(u, code) for code, _ in DEFAULT_PERSPECTIVES}
            k.perspectives |= {(u, p.code) for p in smap.kids("perspectives")}
            k.themes |= {(u, t.code) for t in smap.kids("themes")}
            for obj in smap.kids("objectives"):
                k.objectives.add((u, obj.code))
                for measure in obj.kids("measures"):
                    k.measures[(u, measure.code)] = measure.fields.get("scoring", k.measures.get((u, measure.code),
                                                                                            "goal_red_flag"))
        self._check_parents(doc.units)
        for unit, smap in file_maps:
            self._check_map(unit.code, smap)
        for person in doc.people:
            for role in person.kids("roles"):
                if role.unit not in k.unit_parent:
                    self.error(role, role.line_of("unit"), f"role: unknown unit {role.unit}")
                    person.ok = False
            self._unique(person.kids("roles"), "role for this unit", key=lambda r: r.unit)
        self._check_actual_list(doc.actuals, top_level=True)

    def _check_parents(self, units: list[Spec]) -> None:
        parents = self.known.unit_parent
        reported: set[frozenset[str]] = set()
        for unit in units:
            parent = unit.refs.get("parent")
            if parent is None:
                continue
            if parent not in parents:
                self.error(unit, unit.line_of("parent"), f"parent: unknown unit {parent}")
                continue
            chain, node = [unit.code], parent
            while node is not None and node not in chain:
                chain.append(node)
                node = parents.get(node)
            if node == unit.code:
                cycle = frozenset(chain)
                if cycle not in reported:
                    reported.add(cycle)
                    text = " -> ".join([*chain, unit.code])
                    self.error(unit, unit.line_of("parent"),
                               f"parent: unit {unit.code} would become its own ancestor ({text}); "
                               "units form a tree")
                else:
                    unit.ok = False

    def _local(self, spec: Spec, unit: str, ref: Any, what: str, table: set[tuple[str, str]]) -> None:
        """A perspective or theme: its code must be one of this objective's own map."""
        if ref is None:
            return
        ref_unit, code = split_ref(ref, unit)
        line = spec.line_of(what)
        if ref_unit != unit:
            self.error(spec, line, f"{what}: {ref} belongs to the map of unit {ref_unit}; an objective's {what} "
                                   f"must be one of its own map ({unit})")
        elif (unit, code) not in table:
            elsewhere = sorted(u for u, c in table if c == code and u != unit)
            hint = f" (only the map of {', '.join(elsewhere)} has one)" if elsewhere else ""
            self.error(spec, line, f"{what}: unknown {what} {code} in the map of {unit}{hint}")

    def _objective_ref(self, spec: Spec, what: str) -> None:
        unit, code = spec.refs["objective"]
        if unit not in self.known.unit_parent:
            self.error(spec, spec.line_of("objective"), f"{what}: unknown unit {unit} in {unit}:{code}")
        elif (unit, code) not in self.known.objectives:
            self.error(spec, spec.line_of("objective"), f"{what}: unknown objective {unit}:{code}")

    def _user(self, spec: Spec) -> None:
        owner = spec.refs.get("owner")
        if owner and owner not in self.known.users:
            self.error(spec, spec.line_of("owner"), f"owner: unknown user {owner} (add them under people)")

    def _check_map(self, unit: str, smap: Spec) -> None:
        k = self.known
        self._unique(smap.kids("perspectives"), "perspective code in this map")
        self._unique(smap.kids("themes"), "theme code in this map")
        objectives = smap.kids("objectives")
        self._unique(objectives, "objective code in this map")
        self._unique([m for o in objectives for m in o.kids("measures")], "measure code in this map")
        self._unique(smap.kids("links"), "cause-effect link", key=lambda s: s.code)
        self._unique(smap.kids("initiatives"), "initiative code in this unit")
        for obj in objectives:
            self._local(obj, unit, obj.refs.get("perspective"), "perspective", k.perspectives)
            self._local(obj, unit, obj.refs.get("theme"), "theme", k.themes)
            self._user(obj)
            self._unique(obj.kids("supports"), "alignment of this objective")
            for ref in obj.kids("supports"):
                self._objective_ref(ref, "supports")
            for measure in obj.kids("measures"):
                self._user(measure)
                self._check_actual_list(measure.kids("actuals"), top_level=False)
        for link in smap.kids("links"):
            if not link.refs:
                continue
            (cu, cc), (eu, ec) = link.refs["cause"], link.refs["effect"]
            if cu != unit or eu != unit:
                other = cu if cu != unit else eu
                self.error(link, link.line, f"link {cu}:{cc} -> {eu}:{ec} crosses maps ({unit} and {other}): "
                                            "cause-effect links join objectives of one map; use supports to "
                                            "align with another unit's objective")
                continue
            for end, code in (("cause", cc), ("effect", ec)):
                if (unit, code) not in k.objectives:
                    self.error(link, link.line_of(end), f"{end}: unknown objective {code} in the map of {unit}")
        for initiative in smap.kids("initiatives"):
            self._user(initiative)
            self._unique(initiative.kids("impacts"), "impact of this initiative")
            for ref in initiative.kids("impacts"):
                self._objective_ref(ref, "impacts")
            self._unique(initiative.kids("milestones"), "milestone name in this initiative")

    def _check_actual_list(self, actuals: list[Spec], *, top_level: bool) -> None:
        keyed = [a for a in actuals if a.code and "measure" in a.refs]
        self._unique(keyed, "period for this measure", key=lambda a: (a.refs["measure"], a.code))
        if not top_level:
            return
        for actual in actuals:
            ref = actual.refs.get("measure")
            if ref is None:
                continue
            if ref not in self.known.measures:
                self.error(actual, actual.line_of("measure"), f"measure: unknown measure {ref[0]}:{ref[1]}")
                continue
            yes_no = self.known.measures[ref] == ScoringType.YES_NO
            value = actual.fields.get("value")
            if actual.refs.get("bool_value") and not yes_no:
                self.error(actual, actual.line_of("value"), "value: expected a finite number, not a boolean "
                                                            "(true/false suit yes/no measures only)")
            elif yes_no and value is not None and value not in (0.0, 1.0):
                self.error(actual, actual.line_of("value"), f"value: a yes/no measure takes true/false or 1/0, "
                                                            f"not {value:g}")


def read_document(data: Any) -> tuple[Document, Known, list[MapError]]:
    """First pass: the document's structure and references. Returns the specs, the codes known (database and
    file together) and every error found."""
    reader = DocumentReader()
    doc = reader.read(data)
    known = known_from_database()
    checker = ReferenceChecker(reader, known)
    checker.check(doc)
    return doc, known, reader.errors
