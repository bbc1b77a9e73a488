"""``manage.py render_cascade UNIT [--depth N] [--aligned-only] [--as-of DATE] [--no-status] [--format ...]
[--paper ...] [--dpi N] [-o FILE]``: a unit and its descendants, a cluster per unit, with alignment edges."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cascade.render.api import render_cascade
from cascade.render.cli import add_common_arguments, find_unit, run


class Command(BaseCommand):
    help = ("Render the cascade of a unit: the unit and its descendants down to --depth levels, one cluster per "
            "unit, left to right, each objective with its status and arrows from supporting to supported "
            "objectives.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("unit", help="code of the org unit at the top of the view")
        parser.add_argument("--depth", type=int, default=2,
                            help="levels of descendants to show (default: 2; 0 shows the unit alone)")
        parser.add_argument("--all-levels", action="store_true", help="show every level below the unit")
        parser.add_argument("--aligned-only", action="store_true",
                            help="show only objectives that take part in alignment inside the view")
        add_common_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        unit = find_unit(options["unit"])
        if options["depth"] < 0:
            raise CommandError(f"--depth {options['depth']} must be 0 or more.")
        depth = None if options["all_levels"] else options["depth"]
        run(self, options, lambda **kw: render_cascade(unit, depth=depth, aligned_only=options["aligned_only"],
                                                       **kw))
