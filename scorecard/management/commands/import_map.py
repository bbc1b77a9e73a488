"""``manage.py import_map FILE [--dry-run] [--user USERNAME]``: load a scorecard/v1 YAML file, all of it or
nothing; the history records the user (if given) and "import_map FILE" as the reason of every change."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from scorecard.history import acting_as, recorded_as
from scorecard.management.commands.import_actuals import user_option
from scorecard.mapfile import import_map


class Command(BaseCommand):
    help = (
        "Import strategy maps, measures, actuals, initiatives and people from a scorecard/v1 YAML file "
        "(docs/format.md). Upsert by codes: what the file names is created or updated, nothing is deleted. "
        "The whole file is validated first; on any error every error is listed as FILE:LINE: CODE: message, "
        "nothing is written and the command exits non-zero."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="the YAML file to import ('-' reads standard input)")
        parser.add_argument(
            "--dry-run", action="store_true",
            help="validate everything and print what would be created or updated, without writing anything",
        )
        parser.add_argument("--user", metavar="USERNAME",
                            help="recorded in the history as who made the changes (default: nobody recorded)")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["file"]
        user = user_option(options["user"])
        text = read_text(name)
        with acting_as(user), recorded_as(f"import_map {Path(name).name if name != '-' else 'stdin'}"):
            result = import_map(text, dry_run=options["dry_run"])
        if result.errors:
            for error in result.errors:
                self.stderr.write(f"{name}:{error.line}: {error.code}: {error.message}")
            count = len(result.errors)
            raise CommandError(f"{count} error{'s' if count != 1 else ''} in {name}; nothing was written.")
        for line in result.summary():
            self.stdout.write(line)
        if result.dry_run:
            self.stdout.write(self.style.WARNING(f"Dry run: {name} is valid; nothing was written."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {name}."))


def read_text(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    path = Path(name)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CommandError(f"{name}: no such file") from None
    except UnicodeDecodeError as exc:
        raise CommandError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise CommandError(f"{name}: cannot read ({exc.strerror})") from None
