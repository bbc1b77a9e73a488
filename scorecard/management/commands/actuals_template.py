"""``manage.py actuals_template UNIT [--period DATE] [--subtree] [-o FILE] [--format csv|xlsx]``: a results
entry sheet for a unit (and the units below it), as the upload page's template download."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from scorecard.management.commands.export_actuals import _Text, output_format
from scorecard.models import OrgUnit
from scorecard.results_io import FORMATS, template_rows, write_csv, write_export


class Command(BaseCommand):
    help = (
        "Write the results template of a unit: one row per measure of its map (with --subtree also of the maps "
        "below it) with unit and measure filled in, the period filled in with --period, value and note blank, "
        "plus a '# measure name' column that import_actuals ignores. Fill in the values and import it with "
        "import_actuals or the upload page; rows left without a value are skipped."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("unit", help="unit code")
        parser.add_argument("--period", metavar="DATE", help="prefill this period, YYYY-MM-DD (default: blank)")
        parser.add_argument("--subtree", action="store_true", help="also the measures of the units below")
        parser.add_argument("--format", choices=FORMATS, help="csv or xlsx (default: from -o, else csv)")
        parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        unit = OrgUnit.objects.filter(code=options["unit"]).first()
        if unit is None:
            raise CommandError(f"No unit with the code {options['unit']!r}.")
        period = None
        if options["period"]:
            try:
                period = dt.date.fromisoformat(options["period"])
            except ValueError:
                raise CommandError(f"--period {options['period']!r} is not a date: write it as YYYY-MM-DD.") from None
        fmt = output_format(options)
        measures = list(template_rows(unit, subtree=options["subtree"]))
        if not measures:
            raise CommandError(f"Unit {unit.code} has no measures, so there is nothing to enter.")
        rows = [(u, m, period, None, "") for u, m, _name in measures]
        names = [name for _u, _m, name in measures]
        if options["output"] is None:
            write_csv(rows, _Text(self.stdout), comments=names)  # type: ignore[arg-type]
            return
        try:
            with open(options["output"], "wb") as out:
                write_export(rows, out, fmt, comments=names)
        except OSError as exc:
            raise CommandError(f"{options['output']}: cannot write ({exc.strerror})") from None
        self.stderr.write(f"Wrote the template of {unit.code} ({len(rows)} measures) to {options['output']}.")
