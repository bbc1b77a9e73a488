"""YAML in and out for the ``scorecard/v1`` format: values that remember their line, and a stable writer.

The reader composes PyYAML's node tree and builds plain dicts and lists that carry the line of every key and
item, so each error can name its line. Loader and writer share one set of implicit resolvers, stricter than
YAML 1.1 and close to YAML 1.2's core schema: only ``true``/``false`` are booleans (``NO`` stays the text
"NO", a country or unit code), and ``1e5`` is a number. Because the writer quotes exactly the strings that
this resolver would read as something else, every exported value reads back as itself.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import yaml


def _resolvers() -> dict[str | None, list[tuple[str, re.Pattern[str]]]]:
    """SafeLoader's implicit resolvers without its YAML 1.1 booleans and floats, plus stricter ones."""
    table: dict[str | None, list[tuple[str, re.Pattern[str]]]] = {}
    dropped = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:float"}
    for first, entries in yaml.SafeLoader.yaml_implicit_resolvers.items():
        kept = [(tag, regexp) for tag, regexp in entries if tag not in dropped]
        if kept:
            table[first] = kept
    return table


_BOOL_RE = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_FLOAT_RE = re.compile(
    r"""^(?:[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)
_INT_RE = re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$")


def _add_resolvers(cls: type) -> None:
    cls.yaml_implicit_resolvers = _resolvers()
    cls.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL_RE, list("tTfF"))
    cls.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_RE, list("-+0123456789."))


class Loader(yaml.SafeLoader):
    """SafeLoader with the stricter resolvers; used only through :func:`parse`."""


_add_resolvers(Loader)


def _construct_int(loader: Loader, node: yaml.ScalarNode) -> Any:
    # YAML 1.1 reads 010 as octal and 1:20 as sexagesimal; we read plain decimal integers only and
    # let anything else that the int resolver matched become a float or text.
    text = str(loader.construct_scalar(node)).replace("_", "")
    if _INT_RE.match(text):
        return int(text)
    try:
        return float(text)
    except ValueError:
        return text


Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


class YamlSyntaxError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class LDict(dict[str, Any]):
    """A mapping read from YAML: ``line`` is where it starts, ``lines[key]`` where each key is."""

    line: int
    lines: dict[str, int]
    duplicates: list[tuple[str, int]]
    bad_keys: list[tuple[Any, int]]


class LList(list[Any]):
    """A sequence read from YAML: ``line`` is where it starts, ``lines[i]`` where item i is."""

    line: int
    lines: list[int]


class BadScalar:
    """A scalar that YAML recognised by shape but could not build (``2026-02-30``): kept to report it."""

    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason

    def __repr__(self) -> str:
        return self.text


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _build(loader: Loader, node: yaml.Node, seen: set[int]) -> Any:
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
        # An alias repeats a whole subtree; nested aliases grow exponentially ("billion laughs"), and a
        # strategy map never needs them.
        if id(node) in seen:
            raise YamlSyntaxError(_line(node), "YAML aliases of lists or mappings are not supported "
                                               "(this one, anchored here, is used again with *name)")
        seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        result = LDict()
        result.line, result.lines, result.duplicates, result.bad_keys = _line(node), {}, [], []
        for key_node, value_node in node.value:
            key = _build(loader, key_node, seen)
            if not isinstance(key, str):
                result.bad_keys.append((key, _line(key_node)))
                continue
            if key in result:
                result.duplicates.append((key, _line(key_node)))
                continue
            result[key] = _build(loader, value_node, seen)
            result.lines[key] = _line(key_node)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = LList(_build(loader, item, seen) for item in node.value)
        items.line, items.lines = _line(node), [_line(item) for item in node.value]
        return items
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, yaml.YAMLError) as exc:
        return BadScalar(str(node.value), str(exc))


def parse(text: str) -> Any:
    """Parse one YAML document into LDict / LList / scalars; syntax errors raise YamlSyntaxError."""
    loader = Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else 1
            context = exc.context
            if context and exc.context_mark is not None and exc.context_mark.line + 1 != line:
                # An unclosed bracket is noticed at the end of the file: say where it was opened.
                context += f" (started on line {exc.context_mark.line + 1})"
            parts = [p for p in (context, exc.problem) if p]
            raise YamlSyntaxError(line, "YAML syntax error: " + ", ".join(parts)) from None
        except yaml.YAMLError as exc:
            raise YamlSyntaxError(1, f"YAML syntax error: {exc}") from None
        except RecursionError:
            raise YamlSyntaxError(1, "YAML nested too deeply") from None
        try:
            return None if node is None else _build(loader, node, set())
        except RecursionError:
            raise YamlSyntaxError(1, "YAML nested too deeply") from None
    finally:
        loader.dispose()


# ------------------------------------------------------------------------------------------------ writing
class Flow(dict[str, Any]):
    """A small mapping written on one line: ``{period: 2026-03-31, value: 4.1}``."""


class FlowList(list[Any]):
    """A short list written on one line."""


class Dumper(yaml.SafeDumper):
    """Block style, lists indented under their key, no aliases, the same resolvers as the Loader."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def ignore_aliases(self, data: Any) -> bool:
        return True


_add_resolvers(Dumper)


def _represent_float(dumper: Dumper, value: float) -> yaml.Node:
    # Whole numbers as integers (8 not 8.0), others by repr, the shortest text that reads back
    # as the same float (4.1, not 4.0999999).
    if not math.isfinite(value):
        raise ValueError(f"cannot write {value}: not a finite number")
    if value.is_integer() and abs(value) < 1e16:
        return dumper.represent_int(int(value))
    return dumper.represent_scalar("tag:yaml.org,2002:float", repr(value))


# YAML 1.1 readers (other tools) take these for booleans; we read them as text but quote them anyway.
_YAML11_BOOLS = {"yes", "no", "on", "off", "y", "n"}


def _represent_str(dumper: Dumper, value: str) -> yaml.Node:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    if value.lower() in _YAML11_BOOLS:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="'")
    return dumper.represent_str(value)


Dumper.add_representer(float, _represent_float)
Dumper.add_representer(str, _represent_str)
Dumper.add_representer(dt.date, yaml.SafeDumper.represent_date)
Dumper.add_representer(
    Flow, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v.items(), flow_style=True)
)
Dumper.add_representer(FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))


def dump(data: Any) -> str:
    return yaml.dump(
        data, Dumper=Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=110, indent=2
    )
