"""Running Graphviz: node cap, timeout, a clear message when it is missing, bands, and the cache.

Maps with bands take two processes (see the rendering guide): ``dot -Tdot`` lays the map out without clusters,
then we add one full-width cluster per band at the laid-out positions and ``neato -n2`` draws it, keeping dot's
node and edge positions. Rendered bytes are cached under a sha256 of the DOT text, format, paper and resolution in
Django's cache, so an unchanged map is never laid out twice.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import subprocess
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from cascade.render.dot import PAPER_MARGIN, PAPERS, GraphJob

FORMATS = {"svg": "image/svg+xml", "pdf": "application/pdf", "png": "image/png", "dot": "text/vnd.graphviz"}
CACHE_SECONDS = 7 * 24 * 3600  # keys are content hashes: an entry never goes stale, it only ages out


class RenderError(Exception):
    """A render that cannot be done, with a message for the person who asked. ``code`` names the reason."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code  # too_large | timeout | graphviz_missing | graphviz_failed | bad_request


@dataclass
class Stats:
    """How many Graphviz processes this Python process started (the cache test and the benchmark read it)."""

    processes: int = 0
    graphviz_seconds: float = 0.0


stats = Stats()


def cache_key(job: GraphJob, fmt: str, dpi: int | None) -> str:
    digest = hashlib.sha256()
    for part in (job.dot, fmt, job.paper or "", str(dpi or "")):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return f"cascade-render:{digest.hexdigest()}"


def _run(args: list[str], stdin: bytes) -> bytes:
    timeout = float(settings.GRAPHVIZ_TIMEOUT_SECONDS)
    stats.processes += 1
    started = time.perf_counter()
    try:
        done = subprocess.run(args, input=stdin, capture_output=True, timeout=timeout, check=False)
    except FileNotFoundError:
        raise RenderError(
            f"Graphviz is not installed: the program '{args[0]}' was not found on PATH. Install the Debian "
            "package graphviz (sudo apt-get install graphviz) and try again.", code="graphviz_missing") from None
    except subprocess.TimeoutExpired:
        raise RenderError(
            f"Graphviz took longer than {timeout:g} s (GRAPHVIZ_TIMEOUT_SECONDS) and was stopped. Render a smaller "
            "scope: a lower unit, a smaller depth or only aligned objectives.", code="timeout") from None
    finally:
        stats.graphviz_seconds += time.perf_counter() - started
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RenderError(f"Graphviz failed ({args[0]} exit {done.returncode}): "
                          f"{detail[-1] if detail else 'no message'}", code="graphviz_failed")
    return done.stdout


def _format_args(fmt: str, dpi: int | None) -> list[str]:
    args = [f"-T{fmt}"]
    if fmt == "png" and dpi:
        args.append(f"-Gdpi={int(dpi)}")
    return args


def render_job(job: GraphJob, fmt: str, *, dpi: int | None = None) -> bytes:
    """Bytes of ``job`` in ``fmt`` (svg, pdf, png or dot), from the cache when the same DOT was drawn before."""
    if fmt not in FORMATS:
        raise RenderError(f"Unknown format {fmt!r}: choose one of {', '.join(FORMATS)}.", code="bad_request")
    if fmt == "dot":
        return job.dot.encode("utf-8")
    cap = int(settings.GRAPHVIZ_MAX_NODES)
    if job.nodes > cap:
        raise RenderError(
            f"This view has {job.nodes} nodes, more than the {cap} that Graphviz may lay out here "
            "(GRAPHVIZ_MAX_NODES). Render a smaller scope: a lower unit, a smaller depth or only aligned "
            "objectives.", code="too_large")
    dpi = dpi if fmt == "png" else None
    key = cache_key(job, fmt, dpi)
    hit = cache.get(key)
    if hit is not None:
        return bytes(hit)
    source = job.dot.encode("utf-8")
    if job.bands or job.paper:
        laid_out = _run(["dot", "-Tdot"], source).decode("utf-8")
        second = add_bands(laid_out, job) if job.bands else add_page_corners(laid_out, job)
        out = _run(["neato", "-n2", *_format_args(fmt, dpi)], second.encode("utf-8"))
    else:
        out = _run(["dot", *_format_args(fmt, dpi)], source)
    cache.set(key, out, CACHE_SECONDS)
    return out


# ------------------------------------------------------------------------------------ the second pass
def _bbox(laid_out: str) -> tuple[float, float, float, float]:
    bb = _first(rf'bb="{_NUM},{_NUM},{_NUM},{_NUM}"', laid_out)
    if bb is None:
        raise RenderError("Graphviz output lacks a bounding box", code="graphviz_failed")
    x1, y1, x2, y2 = (float(v) for v in bb.groups())
    return x1, y1, x2, y2


def page_extent(x1: float, y1: float, x2: float, y2: float, paper: str) -> tuple[float, float, float, float]:
    """The drawing's box grown to the page's shape (right or down: the title stays top left).

    The graph label lies outside the area ``ratio=fill`` fills, so dot's drawing is a little taller than the
    page; grown to the page's aspect, ``size="...!"`` then fills both directions.
    """
    width, height = PAPERS[paper]
    want = (width - 2 * PAPER_MARGIN) / (height - 2 * PAPER_MARGIN)
    have = (x2 - x1) / (y2 - y1)
    if have < want:
        x2 = x1 + (y2 - y1) * want
    elif have > want:
        y1 = y2 - (x2 - x1) / want
    return x1, y1, x2, y2


def add_page_corners(laid_out: str, job: GraphJob) -> str:
    """For paper output of a view without bands: two invisible points span the page-shaped box."""
    x1, y1, x2, y2 = page_extent(*_bbox(laid_out), job.paper or "a4")
    corners = [f'page_corner_a [style=invis, shape=point, width=0.01, label="", pos="{x1:.2f},{y1:.2f}"];',
               f'page_corner_b [style=invis, shape=point, width=0.01, label="", pos="{x2:.2f},{y2:.2f}"];',
               'graph [ratio=""];']
    close = laid_out.rstrip().rfind("}")
    return laid_out[:close] + "\n".join(corners) + "\n" + laid_out[close:]


_NUM = r"(-?[0-9.]+(?:e[-+]?[0-9]+)?)"


def _first(pattern: str, text: str, start: int = 0) -> re.Match[str] | None:
    return re.compile(pattern).search(text, start)


def _node_pos(text: str, node_id: str) -> tuple[float, float, float]:
    """(x, y, height in points) of a node in dot's laid-out output.

    Safe to scan: user text reaches the output only inside escaped HTML labels and tooltips, where quotes and
    brackets are entities, so ``pos="`` and ``height=`` found after the node's name are Graphviz's own.
    """
    start = re.search(rf"(?m)^\s*{re.escape(node_id)}\s*\[", text)
    if start is None:
        raise RenderError(f"Graphviz output lacks node {node_id}", code="graphviz_failed")
    end = text.find("];", start.end())
    block = text[start.end(): end if end >= 0 else len(text)]
    pos = _first(rf'pos="{_NUM},{_NUM}"', block)
    height = _first(rf"height={_NUM}", block)
    if pos is None:
        raise RenderError(f"Graphviz output lacks a position for {node_id}", code="graphviz_failed")
    return float(pos.group(1)), float(pos.group(2)), float(height.group(1)) * 72 if height else 36.0


def add_bands(laid_out: str, job: GraphJob) -> str:
    """Add one full-width background cluster per band to dot's output, split halfway between band rows.

    For paper output the backgrounds are also stretched to the page's shape (``page_extent``), so the second
    pass fills the page; ``ratio`` itself is switched off again because neato would otherwise straighten edges.
    """
    x1, y1, x2, y2 = _bbox(laid_out)
    label_h = _first(rf"lheight={_NUM}", laid_out)
    label_bottom = y2 - (float(label_h.group(1)) * 72 + 6 if label_h else 0.0)
    rows = [_node_pos(laid_out, band.header) for band in job.bands]  # top band first: highest y (rankdir=BT)
    edges: list[float] = []
    for (_, upper_y, _), (_, lower_y, _) in itertools.pairwise(rows):
        edges.append((upper_y + lower_y) / 2)
    first_gap = (rows[0][1] - rows[1][1]) / 2 if len(rows) > 1 else rows[0][2]
    top = min(label_bottom, rows[0][1] + first_gap)
    bottom = max(y1, rows[-1][1] - first_gap)
    left, right = x1, x2
    if job.paper:
        left, new_bottom, right, _ = page_extent(x1, min(y1, bottom), x2, y2, job.paper)
        bottom = min(bottom, new_bottom)
    bounds = [top, *edges, bottom]
    clusters = ['graph [ratio=""];']
    for index, band in enumerate(job.bands):
        upper, lower = bounds[index], bounds[index + 1]
        clusters.append(
            f"subgraph cluster_band{band.perspective_id} {{ graph "
            f'[bb="{left:.2f},{lower:.2f},{right:.2f},{upper:.2f}", style=filled, fillcolor="{band.fill}", '
            f'color="#cfd8dc", label="", id="band-bg-{band.perspective_id}", class="band"]; {band.header}; }}')
    close = laid_out.rstrip().rfind("}")
    return laid_out[:close] + "\n".join(clusters) + "\n" + laid_out[close:]
