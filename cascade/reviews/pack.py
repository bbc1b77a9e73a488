"""The briefing pack (issue 7): a PDF the facilitator prints before the review.

Pages, in order: a cover (unit, title, date, period, facilitator, attendees, the time split and its warnings);
the strategy map coloured as of the period (the renderer's SVG, on a landscape page); the agenda with timeboxes
and each item's status and strategic questions; one page per initiative item with its impact view and a status
table (schedule, cost, milestones); measure tables for the red and amber objectives; the open action items.

HTML from ``templates/reviews/pack.html`` printed by WeasyPrint; Graphviz output is embedded as SVG data URIs,
so the map stays vector on paper. ``progress(done, total, label)`` is called after every step.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string

from cascade.loader import load_snapshot
from cascade.models import ReviewMeeting
from cascade.render.api import render_impact, render_map
from cascade.render.runner import RenderError
from cascade.reviews import services
from cascade.reviews.questions import HEALTH_WORDS, STATUS_WORDS, fmt_date, fmt_money, fmt_number
from cascade.rollup import compute_scores
from scorecard.models import Initiative

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Pack:
    pdf: bytes
    pages: int
    filename: str


def _svg_uri(data: bytes) -> str:
    # SVG rather than PNG: measured on the benchmark's pack, SVG cost less CPU in total (Graphviz's cairo PNG
    # output outweighs WeasyPrint drawing the SVG), stays sharp on paper and makes a PDF a sixth of the size.
    return "data:image/svg+xml;base64," + base64.b64encode(data).decode("ascii")


def _none(done: int, total: int, label: str) -> None:
    return None


def pack_filename(meeting: ReviewMeeting) -> str:
    code = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in meeting.unit.code)
    return f"briefing-{code}-{meeting.date.isoformat()}.pdf"


def pack_context(meeting: ReviewMeeting, progress: Progress = _none) -> dict[str, Any]:
    """Everything the template shows, as plain values (numbers already formatted)."""
    items = list(meeting.items.select_related("objective", "measure", "initiative").order_by("order", "id"))
    initiative_items = [i for i in items if i.initiative_id]
    total = 5 + len(initiative_items)  # the last step, writing the PDF, is ticked by build_pack
    step = 0

    def tick(label: str) -> None:
        nonlocal step
        step += 1
        progress(step, total, label)

    as_of = meeting.as_of
    snapshot = load_snapshot(None, as_of=as_of, notes=False)
    scores = compute_scores(snapshot, as_of)
    unit = meeting.unit
    tick("data loaded and scored")

    map_svg, map_error = None, ""
    try:
        map_svg = _svg_uri(render_map(unit, as_of=as_of, fmt="svg").data)
    except RenderError as exc:
        map_error = str(exc)
    tick("strategy map drawn")

    # The agenda with clock offsets from the start of the meeting.
    agenda_rows = []
    start = 0
    for item in items:
        agenda_rows.append({
            "item": item, "start": f"{start // 60}:{start % 60:02d}",
            "end": f"{(start + item.minutes) // 60}:{(start + item.minutes) % 60:02d}",
            "kind": item.get_kind_display(), "status_questions": item.question_list("status"),
            "strategic_questions": item.question_list("strategic"),
        })
        start += item.minutes
    split = services.meeting_split(meeting, items)

    initiative_pages = []
    objects = {i.pk: i for i in Initiative.objects.filter(pk__in=[i.initiative_id for i in initiative_items])}
    for item in initiative_items:
        ini = snapshot.initiatives.get(item.initiative_id)
        health = scores.initiatives.get(item.initiative_id)
        impact_svg, impact_error = None, ""
        try:
            impact_svg = _svg_uri(render_impact(objects[item.initiative_id], as_of=as_of, fmt="svg").data)
        except RenderError as exc:
            impact_error = str(exc)
        rows: list[tuple[str, str]] = []
        milestones = []
        if ini is not None and health is not None:
            rows = [
                ("Owner", ini.owner or "none"),
                ("Dates", f"{ini.start or '?'} to {ini.end or '?'}"),
                ("Health", HEALTH_WORDS[health.health]),
                ("Complete", f"{health.percent_complete:.0f}%"),
                ("Expected by " + fmt_date(as_of), "n/a" if health.expected_percent is None
                 else f"{health.expected_percent:.0f}%"),
                ("Schedule index", "n/a" if health.schedule_index is None else f"{health.schedule_index:.2f}"),
                ("Budget", fmt_money(ini.budget)),
                ("Spent", f"{fmt_money(ini.spent)} ({ini.spent / ini.budget * 100:.0f}% of budget)"
                 if ini.budget else fmt_money(ini.spent)),
                ("Earned value", fmt_money(health.earned_value)),
                ("Cost index", "n/a" if health.cost_index is None else f"{health.cost_index:.2f}"),
            ]
            overdue = {(m.name, m.due) for m in health.overdue_milestones}
            for m in ini.milestones:
                state = "done " + m.done.isoformat() if m.done and m.done <= as_of else (
                    "OVERDUE" if (m.name, m.due) in overdue else "open")
                milestones.append({"name": m.name, "due": m.due.isoformat(), "state": state})
        pairs = [rows[i:i + 2] for i in range(0, len(rows), 2)]  # two facts a row: the page keeps room for the view
        initiative_pages.append({
            "item": item, "impact_svg": impact_svg, "impact_error": impact_error, "rows": pairs,
            "milestones": milestones, "status_note": ini.status_note if ini else "",
            "status_questions": item.question_list("status"),
            "strategic_questions": item.question_list("strategic"),
        })
        tick(f"impact view of {item.title}")

    # Measure tables for the unit's red and amber objectives.
    smap = snapshot.map_of_unit(unit.pk)
    objective_tables = []
    if smap is not None:
        persp = {p.id: p for p in snapshot.perspectives.values()}
        objectives = sorted(
            (o for o in snapshot.objectives.values() if o.map_id == smap.id
             and scores.objective(o.id).status in ("red", "amber")),
            key=lambda o: (0 if scores.objective(o.id).status == "red" else 1,
                           persp[o.perspective_id].position if o.perspective_id in persp else 0, o.code))
        for obj in objectives:
            node = scores.objective(obj.id)
            measures = []
            for m in sorted((m for m in snapshot.measures.values() if m.objective_id == obj.id), key=lambda m: m.code):
                ms = scores.measures.get(m.id)
                measures.append({
                    "code": m.code, "name": m.name,
                    "actual": fmt_number(ms.actual, m.units) if ms and ms.actual is not None else "no data",
                    "period": ms.period.isoformat() if ms and ms.period else "",
                    "target": fmt_number(m.target, m.units) if m.target is not None else "TBD",
                    "red_flag": fmt_number(ms.red_flag, m.units) if ms and ms.red_flag is not None else "",
                    "status": ms.status if ms else "none",
                    "status_word": STATUS_WORDS[ms.status if ms else "none"],
                    "score": f"{ms.score:.1f}" if ms and ms.score is not None else "",
                    "trend": (ms.trend or "") if ms else "", "stale": bool(ms and ms.stale), "owner": m.owner,
                })
            supporters = [
                {"label": f"{snapshot.units[snapshot.objectives[a.objective_id].unit_id].code} "
                          f"{snapshot.objectives[a.objective_id].code} {snapshot.objectives[a.objective_id].name}",
                 "status": scores.objective(a.objective_id).status,
                 "status_word": STATUS_WORDS[scores.objective(a.objective_id).status]}
                for a in snapshot.alignments if a.supports_id == obj.id and a.objective_id in snapshot.objectives
            ]
            objective_tables.append({
                "supporters": sorted(supporters, key=lambda r: r["label"]),
                "code": obj.code, "name": obj.name, "status": node.status, "status_word": STATUS_WORDS[node.status],
                "score": f"{node.score:.1f}" if node.score is not None else "", "measures": measures,
                "perspective": persp[obj.perspective_id].name if obj.perspective_id in persp else "",
            })
    tick("measure tables")

    glance = _at_a_glance(snapshot, scores, unit.pk)
    earlier = services.open_actions(unit, before=meeting.date, exclude_meeting_id=meeting.pk)
    own = list(meeting.actions.filter(done__isnull=True).select_related("owner", "meeting"))
    actions = []
    for a in [*earlier, *own]:
        late = (meeting.date - a.due).days if a.due else 0
        actions.append({"description": a.description, "owner": a.owner.get_username() if a.owner else "",
                        "due": a.due.isoformat() if a.due else "", "from": a.meeting.date.isoformat(),
                        "overdue": late > 0 and a.meeting_id != meeting.pk, "late_days": late})
    tick("open actions")

    return {
        "meeting": meeting, "unit": unit, "attendees": [u.get_full_name() or u.get_username()
                                                        for u in meeting.attendees.order_by("username")],
        "facilitator": (meeting.facilitator.get_full_name() or meeting.facilitator.get_username())
        if meeting.facilitator else "",
        "map_svg": map_svg, "map_error": map_error, "agenda": agenda_rows, "split": split,
        "status_share": f"{split.status_share:.0%}", "strategic_share": f"{split.strategic_share:.0%}",
        "initiative_pages": initiative_pages, "objective_tables": objective_tables, "actions": actions,
        "glance": glance, "overdue_actions": sum(1 for a in actions if a["overdue"]),
        "generated": dt.date.today().isoformat(), "unit_status": scores.units.get(unit.pk), "steps": total,
    }


def _at_a_glance(snapshot: Any, scores: Any, unit_id: int) -> dict[str, int]:
    """Counts for the cover: the unit's objectives by status, its initiatives in trouble, its stale measures."""
    smap = snapshot.map_of_unit(unit_id)
    own = [o.id for o in snapshot.objectives.values() if smap is not None and o.map_id == smap.id]
    counts = {"objectives": len(own), "red": 0, "amber": 0, "green": 0, "none": 0}
    for oid in own:
        counts[scores.objective(oid).status] += 1
    health = [scores.initiatives[i.id] for i in snapshot.initiatives.values()
              if i.unit_id == unit_id and i.id in scores.initiatives]
    counts["initiatives"] = len(health)
    counts["troubled"] = sum(1 for h in health if h.health in ("at_risk", "behind"))
    counts["over_budget"] = sum(1 for h in health if h.over_budget)
    counts["stale"] = sum(1 for m in snapshot.measures.values() if m.objective_id in set(own)
                          and scores.measures.get(m.id) is not None and scores.measures[m.id].stale)
    return counts


def build_pack(meeting: ReviewMeeting, progress: Progress = _none) -> Pack:
    """The briefing pack of ``meeting`` as PDF bytes (WeasyPrint), with its page count and a file name."""
    from weasyprint import HTML  # imported here: WeasyPrint loads pango at import, only the pack needs it

    context = pack_context(meeting, progress)
    html = render_to_string("reviews/pack.html", context)
    document = HTML(string=html, base_url=None).render()
    pdf = document.write_pdf()
    progress(context["steps"], context["steps"], "PDF written")
    return Pack(pdf=pdf, pages=len(document.pages), filename=pack_filename(meeting))
