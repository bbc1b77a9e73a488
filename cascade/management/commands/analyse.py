"""``manage.py analyse UNIT [--as-of DATE] [--json]``: alignment gaps, early warnings and leverage for a unit.

The unit's whole enterprise (its top unit's subtree) is loaded, in a fixed number of queries, because gaps
and warnings look at ancestor objectives whose status depends on every branch below them.
The JSON is ``cascade.analysis.analysis_json``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand

from cascade.analysis import analysis_json
from cascade.graph import build_graph
from cascade.loader import load_snapshot
from cascade.management.commands.scorecard import cut, number, parse_as_of, resolve_unit, score, status
from cascade.rollup import compute_scores
from scorecard.models import OrgUnit


class Command(BaseCommand):
    help = (
        "Analyse a unit's strategy as of a date: alignment gaps (ancestor objectives nothing here supports, "
        "objectives that support nothing above, objectives without measures or initiatives, initiatives that "
        "impact nothing), early warnings (objectives whose causes are red, red measures nobody works on, stale "
        "measures), the objectives with the most leverage, and any cycle in the map. --json for machines."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("unit", help="unit code, e.g. NW")
        parser.add_argument("--as-of", dest="as_of", help="date YYYY-MM-DD (default: today)")
        parser.add_argument("--json", action="store_true", help="print JSON instead of the report")
        parser.add_argument("--top", type=int, default=10, help="how many objectives to rank by leverage")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = parse_as_of(options["as_of"])
        unit = resolve_unit(options["unit"])
        # The unit's whole enterprise: the subtree of its top unit.
        top_unit = OrgUnit.objects.get(pk=int(unit.path.strip("/").split("/")[0]))
        snapshot = load_snapshot(top_unit, as_of=as_of, notes=False)
        scores = compute_scores(snapshot, as_of)
        data = analysis_json(build_graph(snapshot), scores, unit.pk, top=max(options["top"], 0))
        if options["json"]:
            self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
            return
        self.stdout.write("\n".join(render_report(data, unit.name)))


def _obj(o: dict[str, Any]) -> str:
    return f"{o['unit']} {o['code']}  {o['name']}"


def _with_status(o: dict[str, Any]) -> str:
    return f"{cut(_obj(o), 60):<60} {score(o['score']):>5}  {status(o['status'])}"


def _section(lines: list[str], title: str, rows: list[str], empty: str = "none") -> None:
    lines.append(f"  {title} ({len(rows)})" if rows else f"  {title}: {empty}")
    lines.extend(f"    {row}" for row in rows)


def render_report(data: dict[str, Any], unit_name: str) -> list[str]:
    as_of = dt.date.fromisoformat(data["as_of"])
    gaps, warnings = data["gaps"], data["warnings"]
    lines = [f"{data['unit']}  {unit_name}: strategy analysis as of {as_of:%d %B %Y}", "", "ALIGNMENT GAPS"]
    _section(lines, "Objectives above that nothing in this unit supports",
             [_with_status(o) for o in gaps["unsupported_ancestor_objectives"]])
    _section(lines, "Objectives of this unit that support nothing above",
             [_with_status(o) for o in gaps["objectives_supporting_nothing"]])
    _section(lines, "Objectives without measures", [_with_status(o) for o in gaps["objectives_without_measures"]])
    _section(lines, "Objectives without initiatives",
             [_with_status(o) for o in gaps["objectives_without_initiatives"]])
    _section(lines, "Initiatives that impact no objective (disconnected from direction)",
             [_obj(i) for i in gaps["initiatives_without_impacts"]])
    lines += ["", "EARLY WARNINGS (this unit and the units below it)"]
    _section(lines, "Objectives not yet red whose causes are red", [
        f"{_with_status(w)}\n      caused by red: "
        + "; ".join(f"{c['code']} {c['name']} ({score(c['score'])})" for c in w["red_causes"])
        for w in warnings["red_causes"]
    ])

    def measure_row(m: dict[str, Any], extra: str) -> str:
        label = cut(f"{m['unit']} {m['code']}  {m['name']}", 60)
        return f"{label:<60} {number(m['actual']):>9}  {extra}"

    _section(lines, "Red measures whose objective has no initiative", [
        measure_row(m, f"score {score(m['score'])}, objective {m['objective']}")
        for m in warnings["red_without_initiative"]
    ])
    _section(lines, "Stale measures (no value for more than two periods)", [
        measure_row(m, f"last value {m['period']}") for m in warnings["stale"]
    ])
    lines += ["", "LEVERAGE (objectives with the most of the map downstream of them)"]
    if data["leverage"]:
        lines.append(f"    {'':<60} {'Downstream':>10} {'Share':>6} {'Betweenness':>12}  Status")
        for r in data["leverage"]:
            lines.append(f"    {cut(_obj(r), 60):<60} {r['downstream']:>10} {r['share'] * 100:>5.0f}% "
                         f"{r['betweenness']:>12.3f}  {status(r['status'])}")
    else:
        lines.append("  none: this unit has no objectives")
    lines += ["", "CYCLES"]
    if data["cycles"]:
        for c in data["cycles"]:
            lines.append("  " + " -> ".join(f"{n['unit']}:{n['code']}" if n["kind"] != "unit" else n["code"]
                                            for n in c))
    else:
        lines.append("  none found: the map and the unit tree are free of loops")
    return lines
