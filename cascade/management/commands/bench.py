"""Run the benchmarks (``make bench``): every module in cascade/benchmarks, or the ones named."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from django.core.management.base import BaseCommand, CommandError

import cascade.benchmarks


class Command(BaseCommand):
    help = "Run the benchmarks and print their figures (make bench)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("names", nargs="*", help="benchmark modules to run (default: all)")
        parser.add_argument("--quick", action="store_true", help="smaller data, for a smoke run")

    def handle(self, *args: Any, **options: Any) -> None:
        available = sorted(m.name for m in pkgutil.iter_modules(cascade.benchmarks.__path__))
        names = options["names"] or available
        unknown = sorted(set(names) - set(available))
        if unknown:
            raise CommandError(f"Unknown benchmark(s) {', '.join(unknown)}; available: {', '.join(available)}")
        for name in names:
            module = importlib.import_module(f"cascade.benchmarks.{name}")
            self.stdout.write(self.style.MIGRATE_HEADING(f"== {name}"))
            module.run(self.stdout.write, quick=options["quick"])
