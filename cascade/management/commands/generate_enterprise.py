"""``manage.py generate_enterprise``: write a synthetic enterprise in bulk (see ``cascade.synthetic``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cascade.synthetic import generate_enterprise


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


class Command(BaseCommand):
    help = (
        "Generate a realistic synthetic enterprise (unit tree 3-4 deep, maps with upward cause-effect links, "
        "alignments, measures with monthly actuals, initiatives with impacts and milestones), written in bulk "
        "in one transaction. Used by the benchmarks; the same seed gives the same enterprise."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--units", type=int, default=200, help="number of units (default 200)")
        parser.add_argument("--objectives", type=int, default=25, help="objectives per unit map (default 25)")
        parser.add_argument("--measures", type=int, default=3, help="measures per objective (default 3)")
        parser.add_argument("--periods", type=int, default=24, help="monthly actuals per measure (default 24)")
        parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
        parser.add_argument("--prefix", default="GEN", help="code of the top unit and prefix of the others")
        parser.add_argument("--end", default="2026-09-30", help="the last period, YYYY-MM-DD (default 2026-09-30)")
        parser.add_argument("--dry-run", action="store_true", help="generate, print the counts, roll everything back")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            end = dt.date.fromisoformat(options["end"])
        except ValueError:
            raise CommandError(f"--end {options['end']!r} is not a date in the form YYYY-MM-DD.") from None
        kwargs = {k: options[k] for k in ("units", "objectives", "measures", "periods", "seed", "prefix")}
        try:
            with transaction.atomic():
                result = generate_enterprise(**kwargs, end=end)
                if options["dry_run"]:
                    raise _DryRun
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        except _DryRun:
            self.stdout.write(self.style.WARNING("Dry run: nothing was written. It would have created:"))
        self.stdout.write(
            f"{result.units} units (top: {result.root_code}), {result.objectives} objectives, "
            f"{result.links} cause-effect links, {result.alignments} alignments, {result.measures} measures, "
            f"{result.actuals} actuals, {result.initiatives} initiatives in {result.seconds:.1f} s."
        )
