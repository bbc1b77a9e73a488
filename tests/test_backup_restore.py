"""Backup and restore: identical round trips, refusal without --force, damaged files, and killed processes.

The killed-process tests run the real commands as child processes against a database they can see (a SQLite
file, or on PostgreSQL the test database itself, committed through ``transactional_db``), wait until the child
reports that it has started writing, send SIGKILL, and check that nothing of the interrupted write remains.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from rest_framework.authtoken.models import Token

from scorecard.backup import backup_models, content_counts, read_backup
from scorecard.history import acting_as
from scorecard.models import Actual, Measure, OrgUnit
from scorecard.services import save_validated
from tests.factories import ActualFactory, InitiativeFactory, MeasureFactory, MilestoneFactory

MANAGE = str(Path(settings.BASE_DIR) / "manage.py")


@pytest.fixture
def content(tree: Any, personas: Any) -> Any:
    """Every kind of object, history by several users, a token, and awkward text and numbers."""
    measure = MeasureFactory(objective__map=tree.ret.strategy_map, code="SALES", name="Sales ünïcode ✓ \"q\"",
                             target=0.1 + 0.2, red_flag=-1e-300)
    with acting_as(personas.manager):
        measure.target = 12.5
        save_validated(measure)
    ActualFactory(measure=measure, period=dt.date(2026, 3, 31), value=1.5, note="line\nbreak")
    initiative = InitiativeFactory(unit=tree.ret, budget="1234.50")
    MilestoneFactory(initiative=initiative)
    Token.objects.create(user=personas.manager)
    return measure


def backup_text() -> str:
    out = io.StringIO()
    from scorecard.backup import write_backup

    write_backup(out)
    return out.getvalue()


def wipe_everything() -> None:
    from scorecard.backup import _wipe

    _wipe(backup_models())


def test_restoring_a_backup_into_an_empty_database_and_backing_up_again_gives_the_same_bytes(
    content: Any, tmp_path: Path
) -> None:
    path = tmp_path / "backup.json"
    call_command("backup", "-o", str(path), stdout=io.StringIO())
    first = path.read_text(encoding="utf-8")
    wipe_everything()
    assert content_counts() == {}
    out = io.StringIO()
    call_command("restore", str(path), stdout=out, stderr=io.StringIO())
    assert "Restored" in out.getvalue()
    assert backup_text() == first
    restored = Measure.objects.get(code="SALES")
    assert (restored.target, restored.red_flag, restored.name) == (12.5, -1e-300, "Sales ünïcode ✓ \"q\"")
    assert restored.history.order_by("history_date").last().history_user.username == "ret_manager"
    assert Token.objects.count() == 0  # credentials do not travel in a backup


def test_a_backup_holds_users_groups_memberships_history_and_no_tokens_or_sessions(content: Any) -> None:
    labels = {m._meta.label_lower for m in backup_models()}
    assert {"auth.user", "auth.group", "scorecard.membership", "scorecard.historicalmeasure",
            "scorecard.actual", "admin.logentry"} <= labels
    assert not labels & {"authtoken.token", "sessions.session", "contenttypes.contenttype", "auth.permission"}
    objects = json.loads(backup_text())
    users = [o for o in objects if o["model"] == "auth.user"]
    assert "pk" not in users[0] and users[0]["fields"]["username"]  # by natural key
    assert not any(o["model"] == "authtoken.token" for o in objects)


def test_restore_refuses_a_non_empty_database_without_force_and_changes_nothing(
    content: Any, tmp_path: Path
) -> None:
    path = tmp_path / "backup.json"
    call_command("backup", "-o", str(path), stdout=io.StringIO())
    ActualFactory(measure=content, period=dt.date(2026, 6, 30), value=2)
    before = backup_text()
    with pytest.raises(CommandError, match=r"the database is not empty \(.*scorecard.actual.*\); restore --force"):
        call_command("restore", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert backup_text() == before


def test_a_forced_restore_replaces_everything_including_tokens(content: Any, tmp_path: Path) -> None:
    path = tmp_path / "backup.json"
    call_command("backup", "-o", str(path), stdout=io.StringIO())
    first = path.read_text(encoding="utf-8")
    OrgUnit.objects.create(code="NEW", name="Added after the backup")
    content.target = 99
    content.save()
    Actual.objects.all().delete()
    call_command("restore", str(path), "--force", stdout=io.StringIO(), stderr=io.StringIO())
    assert backup_text() == first
    assert not OrgUnit.objects.filter(code="NEW").exists()
    assert Token.objects.count() == 0
    # Sequences were moved past the restored keys: new objects get fresh ids.
    assert OrgUnit.objects.create(code="AFTER", name="After").pk > max(
        OrgUnit.objects.exclude(code="AFTER").values_list("pk", flat=True))


def test_after_a_restore_the_data_version_never_repeats_one_from_before_it(content: Any, tmp_path: Path) -> None:
    """Renders are cached by data_version: a restore brings back older history ids, and the next write must not
    land on a version a pre-restore state already had."""
    from scorecard.history import data_version

    path = tmp_path / "backup.json"
    call_command("backup", "-o", str(path), stdout=io.StringIO())
    at_backup = data_version()
    content.target = 99
    save_validated(content)
    before_restore = data_version()
    call_command("restore", str(path), "--force", stdout=io.StringIO(), stderr=io.StringIO())
    assert data_version() == at_backup  # the same data as at the backup: the same version is right
    content.refresh_from_db()
    content.target = 77
    save_validated(content)
    assert data_version() not in {at_backup, before_restore}


@pytest.mark.parametrize(("text", "message"), [
    ("{not json", "not a backup file: invalid JSON at line 1, column 2"),
    ('{"model": "scorecard.orgunit"}', "not a backup file: the top level must be a list of objects"),
    ('[{"model": "contenttypes.contenttype", "fields": {}}]', "object 1: contenttypes.contenttype is not part "
                                                              "of a backup"),
    ('[{"nope": 1}]', "object 1: not a serialized object"),
])
def test_a_file_that_is_no_backup_is_refused_with_the_reason(
    content: Any, tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    before = backup_text()
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("restore", str(path), "--force", stdout=io.StringIO(), stderr=io.StringIO())
    assert backup_text() == before


def test_a_bad_object_deep_in_the_file_rolls_back_the_forced_restore_entirely(
    content: Any, tmp_path: Path
) -> None:
    objects = json.loads(backup_text())
    actual = next(o for o in objects if o["model"] == "scorecard.actual")
    actual["fields"]["value"] = "not a number"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(objects))
    before = backup_text()
    with pytest.raises(CommandError, match=r"object \d+: .*; nothing was changed"):
        call_command("restore", str(path), "--force", stdout=io.StringIO(), stderr=io.StringIO())
    assert backup_text() == before


def test_restore_dry_run_says_what_it_would_do(content: Any, tmp_path: Path) -> None:
    path = tmp_path / "backup.json"
    call_command("backup", "-o", str(path), stdout=io.StringIO())
    count = len(read_backup(path.open()))
    out = io.StringIO()
    call_command("restore", str(path), "--force", "--dry-run", stdout=out)
    assert out.getvalue().strip() == f"Dry run: would replace the current content with {count} objects from {path}."
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(path), "--dry-run", stdout=io.StringIO())


# ------------------------------------------------------------------------------------ killed processes
SEED_MEASURES = 40


@pytest.fixture
def live_db(tmp_path: Path) -> dict[str, str]:
    """(url, vendor) of a migrated database that child processes can open and the test can read."""
    if connection.vendor == "sqlite":
        path = tmp_path / "live.sqlite3"
        url = f"sqlite:///{path}"
        run(url, "migrate", "-v", "0")
        return {"url": url, "path": str(path)}
    s = connection.settings_dict  # the test database, committed to by transactional tests
    url = f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return {"url": url, "path": ""}


def child_env(url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}


def run(url: str, *args: str) -> str:
    proc = subprocess.run([sys.executable, MANAGE, *args], env=child_env(url), capture_output=True, text=True,
                          check=False, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def kill_when(url: str, marker: str, *args: str) -> str:
    """Run a command, SIGKILL it as soon as a line of its stderr contains ``marker``; return what it said."""
    proc = subprocess.Popen([sys.executable, MANAGE, *args], env=child_env(url), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    said = []
    assert proc.stderr is not None
    for line in proc.stderr:
        said.append(line)
        if marker in line:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, f"the command ended before it could be killed: {''.join(said)}"
    return "".join(said)


def count(db: dict[str, str], table: str) -> int:
    if db["path"]:
        with sqlite3.connect(db["path"]) as conn:
            return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
        return cursor.fetchone()[0]


def seed(db: dict[str, str], tmp_path: Path, periods: int) -> Path:
    """A unit with SEED_MEASURES measures (via import_map), and a CSV of their values for ``periods`` days."""
    measures = "\n".join(f"            - {{code: M{m:03d}, name: Measure {m}}}" for m in range(SEED_MEASURES))
    yaml = (f"format: scorecard/v1\nunits:\n  - code: KILL\n    name: Kill test\n    map:\n      title: Kill\n"
            f"      objectives:\n        - code: F1\n          name: Objective\n          perspective: F\n"
            f"          measures:\n{measures}\n")
    (tmp_path / "seed.yaml").write_text(yaml)
    run(db["url"], "import_map", str(tmp_path / "seed.yaml"))
    csv_path = tmp_path / "big.csv"
    start = dt.date(2000, 1, 1)
    with csv_path.open("w") as out:
        out.write("unit,measure,period,value,note\n")
        for m in range(SEED_MEASURES):
            for p in range(periods):
                out.write(f"KILL,M{m:03d},{start + dt.timedelta(days=p)},{m + p},\n")
    return csv_path


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)  # PostgreSQL: the children must see the committed test database
def test_an_import_killed_while_writing_leaves_no_actual_and_no_history(live_db: dict[str, str],
                                                                          tmp_path: Path) -> None:
    csv_path = seed(live_db, tmp_path, periods=400)  # 16,000 rows: four write chunks
    said = kill_when(live_db["url"], "written ", "import_actuals", str(csv_path))
    assert "written 5000/16000 rows" in said  # it was killed after writing its first chunk
    assert count(live_db, "scorecard_actual") == 0
    assert count(live_db, "scorecard_historicalactual") == 0
    # The database is usable afterwards and the same file then imports completely.
    assert "16000 rows: 16000 created" in run(live_db["url"], "import_actuals", str(csv_path))
    assert count(live_db, "scorecard_historicalactual") == 16000


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_forced_restore_killed_while_loading_leaves_the_previous_content_intact(
    live_db: dict[str, str], tmp_path: Path
) -> None:
    csv_path = seed(live_db, tmp_path, periods=200)  # 8,000 actuals and their history: 16,000+ objects
    run(live_db["url"], "import_actuals", str(csv_path))
    before = tmp_path / "before.json"
    run(live_db["url"], "backup", "-o", str(before))
    said = kill_when(live_db["url"], "loaded 5000 objects", "restore", "--force", str(before))
    assert "removed the current content" in said  # the old rows were deleted (uncommitted) when it died
    after = tmp_path / "after.json"
    run(live_db["url"], "backup", "-o", str(after))
    assert after.read_bytes() == before.read_bytes()
    assert count(live_db, "scorecard_actual") == 8000
