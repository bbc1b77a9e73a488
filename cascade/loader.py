"""Database -> ``cascade.snapshot.Snapshot`` in a fixed number of queries (twelve), whatever the data size.

``load_snapshot(None)`` loads the whole enterprise. ``load_snapshot(unit)`` (or an iterable of units) loads:

- in full, the unit and, with ``subtree=True`` (the default), all its descendants: units, maps, perspectives,
  themes, objectives, measures with their actuals, cause-effect links, alignments from these objectives,
  initiatives with milestones and impacts (impacts may reach ancestor objectives);
- for context, the proper ancestors of the selected units: units, maps, perspectives, themes, all their
  objectives and the cause-effect links between them, so alignment, gaps and impact paths can be followed
  upwards. Their ids are in ``snapshot.context_unit_ids``; their measures, initiatives and the alignments of
  other branches are *not* loaded, so the roll-up leaves their scores out (an ancestor's score depends on the
  whole enterprise: load ``None`` for that).

Rows are read with ``values_list`` (no model instances); the actuals, 360,000 in a large enterprise, are kept
as parallel lists (``ActualSeries``), not one object per value, and on SQLite their dates are parsed in bulk.
``as_of`` leaves out actuals after that date; ``notes=False`` skips their commentary (the roll-up needs none).

``structure_at`` (a time) loads everything but the units from the change history instead: maps, objectives,
links, measures with the targets they had, the actuals as they were entered by then, initiatives and impacts,
all as they stood at that time (``Model.history.as_of``). The org tree is the current one: units are not part of
a map's structure, and a move rewrites paths without history. Historical rows are filtered by the ids read in
the earlier steps, never joined to the current tables (a map or measure deleted since must still be found).
Same twelve queries.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterable
from itertools import groupby
from operator import itemgetter
from typing import Any

from django.db import connections
from django.db.models import CharField, Q
from django.db.models.functions import Cast

from cascade.snapshot import (
    ActualSeries,
    AlignmentLink,
    CauseLink,
    ImpactLink,
    InitiativeData,
    MapData,
    MeasureData,
    MilestoneData,
    ObjectiveData,
    PerspectiveData,
    Snapshot,
    ThemeData,
    UnitData,
)
from scorecard.models import (
    Actual,
    Alignment,
    CauseEffectLink,
    Impact,
    Initiative,
    Measure,
    Milestone,
    Objective,
    OrgUnit,
    Perspective,
    StrategyMap,
    Theme,
)

QUERIES = 12  # what load_snapshot costs, whatever the size; pinned by tests/test_loader.py


def _ancestor_ids(path: str) -> list[int]:
    return [int(x) for x in path.strip("/").split("/") if x][:-1]


def load_snapshot(
    units: OrgUnit | Iterable[OrgUnit] | None = None,
    *,
    subtree: bool = True,
    as_of: dt.date | None = None,
    notes: bool = True,
    structure_at: dt.datetime | None = None,
) -> Snapshot:
    """Load the snapshot of ``units`` (see the module docstring for exactly what is included)."""
    # The load allocates hundreds of thousands of row tuples, none of them part of a reference cycle; pausing
    # the cyclic garbage collector spares it from scanning them again and again (a third of the load time
    # on a busy machine). It is switched back on however the load ends.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _load(units, subtree=subtree, as_of=as_of, notes=notes, at=structure_at)
    finally:
        if paused:
            gc.enable()


def _load(
    units: OrgUnit | Iterable[OrgUnit] | None, *, subtree: bool, as_of: dt.date | None, notes: bool,
    at: dt.datetime | None,
) -> Snapshot:
    snap = Snapshot()
    full_filter: Q | None  # which units are loaded in full; None = every unit
    context_ids: set[int] = set()
    selected: list[OrgUnit] = []
    if units is None:
        full_filter = None
    else:
        selected = [units] if isinstance(units, OrgUnit) else list(units)
        full_filter = Q(pk__in=[u.pk for u in selected])
        if subtree:
            for u in selected:
                full_filter |= Q(path__startswith=u.path)
        for u in selected:
            context_ids.update(_ancestor_ids(u.path))

    # 1. units: the full set plus the context ancestors.
    unit_qs = OrgUnit.objects.all()
    if full_filter is not None:
        unit_qs = unit_qs.filter(full_filter | Q(pk__in=context_ids))
    rows = unit_qs.order_by("path").values_list(
        "id", "code", "name", "kind", "parent_id", "display_order", "path"
    )
    full_paths = [u.path for u in selected] if full_filter is not None and subtree else []
    selected_ids = {u.pk for u in selected} if full_filter is not None else set()
    for uid, code, name, kind, parent_id, order, path in rows:
        snap.units[uid] = UnitData(uid, code, name, kind, parent_id, order)
        if full_filter is not None and uid not in selected_ids and not any(
            path.startswith(p) for p in full_paths
        ):
            snap.context_unit_ids.add(uid)
    all_ids = list(snap.units)
    full_ids = [uid for uid in all_ids if uid not in snap.context_unit_ids]

    def scoped(model: Any, join: str, unit_ids: list[int], field: str, ids: Iterable[int]) -> Any:
        """Rows of ``model`` for the loaded units: now, through a join on ``join`` (``unit_ids``); at a past
        time, from the history filtered on ``field`` by the ids (``ids``) an earlier step read."""
        if at is None:
            return model.objects if full_filter is None else model.objects.filter(**{f"{join}__in": unit_ids})
        past = model.history.as_of(at)
        return past if full_filter is None else past.filter(**{f"{field}__in": list(ids)})

    # 2-4. maps, perspectives, themes of every loaded unit.
    for row in scoped(StrategyMap, "unit_id", all_ids, "unit_id", all_ids).values_list(
        "id", "unit_id", "title", "mission", "vision", "red_flag_percent", "rollup"
    ):
        snap.maps[row[0]] = MapData(*row)
    unit_of_map = {m.id: m.unit_id for m in snap.maps.values()}
    full_set = set(full_ids)
    full_map_ids = [m.id for m in snap.maps.values() if m.unit_id in full_set]
    for row in scoped(Perspective, "map__unit_id", all_ids, "map_id", unit_of_map).values_list(
        "id", "map_id", "code", "name", "position", "weight"
    ):
        snap.perspectives[row[0]] = PerspectiveData(*row)
    for row in scoped(Theme, "map__unit_id", all_ids, "map_id", unit_of_map).values_list(
        "id", "map_id", "code", "name"
    ):
        snap.themes[row[0]] = ThemeData(*row)

    # 5. objectives of every loaded unit (context maps in full: gaps need all ancestor objectives), in band
    # order (sorted here rather than joined, so that the same code reads the history).
    objective_rows = scoped(Objective, "map__unit_id", all_ids, "map_id", unit_of_map).values_list(
        "id", "map_id", "perspective_id", "code", "name", "theme_id", "description", "owner__username", "weight"
    )
    perspectives = snap.perspectives

    def band_order(row: tuple[Any, ...]) -> tuple[Any, ...]:
        persp = perspectives.get(row[2])
        return row[1], persp.position if persp else 0, row[3]

    for oid, map_id, pid, code, name, theme_id, desc, owner, weight in sorted(objective_rows, key=band_order):
        if map_id in unit_of_map:
            snap.objectives[oid] = ObjectiveData(
                oid, map_id, unit_of_map[map_id], pid, code, name, theme_id, desc, owner or "", weight
            )
    full_objective_ids = [o.id for o in snap.objectives.values() if o.unit_id in full_set]

    # 6. cause-effect links inside every loaded map. 7. alignments from fully loaded objectives.
    for cause, effect in scoped(CauseEffectLink, "cause__map__unit_id", all_ids, "cause_id",
                                snap.objectives).values_list("cause_id", "effect_id"):
        if cause in snap.objectives and effect in snap.objectives:
            snap.causes.append(CauseLink(cause, effect))
    alignment_qs = scoped(Alignment, "objective__map__unit_id", full_ids, "objective_id", full_objective_ids)
    for objective_id, supports_id, weight in alignment_qs.values_list("objective_id", "supports_id", "weight"):
        if supports_id in snap.objectives and objective_id in snap.objectives:
            snap.alignments.append(AlignmentLink(objective_id, supports_id, weight))

    # 8. measures, 9. actuals of fully loaded units.
    for row in scoped(Measure, "map__unit_id", full_ids, "map_id", full_map_ids).order_by(
        "objective_id", "code"
    ).values_list(
        "id", "objective_id", "code", "name", "units", "polarity", "scoring", "frequency", "baseline", "target",
        "red_flag", "tolerance", "red_tolerance", "weight", "owner__username", "source",
    ):
        if row[1] in snap.objectives:
            snap.measures[row[0]] = MeasureData(*row[:14], owner=row[14] or "", source=row[15])
    actual_qs = scoped(Actual, "measure__map__unit_id", full_ids, "measure_id", snap.measures)
    if as_of is not None:
        actual_qs = actual_qs.filter(period__lte=as_of)
    actual_qs = actual_qs.order_by("measure_id", "period")
    measures = snap.measures
    period: Any = "period"
    if connections[actual_qs.db].vendor == "sqlite":
        # SQLite keeps dates as ISO text, and the driver parses a plain "period" column row by row in Python
        # (about 3 us a row, more than the rest of the fetch): read the text and parse it in bulk below.
        period = Cast("period", output_field=CharField())
    fields = ("measure_id", period, "value", "note") if notes else ("measure_id", period, "value")
    rows = list(actual_qs.values_list(*fields))
    # Rows arrive grouped by measure; each group is split into parallel lists in C (zip), so no Python object
    # is built per actual: that is what keeps the load within a small factor of the bare fetch.
    for mid, group in groupby(rows, key=itemgetter(0)):
        if mid not in measures:  # the past: an actual whose measure's row is missing from the history
            continue
        columns = list(zip(*group, strict=True))
        periods = columns[1]
        if periods and isinstance(periods[0], str):  # SQLite hands dates over as ISO text
            periods = tuple(map(dt.date.fromisoformat, periods))
        measures[mid].actuals = ActualSeries(
            list(periods), list(columns[2]), list(columns[3]) if notes else None
        )
    del rows

    # 10. initiatives, 11. milestones, 12. impacts of fully loaded units.
    for row in scoped(Initiative, "unit_id", full_ids, "unit_id", full_ids).order_by("unit_id", "code").values_list(
        "id", "unit_id", "code", "name", "owner__username", "start", "end", "budget", "spent",
        "percent_complete", "status_note", "description",
    ):
        snap.initiatives[row[0]] = InitiativeData(
            row[0], row[1], row[2], row[3], row[4] or "", row[5], row[6], float(row[7]), float(row[8]),
            row[9], row[10], row[11],
        )
    for mid, iid, name, due, done in scoped(Milestone, "initiative__unit_id", full_ids, "initiative_id",
                                            snap.initiatives).order_by(
        "initiative_id", "due", "name"
    ).values_list("id", "initiative_id", "name", "due", "done"):
        if iid in snap.initiatives:
            snap.initiatives[iid].milestones.append(MilestoneData(mid, name, due, done))
    for iid, oid, weight, note in scoped(Impact, "initiative__unit_id", full_ids, "initiative_id",
                                         snap.initiatives).values_list("initiative_id", "objective_id", "weight",
                                                                       "note"):
        if oid in snap.objectives and iid in snap.initiatives:
            snap.impacts.append(ImpactLink(iid, oid, weight, note))
    return snap



class UnknownUnit(LookupError):
    """No unit has the code asked for; the message names it (commands turn it into a CommandError)."""


def unit_by_code(code: str) -> OrgUnit:
    """The unit with this code (one query), or UnknownUnit naming the code and the top-level units."""
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        tops = list(OrgUnit.objects.filter(parent__isnull=True).values_list("code", flat=True)[:10])
        hint = f" Top-level units: {', '.join(tops)}." if tops else " There are no units yet (try load_demo)."
        raise UnknownUnit(f"Unknown unit {code!r}: no unit has this code.{hint}")
    return unit

