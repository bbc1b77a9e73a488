"""``manage.py import_actuals FILE [--dry-run] [--user USERNAME]``: results from CSV or XLSX, all or nothing."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from scorecard.history import acting_as
from scorecard.results_io import FORMATS, import_actuals


class Command(BaseCommand):
    help = (
        "Import actuals from a CSV or XLSX file with the columns unit, measure, period, value, note (header row "
        "first, any order and case; period YYYY-MM-DD; yes/no measures take 1/0, yes/no or true/false). Every row "
        "is checked first and every error is listed as 'row N, column C: reason'; then all rows are written in "
        "one transaction, or none. Existing values for the same measure and period are updated."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="the .csv or .xlsx file")
        parser.add_argument("--dry-run", action="store_true",
                            help="check everything and count what would change, without writing")
        parser.add_argument("--user", metavar="USERNAME",
                            help="import as this user: only units where they may enter results; recorded in "
                                 "the history as who made the change")
        parser.add_argument("--format", choices=FORMATS, help="file format (default: from the file itself)")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["file"]
        user = user_option(options["user"])
        started = time.monotonic()

        def progress(stage: str, done: int, total: int | None) -> None:
            # Plain lines on stderr (stdout keeps the summary); flushed so a watcher sees them at once.
            if stage == "read":
                self.stderr.write(f"checked {done} rows...")
            elif stage == "checked":
                self.stderr.write(f"all {done} rows are valid; writing")
            else:
                percent = 100 * done // total if total else 100
                self.stderr.write(f"written {done}/{total} rows ({percent}%)")
            self.stderr.flush()

        with acting_as(user):
            result = import_actuals(name, fmt=options["format"], user=user, dry_run=options["dry_run"],
                                    progress=progress, reason=f"import_actuals {name}"[:100])
        if len(result.errors) == 1 and result.errors[0].row is None:
            raise CommandError(f"{result.errors[0]}; nothing was written.")  # about the file as a whole
        if result.errors:
            for error in result.errors:
                self.stderr.write(str(error))
            count = len(result.errors)
            raise CommandError(f"{count} error{'s' if count != 1 else ''} in {name}; nothing was written.")
        elapsed = time.monotonic() - started
        self.stdout.write(f"{result.rows} rows: {result.summary()} ({elapsed:.1f} s).")
        if result.dry_run:
            self.stdout.write(self.style.WARNING(f"Dry run: {name} is valid; nothing was written."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {name}."))


def user_option(username: str | None) -> Any:
    """The user a ``--user USERNAME`` option names (None without the option); an unknown name stops the command."""
    if not username:
        return None
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"No user named {username!r}.")
    return user
