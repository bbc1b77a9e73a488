"""Writing the specs: the importer's second pass, inside one transaction that is kept only when all is well.

Every object goes through ``full_clean()`` and ``save()`` (``scorecard.services.save_validated``), so the
model rules that span rows (cycles, alignment to ancestors only, impact on own or ancestor units, end before
start...) are reported here with the line of the offending key. A failure does not stop the pass: the object
and what hangs under it are skipped and the pass goes on, so one run reports every error. If anything failed,
or on a dry run, the transaction is rolled back and nothing stays written.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction

from scorecard.mapfile.schema import MISSING, Document, Known, MapError, Spec, read_document
from scorecard.mapfile.yamlio import YamlSyntaxError, parse
from scorecard.models import (
    EXECUTIVES_GROUP,
    Actual,
    Alignment,
    CauseEffectLink,
    Impact,
    Initiative,
    Measure,
    Membership,
    Milestone,
    Objective,
    OrgUnit,
    Perspective,
    StrategyMap,
    Theme,
)
from scorecard.services import map_create, save_validated

# The order in which the summary lists the kinds of object.
KINDS = ["people", "roles", "units", "maps", "perspectives", "themes", "objectives", "measures", "actuals",
         "links", "alignments", "initiatives", "impacts", "milestones"]


@dataclass
class ImportResult:
    errors: list[MapError] = field(default_factory=list)
    counts: dict[str, Counter[str]] = field(default_factory=dict)  # kind -> created / updated / unchanged
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run

    def summary(self) -> list[str]:
        """One line per kind of object: ``objectives: 3 created, 1 updated, 14 unchanged``."""
        verbs = ("would be created", "would be updated") if self.dry_run else ("created", "updated")
        lines = []
        for kind in KINDS:
            c = self.counts.get(kind)
            if not c:
                continue
            lines.append(f"{kind}: {c['created']} {verbs[0]}, {c['updated']} {verbs[1]}, "
                         f"{c['unchanged']} unchanged")
        return lines


class _Rollback(Exception):
    pass


def import_map(text: str, *, dry_run: bool = False) -> ImportResult:
    """Import a ``scorecard/v1`` document: all of it, or (with any error, or on a dry run) nothing.

    Never raises for bad input: the errors come back in the result, sorted by line.
    """
    result = ImportResult(dry_run=dry_run)
    try:
        data = parse(text)
    except YamlSyntaxError as exc:
        result.errors.append(MapError(exc.line, "YAML", exc.message))
        return result
    try:
        with transaction.atomic():
            doc, known, errors = read_document(data)
            writer = Writer(known, errors)
            writer.write(doc)
            result.counts = writer.counts
            if errors or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    # Stable order: by line, then as found.
    result.errors = sorted(errors, key=lambda e: e.line)
    return result


def _blank_for_null(model: type[models.Model], name: str, value: Any) -> Any:
    """``null`` in the file resets a text field to empty (text fields are blank, never NULL)."""
    if value is None:
        f = model._meta.get_field(name.removesuffix("_id"))
        if isinstance(f, models.CharField | models.TextField) and not f.null:
            return ""
    return value


class Writer:
    def __init__(self, known: Known, errors: list[MapError]) -> None:
        self.known = known
        self.errors = errors
        self.counts: dict[str, Counter[str]] = {}
        self.users: dict[str, Any] = {}
        self.units: dict[str, OrgUnit] = {}
        self.maps: dict[str, StrategyMap] = {}
        self.perspectives: dict[tuple[str, str], Perspective] = {}
        self.themes: dict[tuple[str, str], Theme] = {}
        self.objectives: dict[tuple[str, str], Objective | None] = {}
        self.measures: dict[tuple[str, str], Measure | None] = {}

    # -- bookkeeping ------------------------------------------------------------------------------------
    def count(self, kind: str, what: str) -> None:
        self.counts.setdefault(kind, Counter())[what] += 1

    def model_error(self, spec: Spec, exc: ValidationError) -> None:
        spec.ok = False
        if hasattr(exc, "error_dict"):
            for name, errors in exc.error_dict.items():
                key = spec.keys.get(name, name)
                for message in ValidationError(errors).messages:
                    text = message if name == NON_FIELD_ERRORS else f"{key}: {message}"
                    self.errors.append(MapError(spec.line_of(name), spec.label, text))
        else:
            for message in exc.messages:
                self.errors.append(MapError(spec.line, spec.label, message))

    def missing(self, spec: Spec, what: str) -> None:
        """A reference that the first pass accepted but that is not in the database now: its own definition
        failed (already reported). Report it only if nothing else did, so that nothing is ever dropped silently."""
        spec.ok = False
        if not self.errors:
            self.errors.append(MapError(spec.line, spec.label, f"{what} could not be found"))

    def upsert(self, spec: Spec, kind: str, model: type[models.Model], lookup: dict[str, Any],
               values: dict[str, Any], *, existing: Any = MISSING, before_create: Any = None,
               row_rules_checked: bool = False) -> Any:
        """Create or update the ``model`` row found by ``lookup``; save only when something changed.

        ``existing`` is the row when the caller already looked it up (None: known not to exist).
        ``row_rules_checked`` skips the per-row constraint queries of ``full_clean`` where the first pass
        already checked them (actuals: finite value, one per period), which halves the demo's load time;
        the database constraints still stand behind it.
        """
        obj = model.objects.filter(**lookup).first() if existing is MISSING else existing
        created = obj is None
        if created:
            obj = model(**lookup)
            if before_create:
                before_create(obj)
        changed = created
        for name, value in values.items():
            value = _blank_for_null(model, name, value)
            if getattr(obj, name) != value:
                setattr(obj, name, value)
                changed = True
        if not changed:
            self.count(kind, "unchanged")
            return obj
        try:
            if row_rules_checked:
                obj.full_clean(validate_unique=False, validate_constraints=False)
                try:
                    with transaction.atomic():
                        obj.save()
                except IntegrityError as exc:
                    raise ValidationError(f"{model._meta.verbose_name} {obj}: {exc}") from exc
            else:
                save_validated(obj)
        except ValidationError as exc:
            self.model_error(spec, exc)
            return None
        self.count(kind, "created" if created else "updated")
        return obj

    # -- lookups ----------------------------------------------------------------------------------------
    def user(self, username: str | None) -> Any:
        if username is None:
            return None
        if username not in self.users:
            self.users[username] = get_user_model().objects.filter(username=username).first()
        return self.users[username]

    def unit(self, code: str) -> OrgUnit | None:
        if code not in self.units:
            found = OrgUnit.objects.filter(code=code).first()
            if found is None:
                return None
            self.units[code] = found
        return self.units[code]

    def objective(self, unit: str, code: str) -> Objective | None:
        key = (unit, code)
        if key not in self.objectives:
            self.objectives[key] = (
                Objective.objects.select_related("map__unit").filter(map__unit__code=unit, code=code).first()
            )
        return self.objectives[key]

    def measure(self, unit: str, code: str) -> Measure | None:
        key = (unit, code)
        if key not in self.measures:
            self.measures[key] = Measure.objects.filter(map__unit__code=unit, code=code).first()
        return self.measures[key]

    # -- the pass ---------------------------------------------------------------------------------------
    def write(self, doc: Document) -> None:
        for person in doc.people:
            self.write_person(person)
        for unit in self._units_parents_first(doc.units):
            self.write_unit(unit)
        maps = [(u, m) for u in doc.units for m in u.kids("map") if u.ok and u.code in self.units]
        for unit, smap in maps:
            self.write_map(unit, smap)
        maps = [(u, m) for u, m in maps if m.ok]
        for _, smap in maps:
            for obj in smap.kids("objectives"):
                self.write_objective(smap, obj)
        for _, smap in maps:
            for obj in smap.kids("objectives"):
                for measure in obj.kids("measures") if obj.ok else []:
                    self.write_measure(obj, measure)
        for actual in doc.actuals:
            self.write_top_actual(actual)
        for _, smap in maps:
            for link in smap.kids("links"):
                self.write_link(smap, link)
        for _, smap in maps:
            for obj in smap.kids("objectives"):
                for ref in obj.kids("supports") if obj.ok else []:
                    self.write_alignment(obj, ref)
        for _, smap in maps:
            for initiative in smap.kids("initiatives"):
                self.write_initiative(smap, initiative)
        for person in doc.people:
            self.write_roles(person)

    def _units_parents_first(self, units: list[Spec]) -> list[Spec]:
        parents = self.known.unit_parent

        def depth(code: str) -> int:
            seen: set[str] = set()
            node: str | None = code
            while node is not None and node not in seen:
                seen.add(node)
                node = parents.get(node)
            return len(seen)

        return sorted(units, key=lambda u: depth(u.code))  # stable: file order within a level

    def write_person(self, spec: Spec) -> None:
        if not spec.ok:
            return
        unchanged_before = self.counts.get("people", Counter())["unchanged"]
        user = self.upsert(
            spec, "people", get_user_model(), {"username": spec.code}, spec.fields,
            # No password from a file: an administrator sets it (or load_demo for the demo's own people).
            before_create=lambda u: u.set_unusable_password(),
        )
        self.users[spec.code] = user
        if user is not None and "executive" in spec.refs:
            group, _ = Group.objects.get_or_create(name=EXECUTIVES_GROUP)
            is_member = user.groups.filter(pk=group.pk).exists()
            if spec.refs["executive"] != is_member:
                if is_member:
                    user.groups.remove(group)
                else:
                    user.groups.add(group)
                people = self.counts["people"]
                if people["unchanged"] > unchanged_before:  # the group was this person's only change
                    people.subtract(unchanged=1)
                    people["updated"] += 1
                    people += Counter()  # drop the zero count: Counter arithmetic keeps positives only

    def write_unit(self, spec: Spec) -> None:
        if not spec.ok:
            return
        values = dict(spec.fields)
        if "parent" in spec.refs:
            parent_code = spec.refs["parent"]
            parent = None if parent_code is None else self.unit(parent_code)
            if parent_code is not None and parent is None:
                return self.missing(spec, f"parent unit {parent_code}")
            values["parent_id"] = parent.pk if parent else None
        unit = self.upsert(spec, "units", OrgUnit, {"code": spec.code}, values)
        if unit is not None:
            self.units[spec.code] = unit

    def write_map(self, unit_spec: Spec, spec: Spec) -> None:
        if not spec.ok:
            return
        unit = self.units[unit_spec.code]
        smap = StrategyMap.objects.filter(unit=unit).first()
        if smap is None:
            # A new map gets the four classic perspectives unless the file lists its own (services.map_create).
            fields = {k: _blank_for_null(StrategyMap, k, v) for k, v in spec.fields.items() if k != "title"}
            try:
                smap = map_create(unit=unit, title=spec.fields["title"],
                                  perspectives=[] if spec.refs.get("perspectives_given") else None, **fields)
            except ValidationError as exc:
                return self.model_error(spec, exc)
            self.count("maps", "created")
            if not spec.refs.get("perspectives_given"):
                self.counts.setdefault("perspectives", Counter())["created"] += smap.perspectives.count()
        else:
            smap = self.upsert(spec, "maps", StrategyMap, {"unit": unit}, spec.fields, existing=smap)
            if smap is None:
                return None
        self.maps[unit.code] = smap
        for position, p in enumerate(spec.kids("perspectives")):
            if p.ok:
                values = {"position": position, **p.fields}
                saved = self.upsert(p, "perspectives", Perspective, {"map": smap, "code": p.code}, values)
                if saved is None:
                    spec.ok = False
        for t in spec.kids("themes"):
            if t.ok and self.upsert(t, "themes", Theme, {"map": smap, "code": t.code}, t.fields) is None:
                spec.ok = False
        if spec.ok:
            self.perspectives.update({(unit.code, p.code): p for p in smap.perspectives.all()})
            self.themes.update({(unit.code, t.code): t for t in smap.themes.all()})
        return None

    def write_objective(self, smap_spec: Spec, spec: Spec) -> None:
        if not spec.ok:
            return
        u = spec.unit
        values = dict(spec.fields)
        if "perspective" in spec.refs:
            perspective = self.perspectives.get((u, spec.refs["perspective"].split(":")[-1]))
            if perspective is None:  # its definition in the file failed
                return self.missing(spec, f"perspective {spec.refs['perspective']}")
            values["perspective_id"] = perspective.pk
        if "theme" in spec.refs:
            theme_code = spec.refs["theme"]
            theme = None if theme_code is None else self.themes.get((u, theme_code.split(":")[-1]))
            if theme_code is not None and theme is None:
                return self.missing(spec, f"theme {theme_code}")
            values["theme_id"] = theme.pk if theme else None
        if "owner" in spec.refs:
            values["owner_id"] = getattr(self.user(spec.refs["owner"]), "pk", None)
        obj = self.upsert(spec, "objectives", Objective, {"map": self.maps[u], "code": spec.code}, values)
        self.objectives[(u, spec.code)] = obj
        return None

    def write_measure(self, obj_spec: Spec, spec: Spec) -> None:
        if not spec.ok:
            return
        u = spec.unit
        objective = self.objectives[(u, obj_spec.code)]
        assert objective is not None
        values = {"objective_id": objective.pk, **spec.fields}
        if "owner" in spec.refs:
            values["owner_id"] = getattr(self.user(spec.refs["owner"]), "pk", None)
        measure = self.upsert(spec, "measures", Measure, {"map": self.maps[u], "code": spec.code}, values)
        self.measures[(u, spec.code)] = measure
        if measure is None:
            return
        existing = {a.period: a for a in measure.actuals.all()} if spec.kids("actuals") else {}
        for actual in spec.kids("actuals"):
            self.write_actual(measure, actual, existing.get(actual.fields.get("period")))

    def write_actual(self, measure: Measure, spec: Spec, existing: Actual | None) -> None:
        if not spec.ok:
            return
        values = dict(spec.fields)
        if existing is not None and any(
            _blank_for_null(Actual, k, v) != getattr(existing, k) for k, v in values.items()
        ):
            # The value no longer is what that person entered; the import is its author now.
            values["entered_by_id"] = None
        period: dt.date = values.pop("period")
        self.upsert(spec, "actuals", Actual, {"measure": measure, "period": period}, values, existing=existing,
                    row_rules_checked=True)

    def write_top_actual(self, spec: Spec) -> None:
        if not spec.ok:
            return
        measure = self.measure(*spec.refs["measure"])
        if measure is None:
            return self.missing(spec, "measure {}:{}".format(*spec.refs["measure"]))
        existing = Actual.objects.filter(measure=measure, period=spec.fields["period"]).first()
        return self.write_actual(measure, spec, existing)

    def write_link(self, smap_spec: Spec, spec: Spec) -> None:
        if not spec.ok:
            return
        (cu, cc), (eu, ec) = spec.refs["cause"], spec.refs["effect"]
        cause, effect = self.objective(cu, cc), self.objective(eu, ec)
        if cause is None or effect is None:
            return self.missing(spec, f"objective {cc if cause is None else ec}")
        self.upsert(spec, "links", CauseEffectLink, {"cause": cause, "effect": effect}, spec.fields)
        return None

    def write_alignment(self, obj_spec: Spec, spec: Spec) -> None:
        if not spec.ok:
            return
        own = self.objectives.get((obj_spec.unit, obj_spec.code))
        target = self.objective(*spec.refs["objective"])
        if own is None or target is None:
            return self.missing(spec, f"objective {spec.code}")
        self.upsert(spec, "alignments", Alignment, {"objective": own, "supports": target}, spec.fields)
        return None

    def write_initiative(self, smap_spec: Spec, spec: Spec) -> None:
        if not spec.ok:
            return
        values = dict(spec.fields)
        if "owner" in spec.refs:
            values["owner_id"] = getattr(self.user(spec.refs["owner"]), "pk", None)
        unit = self.units[spec.unit]
        initiative = self.upsert(spec, "initiatives", Initiative, {"unit": unit, "code": spec.code}, values)
        if initiative is None:
            return
        for m in spec.kids("milestones"):
            if m.ok:
                self.upsert(m, "milestones", Milestone, {"initiative": initiative, "name": m.code},
                            {k: v for k, v in m.fields.items() if k != "name"})
        for ref in spec.kids("impacts"):
            if not ref.ok:
                continue
            target = self.objective(*ref.refs["objective"])
            if target is None:
                self.missing(ref, f"objective {ref.code}")
                continue
            self.upsert(ref, "impacts", Impact, {"initiative": initiative, "objective": target}, ref.fields)

    def write_roles(self, spec: Spec) -> None:
        user = self.users.get(spec.code)
        if not spec.ok or user is None:
            return
        for role in spec.kids("roles"):
            if not role.ok:
                continue
            unit = self.unit(role.unit)
            if unit is None:
                self.missing(role, f"unit {role.unit}")
                continue
            self.upsert(role, "roles", Membership, {"user": user, "unit": unit}, role.fields)
