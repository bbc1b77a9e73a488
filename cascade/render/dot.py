"""DOT builders: a Snapshot plus statuses in, DOT text out. Pure Python, no Django, no Graphviz process.

Three views share one node style:
- ``map_dot``: the strategy map of one unit, one band per perspective (laid out without clusters, see the
  rendering guide; the runner draws the band backgrounds in a second pass from ``GraphJob.bands``);
- ``cascade_dot``: a unit and its descendants, one cluster per unit, left to right, with alignment edges;
- ``paths_dot``: an initiative's impact paths or an objective's drivers, from the analyses.

User text only enters through ``cascade.render.escape``; node ids are ``o<pk>``, ``h<pk>``, ``i<pk>``, ``u<pk>``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from cascade.render.escape import css_token, dot_id, html_text, object_url, tooltip
from cascade.snapshot import DiffMark, ObjectiveData, Snapshot

FONT = "Arial"  # rendered with Liberation Sans, whose metrics match Arial in browsers


@dataclass(frozen=True)
class StatusStyle:
    word: str
    glyph: str
    fill: str
    border: str
    style: str  # border style: a greyscale print still tells the statuses apart
    penwidth: float
    border_word: str


# Colour, a glyph AND a word, and a distinct border per status; fills also differ in lightness.
STATUS_STYLES: dict[str, StatusStyle] = {
    "green": StatusStyle("ON TARGET", "●", "#c8e6c0", "#2e7d32", "solid", 1.4, "thin solid border"),
    "amber": StatusStyle("CAUTION", "▲", "#ffe08a", "#a86400", "dashed", 2.2, "dashed border"),
    "red": StatusStyle("BELOW PLAN", "■", "#f2a7a1", "#b71c1c", "solid", 3.4, "heavy border"),
    "none": StatusStyle("NO DATA", "○", "#eeeeee", "#6e6e6e", "dotted", 1.6, "dotted border"),
}
STATUS_ORDER = ("green", "amber", "red", "none")

# The difference between two versions of a map: added outlined green, removed dashed red, changed amber. Each
# also has its own sign, word and border (a greyscale print still tells them apart).
CHANGE_STYLES: dict[str, StatusStyle] = {
    "added": StatusStyle("ADDED", "+", "#ffffff", "#2e7d32", "solid", 3.4, "thick green outline"),
    "removed": StatusStyle("REMOVED", "−", "#f4f4f4", "#b71c1c", "dashed", 2.4, "dashed red outline"),
    "changed": StatusStyle("CHANGED", "~", "#ffe08a", "#a86400", "solid", 2.2, "amber"),
    "same": StatusStyle("UNCHANGED", "", "#ffffff", "#90a4ae", "solid", 1.0, "grey outline"),
}
CHANGE_ORDER = ("added", "removed", "changed", "same")
LINK_CHANGE_STYLES = {
    "added": {"color": "#2e7d32", "penwidth": "2.6", "style": "solid"},
    "removed": {"color": "#b71c1c", "penwidth": "2", "style": "dashed"},
    "changed": {"color": "#a86400", "penwidth": "2.2", "style": "solid"},
}
DRAFT_FILL, DRAFT_BORDER = "#ffffff", "#37474f"

# Theme tags: hues that do not compete with the status colours (no red, green or amber).
THEME_COLOURS = ("#1f5fa8", "#6a3d9a", "#00838f", "#8d5524", "#ad1457", "#37474f", "#5c6bc0", "#00695c")
BAND_FILLS = ("#f3f5f8", "#e7ebf0")

# Paper sizes in inches, landscape.
PAPERS: dict[str, tuple[float, float]] = {"a4": (11.69, 8.27), "a3": (16.54, 11.69), "letter": (11.0, 8.5)}
PAPER_MARGIN = 0.4

NAME_WIDTH = 24  # characters per line in an objective box
SPRAWL_LIMIT = 30  # objectives on one map beyond which the header warns


@dataclass(frozen=True)
class NodeFacts:
    """What a status view shows about one objective (or unit): filled from the roll-up."""

    status: str = "none"  # green | amber | red | none
    score: float | None = None
    latest: str = ""  # e.g. "F1.1 Revenue growth: 7 % YoY (2026-09-30)", for the tooltip


def facts_from_statuses(statuses: Mapping[int, str]) -> dict[int, NodeFacts]:
    """Facts from a plain mapping objective id -> status (scores unknown)."""
    return {pk: NodeFacts(status=status) for pk, status in statuses.items()}


@dataclass(frozen=True)
class Band:
    header: str  # the header node id of the band; bands listed top first
    fill: str
    perspective_id: int


@dataclass(frozen=True)
class GraphJob:
    """DOT text ready for Graphviz, with what the runner needs to lay it out."""

    dot: str
    nodes: int
    name: str  # a file name stem, ASCII, no user text
    paper: str | None = None
    bands: tuple[Band, ...] = ()  # non-empty: two passes (dot, then neato -n2 with band backgrounds)
    node_ids: tuple[str, ...] = field(default=(), compare=False)


# ------------------------------------------------------------------------------------------------ helpers
def _attrs(**attrs: object) -> str:
    """DOT attributes from trusted values only (numbers, our own constants, already-escaped strings).

    Values starting with "<" are HTML-like labels built by ``html_text``; values in a ``"..."`` pair were made
    by ``escape.tooltip``; anything else is quoted here and must not contain quotes or backslashes.
    """
    parts = []
    for key, value in attrs.items():
        if value is None:
            continue
        key = key.rstrip("_")
        text = str(value)
        if isinstance(value, str) and (text.startswith("<") or (text.startswith('"') and text.endswith('"'))):
            parts.append(f"{key}={text}")
        else:
            if '"' in text or "\\" in text:
                raise ValueError(f"untrusted value for {key}: {text!r}")
            parts.append(f'{key}="{text}"')
    return "[" + ", ".join(parts) + "]"


def _paper_graph_attrs(paper: str | None) -> dict[str, object]:
    if not paper:
        return {}
    width, height = PAPERS[paper]
    m2 = 2 * PAPER_MARGIN
    # The one-page recipe: fill the printable area in the layout pass; the runner drops ``ratio`` later.
    return {"size": f"{width - m2:.2f},{height - m2:.2f}!", "ratio": "fill", "margin": f"{PAPER_MARGIN}"}


def _fmt_score(score: float | None) -> str:
    return "" if score is None else f"{score:.1f}"


def theme_colours(snapshot: Snapshot, map_ids: Iterable[int]) -> dict[int, str]:
    """A colour per theme, stable: by map then theme code."""
    colours: dict[int, str] = {}
    wanted = set(map_ids)
    for map_id in sorted(wanted):
        themes = sorted((t for t in snapshot.themes.values() if t.map_id == map_id), key=lambda t: (t.code, t.id))
        for index, theme in enumerate(themes):
            colours[theme.id] = THEME_COLOURS[index % len(THEME_COLOURS)]
    return colours


def _objective_node(
    snapshot: Snapshot,
    obj: ObjectiveData,
    *,
    facts: Mapping[int, NodeFacts] | None,
    theme_colour: Mapping[int, str],
    show_unit: bool = False,
    extra_class: str = "",
    width: int = NAME_WIDTH,
    scale: float = 1.0,
    compact: bool = False,
    mark: DiffMark | None = None,
) -> str:
    """One objective: rounded box with code, theme tag, wrapped name and (with status) glyph + word + score.

    ``compact`` (the cascade, where dozens of boxes stack in a column) puts glyph and score on the code line and
    leaves the word to the legend: a box of two lines instead of three or four.
    """
    theme = snapshot.themes.get(obj.theme_id) if obj.theme_id is not None else None
    classes = ["objective"]
    code_text = obj.code
    if show_unit and obj.unit_id in snapshot.units:
        code_text = f"{snapshot.units[obj.unit_id].code}: {obj.code}"
    head = f'<TD ALIGN="LEFT" BALIGN="LEFT"><B>{html_text(code_text, width=width)}</B></TD>'
    if theme is not None:
        colour = theme_colour.get(theme.id, THEME_COLOURS[0])
        head += (f'<TD ALIGN="RIGHT" BGCOLOR="{colour}"><FONT POINT-SIZE="{8 * scale:.1f}" COLOR="#ffffff">'
                 f"<B>{html_text(theme.code)}</B></FONT></TD>")
    else:
        head += "<TD></TD>"
    span = 3 if compact else 2
    name_row = f'<TR><TD COLSPAN="{span}" BALIGN="CENTER">{html_text(obj.name, width=width)}</TD></TR>'
    tip = [f"{code_text} {obj.name}"]
    rows: list[str] = []
    if mark is not None:
        # A diff view: the change replaces the status, and the boxes are not links (the objects of another
        # version have no page).
        st = CHANGE_STYLES.get(mark.change, CHANGE_STYLES["same"])
        classes.append(f"change-{mark.change}")
        fill, border, penwidth = st.fill, st.border, st.penwidth
        style = f"rounded,filled,{st.style}"
        if mark.change != "same":
            line = f"{st.glyph} {st.word}" + (f": {mark.summary}" if mark.summary else "")
            rows.append(f'<TR><TD COLSPAN="2"><FONT POINT-SIZE="{9 * scale:.1f}"><B>{html_text(line, width=width + 6)}'
                        "</B></FONT></TD></TR>")
            tip.append(st.word.capitalize())
        tip.extend(mark.details)
    elif facts is None:
        fill, border, style, penwidth = DRAFT_FILL, DRAFT_BORDER, "rounded,filled", 1.2
    else:
        fact = facts.get(obj.id, NodeFacts())
        status = fact.status if fact.status in STATUS_STYLES else "none"
        st = STATUS_STYLES[status]
        classes.append(f"status-{status}")
        score = _fmt_score(fact.score)
        if compact:
            head = head.replace("</TD>", f'</TD><TD ALIGN="RIGHT"><FONT POINT-SIZE="{9 * scale:.1f}"><B>'
                                f'{html_text(f"{st.glyph} {score}".strip())}</B></FONT></TD>', 1)
        else:
            line = f"{st.glyph} {st.word}" + (f"  {score}" if score else "")
            rows.append(f'<TR><TD COLSPAN="2"><FONT POINT-SIZE="{9 * scale:.1f}"><B>{html_text(line)}</B></FONT>'
                        "</TD></TR>")
        fill, border, penwidth = st.fill, st.border, st.penwidth
        style = f"rounded,filled,{st.style}"
        tip.append(f"Score: {score or 'none'} ({st.word.lower()})")
        if fact.latest:
            tip.append(f"Latest: {fact.latest}")
    if compact and facts is None:
        head += "<TD></TD>"
    rows = [f"<TR>{head}</TR>", name_row, *rows]
    if obj.owner:
        tip.append(f"Owner: {obj.owner}")
    if theme is not None:
        tip.append(f"Theme: {theme.code} {theme.name}")
    if theme is not None:
        classes.append(f"theme-{css_token(theme.code)}")
    if extra_class:
        classes.append(extra_class)
    label = '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">' + "".join(rows) + "</TABLE>>"
    linked = mark is None
    return f"{dot_id('o', obj.id)} " + _attrs(
        id_=dot_id("o", obj.id), class_=" ".join(classes), label=label,
        URL=object_url("objectives", obj.id) if linked else None,
        tooltip=tooltip("\n".join(tip)), fillcolor=fill, color=border, style=style, penwidth=penwidth,
        target="_top" if linked else None, fontsize=f"{10 * scale:.1f}" if scale != 1.0 else None,
    )


def _legend(facts_shown: bool, themes: Sequence[tuple[str, str, str]], edge_notes: Sequence[str],
            *, changes_shown: bool = False) -> str:
    """Legend rows: statuses or changes (colour, glyph, word, border) and themes (colour tag, code, name)."""
    rows = []
    for shown, heading, styles, order in ((facts_shown, "Status", STATUS_STYLES, STATUS_ORDER),
                                          (changes_shown, "Changes", CHANGE_STYLES, CHANGE_ORDER)):
        if not shown:
            continue
        cells = [f'<TD ALIGN="LEFT"><B>{heading}</B></TD>']
        for key in order:
            st = styles[key]
            cells.append(f'<TD BGCOLOR="{st.fill}" COLOR="{st.border}" BORDER="1" ALIGN="LEFT">'
                         f'<FONT POINT-SIZE="9">{html_text(f"{st.glyph} {st.word}".strip())}'
                         f" ({html_text(st.border_word)})</FONT></TD>")
        rows.append("<TR>" + "".join(cells) + "</TR>")
    if themes:
        # Themes and arrows as runs of text in one left-aligned cell: separate cells would be stretched to the
        # width of the status row and drift apart.
        runs = "   ".join(f'<FONT COLOR="{colour}"><B>■ {html_text(code)}</B></FONT> {html_text(name, width=40)}'
                           for code, name, colour in themes)
        rows.append(f'<TR><TD ALIGN="LEFT"><B>Themes</B>   {_small(runs)}</TD></TR>')
    if edge_notes:
        runs = "   ".join(html_text(note) for note in edge_notes)
        rows.append(f'<TR><TD ALIGN="LEFT"><B>Arrows</B>   {_small(runs)}</TD></TR>')
    if not rows:
        return ""
    # One table per row: the rows do not share columns, so a long theme name does not widen a status cell.
    inner = '<TABLE ALIGN="LEFT" BORDER="0" CELLBORDER="0" CELLSPACING="3" CELLPADDING="2">'
    tables = [f'<TR><TD ALIGN="LEFT">{inner}{row}</TABLE></TD></TR>' for row in rows]
    outer = '<TABLE ALIGN="LEFT" BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">'
    return outer + "".join(tables) + "</TABLE>"


def _small(markup: str) -> str:
    return f'<FONT POINT-SIZE="9">{markup}</FONT>'


def _header(title: str, lines: Sequence[str], legend: str) -> str:
    rows = [f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="17"><B>{html_text(title, width=110)}</B></FONT></TD></TR>']
    rows += [f'<TR><TD ALIGN="LEFT" BALIGN="LEFT">{html_text(line, width=130)}</TD></TR>' for line in lines if line]
    if legend:
        rows.append(f'<TR><TD ALIGN="LEFT">{legend}</TD></TR>')
    return '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">' + "".join(rows) + "</TABLE>>"


def _as_of_line(facts: object, as_of: dt.date | None) -> str:
    if facts is None:
        return "Drafting map: no status shown"
    return f"Status as of {as_of.isoformat()}" if as_of else "Status"


def _graph_head(name: str, graph: dict[str, object]) -> list[str]:
    return [
        f"digraph {name} {{",
        "  graph " + _attrs(fontname=FONT, fontsize=11, labelloc="t", labeljust="l", bgcolor="white",
                            pad=None if "size" in graph else "0.2", **graph) + ";",
        "  node " + _attrs(fontname=FONT, fontsize=10, shape="box", style="rounded,filled",
                           margin="0.08,0.05") + ";",
        "  edge " + _attrs(color="#455a64", arrowsize="0.7", penwidth="1.2") + ";",
    ]


# ---------------------------------------------------------------------------------------------- the map
def map_dot(
    snapshot: Snapshot,
    unit_id: int,
    *,
    facts: Mapping[int, NodeFacts] | None = None,
    as_of: dt.date | None = None,
    paper: str | None = None,
    note: str = "",
    marks: Mapping[int, DiffMark] | None = None,
    link_marks: Mapping[tuple[int, int], str] | None = None,
    name: str = "",
) -> GraphJob:
    """The strategy map of ``unit_id``: bands in perspective order (position 0 on top), arrows upward.

    ``facts`` None draws the clean drafting map; otherwise each objective shows its status. ``note`` is a line of
    our own under the title (e.g. that the structure is a past one). ``marks`` (objective id -> DiffMark) and
    ``link_marks`` ((cause id, effect id) -> added | removed | changed) draw a diff of two versions instead of
    statuses (``cascade.diff.diff_view`` builds them); ``name`` overrides the file name stem.
    """
    unit = snapshot.units[unit_id]
    smap = snapshot.map_of_unit(unit_id)
    if smap is None:
        raise ValueError(f"unit {unit.code} has no strategy map")
    perspectives = sorted((p for p in snapshot.perspectives.values() if p.map_id == smap.id),
                          key=lambda p: (p.position, p.code, p.id))
    objectives = [o for o in snapshot.objectives.values() if o.map_id == smap.id]
    themes = sorted((t for t in snapshot.themes.values() if t.map_id == smap.id), key=lambda t: (t.code, t.id))
    colours = theme_colours(snapshot, [smap.id])
    by_band: dict[int, list[ObjectiveData]] = {p.id: [] for p in perspectives}
    for obj in objectives:
        by_band.setdefault(obj.perspective_id, []).append(obj)

    statement = (f"Vision: {smap.vision}" if smap.vision else f"Mission: {smap.mission}" if smap.mission else "")
    arrows = ["cause → effect (points up to the objective it drives)"]
    if marks is not None:
        arrows.append("added link green, removed link dashed red, changed note amber")
    legend = _legend(facts is not None and marks is None, [(t.code, t.name, colours[t.id]) for t in themes],
                     arrows, changes_shown=marks is not None)
    # Objective sprawl is a known failure of strategy maps: say so on the map rather than refuse to draw it.
    sprawl = (f"{len(objectives)} objectives: a readable map holds 15 to 25 (about 8 per band on A4, 13 on A3)"
              if len(objectives) > SPRAWL_LIMIT else "")
    header = _header(f"{unit.code} {unit.name} · {smap.title}",
                     [statement, note, "" if marks is not None else _as_of_line(facts, as_of), sprawl], legend)
    lines = _graph_head(f"map_u{int(unit_id)}", {
        "rankdir": "BT", "nodesep": "0.3", "ranksep": "0.55", "newrank": "true", "label": header,
        "id": f"map-u{int(unit_id)}", "class": "strategy-map", **_paper_graph_attrs(paper)})

    position = {p.id: i for i, p in enumerate(perspectives)}
    # A sparse map gets bigger boxes and type: the page is filled anyway, and print should be read from afar.
    widest = max((len(v) for v in by_band.values()), default=0)
    scale = 1.5 if widest <= 4 else 1.3 if widest <= 6 else 1.15 if widest <= 8 else 1.0
    bands = []
    node_ids: list[str] = []
    for index, persp in enumerate(perspectives):
        head = dot_id("h", persp.id)
        bands.append(Band(header=head, fill=BAND_FILLS[index % 2], perspective_id=persp.id))
        node_ids.append(head)
        lines.append(f"  subgraph band{int(persp.id)} {{")
        lines.append("    rank=same;")
        label = f'<<FONT POINT-SIZE="{13 * scale:.1f}"><B>{html_text(persp.name, width=14)}</B></FONT>>'
        lines.append(f"    {head} " + _attrs(id_=head, class_="band-header", label=label,
                                              shape="plaintext", style="solid", width="1.3",
                                              tooltip=tooltip(f"{persp.code} {persp.name}")) + ";")
        # Themes side by side within a band: objectives of a theme start as neighbours (dot may still reorder).
        members = sorted(by_band.get(persp.id, []), key=lambda o: (
            snapshot.themes[o.theme_id].code if o.theme_id in snapshot.themes else "~", o.code, o.id))
        for obj in members:
            mark = None if marks is None else marks.get(obj.id, DiffMark("same"))
            lines.append("    " + _objective_node(snapshot, obj, facts=facts, theme_colour=colours, scale=scale,
                                                    mark=mark) + ";")
            node_ids.append(dot_id("o", obj.id))
        lines.append("  }")
    # Invisible heavy chain of headers from the bottom band to the top one holds the band order;
    # light invisible edges from a header to its objectives keep the header leftmost.
    for lower, upper in zip(reversed(perspectives), list(reversed(perspectives))[1:], strict=False):
        lines.append(f"  {dot_id('h', lower.id)} -> {dot_id('h', upper.id)} [style=invis, weight=100];")
    for persp in perspectives:
        for obj in by_band.get(persp.id, []):
            lines.append(f"  {dot_id('h', persp.id)} -> {dot_id('o', obj.id)} [style=invis, weight=1];")
    in_map = {o.id: o for o in objectives}
    for link in sorted(snapshot.causes, key=lambda c: (c.cause_id, c.effect_id)):
        cause, effect = in_map.get(link.cause_id), in_map.get(link.effect_id)
        if cause is None or effect is None:
            continue
        # A link pointing down the bands must not fight the band order.
        downward = position.get(effect.perspective_id, 0) > position.get(cause.perspective_id, 0)
        change = (link_marks or {}).get((link.cause_id, link.effect_id), "")
        lines.append(f"  {dot_id('o', cause.id)} -> {dot_id('o', effect.id)} " + _attrs(
            id_=f"c{int(cause.id)}-{int(effect.id)}", class_=f"cause change-{change}" if change else "cause",
            constraint="false" if downward else None, **LINK_CHANGE_STYLES.get(change, {})))
    lines.append("}")
    return GraphJob(dot="\n".join(lines) + "\n", nodes=len(node_ids), name=name or f"map-{css_token(unit.code)}",
                    paper=paper, bands=tuple(bands), node_ids=tuple(node_ids))


# ------------------------------------------------------------------------------------------ the cascade
def descendants(snapshot: Snapshot, unit_id: int, depth: int | None) -> list[tuple[int, int]]:
    """(unit id, level) for the unit and its descendants down to ``depth`` levels (None: all), parents first."""
    children: dict[int | None, list[int]] = {}
    for unit in sorted(snapshot.units.values(), key=lambda u: (u.display_order, u.code, u.id)):
        children.setdefault(unit.parent_id, []).append(unit.id)
    result: list[tuple[int, int]] = []
    frontier = [(unit_id, 0)]
    while frontier:
        current, level = frontier.pop(0)
        result.append((current, level))
        if depth is None or level < depth:
            frontier.extend((child, level + 1) for child in children.get(current, []))
    return result


def cascade_dot(
    snapshot: Snapshot,
    unit_id: int,
    *,
    depth: int | None = 1,
    facts: Mapping[int, NodeFacts] | None = None,
    unit_facts: Mapping[int, NodeFacts] | None = None,
    aligned_only: bool = False,
    as_of: dt.date | None = None,
    paper: str | None = None,
) -> GraphJob:
    """A unit and its descendants to ``depth``: one cluster per unit, left to right, alignment edges.

    Edges are written supported -> supporting with ``dir=back`` so that the arrow points from the supporting
    objective to the one it supports while the parent unit stays on the left.
    """
    root = snapshot.units[unit_id]
    units = descendants(snapshot, unit_id, depth)
    in_view = {u for u, _ in units}
    objectives = {o.id: o for o in snapshot.objectives.values() if o.unit_id in in_view}
    edges = sorted({(a.supports_id, a.objective_id) for a in snapshot.alignments
                    if a.objective_id in objectives and a.supports_id in objectives})
    if aligned_only:
        taking_part = {x for edge in edges for x in edge}
        objectives = {k: v for k, v in objectives.items() if k in taking_part}
    map_ids = {o.map_id for o in objectives.values()}
    colours = theme_colours(snapshot, map_ids)
    persp_pos = {p.id: (p.position, p.code) for p in snapshot.perspectives.values()}

    scope = "only objectives taking part in alignment" if aligned_only else "all objectives"
    depth_text = "all levels" if depth is None else f"depth {depth}"
    legend = _legend(facts is not None, [], ["supporting objective → the objective it supports"])
    header = _header(f"Cascade of {root.code} {root.name}",
                     [f"{len(units)} units, {depth_text}, {scope}", _as_of_line(facts, as_of)], legend)
    lines = _graph_head(f"cascade_u{int(unit_id)}", {
        "rankdir": "LR", "nodesep": "0.2", "ranksep": "0.5", "compound": "true", "label": header,
        "id": f"cascade-u{int(unit_id)}", "class": "cascade", **_paper_graph_attrs(paper)})
    node_ids: list[str] = []
    anchors: dict[int, str] = {}
    for current, _level in units:
        unit = snapshot.units[current]
        members = sorted((o for o in objectives.values() if o.unit_id == current),
                         key=lambda o: (persp_pos.get(o.perspective_id, (0, "")), o.code, o.id))
        if aligned_only and not members and current != unit_id:
            continue
        title = f"{unit.code} {unit.name}"
        ufact = (unit_facts or {}).get(current)
        label = f"<B>{html_text(title, width=40)}</B>"
        fill = "#f5f7fa"
        if ufact is not None and facts is not None:
            st = STATUS_STYLES.get(ufact.status, STATUS_STYLES["none"])
            label += f'<BR/><FONT POINT-SIZE="9">{html_text(f"{st.glyph} {st.word} {_fmt_score(ufact.score)}")}</FONT>'
        lines.append(f"  subgraph cluster_u{int(current)} {{")
        lines.append("    graph " + _attrs(label=f"<{label}>", id_=f"unit-{int(current)}", class_="unit",
                                           style="rounded,filled", fillcolor=fill, color="#90a4ae",
                                           URL=object_url("units", current),
                                           tooltip=tooltip(title)) + ";")
        anchor = dot_id("u", current)
        anchors[current] = anchor
        lines.append(f"    {anchor} [style=invis, shape=point, width=0.01, label=\"\"];")
        for obj in members:
            lines.append("    " + _objective_node(snapshot, obj, facts=facts, theme_colour=colours, width=30,
                                                    compact=True) + ";")
            node_ids.append(dot_id("o", obj.id))
        lines.append("  }")
    # Invisible anchors give each unit its own columns: parent left, children right.
    for current, _level in units:
        parent = snapshot.units[current].parent_id
        if current in anchors and parent in anchors:
            lines.append(f"  {anchors[parent]} -> {anchors[current]} [style=invis, minlen=2];")
    for obj in objectives.values():
        if obj.unit_id in anchors:
            lines.append(f"  {anchors[obj.unit_id]} -> {dot_id('o', obj.id)} [style=invis];")
    for supported, supporting in edges:
        if supported in objectives and supporting in objectives:
            lines.append(f"  {dot_id('o', supported)} -> {dot_id('o', supporting)} " + _attrs(
                id_=f"a{int(supporting)}-{int(supported)}", class_="alignment", dir="back"))
    lines.append("}")
    return GraphJob(dot="\n".join(lines) + "\n", nodes=len(node_ids) + len(anchors),
                    name=f"cascade-{css_token(root.code)}", paper=paper, node_ids=tuple(node_ids))


# ---------------------------------------------------------------------------------- impact and drivers
@dataclass(frozen=True)
class PathEdge:
    """One step of an impact or driver path. Nodes are ("o", objective id) or ("i", initiative id)."""

    source: tuple[str, int]
    target: tuple[str, int]
    kind: str  # impacts | causes | supports


EDGE_STYLES = {
    "impacts": {"color": "#1f5fa8", "penwidth": "2", "style": "solid"},
    "causes": {"color": "#455a64", "penwidth": "1.2", "style": "solid"},
    "supports": {"color": "#6a3d9a", "penwidth": "1.4", "style": "dashed"},
}
EDGE_WORDS = {
    "impacts": "initiative → objective it moves (blue)",
    "causes": "cause → effect (solid)",
    "supports": "supporting → supported objective in an ancestor unit (dashed)",
}


def paths_dot(
    snapshot: Snapshot,
    *,
    title: str,
    focus: tuple[str, int],
    edges: Iterable[PathEdge],
    facts: Mapping[int, NodeFacts] | None = None,
    initiative_lines: Mapping[int, str] | None = None,
    as_of: dt.date | None = None,
    paper: str | None = None,
    name: str = "paths",
) -> GraphJob:
    """The nodes and edges of impact or driver paths, left to right, objectives grouped by unit.

    ``focus`` (the initiative of an impact view or the objective of a drivers view) is drawn with a thick
    outline and the class ``focus``; ``title`` is our own text (codes are escaped like everything else).
    """
    edge_list = sorted(set(edges), key=lambda e: (e.source, e.target, e.kind))
    nodes = {focus} | {e.source for e in edge_list} | {e.target for e in edge_list}
    objective_ids = sorted(pk for kind, pk in nodes if kind == "o" and pk in snapshot.objectives)
    initiative_ids = sorted(pk for kind, pk in nodes if kind == "i" and pk in snapshot.initiatives)
    map_ids = {snapshot.objectives[pk].map_id for pk in objective_ids}
    colours = theme_colours(snapshot, map_ids)
    kinds = sorted({e.kind for e in edge_list})
    legend = _legend(facts is not None, [], [EDGE_WORDS[k] for k in kinds if k in EDGE_WORDS])
    header = _header(title, [_as_of_line(facts, as_of)], legend)
    lines = _graph_head(name.replace("-", "_"), {
        "rankdir": "LR", "nodesep": "0.25", "ranksep": "0.7", "label": header, "id": name, "class": "paths",
        **_paper_graph_attrs(paper)})
    node_ids: list[str] = []
    by_unit: dict[int, list[int]] = {}
    for pk in objective_ids:
        by_unit.setdefault(snapshot.objectives[pk].unit_id, []).append(pk)
    for unit_pk in sorted(by_unit, key=lambda u: snapshot.units[u].code if u in snapshot.units else ""):
        unit = snapshot.units.get(unit_pk)
        label = html_text(f"{unit.code} {unit.name}" if unit else f"unit {unit_pk}", width=40)
        lines.append(f"  subgraph cluster_u{int(unit_pk)} {{")
        lines.append("    graph " + _attrs(label=f"<<B>{label}</B>>", id_=f"unit-{int(unit_pk)}", class_="unit",
                                           style="rounded,filled", fillcolor="#f5f7fa", color="#90a4ae") + ";")
        for pk in by_unit[unit_pk]:
            extra = "focus" if focus == ("o", pk) else ""
            node = _objective_node(snapshot, snapshot.objectives[pk], facts=facts, theme_colour=colours,
                                   show_unit=True, extra_class=extra, width=22)
            if extra:
                node = node[:-1] + ", peripheries=2]"
            lines.append("    " + node + ";")
            node_ids.append(dot_id("o", pk))
        lines.append("  }")
    for pk in initiative_ids:
        ini = snapshot.initiatives[pk]
        unit = snapshot.units.get(ini.unit_id)
        code = f"{unit.code}: {ini.code}" if unit else ini.code
        extra_line = (initiative_lines or {}).get(pk, f"{ini.percent_complete:.0f}% complete")
        label = (f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
                 f'<TR><TD ALIGN="LEFT"><B>{html_text(code, width=22)}</B></TD></TR>'
                 f"<TR><TD>{html_text(ini.name, width=22)}</TD></TR>"
                 f'<TR><TD><FONT POINT-SIZE="8">{html_text(extra_line, width=30)}</FONT></TD></TR></TABLE>>')
        classes = "initiative focus" if focus == ("i", pk) else "initiative"
        tip = [f"{code} {ini.name}", extra_line] + ([f"Owner: {ini.owner}"] if ini.owner else [])
        lines.append(f"  {dot_id('i', pk)} " + _attrs(
            id_=dot_id("i", pk), class_=classes, label=label, shape="box", style="filled",
            fillcolor="#dde7f3", color="#1f5fa8", penwidth=2.5 if focus == ("i", pk) else 1.2,
            URL=object_url("initiatives", pk), tooltip=tooltip("\n".join(tip)), target="_top") + ";")
        node_ids.append(dot_id("i", pk))
    drawn = set(node_ids)
    for edge in edge_list:
        src, dst = dot_id(*edge.source), dot_id(*edge.target)
        if src not in drawn or dst not in drawn:
            continue
        style = EDGE_STYLES.get(edge.kind, EDGE_STYLES["causes"])
        lines.append(f"  {src} -> {dst} " + _attrs(id_=f"{src}-{dst}", class_=css_token(edge.kind), **style) + ";")
    lines.append("}")
    return GraphJob(dot="\n".join(lines) + "\n", nodes=len(node_ids), name=name, paper=paper,
                    node_ids=tuple(node_ids))
