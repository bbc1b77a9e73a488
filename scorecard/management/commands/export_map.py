"""``manage.py export_map [UNIT ...] [-o FILE]``: write units as scorecard/v1 YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from scorecard.mapfile import UnknownUnitError, export_map


class Command(BaseCommand):
    help = (
        "Export units, their strategy maps, measures with actuals, initiatives and the people involved as "
        "scorecard/v1 YAML (docs/format.md). With no UNIT every unit is exported; a named UNIT is exported "
        "with its whole subtree. The text is deterministic: export, import into an empty database and export "
        "again gives the same text."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("units", nargs="*", metavar="UNIT", help="unit codes (default: all units)")
        parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            text = export_map(options["units"] or None)
        except UnknownUnitError as exc:
            raise CommandError(str(exc)) from None
        if options["output"]:
            try:
                Path(options["output"]).write_text(text, encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"{options['output']}: cannot write ({exc.strerror})") from None
            self.stderr.write(f"Wrote {options['output']}.")
        else:
            self.stdout.write(text, ending="")
