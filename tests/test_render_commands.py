"""The public render functions and the render_map / render_cascade / render_impact commands, on a real database.

Statuses come from the real roll-up of real actuals; query counts are pinned; bad input is a CommandError that
names it; binary formats reach standard output untouched.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError

from cascade.loader import QUERIES
from cascade.render import RenderError, render_cascade, render_drivers, render_impact, render_map
from cascade.render.api import svg_for_inline
from scorecard.models import Initiative, Objective, OrgUnit
from tests.factories import (
    ActualFactory,
    AlignmentFactory,
    CauseEffectLinkFactory,
    ImpactFactory,
    InitiativeFactory,
    MeasureFactory,
    ObjectiveFactory,
    PerspectiveFactory,
    ThemeFactory,
    UserFactory,
)
from tests.test_render_dot import SVG, XLINK, edge_titles, nodes_by_id, parse_svg

AS_OF = dt.date(2026, 9, 30)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def build_map(tree: Any) -> dict[str, Objective]:
    """NW's map: F1 (green), C1 (amber), P1 (red), L1 (no data) linked upward; RET's R1 supports C1."""
    nw = tree.nw.strategy_map
    bands = {code: PerspectiveFactory(map=nw, code=code, name=name, position=i)
             for i, (code, name) in enumerate([("F", "Financial"), ("C", "Customer"), ("P", "Process"),
                                               ("L", "Learning")])}
    theme = ThemeFactory(map=nw, code="OPX", name="Operational excellence")
    owner = UserFactory(username="hannah")
    objectives = {
        code: ObjectiveFactory(map=nw, perspective=bands[code[0]], code=code, name=f"Objective {code}",
                               theme=theme if code != "L1" else None, owner=owner)
        for code in ("F1", "C1", "P1", "L1")
    }
    for code, value in (("F1", 100.0), ("C1", 95.0), ("P1", 50.0)):
        measure = MeasureFactory(objective=objectives[code], code=f"{code}.1", name=f"Measure {code}", units="%")
        ActualFactory(measure=measure, period=dt.date(2026, 6, 30), value=value)
    for cause, effect in (("L1", "P1"), ("P1", "C1"), ("C1", "F1")):
        CauseEffectLinkFactory(cause=objectives[cause], effect=objectives[effect])
    ret_band = PerspectiveFactory(map=tree.ret.strategy_map, code="C", name="Customer")
    objectives["R1"] = ObjectiveFactory(map=tree.ret.strategy_map, perspective=ret_band, code="R1", name="Retail one")
    AlignmentFactory(objective=objectives["R1"], supports=objectives["C1"])
    return objectives


def classes(svg: bytes) -> dict[str, list[str]]:
    return {k: v.get("class").split() for k, v in nodes_by_id(parse_svg(svg)).items()}


# --------------------------------------------------------------------------------------------- functions
def test_render_map_colours_each_objective_by_its_rolled_up_status(tree: Any) -> None:
    objs = build_map(tree)
    result = render_map(tree.nw, as_of=AS_OF)
    assert result.content_type == "image/svg+xml" and result.filename == "map-nw-2026-09-30.svg"
    found = classes(result.data)
    assert found[f"o{objs['F1'].pk}"] == ["node", "objective", "status-green", "theme-opx"]
    assert found[f"o{objs['C1'].pk}"] == ["node", "objective", "status-amber", "theme-opx"]
    assert found[f"o{objs['P1'].pk}"] == ["node", "objective", "status-red", "theme-opx"]
    assert found[f"o{objs['L1'].pk}"] == ["node", "objective", "status-none"]
    assert f"o{objs['R1'].pk}" not in found  # another unit's objective is not on NW's map
    tip = nodes_by_id(parse_svg(result.data))[f"o{objs['F1'].pk}"].find(f".//{SVG}a").get(f"{XLINK}title")
    assert "Latest: F1.1 Measure F1: 100 % (2026-06-30)" in tip and "Owner: hannah" in tip


def test_svg_for_inline_starts_at_the_svg_element(tree: Any) -> None:
    build_map(tree)
    inline = svg_for_inline(render_map(tree.nw, as_of=AS_OF).data)
    assert inline.startswith("<svg") and "<!DOCTYPE" not in inline and "<?xml" not in inline
    assert parse_svg(inline.encode()).tag == f"{SVG}svg"


def test_render_map_as_of_a_date_before_the_actuals_shows_no_data(tree: Any) -> None:
    objs = build_map(tree)
    found = classes(render_map(tree.nw, as_of=dt.date(2026, 3, 31)).data)
    assert found[f"o{objs['F1'].pk}"][2] == "status-none"


def test_the_drafting_map_has_no_status_classes_and_its_own_file_name(tree: Any) -> None:
    build_map(tree)
    result = render_map(tree.nw, status=False, fmt="pdf", paper="letter")
    assert result.filename == "map-nw-draft.pdf" and result.data.startswith(b"%PDF-")
    svg = render_map(tree.nw, status=False).data
    assert b"status-" not in svg and b"ON TARGET" not in svg


def test_render_map_costs_the_loaders_queries_whatever_the_size(tree: Any, django_assert_num_queries: Any) -> None:
    build_map(tree)
    # The data version, then the snapshot; scoring, DOT, Graphviz and the caches need none.
    with django_assert_num_queries(1 + QUERIES):
        render_map(tree.nw, as_of=AS_OF)
    with django_assert_num_queries(1):  # nothing changed: the whole render comes from the cache
        render_map(tree.nw, as_of=AS_OF)
    band = tree.nw.strategy_map.perspectives.get(code="P")
    for n in range(15):
        ActualFactory(measure=MeasureFactory(objective=ObjectiveFactory(map=tree.nw.strategy_map, perspective=band,
                                                                        code=f"PX{n}")))
    with django_assert_num_queries(1 + QUERIES):
        svg = render_map(tree.nw, as_of=AS_OF).data
    assert b"PX14" in svg  # the change shows at once: it moved the data version


def test_every_kind_of_write_moves_the_data_version_so_no_render_goes_stale(tree: Any) -> None:
    from scorecard.history import data_version
    from scorecard.results_io import import_actuals
    from scorecard.services import delete_object, save_validated

    build_map(tree)
    seen = [data_version()]

    def moved() -> bool:
        seen.append(data_version())
        return seen[-1] != seen[-2]

    objective = ObjectiveFactory(map=tree.nw.strategy_map, code="DV1", name="Before")
    assert moved()
    objective.name = "After"
    save_validated(objective)
    assert moved()
    assert b"After" in render_map(tree.nw, as_of=AS_OF).data and not moved()  # rendering writes nothing
    measure = MeasureFactory(objective=objective, code="DV1.1")
    assert moved()
    csv = f"unit,measure,period,value,note\nNW,{measure.code},2026-06-30,5,\n".encode()
    assert import_actuals(io.BytesIO(csv), name="x.csv").created == 1  # bulk SQL writes its history rows too
    assert moved()
    delete_object(objective)
    assert moved()


def test_a_unit_without_perspectives_still_renders_and_bad_options_are_refused(tree: Any) -> None:
    assert render_map(tree.whs, as_of=AS_OF).data.startswith(b"<?xml")
    with pytest.raises(RenderError, match="'gif'"):
        render_map(tree.nw, fmt="gif")
    with pytest.raises(RenderError, match="'a5'"):
        render_map(tree.nw, fmt="pdf", paper="a5")
    with pytest.raises(RenderError, match="dpi 5000"):
        render_map(tree.nw, fmt="png", dpi=5000)
    with pytest.raises(RenderError, match="depth -1"):
        render_cascade(tree.nw, depth=-1)


def test_render_cascade_shows_the_alignment_from_the_lower_unit(tree: Any) -> None:
    objs = build_map(tree)
    root = parse_svg(render_cascade(tree.nw, depth=1, aligned_only=True, as_of=AS_OF).data)
    assert set(nodes_by_id(root)) == {f"o{objs['C1'].pk}", f"o{objs['R1'].pk}"}
    assert edge_titles(root) == {f"o{objs['C1'].pk}->o{objs['R1'].pk}"}


def test_render_impact_draws_every_path_from_the_initiative(tree: Any) -> None:
    objs = build_map(tree)
    initiative = InitiativeFactory(unit=tree.ret, code="RFID", name="RFID in stores")
    ImpactFactory(initiative=initiative, objective=objs["R1"])
    result = render_impact(initiative, as_of=AS_OF)
    assert result.filename == "impact-ret-rfid-2026-09-30.svg"
    root = parse_svg(result.data)
    ids = {f"o{objs[c].pk}" for c in ("R1", "C1", "F1")}
    assert set(nodes_by_id(root)) == {f"i{initiative.pk}"} | ids
    assert edge_titles(root) == {f"i{initiative.pk}->o{objs['R1'].pk}", f"o{objs['R1'].pk}->o{objs['C1'].pk}",
                                 f"o{objs['C1'].pk}->o{objs['F1'].pk}"}


def test_render_drivers_draws_what_moves_an_objective(tree: Any) -> None:
    objs = build_map(tree)
    initiative = InitiativeFactory(unit=tree.nw, code="LEAN")
    ImpactFactory(initiative=initiative, objective=objs["L1"])
    root = parse_svg(render_drivers(objs["C1"], as_of=AS_OF).data)
    nodes = nodes_by_id(root)
    assert set(nodes) == {f"o{objs[c].pk}" for c in ("C1", "P1", "L1", "R1")} | {f"i{initiative.pk}"}
    assert "focus" in nodes[f"o{objs['C1'].pk}"].get("class").split()


def test_render_drivers_within_one_hop_keeps_direct_causes_and_supporters_only(tree: Any) -> None:
    objs = build_map(tree)
    ImpactFactory(initiative=InitiativeFactory(unit=tree.nw, code="LEAN"), objective=objs["L1"])
    direct = InitiativeFactory(unit=tree.nw, code="CRM")
    ImpactFactory(initiative=direct, objective=objs["P1"])
    root = parse_svg(render_drivers(objs["C1"], max_hops=1, as_of=AS_OF).data)
    assert set(nodes_by_id(root)) == {f"o{objs[c].pk}" for c in ("C1", "P1", "R1")} | {f"i{direct.pk}"}
    with pytest.raises(RenderError, match="hops 0"):
        render_drivers(objs["C1"], max_hops=0)


# ---------------------------------------------------------------------------------------------- commands
def run(*args: str, binary: bool = False) -> bytes:
    if binary:
        raw = io.BytesIO()
        out = io.TextIOWrapper(raw, encoding="utf-8")
        call_command(*args, stdout=out)
        out.flush()
        return raw.getvalue()
    text = io.StringIO()
    call_command(*args, stdout=text)
    return text.getvalue().encode("utf-8")


def test_render_map_writes_svg_to_standard_output_and_png_bytes_untouched(tree: Any) -> None:
    build_map(tree)
    assert parse_svg(run("render_map", "NW", "--as-of", "2026-09-30")).tag == f"{SVG}svg"
    png = run("render_map", "NW", "--format", "png", "--dpi", "40", binary=True)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    pdf = run("render_map", "NW", "--format", "pdf", "--paper", "a3", binary=True)
    assert pdf.startswith(b"%PDF-") and b"%%EOF" in pdf[-32:]


def test_render_map_writes_a_file_with_o(tree: Any, tmp_path: Any) -> None:
    build_map(tree)
    target = tmp_path / "nw.dot"
    call_command("render_map", "NW", "--no-status", "--format", "dot", "-o", str(target), stderr=io.StringIO())
    assert target.read_text().startswith("digraph map_u")


@pytest.mark.parametrize(("args", "message"), [
    (["render_map", "NOPE"], "Unknown unit 'NOPE'"),
    (["render_map", "NW", "--as-of", "2026-13-01"], "--as-of '2026-13-01' is not a date"),
    (["render_map", "NW", "--format", "gif"], "Unknown --format 'gif'"),
    (["render_map", "NW", "--format", "pdf", "--paper", "a5"], "Unknown --paper 'a5'"),
    (["render_map", "NW", "--format", "png", "--dpi", "0"], "dpi 0 is out of range"),
    (["render_cascade", "NW", "--depth", "-2"], "--depth -2 must be 0 or more"),
    (["render_impact", "NW", "NOPE"], "Unknown initiative 'NOPE' in unit NW"),
    (["render_impact", "NOPE", "X"], "Unknown unit 'NOPE'"),
    (["render_impact", "NW"], "Give the code of an INITIATIVE"),
    (["render_impact", "NW", "--drivers", "ZZ"], "Unknown objective 'ZZ' in unit NW"),
    (["render_impact", "NW", "--drivers", "C1", "--hops", "0"], "--hops 0 must be 1 or more"),
    (["render_impact", "NW", "X", "--hops", "1"], "--hops goes with --drivers"),
])
def test_bad_input_is_a_command_error_naming_it(tree: Any, args: list[str], message: str) -> None:
    build_map(tree)
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command(*args, stdout=io.StringIO())


def test_render_cascade_and_impact_commands_render_the_demo_enterprise(db: Any, tmp_path: Any) -> None:
    call_command("load_demo", stdout=io.StringIO())
    nw = OrgUnit.objects.get(code="NW")
    svg = run("render_map", "NW", "--as-of", "2026-09-30")
    assert len([k for k in nodes_by_id(parse_svg(svg)) if k.startswith("o")]) == Objective.objects.filter(
        map__unit=nw).count()
    for args in (["render_cascade", "NW", "--all-levels", "--aligned-only"], ["render_impact", "NW-RET-EC", "REPLAT"],
                 ["render_impact", "NW", "--drivers", "F1"]):
        target = tmp_path / "out.pdf"
        call_command(*args, "--as-of", "2026-09-30", "--format", "pdf", "-o", str(target), stderr=io.StringIO())
        assert target.read_bytes().startswith(b"%PDF-"), args
    replat = Initiative.objects.get(code="REPLAT")
    root = parse_svg(run("render_impact", "NW-RET-EC", "REPLAT", "--as-of", "2026-09-30"))
    assert f"i{replat.pk}" in nodes_by_id(root)
