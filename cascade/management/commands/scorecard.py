"""``manage.py scorecard UNIT [--as-of DATE] [--json]``: a unit's scorecard, as a table or as JSON.

The table is for people: aligned columns, status words, numbers rounded for display. The JSON is issue 3 §5
exactly (``cascade.rollup.scorecard_json``: unrounded, ISO dates, null for none), the same as the REST API's.
Only the unit's subtree is loaded: a unit's scores depend on nothing above it.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cascade.loader import UnknownUnit, load_snapshot, unit_by_code
from cascade.rollup import compute_scores, scorecard_json
from scorecard.models import OrgUnit

STATUS_WORDS = {"green": "GREEN", "amber": "AMBER", "red": "RED", "none": "no data"}
HEALTH_WORDS = {"not_started": "not started", "complete": "complete", "on_track": "on track",
                "behind": "behind", "at_risk": "AT RISK"}


# ------------------------------------------------------------------------------- shared by the commands
def parse_as_of(value: str | None) -> dt.date:
    """--as-of: an ISO date (YYYY-MM-DD); today when not given. A bad date is a CommandError naming it."""
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--as-of {value!r} is not a date in the form YYYY-MM-DD (e.g. 2026-09-30).") from None


def resolve_unit(code: str) -> OrgUnit:
    try:
        return unit_by_code(code)
    except UnknownUnit as exc:
        raise CommandError(str(exc)) from None


def number(value: float | None) -> str:
    """A value rounded for reading: thousands separated, at most two decimals, no trailing zeros."""
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def score(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def status(value: str) -> str:
    return STATUS_WORDS.get(value, value)


def cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} %"


# -------------------------------------------------------------------------------------------- command
class Command(BaseCommand):
    help = (
        "Print a unit's scorecard as of a date: overall score, perspectives, objectives with their measures "
        "(actual, target, red flag, score, status, trend, staleness) and the objectives aligned to them from "
        "below, then the unit's initiatives (progress, schedule and cost indices, health). --json prints the "
        "machine-readable form (unrounded numbers)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("unit", help="unit code, e.g. NW")
        parser.add_argument("--as-of", dest="as_of", help="date YYYY-MM-DD (default: today)")
        parser.add_argument("--json", action="store_true", help="print JSON instead of the table")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = parse_as_of(options["as_of"])
        unit = resolve_unit(options["unit"])
        snapshot = load_snapshot(unit, as_of=as_of, notes=False)
        data = scorecard_json(snapshot, compute_scores(snapshot, as_of), unit.pk)
        if options["json"]:
            self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
            return
        self.stdout.write("\n".join(render_table(data, unit.name)))


NAME_W = 40
COLUMNS = (f"{'':<{NAME_W + 8}} {'Actual':>9} {'Target':>9} {'Red flag':>9} {'Score':>6}  {'Status':<8} "
           f"{'Trend':<7} Period")


def render_table(data: dict[str, Any], unit_name: str) -> list[str]:
    as_of = dt.date.fromisoformat(data["as_of"])
    lines = [
        f"{data['unit']}  {unit_name}: scorecard as of {as_of:%d %B %Y}",
        f"Overall score {score(data['score'])} of 10, {status(data['status'])}",
        "",
    ]
    if not data["perspectives"]:
        lines.append("This unit has no strategy map yet.")
    else:
        lines.append(COLUMNS)
    for p in data["perspectives"]:
        lines.append(f"{cut(p['name'].upper(), NAME_W + 8):<{NAME_W + 8}} {'':>9} {'':>9} {'':>9} "
                     f"{score(p['score']):>6}  {status(p['status'])}")
        if not p["objectives"]:
            lines.append("  (no objectives)")
        for o in p["objectives"]:
            label = cut(f"{o['code']}  {o['name']}", NAME_W + 6)
            lines.append(f"  {label:<{NAME_W + 6}} {'':>9} {'':>9} {'':>9} {score(o['score']):>6}  "
                         f"{status(o['status'])}")
            for m in o["measures"]:
                label = cut(f"{m['code']}  {m['name']}", NAME_W + 2)
                notes = "  STALE" if m["stale"] else ""
                lines.append(
                    f"      {label:<{NAME_W + 2}} {number(m['actual']):>9} {number(m['target']):>9} "
                    f"{number(m['red_flag']):>9} {score(m['score']):>6}  {status(m['status']):<8} "
                    f"{m['trend'] or '-':<7} {m['period'] or 'no value yet'}{notes}"
                )
            if o["supported_by"]:
                parts = [f"{s['unit']} {s['objective']} ({score(s['score'])} {status(s['status'])})"
                         for s in o["supported_by"]]
                lines.append(f"      supported by: {', '.join(parts)}")
        lines.append("")
    lines.append("Initiatives")
    if not data["initiatives"]:
        lines.append("  none")
        return lines
    lines.append(f"  {'':<{NAME_W}} {'Done':>6} {'Planned':>8} {'Schedule':>9} {'Cost':>6}  {'Health':<12} "
                 "Overdue milestones")
    for i in data["initiatives"]:
        overdue = ", ".join(f"{m['name']} (due {m['due']})" for m in i["overdue_milestones"]) or "-"
        lines.append(
            f"  {cut(i['code'] + '  ' + i['name'], NAME_W):<{NAME_W}} {percent(i['percent_complete']):>6} "
            f"{percent(i['expected_percent']):>8} {ratio(i['schedule_index']):>9} {ratio(i['cost_index']):>6}  "
            f"{HEALTH_WORDS.get(i['health'], i['health']):<12} {overdue}"
        )
    lines.append("")
    lines.append("Scores run from 0 to 10: GREEN from 6.67, AMBER from 3.33, RED below. Schedule and cost indices: "
                 "1.00 is on plan.")
    return lines
