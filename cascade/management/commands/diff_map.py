"""``manage.py diff_map UNIT --from DATE|FILE [--to DATE|FILE] [-o FILE [--format svg|pdf|png|dot] [--paper P]
[--dpi N]]``: what changed in a unit's map, as a list and, with -o, drawn on the map."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cascade.diff import DiffSourceError, count_line, diff_structures, empty_structure, structure_from_yaml
from cascade.render.api import render_diff
from cascade.render.cli import check_choices, write_file
from cascade.render.runner import FORMATS, RenderError
from scorecard.history import MapStructure, end_of_day, structure_as_of
from scorecard.models import OrgUnit


class Command(BaseCommand):
    help = (
        "List the objectives, cause-effect links, measures and targets added (+), removed (-) and changed (~) in "
        "UNIT's map between two versions. A version is a date (YYYY-MM-DD: the map at the end of that day, from "
        "the change history) or a scorecard/v1 YAML file (as written by export_map). --to defaults to now. "
        "With -o FILE the difference is also drawn on the map: added objectives and links outlined green, removed "
        "ones dashed red, changed ones amber (format from --format or the file's extension)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("unit", help="unit code")
        parser.add_argument("--from", dest="old", required=True, metavar="DATE|FILE", help="the earlier version")
        parser.add_argument("--to", dest="new", metavar="DATE|FILE", help="the later version (default: now)")
        parser.add_argument("-o", "--output", metavar="FILE", help="also draw the difference on the map into FILE")
        parser.add_argument("--format", dest="fmt", help=f"drawing format: {' | '.join(FORMATS)} "
                                                         "(default: from the extension of -o, else svg)")
        parser.add_argument("--paper", default="a4", help="paper for pdf and png: a4 | a3 | letter (default: a4)")
        parser.add_argument("--dpi", type=int, default=None, help="resolution of png output")

    def handle(self, *args: Any, **options: Any) -> None:
        code = options["unit"]
        self.unit = OrgUnit.objects.filter(code=code).first()  # None is fine while both versions are files
        self.missing: list[str] = []  # versions without a map, e.g. "on 2025-01-01 (--from)"
        old = self.version(code, options["old"], "--from")
        new = self.version(code, options["new"], "--to")
        if len(self.missing) == 2:
            raise CommandError(f"Unit {code} had no strategy map {self.missing[0]}, nor {self.missing[1]}: "
                               "nothing to compare.")
        for when in self.missing:
            self.stdout.write(f"Unit {code} had no strategy map {when}: compared with an empty map.")
        lines = diff_structures(old, new)
        label_old, label_new = options["old"], options["new"] or "now"
        if not lines:
            self.stdout.write(f"No change in the map of {code} from {label_old} to {label_new}.")
        else:
            self.stdout.write(f"Map of {code}: {label_old} -> {label_new}")
            for line in lines:
                self.stdout.write(str(line))
            self.stdout.write(count_line(lines))
        if options["output"]:
            self.stdout.flush()
            self.draw(code, old, new, label_old, label_new, options)

    def version(self, code: str, spec: str | None, option: str) -> MapStructure:
        if spec is not None and not spec.endswith((".yaml", ".yml")):
            try:
                day = dt.date.fromisoformat(spec)
            except ValueError:
                raise CommandError(f"{option} {spec!r} is neither a date (YYYY-MM-DD) nor a .yaml file") from None
            return self.from_database(code, day, option)
        if spec is None:
            return self.from_database(code, None, option)
        path = Path(spec)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"{spec}: cannot read ({exc.strerror})") from None
        try:
            return structure_from_yaml(text, code, name=spec)
        except DiffSourceError as exc:
            raise CommandError(str(exc)) from None

    def from_database(self, code: str, day: dt.date | None, option: str) -> MapStructure:
        if self.unit is None:
            raise CommandError(f"No unit with the code {code!r}.")
        structure = structure_as_of(self.unit, end_of_day(day) if day else None)
        if structure is None:
            # Compared with a version that has a map, no map at all is an empty one: everything is added (or
            # removed). ``handle`` refuses a comparison of two versions that both lack one.
            self.missing.append(f"{f'on {day}' if day else 'now'} ({option})")
            return empty_structure(code)
        return structure

    def draw(self, code: str, old: MapStructure, new: MapStructure, label_old: str, label_new: str,
             options: dict[str, Any]) -> None:
        output = Path(options["output"])
        suffix = output.suffix.lstrip(".").lower()
        fmt = options["fmt"] or (suffix if suffix in FORMATS else "svg")
        check_choices({"fmt": fmt, "paper": options["paper"]})
        try:
            rendered = render_diff(old, new, old_label=_label(label_old), new_label=_label(label_new),
                                   unit_name=self.unit.name if self.unit else "", fmt=fmt, paper=options["paper"],
                                   dpi=options["dpi"])
        except RenderError as exc:
            raise CommandError(str(exc)) from None
        write_file(self, output, rendered)


def _label(spec: str) -> str:
    """A version as the drawing names it: a date as given, a file by its name without the folders."""
    return Path(spec).name if spec.endswith((".yaml", ".yml")) else spec
