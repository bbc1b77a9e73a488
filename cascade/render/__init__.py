"""Print-ready strategy maps, cascade, impact and drivers views with Graphviz (issue 4).

Public functions (see ``cascade.render.api``): ``render_map``, ``render_cascade``, ``render_impact``,
``render_drivers``, each returning ``Rendered(data, content_type, filename)`` or raising ``RenderError``.
"""

from cascade.render.api import Rendered, render_cascade, render_drivers, render_impact, render_map, svg_for_inline
from cascade.render.runner import FORMATS, RenderError

__all__ = ["FORMATS", "RenderError", "Rendered", "render_cascade", "render_drivers", "render_impact",
           "render_map", "svg_for_inline"]
