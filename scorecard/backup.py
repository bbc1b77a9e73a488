"""Backup and restore of the whole database's content as one JSON file (a Django fixture, natural keys).

What a backup holds: every model of every installed app (users, groups and their permissions, memberships,
units, maps and everything in them, actuals, initiatives, the simple_history records, the admin's log, and
whatever models later apps add), except what is rebuilt or must not travel:
- content types and permissions: ``migrate`` creates them; objects refer to them by natural key;
- sessions: logins do not survive a restore;
- API tokens: they are credentials, and a backup file is copied around more freely than a database. After a
  restore, scripts get new tokens with ``manage.py issue_token``.

Users and groups travel by natural key (username, group name), everything else with its primary key, so a
restore into an empty database followed by a backup gives the same bytes. Times are written to the microsecond
(Django's own encoder cuts them to milliseconds, which loses data and makes a second backup differ).

Restore runs in one transaction: into an empty database it loads; into a non-empty one it refuses unless
forced, and then it deletes the current content and loads in that same transaction, so an interrupted restore
leaves the database as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from django.apps import apps
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, IntegrityError, connection, models, transaction

# Rebuilt by migrate, or not to be carried: see the module docstring.
EXCLUDED = {"contenttypes.contenttype", "auth.permission", "sessions.session", "authtoken.token"}
# Rows that refer to backed-up rows but are not themselves restored: deleted by a forced restore.
DISCARDED = {"sessions.session", "authtoken.token"}

Progress = Callable[[str, int], None]


class RestoreError(Exception):
    """The file cannot be restored (not a backup, damaged, or the database is not empty)."""


class _Encoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime):
            text = o.isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        return super().default(o)


def backup_models() -> list[type[models.Model]]:
    """The models a backup holds, ordered so that natural keys are defined before they are used."""
    by_app = []
    for app_config in apps.get_app_configs():
        chosen = [m for m in app_config.get_models()
                  if m._meta.label_lower not in EXCLUDED and not m._meta.proxy and m._meta.managed]
        if chosen:
            by_app.append((app_config, chosen))
    return serializers.sort_dependencies(by_app, allow_cycles=True)


def _objects(chosen: list[type[models.Model]], counts: dict[str, int]) -> Iterator[models.Model]:
    for model in chosen:
        label = model._meta.label_lower
        counts[label] = 0
        for obj in model._base_manager.order_by(model._meta.pk.name).iterator(chunk_size=2000):
            counts[label] += 1
            yield obj


def write_backup(out: IO[str]) -> dict[str, int]:
    """Write the backup to a text stream; return the number of objects per model."""
    counts: dict[str, int] = {}
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            # One snapshot for every table, even while others write.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        serializers.serialize("json", _objects(backup_models(), counts), stream=out, indent=1, cls=_Encoder,
                              use_natural_foreign_keys=True, use_natural_primary_keys=True)
    out.write("\n")
    return counts


def backup_to_file(path: str | Path) -> dict[str, int]:
    """Write the backup next to ``path`` and move it into place: never a half-written file under that name."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            counts = write_backup(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return counts


def content_counts() -> dict[str, int]:
    """Rows per model of what a restore would replace (including tokens and sessions)."""
    chosen = [*backup_models(), *(apps.get_model(label) for label in DISCARDED if _installed(label))]
    counts = {m._meta.label_lower: m._base_manager.count() for m in chosen}
    return {label: n for label, n in counts.items() if n}


def _installed(label: str) -> bool:
    try:
        apps.get_model(label)
    except LookupError:
        return False
    return True


def _wipe(chosen: list[type[models.Model]]) -> None:
    """Delete every row of the restored tables (and their many-to-many tables) in the current transaction.

    Plain DELETEs: no signals (which would write a "deleted" history record for everything) and no ORM
    cascade collection. Django creates foreign keys DEFERRABLE INITIALLY DEFERRED on PostgreSQL and SQLite, so
    the order does not matter until commit, by which time the restored rows satisfy them again.
    """
    tables: list[str] = []
    for model in [*chosen, *(apps.get_model(label) for label in DISCARDED if _installed(label))]:
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            if through._meta.auto_created:
                tables.append(through._meta.db_table)
        tables.append(model._meta.db_table)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {quote(table)}")  # noqa: S608 - a table name from _meta, quoted


def read_backup(stream: IO[str]) -> list[dict[str, Any]]:
    """Parse and check the outline of a backup file: a list of objects of models a backup holds."""
    try:
        data = json.load(stream)
    except json.JSONDecodeError as exc:
        raise RestoreError(f"not a backup file: invalid JSON at line {exc.lineno}, column {exc.colno} "
                           f"({exc.msg})") from None
    except UnicodeDecodeError:
        raise RestoreError("not a backup file: not UTF-8 text") from None
    if not isinstance(data, list):
        raise RestoreError("not a backup file: the top level must be a list of objects")
    allowed = {m._meta.label_lower for m in backup_models()}
    for index, item in enumerate(data, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("model"), str) or "fields" not in item:
            raise RestoreError(f"object {index}: not a serialized object (needs 'model' and 'fields')")
        if item["model"].lower() not in allowed:
            raise RestoreError(f"object {index}: {item['model']} is not part of a backup")
    return data


def restore(data: list[dict[str, Any]], *, force: bool = False, progress: Progress | None = None) -> int:
    """Load a backup in one transaction; return the number of objects loaded."""
    try:
        return _restore(data, force=force, progress=progress)
    except IntegrityError as exc:  # a deferred foreign key checked at commit
        raise RestoreError(f"the backup does not hold together: {_first_line(exc)}") from None


def _restore(data: list[dict[str, Any]], *, force: bool, progress: Progress | None) -> int:
    chosen = backup_models()
    loaded = 0
    with transaction.atomic():
        present = content_counts()
        if present:
            if not force:
                listed = ", ".join(f"{n} {label}" for label, n in sorted(present.items()))
                raise RestoreError(f"the database is not empty ({listed}); restore --force replaces everything")
            _wipe(chosen)
            if progress:
                progress("wiped", 0)
        deferred = []
        try:
            for obj in serializers.deserialize("python", data, handle_forward_references=True):
                obj.save()
                if obj.deferred_fields:
                    deferred.append(obj)
                loaded += 1
                if progress and loaded % 5000 == 0:
                    progress("loaded", loaded)
            for obj in deferred:
                obj.save_deferred_fields()
        except (DeserializationError, IntegrityError, DatabaseError, ValueError, LookupError) as exc:
            raise RestoreError(f"object {loaded + 1}: {_first_line(exc)}") from None
        _reset_sequences(chosen)
    return loaded


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _reset_sequences(chosen: list[type[models.Model]]) -> None:
    """Explicit primary keys were inserted: move PostgreSQL's sequences past them (SQLite needs nothing)."""
    statements = connection.ops.sequence_reset_sql(no_style(), chosen)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
