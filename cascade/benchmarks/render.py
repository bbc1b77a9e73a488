"""Benchmark of issue 4: strategy maps of 20, 60 and 200 objectives, from the database to bytes.

A throwaway SQLite database (a temporary file, migrated in a child process, so the project's own database is
never touched) gets one unit per size: four perspectives, three themes, the objectives spread over the bands, two
measures each with eight quarters of actuals, and cause-effect links upward. For each size and format (svg, pdf):

- total: ``render_map(unit, as_of=...)`` with an empty cache (load, roll-up, DOT, both Graphviz passes);
- graphviz alone: the two Graphviz processes run by themselves on the same DOT (``dot -Tdot``, ``neato -n2``);
- outside: the part of each total spent outside the Graphviz processes of that same call (the runner times its
  processes), and its share of the total. Measured within one call, the share does not mix runs on a machine
  that other work slows down now and then;
- cached: the whole ``render_map`` call when nothing changed since the same map was drawn (one query for
  ``scorecard.history.data_version``, then the bytes from the cache), and the render step alone on a DOT-hash hit
  (``render_job``: hash the DOT, read the bytes: what a render after an unrelated change still saves);
- queries used by one render from an empty cache.

Times are medians of five runs. Targets: at 60 objectives everything outside Graphviz is at most 25% of the total;
a cached render takes under 5 ms; the query count does not grow with the map.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
SIZES = (20, 60, 200)
FORMATS = ("svg", "pdf")
TARGET_OUTSIDE_SHARE = 0.25
TARGET_CACHED_MS = 5.0
RUNS = 5


def run(out: Callable[[str], Any], *, quick: bool) -> None:
    sizes = (20, 60) if quick else SIZES
    out(f"render: strategy maps of {', '.join(map(str, sizes))} objectives on a throwaway SQLite database, "
        f"median of {3 if quick else RUNS} runs")
    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", "DEBUG": "true"}
        env.pop("REDIS_URL", None)  # the default local-memory cache: the figure is ours, not the network's
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True, cwd=ROOT)
        code = f"from cascade.benchmarks.render import child; child({list(sizes)!r}, {3 if quick else RUNS})"
        done = subprocess.run([*manage, "shell", "-c", code], env=env, check=True, cwd=ROOT,
                              capture_output=True, text=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    _report(out, figures, quick)


def _report(out: Callable[[str], Any], figures: dict[str, Any], quick: bool) -> None:
    out(f"  {'objectives':>10} {'format':>6} {'total ms':>9} {'graphviz alone':>15} {'outside ms':>11} "
        f"{'outside %':>10} {'DOT hit ms':>10} {'cached call ms':>15} {'queries':>8}")
    for row in figures["rows"]:
        out(f"  {row['size']:>10} {row['fmt']:>6} {row['total'] * 1000:>9.1f} {row['graphviz'] * 1000:>15.1f} "
            f"{row['outside'] * 1000:>11.1f} {row['share'] * 100:>9.1f}% {row['cached'] * 1000:>10.3f} "
            f"{row['call_cached'] * 1000:>15.1f} {row['queries']:>8}")
    verdicts = []
    at60 = [r for r in figures["rows"] if r["size"] == 60]
    worst = max(r["share"] for r in at60)
    verdicts.append(("outside Graphviz at 60 objectives <= 25% of the total", f"{worst * 100:.1f}%",
                     worst <= TARGET_OUTSIDE_SHARE))
    slowest = max(r["call_cached"] for r in figures["rows"]) * 1000
    verdicts.append((f"cached render (the whole render_map call, nothing changed) < {TARGET_CACHED_MS:g} ms "
                     "(every size)", f"{slowest:.2f} ms", slowest < TARGET_CACHED_MS))
    step = max(r["cached"] for r in figures["rows"]) * 1000
    verdicts.append((f"render step on a DOT-hash hit < {TARGET_CACHED_MS:g} ms (every size)", f"{step:.3f} ms",
                     step < TARGET_CACHED_MS))
    counts = sorted({r["queries"] for r in figures["rows"]})
    verdicts.append(("query count the same at every size", ", ".join(map(str, counts)), len(counts) == 1))
    for text, value, ok in verdicts:
        out(f"  {text}: {value}  {'PASS' if ok else 'FAIL'}")


# ------------------------------------------------------------------------------------------ child process
def _seed(size: int) -> Any:
    """One unit with a map of ``size`` objectives; written in bulk (the benchmark times rendering, not this)."""
    import datetime as dt

    from scorecard.models import (
        Actual,
        CauseEffectLink,
        Measure,
        Objective,
        OrgUnit,
        Perspective,
        StrategyMap,
        Theme,
    )

    unit = OrgUnit.objects.create(code=f"BENCH{size}", name=f"Benchmark unit of {size} objectives")
    smap = StrategyMap.objects.create(unit=unit, title=f"Benchmark strategy {size}",
                                      vision="A vision line long enough to wrap like a real one does on a map.")
    bands = [Perspective.objects.create(map=smap, code=c, name=n, position=i) for i, (c, n) in enumerate(
        [("F", "Financial"), ("C", "Customer"), ("P", "Internal Process"), ("L", "Learning & Growth")])]
    themes = [Theme.objects.create(map=smap, code=c, name=n) for c, n in
              [("CUS", "Customer intimacy"), ("OPX", "Operational excellence"), ("SUS", "Sustainable growth")]]
    objectives = Objective.objects.bulk_create([
        Objective(map=smap, perspective=bands[i % 4], theme=themes[i % 3] if i % 5 else None, code=f"O{i}",
                  name=f"Improve the benchmark outcome number {i} for customers")
        for i in range(size)])
    measures = Measure.objects.bulk_create([
        Measure(objective=o, map=smap, code=f"{o.code}.{k}", name=f"Measure {k} of {o.code}", target=100.0,
                units="%") for o in objectives for k in (1, 2)])
    periods = [dt.date(2025, 3, 31), dt.date(2025, 6, 30), dt.date(2025, 9, 30), dt.date(2025, 12, 31),
               dt.date(2026, 3, 31), dt.date(2026, 6, 30), dt.date(2026, 9, 30), dt.date(2026, 12, 31)]
    Actual.objects.bulk_create([Actual(measure=m, period=p, value=70.0 + (m.pk * 7 + j * 3) % 40)
                                for m in measures for j, p in enumerate(periods)])
    by_band: dict[int, list[Any]] = {}
    for o in objectives:
        by_band.setdefault(o.perspective_id, []).append(o)
    links = []
    for lower, upper in zip(bands[1:], bands[:-1], strict=True):  # each band feeds the one above
        above = by_band.get(upper.pk, [])
        for j, o in enumerate(by_band.get(lower.pk, [])):
            if above:
                links.append(CauseEffectLink(cause=o, effect=above[j % len(above)]))
                if j % 3 == 0 and len(above) > 1:
                    links.append(CauseEffectLink(cause=o, effect=above[(j + 1) % len(above)]))
    CauseEffectLink.objects.bulk_create(links, ignore_conflicts=True)
    return unit


def _median(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def child(sizes: list[int], runs: int) -> None:
    """Runs inside ``manage.py shell`` on the throwaway database; prints one JSON line of figures."""
    import datetime as dt

    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cascade.loader import load_snapshot
    from cascade.render.api import objective_facts, render_map
    from cascade.render.dot import map_dot
    from cascade.render.runner import _format_args, _run, add_bands, render_job, stats
    from cascade.rollup import compute_scores

    as_of = dt.date(2026, 9, 30)
    rows: list[dict[str, Any]] = []
    for size in sizes:
        unit = _seed(size)
        render_map(unit, as_of=as_of)  # warm imports and the connection
        for fmt in FORMATS:
            def cold(fmt: str = fmt, unit: Any = unit) -> None:
                cache.clear()
                render_map(unit, as_of=as_of, fmt=fmt)

            totals, shares = [], []
            for _ in range(runs):
                spent = stats.graphviz_seconds
                started = time.perf_counter()
                cold()
                totals.append(time.perf_counter() - started)
                shares.append(1 - (stats.graphviz_seconds - spent) / totals[-1])
            total, share = statistics.median(totals), statistics.median(shares)
            snapshot = load_snapshot(unit, as_of=as_of, notes=False)
            job = map_dot(snapshot, unit.pk, facts=objective_facts(snapshot, compute_scores(snapshot, as_of)),
                          as_of=as_of, paper=None if fmt == "svg" else "a4")
            laid_out = _run(["dot", "-Tdot"], job.dot.encode()).decode()
            second = add_bands(laid_out, job).encode()

            def graphviz_only(job: Any = job, second: bytes = second, fmt: str = fmt) -> None:
                _run(["dot", "-Tdot"], job.dot.encode())
                _run(["neato", "-n2", *_format_args(fmt, None)], second)

            graphviz = _median(graphviz_only, runs)
            render_job(job, fmt)  # fill the cache
            cached = _median(lambda job=job, fmt=fmt: render_job(job, fmt), 50)
            render_map(unit, as_of=as_of, fmt=fmt)
            call_cached = _median(lambda fmt=fmt, unit=unit: render_map(unit, as_of=as_of, fmt=fmt), 20)
            cache.clear()
            with CaptureQueriesContext(connection) as queries:
                render_map(unit, as_of=as_of, fmt=fmt)
            rows.append({"size": size, "fmt": fmt, "total": total, "graphviz": graphviz, "outside": share * total,
                         "share": share, "cached": cached, "call_cached": call_cached,
                         "queries": len(queries.captured_queries)})
    print(json.dumps({"rows": rows}))
