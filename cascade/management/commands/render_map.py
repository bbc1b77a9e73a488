"""``manage.py render_map UNIT [--as-of DATE] [--no-status] [--format svg|pdf|png|dot] [--paper a4|a3|letter]
[--dpi N] [-o FILE]``: a unit's strategy map, with statuses as of a date or as the clean drafting map."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cascade.render.api import render_map
from cascade.render.cli import add_common_arguments, find_unit, run


class Command(BaseCommand):
    help = ("Render a unit's strategy map: one band per perspective, cause-effect arrows upward, statuses as of "
            "a date (colour, glyph and word), themes and a legend. SVG for the web, one-page PDF, PNG, or DOT.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("unit", help="code of the org unit")
        add_common_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        unit = find_unit(options["unit"])
        run(self, options, lambda **kw: render_map(unit, **kw))
