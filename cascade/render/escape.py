"""Escaping user text for each place it can reach in a DOT file (see the rendering guide).

DOT is an attack surface: a name can close a label and add nodes, a URL is written into the SVG unescaped, a
tooltip is unescaped twice and labels expand ``\\N``, ``\\G`` and entities. So user text only ever enters DOT
through one of these functions, each made for one context, and never becomes a node id or a URL:

- ``html_text``: text inside an HTML-like label (``label=<...>``), the only kind of label we draw;
- ``tooltip``: a complete quoted DOT string for ``tooltip``;
- ``object_url``: relative links built from integer keys only;
- ``css_token``: class names derived from codes.
"""

from __future__ import annotations

import html
import re
import textwrap
import unicodedata
from functools import lru_cache
from urllib.parse import quote

# Characters XML 1.0 forbids (C0 controls but tab/newline/CR, DEL..C1 for safety, surrogates, U+FFFE/FFFF)
# and Graphviz chokes on: removed, so the SVG always parses.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


# The escapers are pure and the same names come back on every render of a map: memoised, so that building
# the DOT of an unchanged map (to find its cache key) costs little.
@lru_cache(maxsize=8192)
def clean(text: str) -> str:
    """User text without the characters no output format can carry; line breaks normalised to ``\\n``."""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return _CONTROL.sub("", unicodedata.normalize("NFC", text))


def _html_line(line: str) -> str:
    # html.escape makes < > & " ' inert. Brackets become entities too: harmless in the label and it keeps
    # "]" out of the laid-out DOT that the band pass scans. Graphviz expands escStrings (\N, \G, \L...) even in
    # HTML-like labels, after decoding entities, so every backslash is doubled: "\\" shows as one backslash.
    escaped = html.escape(line, quote=True).replace("[", "&#91;").replace("]", "&#93;")
    return escaped.replace("\\", "\\\\")


@lru_cache(maxsize=8192)
def html_text(text: str, *, width: int | None = None) -> str:
    """Text for inside an HTML-like label: escaped, wrapped to ``width`` characters, lines joined by <BR/>."""
    return "<BR/>".join(_html_line(line) for line in wrap(text, width))


def wrap(text: str, width: int | None) -> list[str]:
    """Split cleaned text into display lines: the user's own line breaks, then word wrap at ``width``.

    Words longer than ``width`` are broken, so a 500-character name without spaces still fits a box; no
    character is dropped (the hostile-corpus test checks that the drawn text equals the entered text).
    """
    lines: list[str] = []
    for raw in clean(text).split("\n"):
        if width is None or len(raw) <= width:
            lines.append(raw)
            continue
        lines.extend(textwrap.wrap(raw, width=width, break_long_words=True, break_on_hyphens=False) or [""])
    return lines or [""]


@lru_cache(maxsize=8192)
def tooltip(text: str) -> str:
    """A complete, quoted DOT string for the ``tooltip`` attribute (shown as the SVG link title).

    Graphviz decodes entities and escStrings in tooltips and then writes them into the SVG, effectively
    unescaping twice: so markup characters become entities, newlines ``&#10;`` and each backslash is written four
    times (an even number, so a trailing backslash can never escape the closing quote).
    """
    value = clean(text)
    value = (value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
             .replace("[", "&#91;").replace("]", "&#93;"))
    value = value.replace("\\", "\\\\\\\\").replace("\n", "&#10;")
    return f'"{value}"'


def object_url(kind: str, pk: int) -> str:
    """A relative link to an object's page, built from an integer key (never from user text)."""
    if kind not in {"objectives", "initiatives", "units"}:
        raise ValueError(f"no page for {kind!r}")
    return quote(f"/{kind}/{int(pk)}/", safe="/")


_NOT_TOKEN = re.compile(r"[^a-z0-9_-]+")


def css_token(text: str) -> str:
    """A class-name token from a code: lower case letters, digits, - and _ only."""
    token = _NOT_TOKEN.sub("-", clean(text).lower()).strip("-")
    return token or "x"


def dot_id(prefix: str, pk: int) -> str:
    """A node or cluster id: a fixed ASCII prefix and an integer key, nothing from the user."""
    if not re.fullmatch(r"[a-z_]+", prefix):
        raise ValueError(f"bad id prefix {prefix!r}")
    return f"{prefix}{int(pk)}"
