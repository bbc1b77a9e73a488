"""Who changed what and when: attribution outside requests, and small selectors over simple_history's records.

Requests are attributed by simple_history's HistoryRequestMiddleware (the admin, the pages and the API, whose
token user DRF puts on the request). Commands and scripts wrap their writes in ``acting_as(user)``; the bulk
importer passes the user to simple_history's bulk helpers itself.

The selectors return plain rows (``Change``) for pages and the admin: one query for the records of one object,
plus one per kind of related object named in a changed foreign key.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.db import models
from simple_history.models import HistoricalRecords

from scorecard.models import Actual, Measure

# Changed on every save, or maintained by the system: not a change anybody made.
NOISE_FIELDS = {"version", "entered_at", "path"}
TARGET_FIELDS = ("baseline", "target", "red_flag", "tolerance", "red_tolerance", "polarity", "scoring")

ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


@dataclass(frozen=True, slots=True)
class Change:
    """One change: ``field`` is "" for a creation or a deletion (old and new are None then)."""

    when: dt.datetime
    who: str  # username, "" when nobody is known (a script without --user, a migration)
    action: str  # created | changed | deleted
    field: str
    old: Any
    new: Any
    reason: str = ""
    label: str = ""  # which object, where one selector covers several (e.g. the period of an actual)


@contextlib.contextmanager
def acting_as(user: Any) -> Iterator[None]:
    """Attribute every history record written inside the block to ``user`` (None: leave attribution alone).

    simple_history asks its thread-local request for the user; outside a request we give it a stand-in that
    only carries the user. The previous context (a real request, in tests) is put back afterwards.
    """
    if user is None:
        yield
        return
    context = HistoricalRecords.context
    missing = object()
    previous = getattr(context, "request", missing)
    context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        if previous is missing:
            del context.request
        else:
            context.request = previous


def _tracked(record_model: type[models.Model]) -> list[models.Field[Any, Any]]:
    skip = {"history_id", "history_date", "history_change_reason", "history_type", "history_user", "id"}
    return [f for f in record_model._meta.concrete_fields
            if f.name not in skip and f.name not in NOISE_FIELDS and not f.name.startswith("history_")]


def _changes(records: Sequence[Any], fields: Sequence[str] | None, label: Any = None) -> list[Change]:
    """Changes between consecutive records of each object, oldest first; ``records`` ordered by object, date."""
    if not records:
        return []
    tracked = _tracked(type(records[0]))
    if fields is not None:
        tracked = [f for f in tracked if f.name in fields]
    rows: list[Change] = []
    previous: dict[Any, Any] = {}
    for record in records:
        who = record.history_user.get_username() if record.history_user_id and record.history_user else ""
        base = {"when": record.history_date, "who": who, "reason": record.history_change_reason or "",
                "label": label(record) if label else ""}
        before = previous.get(record.id)
        previous[record.id] = record
        if record.history_type == "+" or before is None:
            if fields is None or record.history_type == "+":
                rows.append(Change(action="created", field="", old=None, new=None, **base))
            if fields is not None:
                # Selectors over a few fields show their first values as changes from nothing.
                rows.extend(Change(action="changed", field=f.name, old=None, new=getattr(record, f.attname),
                                   **base) for f in tracked if getattr(record, f.attname) not in (None, ""))
            continue
        if record.history_type == "-":
            rows.append(Change(action="deleted", field="", old=None, new=None, **base))
            continue
        for f in tracked:
            old, new = getattr(before, f.attname), getattr(record, f.attname)
            if old != new:
                rows.append(Change(action="changed", field=f.name, old=old, new=new, **base))
    return _name_foreign_keys(rows, tracked)


def _name_foreign_keys(rows: list[Change], tracked: Sequence[models.Field[Any, Any]]) -> list[Change]:
    """Show a changed foreign key as the related object's text, one query per related model."""
    by_name = {f.name: f for f in tracked if f.is_relation}
    wanted: dict[str, set[Any]] = {}
    for row in rows:
        if row.field in by_name:
            wanted.setdefault(row.field, set()).update(v for v in (row.old, row.new) if v is not None)
    if not wanted:
        return rows
    names: dict[str, dict[Any, str]] = {}
    for name, ids in wanted.items():
        related = by_name[name].related_model
        names[name] = {obj.pk: _text(obj) for obj in related._base_manager.filter(pk__in=ids)}
    out = []
    for row in rows:
        if row.field in names:
            lookup = names[row.field]
            row = Change(row.when, row.who, row.action, row.field,
                         lookup.get(row.old, row.old), lookup.get(row.new, row.new), row.reason, row.label)
        out.append(row)
    return out


def _text(obj: Any) -> str:
    get_username = getattr(obj, "get_username", None)
    return get_username() if callable(get_username) else str(obj)


def changes_for(obj: models.Model, *, fields: Sequence[str] | None = None) -> list[Change]:
    """Every change of ``obj`` (an objective, measure, actual, initiative, link...), oldest first."""
    records = list(obj.history.select_related("history_user").order_by("history_date", "history_id"))  # type: ignore[attr-defined]
    return _changes(records, fields)


def target_history(measure: Measure) -> list[Change]:
    """How the measure's target, red flag, baseline, tolerances, polarity and scoring came to be, oldest first."""
    return changes_for(measure, fields=TARGET_FIELDS)


def actual_history(measure: Measure) -> list[Change]:
    """Every entry, correction and deletion of the measure's actuals, labelled with the period, oldest first."""
    records = list(
        Actual.history.filter(measure_id=measure.pk).select_related("history_user")
        .order_by("id", "history_date", "history_id")
    )
    changes = _changes(records, None, label=lambda r: r.period.isoformat())
    return sorted(changes, key=lambda c: c.when)


# ------------------------------------------------------------------------------------ structure as of a time
MEASURE_FIELDS = ("objective", "name", "units", "polarity", "scoring", "frequency", "baseline", "target",
                  "red_flag", "tolerance", "red_tolerance", "weight")


@dataclass(frozen=True)
class MapStructure:
    """A unit's map as plain rows keyed by code: what the map looked like, without scores or actuals."""

    unit: str
    title: str
    perspectives: dict[str, tuple[str, int]]  # code -> (name, position)
    themes: dict[str, str]  # code -> name
    objectives: dict[str, dict[str, Any]]  # code -> name, perspective, theme, weight
    links: dict[tuple[str, str], str]  # (cause code, effect code) -> note
    measures: dict[str, dict[str, Any]]  # code -> MEASURE_FIELDS (objective by code)


def end_of_day(day: dt.date) -> dt.datetime:
    """The last instant of ``day`` in the project's time zone: "as of 2026-03-31" includes that day's edits."""
    from django.utils import timezone

    start_next = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)
    return timezone.make_aware(start_next) - dt.timedelta(microseconds=1)


def structure_as_of(unit: Any, when: dt.datetime | None = None) -> MapStructure | None:
    """The unit's map as it was at ``when`` (now when None), from simple_history; None if it had no map.

    Six queries: the map, then its perspectives, themes, objectives, measures and links as of that time.
    """
    from scorecard.models import CauseEffectLink, Objective, Perspective, StrategyMap, Theme

    def source(model: Any) -> Any:
        return model.objects if when is None else model.history.as_of(when)

    smap = source(StrategyMap).filter(unit_id=unit.pk).values_list("id", "title").first()
    if smap is None:
        return None
    map_id, title = smap
    perspectives = {pk: (code, name, position) for pk, code, name, position in
                    source(Perspective).filter(map_id=map_id).values_list("id", "code", "name", "position")}
    theme_rows = list(source(Theme).filter(map_id=map_id).values_list("id", "code", "name"))
    themes = {pk: code for pk, code, _name in theme_rows}
    theme_names = {code: name for _pk, code, name in theme_rows}
    objective_rows = list(source(Objective).filter(map_id=map_id).values_list(
        "id", "code", "name", "perspective_id", "theme_id", "weight"))
    code_of = {row[0]: row[1] for row in objective_rows}
    objectives = {
        code: {"name": name, "perspective": perspectives.get(p, (f"#{p}",))[0],
               "theme": themes.get(t, "") if t else "", "weight": weight}
        for _pk, code, name, p, t, weight in objective_rows
    }
    measures = {}
    for row in source(Measure).filter(map_id=map_id).values_list("code", "objective_id", *MEASURE_FIELDS[1:]):
        values = dict(zip(MEASURE_FIELDS, (code_of.get(row[1], f"#{row[1]}"), *row[2:]), strict=True))
        measures[row[0]] = values
    links = {}
    if code_of:
        for cause, effect, note in source(CauseEffectLink).filter(cause_id__in=list(code_of)).values_list(
                "cause_id", "effect_id", "note"):
            if effect in code_of:
                links[(code_of[cause], code_of[effect])] = note
    return MapStructure(
        unit=unit.code, title=title,
        perspectives={code: (name, position) for code, name, position in perspectives.values()},
        themes=theme_names, objectives=objectives, links=links, measures=measures,
    )
