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
) -> Snapshot:
    """Load the snapshot of ``units`` (see the module docstring for exactly what is included)."""
    # The load allocates hundreds of thousands of row tuples, none of them part of a reference cycle; pausing
    # the cyclic garbage collector spares it from scanning them again and again (a third of the load time
    # on a busy machine). It is switched back on however the load ends.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _load(units, subtree=subtree, as_of=as_of, notes=notes)
    finally:
        if paused:
            gc.enable()


def _load(
    units: OrgUnit | Iterable[OrgUnit] | None, *, subtree: bool, as_of: dt.date | None, notes: bool
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

    def by_unit(qs: Any, field: str, ids: list[int]) -> Any:
        return qs if full_filter is None else qs.filter(**{f"{field}__in": ids})

    # 2-4. maps, perspectives, themes of every loaded unit.
    for row in by_unit(StrategyMap.objects, "unit_id", all_ids).values_list(
        "id", "unit_id", "title", "mission", "vision", "red_flag_percent", "rollup"
    ):
        snap.maps[row[0]] = MapData(*row)
    unit_of_map = {m.id: m.unit_id for m in snap.maps.values()}
    for row in by_unit(Perspective.objects, "map__unit_id", all_ids).values_list(
        "id", "map_id", "code", "name", "position", "weight"
    ):
        snap.perspectives[row[0]] = PerspectiveData(*row)
    for row in by_unit(Theme.objects, "map__unit_id", all_ids).values_list("id", "map_id", "code", "name"):
        snap.themes[row[0]] = ThemeData(*row)

    # 5. objectives of every loaded unit (context maps in full: gaps need all ancestor objectives).
    for oid, map_id, pid, code, name, theme_id, desc, owner, weight in by_unit(
        Objective.objects, "map__unit_id", all_ids
    ).order_by("map_id", "perspective__position", "code").values_list(
        "id", "map_id", "perspective_id", "code", "name", "theme_id", "description", "owner__username", "weight"
    ):
        snap.objectives[oid] = ObjectiveData(
            oid, map_id, unit_of_map[map_id], pid, code, name, theme_id, desc, owner or "", weight
        )

    # 6. cause-effect links inside every loaded map. 7. alignments from fully loaded objectives.
    for cause, effect in by_unit(CauseEffectLink.objects, "cause__map__unit_id", all_ids).values_list(
        "cause_id", "effect_id"
    ):
        snap.causes.append(CauseLink(cause, effect))
    alignment_qs = by_unit(Alignment.objects, "objective__map__unit_id", full_ids)
    for objective_id, supports_id, weight in alignment_qs.values_list("objective_id", "supports_id", "weight"):
        if supports_id in snap.objectives:
            snap.alignments.append(AlignmentLink(objective_id, supports_id, weight))

    # 8. measures, 9. actuals of fully loaded units.
    for row in by_unit(Measure.objects, "map__unit_id", full_ids).order_by("objective_id", "code").values_list(
        "id", "objective_id", "code", "name", "units", "polarity", "scoring", "frequency", "baseline", "target",
        "red_flag", "tolerance", "red_tolerance", "weight", "owner__username", "source",
    ):
        snap.measures[row[0]] = MeasureData(*row[:14], owner=row[14] or "", source=row[15])
    actual_qs = by_unit(Actual.objects, "measure__map__unit_id", full_ids)
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
        columns = list(zip(*group, strict=True))
        periods = columns[1]
        if periods and isinstance(periods[0], str):  # SQLite hands dates over as ISO text
            periods = tuple(map(dt.date.fromisoformat, periods))
        measures[mid].actuals = ActualSeries(
            list(periods), list(columns[2]), list(columns[3]) if notes else None
        )
    del rows

    # 10. initiatives, 11. milestones, 12. impacts of fully loaded units.
    for row in by_unit(Initiative.objects, "unit_id", full_ids).order_by("unit_id", "code").values_list(
        "id", "unit_id", "code", "name", "owner__username", "start", "end", "budget", "spent",
        "percent_complete", "status_note", "description",
    ):
        snap.initiatives[row[0]] = InitiativeData(
            row[0], row[1], row[2], row[3], row[4] or "", row[5], row[6], float(row[7]), float(row[8]),
            row[9], row[10], row[11],
        )
    for mid, iid, name, due, done in by_unit(Milestone.objects, "initiative__unit_id", full_ids).order_by(
        "initiative_id", "due", "name"
    ).values_list("id", "initiative_id", "name", "due", "done"):
        snap.initiatives[iid].milestones.append(MilestoneData(mid, name, due, done))
    for iid, oid, weight, note in by_unit(Impact.objects, "initiative__unit_id", full_ids).values_list(
        "initiative_id", "objective_id", "weight", "note"
    ):
        if oid in snap.objectives:
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

