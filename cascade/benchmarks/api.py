"""API throughput under gunicorn (2 sync workers) on PostgreSQL, next to a bare DRF ModelViewSet.

Builds a throwaway PostgreSQL database (``BENCH_API_DATABASE_URL``, default ``sc_bench_h5`` on the local
server), migrates it, seeds an enterprise (units, maps, objectives with measures and actuals), and serves it
with gunicorn on loopback using a settings module whose URL conf is this module: the real API plus
``/bench/bare-objectives/``, a plain ModelViewSet over the same table (token sign-in, page of 50, no scoping,
no filters, ids only). Load comes from Python threads, a bounded number of requests per scenario.

Target: our objective list (a page of 50, scoped, with unit codes and owners) serves at least 0.8 of the bare
viewset's requests per second. The unit scorecard (cascade read endpoint) is measured when it exists.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.urls import include, path
from rest_framework import pagination, serializers, viewsets

from scorecard.models import Objective

ROOT = Path(__file__).resolve().parent.parent.parent
TARGET_RATIO = 0.8
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/sc_bench_h5"


# ------------------------------------------------------------------- the bare baseline, mounted for the bench
class BareObjectiveSerializer(serializers.ModelSerializer):
    class Meta:
        model = Objective
        fields = ("id", "version", "map", "perspective", "theme", "code", "name", "description", "owner", "weight")


class BarePages(pagination.PageNumberPagination):
    page_size = 50


class BareObjectiveViewSet(viewsets.ModelViewSet):
    queryset = Objective.objects.all()
    serializer_class = BareObjectiveSerializer
    pagination_class = BarePages
    filter_backends: list[Any] = []


urlpatterns = [
    path("bench/bare-objectives/", BareObjectiveViewSet.as_view({"get": "list"})),
    path("", include("scorecard.urls")),
]

SETTINGS_MODULE = """
from scorecard.settings import *  # noqa
ROOT_URLCONF = "cascade.benchmarks.api"
"""

SEED = """
import datetime as dt
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from scorecard import services
from scorecard.models import *

N_UNITS, N_OBJ = {n_units}, {n_obj}
User = get_user_model()
manager = User.objects.create_user("bench_manager")
nw = services.save_validated(OrgUnit(code="NW", name="Northwind", kind="enterprise"))
units = [nw]
for i in range(N_UNITS):
    units.append(services.save_validated(OrgUnit(code=f"BU{{i}}", name=f"Unit {{i}}", parent=nw)))
Membership.objects.create(user=manager, unit=units[1], role="manager")
parents = {{}}
for unit in units:
    smap = services.map_create(unit=unit, title=f"{{unit.code}} strategy")
    bands = list(smap.perspectives.all())
    objs = []
    for j in range(N_OBJ):
        o = Objective.objects.create(map=smap, perspective=bands[j % 4], code=f"O{{j}}", name=f"Objective {{j}}",
                                     owner=manager)
        objs.append(o)
        m = Measure.objects.create(objective=o, code=f"M{{j}}", name=f"Measure {{j}}", target=100, red_flag=80)
        Actual.objects.bulk_create([Actual(measure=m, period=dt.date(2026, q * 3, 28), value=70 + 5 * q + j % 7)
                                    for q in range(1, 5)])
    for a, b in zip(objs, objs[1:]):
        if a.perspective.position > b.perspective.position:
            CauseEffectLink.objects.create(cause=a, effect=b)
    if unit.parent_id:
        for o, p in zip(objs, parents[unit.parent_id]):
            Alignment.objects.create(objective=o, supports=p)
    parents[unit.pk] = objs
print(Token.objects.create(user=manager).key, nw.pk)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(port: int, url: str, token: str) -> tuple[int, float]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", url, headers={"Authorization": f"Token {token}", "Accept": "application/json"})
        response = conn.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    finally:
        conn.close()


def load(port: int, url: str, token: str, *, requests: int, threads: int, max_seconds: float) -> dict[str, float]:
    """``requests`` GETs from ``threads`` threads (stopping early after ``max_seconds``): rps, p50, p95."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    remaining = [requests]
    deadline = time.perf_counter() + max_seconds

    def worker() -> None:
        nonlocal errors
        while True:
            with lock:
                if remaining[0] <= 0 or time.perf_counter() > deadline:
                    return
                remaining[0] -= 1
            status, seconds = get(port, url, token)
            with lock:
                latencies.append(seconds)
                errors += status != 200

    started = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "n": len(latencies), "errors": errors, "rps": len(latencies) / elapsed,
        "p50": latencies[len(latencies) // 2] * 1000, "p95": latencies[int(len(latencies) * 0.95) - 1] * 1000,
    }


def prepare_database(url: str) -> None:
    import psycopg
    from dj_database_url import parse

    cfg = parse(url)
    name = cfg["NAME"]
    if not name.startswith("sc_bench"):
        raise RuntimeError(f"refusing to drop {name!r}: the benchmark database name must start with sc_bench")
    with psycopg.connect(host=cfg["HOST"] or "127.0.0.1", port=cfg["PORT"] or 5432, user=cfg["USER"] or "postgres",
                         password=cfg["PASSWORD"] or None, dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def run(out: Callable[[str], None], *, quick: bool) -> None:
    db_url = os.environ.get("BENCH_API_DATABASE_URL", DEFAULT_DB)
    n_units, n_obj = (3, 30) if quick else (8, 60)
    requests, threads, max_seconds = (150, 4, 20.0) if quick else (800, 4, 60.0)
    try:
        prepare_database(db_url)
    except Exception as exc:  # report and go on: the other benchmarks still run
        out(f"SKIP api: PostgreSQL not usable at {db_url}: {exc}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "bench_api_settings.py").write_text(SETTINGS_MODULE)
        env = {
            **os.environ, "DATABASE_URL": db_url, "DJANGO_SETTINGS_MODULE": "bench_api_settings",
            "PYTHONPATH": os.pathsep.join([tmp, str(ROOT), os.environ.get("PYTHONPATH", "")]),
            "SECRET_KEY": "bench-only-" + "k" * 50, "DEBUG": "false", "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "ERROR",
        }
        python = sys.executable
        subprocess.run([python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        seeded = subprocess.run([python, "manage.py", "shell", "-c", SEED.format(n_units=n_units, n_obj=n_obj)],
                                cwd=ROOT, env=env, check=True, capture_output=True, text=True)
        token, nw_id = seeded.stdout.split()[-2:]
        port = free_port()
        gunicorn = str(Path(python).parent / "gunicorn")
        server = subprocess.Popen(
            [gunicorn, "scorecard.wsgi:application", "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
            cwd=ROOT, env=env, start_new_session=True,
        )
        try:
            _wait(port, token)
            scenarios = [
                ("bare ModelViewSet, page of 50", "/bench/bare-objectives/"),
                ("objective list, page of 50", "/api/objectives/?page_size=50"),
                ("unit scorecard (NW)", f"/api/units/{nw_id}/scorecard/"),
            ]
            out(f"data: {n_units + 1} units x {n_obj} objectives (each with a measure and 4 actuals); "
                f"{requests} requests per scenario from {threads} threads; gunicorn 2 sync workers; PostgreSQL")
            best: dict[str, dict[str, float]] = {}
            for _round in range(2):  # alternate rounds, keep each scenario's best: less noise from the machine
                for label, url in scenarios:
                    status, _ = get(port, url, token)
                    if status != 200:
                        best.setdefault(label, {"missing": status})
                        continue
                    for _ in range(10):
                        get(port, url, token)  # warm-up
                    figures = load(port, url, token, requests=requests, threads=threads, max_seconds=max_seconds)
                    if label not in best or figures["rps"] > best[label].get("rps", 0):
                        best[label] = figures
            for label, _url in scenarios:
                f = best[label]
                if "missing" in f:
                    out(f"  {label:34s} not measured (HTTP {int(f['missing'])}: endpoint not available)")
                    continue
                out(f"  {label:34s} {f['rps']:7.1f} req/s   p50 {f['p50']:6.1f} ms   p95 {f['p95']:6.1f} ms"
                    f"   ({int(f['n'])} requests, {int(f['errors'])} errors)")
            bare, ours = best[scenarios[0][0]], best[scenarios[1][0]]
            ratio = ours["rps"] / bare["rps"]
            verdict = "PASS" if ratio >= TARGET_RATIO and not ours["errors"] else "FAIL"
            out(f"{verdict} objective list throughput = {ratio:.2f} x bare ModelViewSet (target >= {TARGET_RATIO})")
        finally:
            server.terminate()
            server.wait(timeout=30)


def _wait(port: int, token: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            get(port, "/bench/bare-objectives/", token)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
