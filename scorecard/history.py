"""Who changed what and when: attribution outside requests, and small selectors over simple_history's records.

Requests are attributed by simple_history's HistoryRequestMiddleware (the admin, the pages and the API, whose
token user DRF puts on the request). Commands and scripts wrap their writes in ``acting_as(user)``; the bulk
importer passes the user to simple_history's bulk helpers itself.

The selectors return plain rows (``Change``) for pages and the admin: one query for the records of one object,
plus one per kind of related object named in a changed foreign key. The page selectors (``link_history``,
``alignment_history``, ``measure_histories``, ``impact_history``, ``milestone_history``) read the records of
many objects at once, deleted ones included, in one query per historical model.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.dispatch import receiver
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from scorecard.models import Actual, Alignment, CauseEffectLink, Impact, Initiative, Measure, Milestone, Objective

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


_REASON = threading.local()


@receiver(pre_create_historical_record)
def _give_the_reason(sender: Any, history_instance: Any, **kwargs: Any) -> None:
    """Records written inside ``recorded_as(reason)`` carry that reason unless the object gave its own."""
    reason = getattr(_REASON, "text", None)
    if reason and not history_instance.history_change_reason:
        history_instance.history_change_reason = reason[:100]


@contextlib.contextmanager
def recorded_as(reason: str) -> Iterator[None]:
    """Every history record written in this thread inside the block gives ``reason`` (e.g. "import_map q3.yaml")
    as its change reason, where the object did not set one itself."""
    previous = getattr(_REASON, "text", None)
    _REASON.text = reason
    try:
        yield
    finally:
        _REASON.text = previous


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


def _tracked(record_model: type[models.Model], fields: Sequence[str] | None = None,
             ignore: Sequence[str] = ()) -> list[models.Field[Any, Any]]:
    """The fields whose changes count: in the order of ``fields`` when given (baseline, target, red flag...),
    else in the model's own order (simple_history's records put the foreign keys last)."""
    skip = {"history_id", "history_date", "history_change_reason", "history_type", "history_user", "id", *ignore}
    tracked = [f for f in record_model._meta.concrete_fields
               if f.name not in skip and f.name not in NOISE_FIELDS and not f.name.startswith("history_")]
    if fields is None:
        live = getattr(record_model, "instance_type", None)
        if live is None:
            return tracked
        order = {f.name: i for i, f in enumerate(live._meta.concrete_fields)}
        return sorted(tracked, key=lambda f: order.get(f.name, len(order)))
    by_name = {f.name: f for f in tracked}
    return [by_name[name] for name in fields if name in by_name]


def _changes(records: Sequence[Any], fields: Sequence[str] | None, label: Any = None) -> list[Change]:
    """Changes between consecutive records of each object, oldest first; ``records`` ordered by object, date.

    With ``fields``, only those fields, and an object's first values show as changes from nothing."""
    if not records:
        return []
    tracked = _tracked(type(records[0]), fields)
    pairs = _diff(records, tracked, initial=tracked if fields is not None else (), label=label,
                  created_always=fields is None)
    return _name_foreign_keys([change for _id, change in pairs], tracked)


def _diff(records: Sequence[Any], tracked: Sequence[models.Field[Any, Any]], *,
          initial: Sequence[models.Field[Any, Any]] = (), label: Any = None,
          created_always: bool = True) -> list[tuple[Any, Change]]:
    """(object id, change) for each difference between consecutive records of an object; ``records`` ordered by
    object, then date. ``initial``: fields whose first values are shown as changes from nothing (a target set at
    creation). ``created_always``: a "created" row for an object whose history starts with a change (records
    from before history was kept) as well as for a real creation."""
    rows: list[tuple[Any, Change]] = []
    previous: dict[Any, Any] = {}
    for record in records:
        who = record.history_user.get_username() if record.history_user_id and record.history_user else ""
        base = {"when": record.history_date, "who": who, "reason": record.history_change_reason or "",
                "label": label(record) if label else ""}
        before = previous.get(record.id)
        previous[record.id] = record
        if record.history_type == "-":
            rows.append((record.id, Change(action="deleted", field="", old=None, new=None, **base)))
            continue
        if record.history_type == "+" or before is None:
            if created_always or record.history_type == "+":
                rows.append((record.id, Change(action="created", field="", old=None, new=None, **base)))
            rows.extend((record.id, Change(action="changed", field=f.name, old=None, new=getattr(record, f.attname),
                                           **base))
                        for f in initial if getattr(record, f.attname) not in (None, ""))
            continue
        for f in tracked:
            old, new = getattr(before, f.attname), getattr(record, f.attname)
            if old != new:
                rows.append((record.id, Change(action="changed", field=f.name, old=old, new=new, **base)))
    return rows


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



# ------------------------------------------------------------------------------- many objects, one query each
ACTUAL_FIELDS = ("period", "value", "note")  # who entered it is the record's author: entered_by adds nothing


@dataclass(frozen=True, slots=True)
class MeasureHistory:
    """One measure's history, for a page that shows all of an objective's measures."""

    measure_id: int
    code: str  # the latest code it had (a deleted measure keeps the one it had when deleted)
    targets: list[Change]  # as target_history: target, red flag, baseline, tolerances, polarity, scoring
    changes: list[Change]  # every change of the measure itself, labelled with its code
    actuals: list[Change]  # every entry, correction and deletion of its values, labelled with the period


def _ever(history: Any, condition: Q) -> QuerySet[Any]:
    """Every record of every object that matched ``condition`` in any of its records, in one query: a link
    whose effect moved to another objective keeps both its records from before and from after the move."""
    return history.filter(id__in=history.filter(condition).values("id"))


def _ordered(queryset: QuerySet[Any]) -> list[Any]:
    return list(queryset.select_related("history_user").order_by("id", "history_date", "history_id"))


def _objective_names(id_field: str, prefix: str) -> dict[str, Any]:
    """Annotations with the code and unit code of the objective in ``id_field``: from the live objective, or,
    once it is deleted, from its last historical record. Subqueries, so naming the ends of a hundred links costs
    no query of its own."""
    live = Objective._base_manager.filter(pk=models.OuterRef(id_field))
    past = Objective.history.filter(id=models.OuterRef(id_field)).order_by("-history_date", "-history_id")
    return {
        f"{prefix}_code": Coalesce(Subquery(live.values("code")[:1]), Subquery(past.values("code")[:1])),
        f"{prefix}_unit": Coalesce(Subquery(live.values("map__unit__code")[:1]),
                                   Subquery(past.values("map__unit__code")[:1])),
    }


def _code(record: Any, prefix: str, *, unit: bool = False) -> str:
    code = getattr(record, f"{prefix}_code", None) or f"#{getattr(record, f'{prefix}_id')}"
    unit_code = getattr(record, f"{prefix}_unit", None) if unit else None
    return f"{unit_code} {code}" if unit_code else code


def _many(records: Sequence[Any], *, label: Any, ignore: Sequence[str] = (),
          initial: Sequence[str] = ()) -> list[Change]:
    """Every change of several objects of one model, oldest first; their related names in one query per model."""
    if not records:
        return []
    tracked = _tracked(type(records[0]), ignore=ignore)
    pairs = _diff(records, tracked, initial=[f for f in tracked if f.name in initial], label=label)
    changes = _name_foreign_keys([change for _id, change in pairs], tracked)
    return sorted(changes, key=lambda c: c.when)


def link_history(objective: Objective) -> list[Change]:
    """Every change of the cause-effect links where ``objective`` is (or was) the cause or the effect, links
    since removed included, labelled "CAUSE → EFFECT" by objective codes; oldest first. One query."""
    records = _ordered(
        _ever(CauseEffectLink.history, Q(cause_id=objective.pk) | Q(effect_id=objective.pk))
        .annotate(**_objective_names("cause_id", "cause"), **_objective_names("effect_id", "effect"))
    )
    return _many(records, label=lambda r: f"{_code(r, 'cause')} → {_code(r, 'effect')}")


def alignment_history(objective: Objective) -> list[Change]:
    """Every change of the alignments where ``objective`` supports or is supported, removed ones included,
    labelled "UNIT CODE → UNIT CODE" (supporter first); oldest first. One query."""
    records = _ordered(
        _ever(Alignment.history, Q(objective_id=objective.pk) | Q(supports_id=objective.pk))
        .annotate(**_objective_names("objective_id", "objective"), **_objective_names("supports_id", "supports"))
    )
    return _many(records, label=lambda r: f"{_code(r, 'objective', unit=True)} → {_code(r, 'supports', unit=True)}")


def impact_history(initiative: Initiative) -> list[Change]:
    """Every change of the initiative's links to objectives, removed ones included, labelled with the objective
    ("UNIT CODE"); oldest first. One query."""
    records = _ordered(_ever(Impact.history, Q(initiative_id=initiative.pk))
                       .annotate(**_objective_names("objective_id", "objective")))
    return _many(records, label=lambda r: _code(r, "objective", unit=True))


def milestone_history(initiative: Initiative) -> list[Change]:
    """Every change of the initiative's milestones, removed ones included, labelled with the milestone's name;
    a new milestone shows its due (and done) date. Oldest first, one query."""
    records = _ordered(_ever(Milestone.history, Q(initiative_id=initiative.pk)))
    return _many(records, label=lambda r: r.name, initial=("due", "done"))


def measure_histories(objective: Objective) -> dict[int, MeasureHistory]:
    """The history of every measure that is or was under ``objective`` (deleted ones included), by measure id:
    two queries (the measures' records, their actuals' records) whatever the number of measures, plus one per
    kind of related object named in a changed foreign key."""
    records = _ordered(_ever(Measure.history, Q(objective_id=objective.pk)))
    if not records:
        return {}
    record_model = type(records[0])
    targets = _tracked(record_model, TARGET_FIELDS)
    every = _tracked(record_model, ignore=("map",))  # map follows the objective: a move shows as "objective"
    target_pairs = _diff(records, targets, initial=targets, created_always=False)
    change_pairs = _diff(records, every, label=lambda r: r.code)
    named = _name_foreign_keys([change for _id, change in change_pairs], every)
    latest = {r.id: r.code for r in records}  # ordered by date within each measure: the last one wins

    actual_records = _ordered(Actual.history.filter(measure_id__in=list(latest)))
    actual_pairs: list[tuple[Any, Change]] = []
    if actual_records:
        actual_fields = _tracked(type(actual_records[0]), ACTUAL_FIELDS)
        actual_pairs = _diff(actual_records, actual_fields, initial=[f for f in actual_fields if f.name != "period"],
                             label=lambda r: r.period.isoformat())
    measure_of_actual = {r.id: r.measure_id for r in actual_records}

    out = {pk: MeasureHistory(pk, code, [], [], []) for pk, code in latest.items()}
    for pk, change in target_pairs:
        out[pk].targets.append(change)
    for (pk, _change), change in zip(change_pairs, named, strict=True):
        out[pk].changes.append(change)
    for actual_id, change in actual_pairs:
        out[measure_of_actual[actual_id]].actuals.append(change)
    for history in out.values():
        history.actuals.sort(key=lambda c: c.when)
    return out

# ------------------------------------------------------------------------------------------- data version
def tracked_models() -> list[type[models.Model]]:
    """The scorecard models that keep a change history (all of them but the historical models themselves)."""
    from django.apps import apps

    return [m for m in apps.get_app_config("scorecard").get_models() if hasattr(m, "history")]


def data_version() -> str:
    """A token that changes whenever the scorecard's data changes, for caches of things drawn from it.

    Every write leaves a history record (saves and deletes through the ORM, and the bulk importer, which writes
    its records itself), so the newest record id and time of each model move with every change; reading them is
    one query of index lookups. The time matters after a restore: it brings back older record ids, and the next
    write reuses an id seen before the restore, but never with the same time. Not covered: a username changed on
    the user model, which keeps no history.
    """
    from django.db import connection

    quote = connection.ops.quote_name
    tables = sorted(m.history.model._meta.db_table for m in tracked_models())
    # Raw SQL because the ORM has no one-row query over thirteen tables; every name in it comes from model
    # metadata, quoted by the backend (no input reaches it).
    newest = [f"(SELECT MAX({quote(column)}) FROM {quote(t)})"  # noqa: S608
              for t in tables for column in ("history_id", "history_date")]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(newest))
        row = cursor.fetchone()
    return "|".join(str(value) for value in row)


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
