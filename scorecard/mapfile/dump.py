"""Exporting units to ``scorecard/v1`` YAML: deterministic text, the same on every database.

Order never depends on primary keys: units in tree order (siblings by display order, then code),
perspectives by position, objectives by perspective then code, codes compared naturally (F2 before F10),
actuals by period, milestones by due date. Keys at their default value are left out (absent means default
when a file creates an object), except ``perspectives``, which is always written because a new map without
it would get the four classic ones. Numbers are written as briefly as they read back exactly: 8 rather than
8.0, 4.1 rather than 4.0999999.
"""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model

from scorecard.mapfile.schema import FORMAT
from scorecard.mapfile.yamlio import Flow, FlowList, dump
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


class UnknownUnitError(ValueError):
    pass


def natural(code: str) -> tuple[Any, ...]:
    """F2 < F10 < F10.1; re.split keeps text at even and digits at odd positions, so types always match."""
    parts = re.split(r"(\d+)", code)
    return (*[int(p) if i % 2 else p.lower() for i, p in enumerate(parts)], code)


def _num(value: float | Decimal) -> int | float:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _put(d: dict[str, Any], key: str, value: Any, default: Any = "") -> None:
    """Write ``key`` unless ``value`` is its default."""
    if value is None or value == default:
        return
    d[key] = _num(value) if isinstance(value, Decimal) else value


def export_map(unit_codes: list[str] | None = None) -> str:
    """The YAML text of the named units and their subtrees (all units when none are named)."""
    all_units = list(OrgUnit.objects.all())
    by_code = {u.code: u for u in all_units}
    if unit_codes:
        unknown = [c for c in unit_codes if c not in by_code]
        if unknown:
            raise UnknownUnitError(f"Unknown unit(s): {', '.join(unknown)}")
        prefixes = [by_code[c].path for c in unit_codes]
        units = [u for u in all_units if any(u.path.startswith(p) for p in prefixes)]
    else:
        units = all_units
    unit_ids = {u.pk for u in units}
    code_of_unit = {u.pk: u.code for u in all_units}

    # Everything in a fixed number of queries, grouped in Python.
    maps = {m.unit_id: m for m in StrategyMap.objects.filter(unit_id__in=unit_ids)}
    map_ids = {m.pk for m in maps.values()}
    perspectives: dict[int, list[Perspective]] = defaultdict(list)
    for p in Perspective.objects.filter(map_id__in=map_ids):
        perspectives[p.map_id].append(p)
    themes: dict[int, list[Theme]] = defaultdict(list)
    for t in Theme.objects.filter(map_id__in=map_ids):
        themes[t.map_id].append(t)
    objectives: dict[int, list[Objective]] = defaultdict(list)
    for o in Objective.objects.filter(map_id__in=map_ids).select_related("perspective", "theme", "owner"):
        objectives[o.map_id].append(o)
    measures: dict[int, list[Measure]] = defaultdict(list)
    for m in Measure.objects.filter(map_id__in=map_ids).select_related("owner"):
        measures[m.objective_id].append(m)
    actuals: dict[int, list[Actual]] = defaultdict(list)
    for a in Actual.objects.filter(measure__map_id__in=map_ids).only("measure_id", "period", "value", "note"):
        actuals[a.measure_id].append(a)
    links: dict[int, list[CauseEffectLink]] = defaultdict(list)
    for link in CauseEffectLink.objects.filter(cause__map_id__in=map_ids).select_related("cause", "effect"):
        links[link.cause.map_id].append(link)
    supports: dict[int, list[Alignment]] = defaultdict(list)
    for al in Alignment.objects.filter(objective__map_id__in=map_ids).select_related("supports__map"):
        supports[al.objective_id].append(al)
    initiatives: dict[int, list[Initiative]] = defaultdict(list)
    for i in Initiative.objects.filter(unit_id__in=unit_ids).select_related("owner"):
        initiatives[i.unit_id].append(i)
    impacts: dict[int, list[Impact]] = defaultdict(list)
    for im in Impact.objects.filter(initiative__unit_id__in=unit_ids).select_related("objective__map"):
        impacts[im.initiative_id].append(im)
    milestones: dict[int, list[Milestone]] = defaultdict(list)
    for ms in Milestone.objects.filter(initiative__unit_id__in=unit_ids):
        milestones[ms.initiative_id].append(ms)
    memberships = list(Membership.objects.filter(unit_id__in=unit_ids).select_related("user"))
    owners: set[int] = set()

    def owner(d: dict[str, Any], user: Any) -> None:
        if user is not None:
            d["owner"] = user.username
            owners.add(user.pk)

    def ref(objective: Objective, map_: StrategyMap) -> str:
        return f"{code_of_unit[map_.unit_id]}:{objective.code}"

    def measure_doc(m: Measure) -> dict[str, Any]:
        d: dict[str, Any] = {"code": m.code, "name": m.name}
        _put(d, "units", m.units)
        _put(d, "polarity", m.polarity, "increasing")
        _put(d, "scoring", m.scoring, "goal_red_flag")
        _put(d, "frequency", m.frequency, "quarterly")
        for key in ("baseline", "target", "red_flag", "tolerance", "red_tolerance"):
            _put(d, key, getattr(m, key), None)
        _put(d, "weight", m.weight, 1)
        owner(d, m.owner)
        _put(d, "source", m.source)
        rows = []
        for a in sorted(actuals[m.pk], key=lambda a: a.period):
            row = Flow(period=a.period, value=a.value)
            _put(row, "note", a.note)
            rows.append(row)
        if rows:
            d["actuals"] = rows
        return d

    def objective_doc(o: Objective) -> dict[str, Any]:
        d: dict[str, Any] = {"code": o.code, "name": o.name, "perspective": o.perspective.code}
        if o.theme is not None:
            d["theme"] = o.theme.code
        _put(d, "description", o.description)
        owner(d, o.owner)
        _put(d, "weight", o.weight, 1)
        items: list[Any] = []
        for al in sorted(supports[o.pk], key=lambda al: (code_of_unit[al.supports.map.unit_id],
                                                         natural(al.supports.code))):
            target = ref(al.supports, al.supports.map)
            items.append(target if al.weight == 1 else Flow(objective=target, weight=al.weight))
        if items:
            d["supports"] = FlowList(items)
        rows = [measure_doc(m) for m in sorted(measures[o.pk], key=lambda m: natural(m.code))]
        if rows:
            d["measures"] = rows
        return d

    def initiative_doc(i: Initiative) -> dict[str, Any]:
        d: dict[str, Any] = {"code": i.code, "name": i.name}
        _put(d, "description", i.description)
        owner(d, i.owner)
        _put(d, "start", i.start, None)
        _put(d, "end", i.end, None)
        _put(d, "budget", i.budget, 0)
        _put(d, "spent", i.spent, 0)
        _put(d, "percent_complete", i.percent_complete, 0)
        _put(d, "status_note", i.status_note)
        items: list[Any] = []
        for im in sorted(impacts[i.pk], key=lambda im: (im.objective.map.unit_id != i.unit_id,
                                                        code_of_unit[im.objective.map.unit_id],
                                                        natural(im.objective.code))):
            own = im.objective.map.unit_id == i.unit_id
            target = im.objective.code if own else ref(im.objective, im.objective.map)
            if im.weight == 1 and not im.note:
                items.append(target)
            else:
                item = Flow(objective=target)
                _put(item, "weight", im.weight, 1)
                _put(item, "note", im.note)
                items.append(item)
        if items:
            d["impacts"] = FlowList(items)
        rows = []
        for ms in sorted(milestones[i.pk], key=lambda ms: (ms.due, ms.name)):
            row = Flow(name=ms.name, due=ms.due)
            _put(row, "done", ms.done, None)
            rows.append(row)
        if rows:
            d["milestones"] = rows
        return d

    def map_doc(m: StrategyMap) -> dict[str, Any]:
        d: dict[str, Any] = {"title": m.title}
        _put(d, "mission", m.mission)
        _put(d, "vision", m.vision)
        _put(d, "red_flag_percent", m.red_flag_percent, 10)
        _put(d, "rollup", m.rollup, "weighted_average")
        bands = sorted(perspectives[m.pk], key=lambda p: (p.position, natural(p.code)))
        position = {p.pk: n for n, p in enumerate(bands)}
        rows = []
        for p in bands:
            row = Flow(code=p.code, name=p.name)
            _put(row, "weight", p.weight, 1)
            rows.append(row)
        d["perspectives"] = rows
        if themes[m.pk]:
            d["themes"] = [Flow(code=t.code, name=t.name) for t in sorted(themes[m.pk], key=lambda t: natural(t.code))]
        objs = sorted(objectives[m.pk], key=lambda o: (position.get(o.perspective_id, 0), natural(o.code)))
        if objs:
            d["objectives"] = [objective_doc(o) for o in objs]
        rows = []
        for link in sorted(links[m.pk], key=lambda li: (natural(li.cause.code), natural(li.effect.code))):
            row = Flow(cause=link.cause.code, effect=link.effect.code)
            _put(row, "note", link.note)
            rows.append(row)
        if rows:
            d["links"] = rows
        rows = [initiative_doc(i) for i in sorted(initiatives[m.unit_id], key=lambda i: natural(i.code))]
        if rows:
            d["initiatives"] = rows
        return d

    children: dict[int | None, list[OrgUnit]] = defaultdict(list)
    for u in units:
        children[u.parent_id if u.parent_id in unit_ids else None].append(u)
    ordered: list[OrgUnit] = []

    def walk(parent: int | None) -> None:
        for u in sorted(children[parent], key=lambda u: (u.display_order, natural(u.code))):
            ordered.append(u)
            walk(u.pk)

    walk(None)
    unit_docs = []
    for u in ordered:
        d: dict[str, Any] = {"code": u.code, "name": u.name}
        _put(d, "kind", u.kind)
        if u.parent_id is not None:
            d["parent"] = code_of_unit[u.parent_id]
        _put(d, "display_order", u.display_order, 0)
        if u.pk in maps:
            d["map"] = map_doc(maps[u.pk])
        # Initiatives belong to the unit but are written under its map; a unit without a map has none written.
        unit_docs.append(d)

    document: dict[str, Any] = {"format": FORMAT, "units": unit_docs}
    people = _people_doc(memberships, owners, code_of_unit, everything=not unit_codes)
    if people:
        document["people"] = people
    return dump(document)


def _people_doc(memberships: list[Membership], owners: set[int], code_of_unit: dict[int, str],
                *, everything: bool) -> list[dict[str, Any]]:
    roles: dict[int, list[Membership]] = defaultdict(list)
    for ms in memberships:
        roles[ms.user_id].append(ms)
    users = get_user_model().objects.filter(pk__in={*owners, *roles})
    if everything:
        users = users | get_user_model().objects.filter(groups__name=EXECUTIVES_GROUP)
    executives = set(get_user_model().objects.filter(groups__name=EXECUTIVES_GROUP).values_list("pk", flat=True))
    rows = []
    for user in sorted(set(users), key=lambda u: u.username):
        d: dict[str, Any] = {"username": user.username}
        _put(d, "name", f"{user.first_name} {user.last_name}".strip())
        _put(d, "email", user.email)
        if user.pk in executives:
            d["executive"] = True
        items = [Flow(unit=code_of_unit[ms.unit_id], role=ms.role)
                 for ms in sorted(roles[user.pk], key=lambda ms: natural(code_of_unit[ms.unit_id]))]
        if items:
            d["roles"] = FlowList(items)
        rows.append(d)
    return rows
