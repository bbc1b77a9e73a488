"""``manage.py render_impact UNIT INITIATIVE [--as-of DATE] [--format ...] [--paper ...] [--dpi N] [-o FILE]``:
an initiative and every path to the objectives it reaches; ``--drivers OBJECTIVE`` draws the reverse view."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cascade.render.api import render_drivers, render_impact
from cascade.render.cli import add_common_arguments, find_unit, run
from scorecard.models import Initiative, Objective


class Command(BaseCommand):
    help = ("Render the impact view of an initiative of UNIT: every objective it reaches through its impacts, "
            "cause-effect links and alignment to ancestor units, with statuses. With --drivers OBJECTIVE instead "
            "of INITIATIVE: the drivers view of an objective of UNIT (what moves it).")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("unit", help="code of the org unit that owns the initiative (or the objective)")
        parser.add_argument("initiative", nargs="?", help="code of the initiative within the unit")
        parser.add_argument("--drivers", metavar="OBJECTIVE",
                            help="draw the drivers of this objective of the unit instead of an impact view")
        parser.add_argument("--hops", type=int, default=None,
                            help="with --drivers: only drivers at most this many links away (default: all)")
        add_common_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        unit = find_unit(options["unit"])
        if options["drivers"]:
            if options["initiative"]:
                raise CommandError("Give either an INITIATIVE or --drivers OBJECTIVE, not both.")
            objective = Objective.objects.filter(map__unit=unit, code=options["drivers"]).first()
            if objective is None:
                raise CommandError(f"Unknown objective {options['drivers']!r} in unit {unit.code}.")
            if options["hops"] is not None and options["hops"] < 1:
                raise CommandError(f"--hops {options['hops']} must be 1 or more.")
            run(self, options, lambda **kw: render_drivers(objective, max_hops=options["hops"], **kw))
            return
        if options["hops"] is not None:
            raise CommandError("--hops goes with --drivers OBJECTIVE.")
        if not options["initiative"]:
            raise CommandError("Give the code of an INITIATIVE of the unit (or --drivers OBJECTIVE).")
        initiative = Initiative.objects.filter(unit=unit, code=options["initiative"]).first()
        if initiative is None:
            raise CommandError(f"Unknown initiative {options['initiative']!r} in unit {unit.code}.")
        run(self, options, lambda **kw: render_impact(initiative, **kw))
