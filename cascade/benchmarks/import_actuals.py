"""Benchmark: bulk results import (issue 8), 100,000 rows in at most 10 s on SQLite and on PostgreSQL.

Each database is a throwaway one made for the run, so the benchmark never touches real data: a temporary SQLite
file, and on PostgreSQL a database named by ``BENCH_POSTGRES_URL`` (its name must contain "bench"; it is
dropped and created afresh) or, when the project itself runs on PostgreSQL, ``<NAME>_bench`` on the same
server. The work runs in a child process pointed at that database (settings are read once per process), which
migrates it, creates one unit with 100 measures and times:
- create: a CSV of N new rows (with their history records, attributed to a user);
- update: the same file again with every value changed (N updates, version bump, history);
- peak memory of a third import under tracemalloc (timed separately: tracing slows Python down);
- xlsx: a workbook of N/5 new rows;
- for information, the unit's snapshot loaded live and from the change history (``structure_at``, what
  ``render_map --structure-as-of`` reads) once three records per actual are there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

TARGET_SECONDS = 10.0
MEASURES = 100


def run(out: Callable[[str], Any], *, quick: bool) -> None:
    rows = 10_000 if quick else 100_000
    out(f"import_actuals: {rows} rows (1 unit x {MEASURES} measures x {rows // MEASURES} periods), "
        f"target {TARGET_SECONDS:.0f} s{' (quick run: target not applied)' if quick else ''}")
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        targets = [("SQLite", f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")]
        pg = _postgres_url()
        if pg:
            targets.append(("PostgreSQL", pg))
        else:
            out("  PostgreSQL: skipped (set BENCH_POSTGRES_URL=postgres://.../NAME_with_bench, or run on PostgreSQL)")
        for label, url in targets:
            if label == "PostgreSQL":
                _recreate_pg(url)
            try:
                figures = _child(url, rows, Path(tmp))
            finally:
                if label == "PostgreSQL":
                    _drop_pg(url)
            _report(out, label, rows, figures, quick)


def _report(out: Callable[[str], Any], label: str, rows: int, f: dict[str, float], quick: bool) -> None:
    for kind in ("create", "update"):
        seconds = f[kind]
        verdict = "" if quick else ("  PASS" if seconds <= TARGET_SECONDS else "  FAIL")
        out(f"  {label:<10} {kind}: {rows} rows in {seconds:.2f} s = {rows / seconds:,.0f} rows/s "
            f"(incl. {rows} history records){verdict}")
    out(f"  {label:<10} peak memory of an import (tracemalloc): {f['peak_bytes'] / 2**20:.1f} MiB "
        f"({f['traced_seconds']:.1f} s traced)")
    out(f"  {label:<10} xlsx create: {int(f['xlsx_rows'])} rows in {f['xlsx']:.2f} s = "
        f"{f['xlsx_rows'] / f['xlsx']:,.0f} rows/s")
    out(f"  {label:<10} snapshot of the unit ({rows} actuals): live {f['live_load']:.2f} s, from the history "
        f"({3 * rows} actual records) {f['past_load']:.2f} s")


def _postgres_url() -> str | None:
    url = os.environ.get("BENCH_POSTGRES_URL")
    if url:
        return url
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        return None
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}_bench"


def _pg_admin(url: str) -> tuple[Any, str]:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"Refusing to drop and create {name!r}: a benchmark database name must contain 'bench'.")
    admin = urlunsplit(parts._replace(path="/postgres"))
    return psycopg.connect(admin, autocommit=True), name


def _recreate_pg(url: str) -> None:
    from psycopg import sql

    conn, name = _pg_admin(url)
    with conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _drop_pg(url: str) -> None:
    from psycopg import sql

    conn, name = _pg_admin(url)
    with conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _child(url: str, rows: int, tmp: Path) -> dict[str, float]:
    from django.conf import settings

    # The child is no manage.py process: hand it the parent's key (development key on the command line).
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "scorecard.settings",
           "SECRET_KEY": settings.SECRET_KEY}
    env.pop("BENCH_POSTGRES_URL", None)
    proc = subprocess.run(
        [sys.executable, "-m", "cascade.benchmarks.import_actuals", str(rows), str(tmp)],
        env=env, capture_output=True, text=True, check=False, cwd=Path(__file__).resolve().parents[2],
    )
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------------- the child
def _write_csv(path: Path, rows: int, offset: float, first_period: int = 0) -> None:
    import datetime as dt

    start = dt.date(2000, 1, 1)
    periods = rows // MEASURES
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("unit,measure,period,value,note\n")
        for m in range(MEASURES):
            for p in range(periods):
                day = start + dt.timedelta(days=first_period + p)
                note = "checked" if p % 10 == 0 else ""
                out.write(f"BENCH,M{m:03d},{day.isoformat()},{m * 1.5 + p + offset},{note}\n")


def _write_xlsx(path: Path, rows: int) -> None:
    import datetime as dt

    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Results")
    sheet.append(["unit", "measure", "period", "value", "note"])
    periods = rows // MEASURES
    start = dt.date(1990, 1, 1)
    for m in range(MEASURES):
        for p in range(periods):
            sheet.append(["BENCH", f"M{m:03d}", start + dt.timedelta(days=p), m + p * 0.5, None])
    book.save(path)


def _child_main(rows: int, tmp: Path) -> None:
    import django

    django.setup()
    import tracemalloc

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from scorecard.models import Actual, Measure, Objective, OrgUnit, Perspective, StrategyMap
    from scorecard.results_io import import_actuals

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_superuser("bench", "bench@example.org", "bench-password-x1")
    unit = OrgUnit.objects.create(code="BENCH", name="Benchmark unit")
    smap = StrategyMap.objects.create(unit=unit, title="Benchmark")
    perspective = Perspective.objects.create(map=smap, code="F", name="Financial")
    objective = Objective.objects.create(map=smap, perspective=perspective, code="F1", name="Objective")
    for m in range(MEASURES):  # saved one by one: they need history records for the past-map figure below
        Measure.objects.create(objective=objective, map=smap, code=f"M{m:03d}", name=f"Measure {m}")
    figures: dict[str, float] = {}
    for kind, offset in (("create", 0.0), ("update", 0.25)):
        path = tmp / f"{kind}.csv"
        _write_csv(path, rows, offset)
        started = time.perf_counter()
        result = import_actuals(str(path), user=user, reason=f"bench {kind}")
        figures[kind] = time.perf_counter() - started
        expected = (rows, 0) if kind == "create" else (0, rows)
        if result.errors or (result.created, result.updated) != expected:
            raise SystemExit(f"{kind}: unexpected result {result.summary()} {result.errors[:3]}")
    path = tmp / "traced.csv"
    _write_csv(path, rows, 0.5)
    tracemalloc.start()
    started = time.perf_counter()
    import_actuals(str(path), user=user)
    figures["traced_seconds"] = time.perf_counter() - started
    figures["peak_bytes"] = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # The map as of now from the change history (three records per actual by now) next to the live load: what
    # --structure-as-of costs on a unit whose results were imported and corrected in bulk.
    from django.utils import timezone

    from cascade.loader import load_snapshot

    for label, at in (("live_load", None), ("past_load", timezone.now())):
        started = time.perf_counter()
        snapshot = load_snapshot(unit, structure_at=at)
        figures[label] = time.perf_counter() - started
        if sum(len(m.actuals) for m in snapshot.measures.values()) != rows:
            raise SystemExit(f"{label}: the snapshot does not hold the {rows} actuals")
    xlsx_rows = max(rows // 5, MEASURES)
    path = tmp / "create.xlsx"
    _write_xlsx(path, xlsx_rows)
    started = time.perf_counter()
    result = import_actuals(str(path), user=user)
    figures["xlsx"] = time.perf_counter() - started
    figures["xlsx_rows"] = result.created
    if result.errors:
        raise SystemExit(f"xlsx: {result.errors[:3]}")
    expected_total = rows + result.created
    if Actual.objects.count() != expected_total:
        raise SystemExit("row count mismatch")
    print(json.dumps(figures))


if __name__ == "__main__":
    _child_main(int(sys.argv[1]), Path(sys.argv[2]))
