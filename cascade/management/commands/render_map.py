"""``manage.py render_map UNIT [--as-of DATE] [--structure-as-of DATE] [--no-status] [--format svg|pdf|png|dot]
[--paper a4|a3|letter] [--dpi N] [-o FILE]``: a unit's strategy map, with statuses as of a date or as the clean
drafting map, as it is now or as it stood on a past date."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cascade.render.api import render_map
from cascade.render.cli import add_common_arguments, find_unit, parse_date, run


class Command(BaseCommand):
    help = ("Render a unit's strategy map: one band per perspective, cause-effect arrows upward, statuses as of "
            "a date (colour, glyph and word), themes and a legend. SVG for the web, one-page PDF, PNG, or DOT. "
            "--structure-as-of DATE draws the map as it stood at the end of that day (objectives, links, measures "
            "and targets from the change history, statuses from the values entered by then, as of that day "
            "unless --as-of is given).")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("unit", help="code of the org unit")
        add_common_arguments(parser)
        parser.add_argument("--structure-as-of", dest="structure_as_of", metavar="DATE",
                            help="the map as it stood at the end of this day, YYYY-MM-DD (default: as it is now)")

    def handle(self, *args: Any, **options: Any) -> None:
        unit = find_unit(options["unit"])
        structure_as_of = parse_date(options["structure_as_of"], "--structure-as-of")
        run(self, options, lambda **kw: render_map(unit, structure_as_of=structure_as_of, **kw))
