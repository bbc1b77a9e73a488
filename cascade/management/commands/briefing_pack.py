"""``manage.py briefing_pack MEETING -o pack.pdf``: print a review meeting's briefing pack to PDF (issue 7),
with a progress bar on stderr."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cascade.models import ReviewMeeting
from cascade.render.runner import RenderError
from cascade.reviews.pack import build_pack

BAR_WIDTH = 30


class Command(BaseCommand):
    help = ("Build the briefing pack of review meeting MEETING (its id, as printed by plan_review): cover, "
            "strategy map as of the period, agenda with questions and timeboxes, a page per initiative item, "
            "measure tables of red and amber objectives, open actions. Writes a PDF.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("meeting", help="id of the review meeting")
        parser.add_argument("-o", "--output", required=True, help="the PDF file to write ('-' for stdout)")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        raw = str(options["meeting"])
        if not raw.isdigit():
            raise CommandError(f"MEETING: “{raw}” is not a meeting id (a whole number, as printed by plan_review).")
        meeting = ReviewMeeting.objects.select_related("unit", "facilitator").filter(pk=int(raw)).first()
        if meeting is None:
            raise CommandError(f"MEETING: no review meeting with id {raw}.")
        output = options["output"]
        if output != "-":
            target = Path(output)
            if target.is_dir():
                raise CommandError(f"-o: {output} is a directory; name the PDF file to write.")
            if not target.parent.exists():
                raise CommandError(f"-o: the directory {target.parent} does not exist.")
        quiet = options["quiet"] or output == "-"

        def progress(done: int, total: int, label: str) -> None:
            if quiet:
                return
            filled = BAR_WIDTH * done // max(total, 1)
            self.stderr.write(f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total} {label}")

        try:
            pack = build_pack(meeting, progress)
        except RenderError as exc:
            raise CommandError(f"Graphviz: {exc}") from None
        if output == "-":
            sys.stdout.buffer.write(pack.pdf)
            return
        try:
            Path(output).write_bytes(pack.pdf)
        except OSError as exc:
            raise CommandError(f"-o: cannot write {output}: {exc.strerror}") from None
        self.stdout.write(f"Wrote {output}: {pack.pages} pages, {len(pack.pdf):,} bytes.")
