"""What the three render commands share: options, argument parsing and writing the bytes (binary safe)."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cascade.render.api import DEFAULT_DPI, Rendered
from cascade.render.dot import PAPERS
from cascade.render.runner import FORMATS, RenderError
from scorecard.models import OrgUnit


def add_common_arguments(parser: Any) -> None:
    parser.add_argument("--as-of", dest="as_of", help="status as of this date, YYYY-MM-DD (default: today)")
    parser.add_argument("--no-status", dest="status", action="store_false",
                        help="leave statuses out (the clean drafting view)")
    parser.add_argument("--format", dest="fmt", default="svg",
                        help=f"output format: {' | '.join(FORMATS)} (default: svg)")
    parser.add_argument("--paper", default="a4",
                        help=f"paper for pdf and png, landscape, one page: {' | '.join(PAPERS)} (default: a4)")
    parser.add_argument("--dpi", type=int, default=None, help=f"resolution of png output (default: {DEFAULT_DPI})")
    parser.add_argument("-o", "--output", help="write to this file (default: standard output)")


def parse_date(text: str | None, option: str = "--as-of") -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{option} {text!r} is not a date: write it as YYYY-MM-DD.") from None


def find_unit(code: str) -> OrgUnit:
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        raise CommandError(f"Unknown unit {code!r}: give the code of an org unit (e.g. NW).")
    return unit


def check_choices(options: dict[str, Any]) -> None:
    fmt, paper = options["fmt"], options["paper"]
    if fmt not in FORMATS:
        raise CommandError(f"Unknown --format {fmt!r}: choose one of {', '.join(FORMATS)}.")
    if paper not in PAPERS:
        raise CommandError(f"Unknown --paper {paper!r}: choose one of {', '.join(PAPERS)}.")


def write_file(command: BaseCommand, output: str | Path, rendered: Rendered) -> None:
    """Write the rendered bytes to ``output`` and say so on stderr (stdout stays for the command's own text)."""
    try:
        Path(output).write_bytes(rendered.data)
    except OSError as exc:
        raise CommandError(f"Cannot write {output}: {exc.strerror}") from None
    command.stderr.write(f"Wrote {output} ({len(rendered.data)} bytes, {rendered.content_type})")


def run(command: BaseCommand, options: dict[str, Any], render: Callable[..., Rendered]) -> None:
    """Call ``render`` with the common options, turn RenderError into CommandError, write the bytes."""
    check_choices(options)
    try:
        result = render(as_of=parse_date(options["as_of"]), status=options["status"], fmt=options["fmt"],
                        paper=options["paper"], dpi=options["dpi"])
    except RenderError as exc:
        raise CommandError(str(exc)) from None
    output = options.get("output")
    if output:
        write_file(command, output, result)
        return
    # Standard output, binary safe: PDF and PNG bytes must not pass through a text encoder.
    stream = getattr(command.stdout, "_out", sys.stdout)
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        stream.flush()
        buffer.write(result.data)
        buffer.flush()
    else:  # an in-memory text stream (call_command in tests): text formats only make sense there
        stream.write(result.data.decode("utf-8", "surrogateescape"))
