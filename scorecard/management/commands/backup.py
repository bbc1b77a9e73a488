"""``manage.py backup -o FILE``: the whole database's content as one JSON file (see scorecard/backup.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from scorecard.backup import backup_to_file


class Command(BaseCommand):
    help = (
        "Write everything (users, groups, memberships, units, maps, measures, actuals, initiatives, history, the "
        "admin log) to FILE as JSON, from one consistent snapshot. API tokens and sessions are left out. "
        "Restore with 'manage.py restore FILE'."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("-o", "--output", required=True, metavar="FILE", help="the backup file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = backup_to_file(options["output"])
        except OSError as exc:
            raise CommandError(f"{options['output']}: cannot write ({exc.strerror})") from None
        total = sum(counts.values())
        for label, count in counts.items():
            if count:
                self.stdout.write(f"  {label}: {count}")
        self.stdout.write(self.style.SUCCESS(f"Wrote {total} objects to {options['output']}."))
