"""Schemathesis, from its CLI, against a live gunicorn on loopback: no input gives a 500, and every response
matches the OpenAPI schema (error responses included).

The server runs on a throwaway SQLite file that this test migrates and seeds with a small enterprise (one
object of every resource, so the detail, PUT, PATCH and DELETE operations meet real rows) and signs in with
an executive's API token, so every write path is reachable. The stateful phase deletes data: hence the
throwaway database. Runs in `make test` (marked slow only so it can be deselected by hand).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MIN_REQUESTS = 1000

SEED = """
import datetime as dt
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from scorecard import services
from scorecard.models import *

User = get_user_model()
fuzz = User.objects.create_user("fuzz")
fuzz.groups.add(Group.objects.get_or_create(name=EXECUTIVES_GROUP)[0])
other = User.objects.create_user("other")
nw = services.save_validated(OrgUnit(code="NW", name="Northwind", kind="enterprise"))
ret = services.save_validated(OrgUnit(code="RET", name="Retail", parent=nw))
services.save_validated(OrgUnit(code="WHS", name="Wholesale", parent=nw))
nw_map = services.map_create(unit=nw, title="NW strategy")
ret_map = services.map_create(unit=ret, title="RET strategy")
fin = nw_map.perspectives.get(code="F")
theme = services.save_validated(Theme(map=nw_map, code="OPX", name="Operational excellence"))
f1 = services.save_validated(Objective(map=nw_map, perspective=fin, theme=theme, code="F1", name="Grow", owner=fuzz))
f2 = services.save_validated(Objective(map=nw_map, perspective=fin, code="F2", name="Margin"))
r1 = services.save_validated(Objective(map=ret_map, perspective=ret_map.perspectives.get(code="C"), code="C1",
                                       name="Delight"))
services.save_validated(CauseEffectLink(cause=f2, effect=f1))
services.save_validated(Alignment(objective=r1, supports=f1, weight=2))
m = services.save_validated(Measure(objective=f1, code="F1.1", name="Revenue", target=8, red_flag=6, owner=fuzz))
services.actual_record(measure=m, period=dt.date(2026, 3, 31), value=7.5, note="Q1")
i = services.save_validated(Initiative(unit=ret, code="CRM", name="CRM", budget=1000, spent=10,
                                       start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31)))
services.save_validated(Impact(initiative=i, objective=f1))
services.save_validated(Milestone(initiative=i, name="Vendor", due=dt.date(2026, 3, 31)))
services.save_validated(Membership(user=other, unit=ret, role="updater"))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback URL we built)
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_schema_mismatch_in_a_thousand_requests(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fuzz.sqlite3'}",
        "SECRET_KEY": "fuzz-only-" + "x" * 50,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "ERROR",
    }
    env.pop("REDIS_URL", None)
    python = str(BIN / "python")

    def manage(*args: str, stdin: str | None = None) -> str:
        done = subprocess.run([python, "manage.py", *args], cwd=ROOT, env=env, input=stdin, text=True,
                              capture_output=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout

    manage("migrate", "--noinput", "-v", "0")
    manage("shell", "-c", SEED)
    token = manage("issue_token", "fuzz").strip().splitlines()[-1]
    assert re.fullmatch(r"[0-9a-f]{40}", token)

    port = free_port()
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "scorecard.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", "2",
         "--timeout", "60"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/api/schema/", 30)
        run = subprocess.run(
            [str(BIN / "schemathesis"), "--no-color", "run", f"http://127.0.0.1:{port}/api/schema/",
             "--checks", "not_a_server_error,response_schema_conformance",
             "-H", f"Authorization: Token {token}",
             "--max-examples", "6", "--seed", "20261129", "--workers", "2",
             "--request-timeout", "30"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=400, check=False,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    output = run.stdout + run.stderr
    generated = re.search(r"(\d+) generated", output)
    assert generated is not None, output[-3000:]
    assert int(generated.group(1)) >= MIN_REQUESTS, output[-3000:]
    assert run.returncode == 0, output[-6000:]
    assert not re.search(r"\d+ failed", output), output[-6000:]
    assert "Internal Server Error" not in (tmp_path / "gunicorn.log").read_text()
    print(generated.group(0), "requests")
