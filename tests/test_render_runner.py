"""The Graphviz runner: one-page paper output, fonts, resolution, cache, node cap, timeout, missing binary.

Everything runs the real dot and neato binaries; the timeout and missing-binary paths are produced for real (a
tiny timeout on a large graph, a PATH without Graphviz).
"""

from __future__ import annotations

import re
import socket
import struct
import subprocess

import pytest
from django.core.cache import cache, caches
from django.test import override_settings

from cascade.render.dot import PAPERS, GraphJob, cascade_dot, facts_from_statuses, map_dot
from cascade.render.runner import RenderError, cache_key, render_job, stats
from cascade.snapshot import CauseLink, ObjectiveData
from tests.test_render_dot import AS_OF, STATUSES, make_snapshot


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def media_box(pdf: bytes) -> tuple[float, float]:
    boxes = re.findall(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*\]", pdf)
    assert len(boxes) == 1, "one page"
    x1, y1, x2, y2 = (float(v) for v in boxes[0])
    return x2 - x1, y2 - y1


def png_size(png: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def big_job(objectives: int, paper: str = "a4") -> GraphJob:
    """A map of ``objectives`` objectives in four bands with a link from each to one in the band above."""
    snapshot = make_snapshot()
    for pk in range(1000, 1000 + objectives):
        band = 10 + pk % 4
        snapshot.objectives[pk] = ObjectiveData(pk, 1, 1, band, f"B{pk}", f"Generated objective number {pk}")
        if pk - 1000 >= 4:
            snapshot.causes.append(CauseLink(pk, pk - 3))
    return map_dot(snapshot, 1, facts=facts_from_statuses(STATUSES), as_of=AS_OF, paper=paper)


@pytest.mark.parametrize("paper", sorted(PAPERS))
def test_pdf_is_one_landscape_page_of_the_chosen_paper(paper: str) -> None:
    pdf = render_job(map_dot(make_snapshot(), 1, facts=facts_from_statuses(STATUSES), as_of=AS_OF, paper=paper),
                     "pdf")
    width, height = media_box(pdf)
    want_w, want_h = (x * 72 for x in PAPERS[paper])
    assert abs(width - want_w) / want_w < 0.02, (width, want_w)
    assert abs(height - want_h) / want_h < 0.02, (height, want_h)


@pytest.mark.parametrize("paper", sorted(PAPERS))
def test_a_cascade_without_bands_is_also_one_page_of_the_paper(paper: str) -> None:
    job = cascade_dot(make_snapshot(), 1, depth=None, facts=facts_from_statuses(STATUSES), paper=paper)
    width, height = media_box(render_job(job, "pdf"))
    want_w, want_h = (x * 72 for x in PAPERS[paper])
    assert abs(width - want_w) / want_w < 0.02 and abs(height - want_h) / want_h < 0.02, (width, height)


def test_a_large_map_still_fills_one_a3_page() -> None:
    width, height = media_box(render_job(big_job(120, "a3"), "pdf"))
    assert abs(width - 16.54 * 72) / (16.54 * 72) < 0.02, width
    assert abs(height - 11.69 * 72) / (11.69 * 72) < 0.02, height


def test_pdf_embeds_its_fonts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "map.pdf"
    path.write_bytes(render_job(map_dot(make_snapshot(), 1, paper="a4"), "pdf"))
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    fonts = listing.splitlines()[2:]
    assert fonts, listing
    assert all(line.split()[-5] == "yes" for line in fonts), listing  # the "emb" column
    assert any("LiberationSans" in line for line in fonts)


def test_png_follows_the_chosen_resolution() -> None:
    job = map_dot(make_snapshot(), 1, paper="a4")
    low, high = png_size(render_job(job, "png", dpi=50)), png_size(render_job(job, "png", dpi=100))
    assert abs(high[0] - 2 * low[0]) <= 4 and abs(high[1] - 2 * low[1]) <= 4
    assert abs(high[0] - 11.69 * 100) / (11.69 * 100) < 0.03


def test_a_second_render_of_the_same_dot_comes_from_the_cache_without_spawning_graphviz() -> None:
    job = map_dot(make_snapshot(), 1, facts=facts_from_statuses(STATUSES), as_of=AS_OF)
    before = stats.processes
    first = render_job(job, "svg")
    assert stats.processes == before + 2  # dot layout pass, neato band pass
    assert cache.get(cache_key(job, "svg", None)) == first
    second = render_job(job, "svg")
    assert second == first
    assert stats.processes == before + 2


def test_a_changed_status_or_format_or_paper_is_a_new_cache_entry() -> None:
    snapshot = make_snapshot()
    job = map_dot(snapshot, 1, facts=facts_from_statuses(STATUSES), as_of=AS_OF)
    changed = map_dot(snapshot, 1, facts=facts_from_statuses({**STATUSES, 101: "red"}), as_of=AS_OF)
    a4, a3 = map_dot(snapshot, 1, paper="a4"), map_dot(snapshot, 1, paper="a3")
    keys = {cache_key(job, "svg", None), cache_key(changed, "svg", None), cache_key(job, "pdf", None),
            cache_key(a4, "pdf", None), cache_key(a3, "pdf", None), cache_key(a4, "png", 100),
            cache_key(a4, "png", 200)}
    assert len(keys) == 7
    render_job(job, "svg")
    before = stats.processes
    render_job(changed, "svg")
    assert stats.processes == before + 2


def test_cached_bytes_survive_a_round_trip_through_redis() -> None:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    redis_cache = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                               "LOCATION": "redis://127.0.0.1:6379/0", "KEY_PREFIX": "sc-test-render"}}
    with override_settings(CACHES=redis_cache):
        caches["default"].clear()
        job = map_dot(make_snapshot(), 1, paper="a4")
        first = render_job(job, "pdf")
        before = stats.processes
        assert render_job(job, "pdf") == first
        assert stats.processes == before
        caches["default"].delete(cache_key(job, "pdf", None))


def test_a_view_over_the_node_cap_is_refused_with_advice_before_graphviz_runs() -> None:
    job = big_job(40)
    before = stats.processes
    with override_settings(GRAPHVIZ_MAX_NODES=20), pytest.raises(RenderError) as error:
        render_job(job, "svg")
    assert error.value.code == "too_large"
    assert f"{job.nodes} nodes" in str(error.value) and "smaller scope" in str(error.value)
    assert stats.processes == before
    assert render_job(job, "dot").startswith(b"digraph")  # DOT needs no layout: no cap


def test_graphviz_that_runs_too_long_is_stopped_with_a_clear_message() -> None:
    job = big_job(400)
    with override_settings(GRAPHVIZ_TIMEOUT_SECONDS=0.02), pytest.raises(RenderError) as error:
        render_job(job, "png", dpi=300)
    assert error.value.code == "timeout"
    assert "GRAPHVIZ_TIMEOUT_SECONDS" in str(error.value) and "smaller scope" in str(error.value)
    assert cache.get(cache_key(job, "png", 300)) is None


def test_a_missing_dot_binary_names_the_debian_package(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RenderError) as error:
        render_job(map_dot(make_snapshot(), 1), "svg")
    assert error.value.code == "graphviz_missing"
    assert "graphviz" in str(error.value) and "apt-get install graphviz" in str(error.value)


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(RenderError) as error:
        render_job(map_dot(make_snapshot(), 1), "gif")
    assert error.value.code == "bad_request" and "'gif'" in str(error.value)
