"""A realistic synthetic enterprise, written in bulk: for benchmarks, load tests and demos of scale.

``generate_enterprise(units=200, objectives=25, measures=3, periods=24, seed=0)`` builds, inside one
transaction and with ``bulk_create``:

- a unit tree 3-4 levels deep (enterprise -> business units -> departments -> teams; fewer levels when there
  are too few units), codes ``<prefix>``, ``<prefix>-0001``...;
- for every unit a map with the four classic perspectives and ``objectives`` objectives spread over them, each
  objective linked upwards (cause -> effect) to one or two objectives of the band above;
- alignments: most objectives of a lower unit support an objective of the same perspective in the parent map;
- ``measures`` measures per objective (mostly goal/red flag, some goal-only and yes/no; increasing, decreasing
  and a few "closer"; about 3% still without a target), monthly, with ``periods`` month-end actuals ending at
  ``end`` (a few measures stop early, so some are stale);
- initiatives (one per five objectives, at least one per unit) impacting objectives of their unit or its
  parent, with two milestones each.

Same seed, same enterprise (codes, values, links). Bulk writes bypass django-simple-history: synthetic data
has no history to keep.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
import re
import time
from dataclasses import dataclass

from django.db import transaction

from scorecard.models import (
    CODE_RE,
    DEFAULT_PERSPECTIVES,
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
)
from scorecard.scoring import subtract_months

BATCH = 2000
MAX_PREFIX = 26  # unit codes are "<prefix>-0001" and hold at most 32 characters


@dataclass(frozen=True, slots=True)
class Generated:
    root_id: int
    root_code: str
    units: int
    objectives: int
    measures: int
    actuals: int
    initiatives: int
    links: int
    alignments: int
    seconds: float


def month_ends(end: dt.date, count: int) -> list[dt.date]:
    """``count`` month ends, oldest first, the last one being ``end``'s month end."""
    last = end.replace(day=calendar.monthrange(end.year, end.month)[1])
    return [subtract_months(last, back) for back in range(count - 1, -1, -1)]


def level_sizes(units: int) -> list[int]:
    """How many units on each level: 1 enterprise, then business units, departments, teams."""
    rest = units - 1
    if rest <= 0:
        return [1]
    fan = max(1, round(rest ** (1 / 3)))
    first = min(rest, fan)
    second = min(rest - first, first * fan)
    third = rest - first - second
    return [1, first] + ([second] if second else []) + ([third] if third else [])


def generate_enterprise(
    *,
    units: int = 200,
    objectives: int = 25,
    measures: int = 3,
    periods: int = 24,
    seed: int = 0,
    prefix: str = "GEN",
    end: dt.date = dt.date(2026, 9, 30),
) -> Generated:
    """Write a synthetic enterprise and return what was written. Raises ValueError on bad sizes or a taken prefix."""
    for name, value, low in (("units", units, 1), ("objectives", objectives, 1), ("measures", measures, 0),
                             ("periods", periods, 0)):
        if value < low:
            raise ValueError(f"--{name} must be at least {low} (got {value}).")
    if not re.fullmatch(CODE_RE, prefix) or len(prefix) > MAX_PREFIX:
        raise ValueError(f"--prefix {prefix!r} must be 1-{MAX_PREFIX} letters, digits or - _ . (it starts unit codes).")
    if end.year * 12 + end.month - periods < dt.MINYEAR * 12:
        raise ValueError(f"--end {end.isoformat()} leaves no room for {periods} monthly periods before it.")
    if OrgUnit.objects.filter(code=prefix).exists() or OrgUnit.objects.filter(code__startswith=f"{prefix}-").exists():
        raise ValueError(f"Units with the code prefix {prefix!r} already exist; choose another prefix.")
    started = time.perf_counter()
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    with transaction.atomic():
        result = _generate(rng, units, objectives, measures, periods, prefix, end)
    return Generated(**result, seconds=time.perf_counter() - started)


def _generate(
    rng: random.Random, n_units: int, n_obj: int, n_meas: int, n_periods: int, prefix: str, end: dt.date
) -> dict[str, int | str]:
    # ---- units, level by level (each level's primary keys are needed for the next level's paths)
    root = OrgUnit(code=prefix, name=f"{prefix} Enterprise", kind="enterprise")
    root.save()
    levels: list[list[OrgUnit]] = [[root]]
    kinds = ["enterprise", "business unit", "department", "team"]
    counter = 0
    for depth, size in enumerate(level_sizes(n_units)[1:], start=1):
        parents = levels[-1]
        batch = []
        for k in range(size):
            counter += 1
            parent = parents[k % len(parents)]
            batch.append(OrgUnit(code=f"{prefix}-{counter:04d}", name=f"{kinds[depth].title()} {counter}",
                                 kind=kinds[depth], parent=parent, display_order=k))
        created = OrgUnit.objects.bulk_create(batch, batch_size=BATCH)
        for u in created:
            u.path = f"{u.parent.path}{u.pk}/"  # type: ignore[union-attr]
        OrgUnit.objects.bulk_update(created, ["path"], batch_size=BATCH)
        levels.append(created)
    all_units = [u for level in levels for u in level]
    parent_of = {u.pk: u.parent_id for u in all_units}

    # ---- maps and perspectives
    maps = StrategyMap.objects.bulk_create(
        [StrategyMap(unit=u, title=f"{u.name} strategy") for u in all_units], batch_size=BATCH
    )
    map_of_unit = {m.unit_id: m for m in maps}
    perspectives = Perspective.objects.bulk_create(
        [Perspective(map=m, code=code, name=name, position=pos)
         for m in maps for pos, (code, name) in enumerate(DEFAULT_PERSPECTIVES)],
        batch_size=BATCH,
    )
    band_of: dict[tuple[int, int], Perspective] = {(p.map_id, p.position): p for p in perspectives}

    # ---- objectives: spread over the four bands
    per_band = [n_obj // 4 + (1 if i < n_obj % 4 else 0) for i in range(4)]
    objective_rows = []
    for m in maps:
        for pos, count in enumerate(per_band):
            code = DEFAULT_PERSPECTIVES[pos][0]
            for k in range(1, count + 1):
                objective_rows.append(Objective(
                    map=m, perspective=band_of[(m.id, pos)], code=f"{code}{k}",
                    name=f"{DEFAULT_PERSPECTIVES[pos][1]} objective {k}", weight=rng.choice([1, 1, 1, 2]),
                ))
    objs = Objective.objects.bulk_create(objective_rows, batch_size=BATCH)
    by_map_band: dict[tuple[int, int], list[Objective]] = {}
    for o in objs:
        by_map_band.setdefault((o.map_id, o.perspective.position), []).append(o)

    # ---- cause-effect links: each objective below the top band causes one or two in the band above
    links = []
    for m in maps:
        for pos in range(1, 4):
            above = by_map_band.get((m.id, pos - 1), [])
            if not above:
                continue
            for o in by_map_band.get((m.id, pos), []):
                for effect in rng.sample(above, k=min(len(above), rng.choice([1, 1, 2]))):
                    links.append(CauseEffectLink(cause=o, effect=effect))
    CauseEffectLink.objects.bulk_create(links, batch_size=BATCH)

    # ---- alignments: most objectives support one of the parent's, same perspective
    alignments = []
    for u in all_units:
        parent_id = parent_of[u.pk]
        if parent_id is None:
            continue
        own, parent_map = map_of_unit[u.pk], map_of_unit[parent_id]
        for pos in range(4):
            candidates = by_map_band.get((parent_map.id, pos), [])
            for o in by_map_band.get((own.id, pos), []):
                if candidates and rng.random() < 0.85:
                    alignments.append(Alignment(objective=o, supports=rng.choice(candidates), weight=1))
    Alignment.objects.bulk_create(alignments, batch_size=BATCH)

    # ---- measures
    measure_rows = []
    for o in objs:
        for k in range(1, n_meas + 1):
            measure_rows.append(_measure(rng, o, k))
    meas = Measure.objects.bulk_create(measure_rows, batch_size=BATCH)

    # ---- actuals: month ends ending at ``end``, a drifting walk that lands on all three colours
    periods = month_ends(end, n_periods)
    actual_count = 0
    batch_rows: list[Actual] = []
    for m in meas:
        stop = n_periods - (rng.randint(3, 6) if rng.random() < 0.04 else 0)
        for period, value in zip(periods[:stop], _series(rng, m, stop), strict=True):
            batch_rows.append(Actual(measure_id=m.pk, period=period, value=value))
        if len(batch_rows) >= 20000:
            Actual.objects.bulk_create(batch_rows, batch_size=BATCH)
            actual_count += len(batch_rows)
            batch_rows = []
    Actual.objects.bulk_create(batch_rows, batch_size=BATCH)
    actual_count += len(batch_rows)

    # ---- initiatives, impacts, milestones
    initiative_rows = []
    for u in all_units:
        for k in range(1, max(1, n_obj // 5) + 1):
            start = end - dt.timedelta(days=rng.randint(30, 540))
            finish = start + dt.timedelta(days=rng.randint(120, 720))
            elapsed = min(max((end - start).days / (finish - start).days, 0.0), 1.0)
            pct = round(min(100.0, max(0.0, elapsed * 100 * rng.uniform(0.7, 1.15))), 1)
            budget = rng.randint(5, 200) * 10000
            initiative_rows.append(Initiative(
                unit=u, code=f"I{k}", name=f"Initiative {k} of {u.code}", start=start, end=finish,
                budget=budget, spent=round(budget * elapsed * rng.uniform(0.8, 1.3), 2), percent_complete=pct,
            ))
    inis = Initiative.objects.bulk_create(initiative_rows, batch_size=BATCH)
    impacts, milestones = [], []
    for ini in inis:
        own = [o for pos in range(4) for o in by_map_band.get((map_of_unit[ini.unit_id].id, pos), [])]
        parent_id = parent_of[ini.unit_id]
        pool = own
        if parent_id is not None and rng.random() < 0.2:
            pool = [o for pos in range(4) for o in by_map_band.get((map_of_unit[parent_id].id, pos), [])]
        for o in rng.sample(pool, k=min(len(pool), rng.randint(1, 3))):
            impacts.append(Impact(initiative=ini, objective=o, weight=1))
        span = (ini.end - ini.start).days  # type: ignore[operator]
        for share in (0.4, 0.8):
            due = ini.start + dt.timedelta(days=int(span * share))  # type: ignore[operator]
            done = due if due < end and rng.random() < 0.75 else None
            milestones.append(Milestone(initiative=ini, name=f"Phase {int(share * 10 // 4)}", due=due, done=done))
    Impact.objects.bulk_create(impacts, batch_size=BATCH)
    Milestone.objects.bulk_create(milestones, batch_size=BATCH)
    return {
        "root_id": root.pk, "root_code": root.code, "units": len(all_units), "objectives": len(objs),
        "measures": len(meas), "actuals": actual_count, "initiatives": len(inis), "links": len(links),
        "alignments": len(alignments),
    }


def _measure(rng: random.Random, objective: Objective, k: int) -> Measure:
    scoring = rng.choices(["goal_red_flag", "goal_only", "yes_no"], weights=[85, 10, 5])[0]
    polarity = rng.choices(["increasing", "decreasing", "closer"], weights=[60, 30, 10])[0]
    if scoring == "yes_no" and polarity == "closer":
        polarity = "increasing"
    target: float | None = float(rng.randint(50, 150))
    red_flag = baseline = tolerance = red_tolerance = None
    if scoring == "yes_no":
        target = 1.0
    elif rng.random() < 0.03:
        target = None  # "TBD": loads and shows unscored
    elif polarity == "closer":
        tolerance, red_tolerance = round(target * 0.05, 2), round(target * 0.12, 2)
    else:
        sign = 1 if polarity == "increasing" else -1
        baseline = round(target * (1 - sign * 0.3), 2)
        if rng.random() < 0.5:
            red_flag = round(target * (1 - sign * rng.uniform(0.08, 0.2)), 2)
    return Measure(
        objective=objective, map_id=objective.map_id, code=f"{objective.code}.{k}",
        name=f"{objective.name}, measure {k}", polarity=polarity, scoring=scoring, frequency="monthly",
        baseline=baseline, target=target, red_flag=red_flag, tolerance=tolerance, red_tolerance=red_tolerance,
        weight=rng.choice([1, 1, 2]),
    )


def _series(rng: random.Random, m: Measure, count: int) -> list[float]:
    if m.scoring == "yes_no":
        p = rng.uniform(0.4, 0.95)
        return [1.0 if rng.random() < p else 0.0 for _ in range(count)]
    target = m.target if m.target is not None else 100.0
    # Where the walk ends up relative to the target: spread so that the enterprise shows every colour.
    finish = target * rng.uniform(0.8, 1.15)
    start = m.baseline if m.baseline is not None else target * rng.uniform(0.85, 1.15)
    values = []
    for step in range(count):
        share = (step + 1) / count
        noise = rng.gauss(0, abs(target) * 0.02)
        values.append(round(start + (finish - start) * share + noise, 2))
    return values
