"""``manage.py export_actuals UNIT [--from DATE] [--to DATE] [--format csv|xlsx] [-o FILE] [--subtree]``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from scorecard.models import OrgUnit
from scorecard.results_io import FORMATS, export_rows, write_csv, write_export


def parse_date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{option} {text!r} is not a date in the form YYYY-MM-DD") from None


class _Text:
    """Lets the csv writer write through the command's stdout without extra newlines."""

    def __init__(self, out: Any) -> None:
        self.out = out

    def write(self, text: str) -> None:
        self.out.write(text, ending="")


def output_format(options: dict[str, Any]) -> str:
    fmt = options["format"]
    if fmt is None:
        fmt = "xlsx" if (options["output"] or "").lower().endswith(".xlsx") else "csv"
    if fmt == "xlsx" and not options["output"]:
        raise CommandError("An .xlsx workbook needs -o FILE (it is not text for the terminal).")
    return fmt


class Command(BaseCommand):
    help = (
        "Export a unit's actuals as CSV or XLSX with the columns unit, measure, period, value, note: exactly the "
        "format import_actuals reads, so the file re-imports unchanged. The unit's own measures; --subtree adds "
        "every unit below it. --from/--to limit the periods (inclusive)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("unit", help="unit code")
        parser.add_argument("--from", dest="start", metavar="DATE", help="first period, YYYY-MM-DD (inclusive)")
        parser.add_argument("--to", dest="end", metavar="DATE", help="last period, YYYY-MM-DD (inclusive)")
        parser.add_argument("--format", choices=FORMATS, help="csv or xlsx (default: from -o, else csv)")
        parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: standard output)")
        parser.add_argument("--subtree", action="store_true", help="include the units below UNIT")

    def handle(self, *args: Any, **options: Any) -> None:
        unit = OrgUnit.objects.filter(code=options["unit"]).first()
        if unit is None:
            raise CommandError(f"No unit with the code {options['unit']!r}.")
        start = parse_date(options["start"], "--from") if options["start"] else None
        end = parse_date(options["end"], "--to") if options["end"] else None
        if start and end and end < start:
            raise CommandError(f"--to {end} is before --from {start}.")
        fmt = output_format(options)
        rows = export_rows(unit, subtree=options["subtree"], start=start, end=end)
        if options["output"] is None:
            write_csv(rows, _Text(self.stdout))  # type: ignore[arg-type]
            return
        try:
            with open(options["output"], "wb") as out:
                count = write_export(rows, out, fmt)
        except OSError as exc:
            raise CommandError(f"{options['output']}: cannot write ({exc.strerror})") from None
        self.stderr.write(f"Wrote {count} rows to {options['output']}.")
