"""``manage.py restore FILE [--force]``: load a backup, in one transaction (see scorecard/backup.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from scorecard.backup import RestoreError, content_counts, read_backup, restore


class Command(BaseCommand):
    help = (
        "Load a backup written by 'manage.py backup' into this database, all of it or nothing. A database that "
        "already holds data is refused unless --force is given; then its content (including API tokens and "
        "sessions) is replaced, in the same transaction. Run 'manage.py migrate' first."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="the backup file")
        parser.add_argument("--force", action="store_true",
                            help="replace the current content of a non-empty database")
        parser.add_argument("--dry-run", action="store_true",
                            help="check the file and say what would happen, without writing")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["file"]
        try:
            with open(name, encoding="utf-8") as stream:
                data = read_backup(stream)
        except FileNotFoundError:
            raise CommandError(f"{name}: no such file") from None
        except OSError as exc:
            raise CommandError(f"{name}: cannot read ({exc.strerror})") from None
        except RestoreError as exc:
            raise CommandError(f"{name}: {exc}") from None
        if options["dry_run"]:
            present = content_counts()
            if present and not options["force"]:
                raise CommandError(f"{name}: the database is not empty; restore --force would replace it.")
            what = "replace the current content with" if present else "load"
            self.stdout.write(f"Dry run: would {what} {len(data)} objects from {name}.")
            return

        def progress(stage: str, count: int) -> None:
            # On stderr and flushed at once: an operator (or a test) sees how far the load got.
            self.stderr.write("removed the current content" if stage == "wiped" else f"loaded {count} objects...")
            self.stderr.flush()

        try:
            loaded = restore(data, force=options["force"], progress=progress)
        except RestoreError as exc:
            raise CommandError(f"{name}: {exc}; nothing was changed.") from None
        self.stdout.write(self.style.SUCCESS(f"Restored {loaded} objects from {name}."))
