"""YAML with the line of every field, and located field checks, for scenario files.

PyYAML's ``safe_load`` forgets where each value was written. Here the
document is *composed* with the safe loader (so the same YAML subset:
no Python tags) and built into plain dicts, lists and scalars by walking the
node tree, which records the line of every field path (``flights[3].target``
-> 57). Timestamps stay text (the scenario reader parses them and insists on
a time zone); merge keys (``<<: *anchor``) are expanded; duplicate keys are
an error (PyYAML silently keeps the last one).

`Fields` reads one mapping of the document: typed getters that raise
`InputError` naming the field path, and :meth:`Fields.done` that rejects the
keys no getter asked for.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

import yaml

from tracker.errors import InputError
from tracker.validate import fail, shown    # noqa: F401  (shown: for the other scenario modules)

_MISSING = object()
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"
_DEG = math.pi / 180.0


def located_yaml(text: str, path: str) -> tuple[Any, dict[str, int]]:
    """The single YAML document in ``text`` and the 1-based line of each field path."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problem = " ".join(p for p in (e.context, e.problem) if p)
        raise InputError(f"not YAML: {problem}", path=path,
                         line=mark.line + 1 if mark else None) from None
    except yaml.YAMLError as e:
        raise InputError(f"not YAML: {e}", path=path) from None
    if node is None:
        raise InputError("empty file: expected a scenario mapping", path=path)
    builder = _Builder(path)
    return builder.build(node, ""), builder.lines


class _Builder:
    """Plain Python values from a node tree, with a line per field path."""

    def __init__(self, path: str):
        self.path = path
        self.lines: dict[str, int] = {}
        self.constructor = yaml.SafeLoader("")     # for scalars and merge keys only
        self.active: set[int] = set()              # nodes being built: catches alias loops

    def error(self, node: yaml.Node, field: str, problem: str) -> InputError:
        return InputError(problem, path=self.path, line=node.start_mark.line + 1,
                          field=field or None)

    def _forget(self, field: str) -> None:
        """Drop the lines recorded for ``field`` and below (a merged value overridden)."""
        for name in [n for n in self.lines if n == field or n.startswith((f"{field}.", f"{field}["))]:
            del self.lines[name]

    def build(self, node: yaml.Node, field: str) -> Any:
        self.lines.setdefault(field, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _TIMESTAMP:
                return node.value
            return self.constructor.construct_object(node)
        if id(node) in self.active:
            raise self.error(node, field, "an alias refers to itself")
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(item, f"{field}[{i}]") for i, item in enumerate(node.value)]
            return self.mapping(node, field)
        finally:
            self.active.discard(id(node))

    def mapping(self, node: yaml.MappingNode, field: str) -> dict:
        explicit = sum(k.tag != _MERGE for k, _ in node.value)
        try:
            self.constructor.flatten_mapping(node)   # merged pairs first, then the explicit ones
        except yaml.MarkedYAMLError as e:
            raise self.error(node, field, f"bad merge key: {e.problem}") from None
        n_merged = len(node.value) - explicit
        out: dict[str, Any] = {}
        merged: set[str] = set()                     # keys a merge gave: written ones override
        for k, (key_node, value_node) in enumerate(node.value):
            key = (self.constructor.construct_object(key_node)
                   if isinstance(key_node, yaml.ScalarNode) else None)
            if not isinstance(key, str):
                raise self.error(key_node, field, f"keys are text, got {shown(key)}")
            child = f"{field}.{key}" if field else key
            if key in out and key not in merged:
                raise self.error(key_node, child, "duplicate key")
            if k < n_merged:
                merged.add(key)
            else:
                merged.discard(key)
                self._forget(child)                  # lines below it come from this value now
            self.lines[child] = key_node.start_mark.line + 1
            out[key] = self.build(value_node, child)
        return out


def number(value: Any, field: str, default: Any = _MISSING, *, low: float = -math.inf,
           high: float = math.inf, low_open: bool = False) -> float:
    """A finite number in the given range, as a float (a bool is not a number)."""
    ok = type(value) in (int, float) and math.isfinite(value)
    if ok:
        x = float(value)
        ok = (x > low if low_open else x >= low) and x <= high
    if ok:
        return x
    if high < math.inf:
        bounds = f" in {'(' if low_open else '['}{low:g}, {high:g}]"
    elif low > -math.inf:
        bounds = f" {'>' if low_open else '>='} {low:g}"
    else:
        bounds = ""
    fail(field, f"expected a{' finite' if not bounds else ''} number{bounds}, got {shown(value)}")


def point(value: Any, field: str, places: Mapping[str, Any], name: str | None = None):
    """A ground point: ``{lat, lon}`` in degrees, or the name of a place."""
    from .scenario import Place            # the data class lives with the scenario
    if isinstance(value, str):
        if value in places:
            return places[value]
        fail(field, f"unknown place {shown(value)}")
    spec = Fields(value, field, what="a point {lat, lon} or a place name")
    lat = spec.number("lat", low=-90.0, high=90.0)
    lon = spec.number("lon", low=-180.0, high=180.0)
    label = spec.text("name", name) if spec.has("name") else name
    spec.done()
    return Place(lat * _DEG, lon * _DEG, label)


class Fields:
    """Checked access to one mapping of the document, by field path."""

    def __init__(self, value: Any, field: str, what: str = "a mapping"):
        if type(value) is not dict:
            fail(field, f"expected {what}, got {shown(value)}")
        self.value: dict = value
        self.field = field
        self._used: set[str] = set()

    def at(self, key: str) -> str:
        """The field path of ``key``."""
        return f"{self.field}.{key}" if self.field else key

    def has(self, key: str) -> bool:
        return key in self.value

    def used(self, key: str) -> None:
        self._used.add(key)

    def get(self, key: str, default: Any = _MISSING) -> Any:
        self._used.add(key)
        if key in self.value:
            return self.value[key]
        if default is _MISSING:
            fail(self.at(key), "missing")
        return default

    def number(self, key: str, default: Any = _MISSING, **bounds) -> float:
        value = self.get(key, default)
        return number(value, self.at(key), **bounds)

    def integer(self, key: str, default: Any = _MISSING, *, low: int | None = None) -> int:
        value = self.get(key, default)
        if type(value) is not int or (low is not None and value < low):
            fail(self.at(key), f"expected an integer{f' >= {low}' if low is not None else ''}, "
                               f"got {shown(value)}")
        return value

    def text(self, key: str, default: Any = _MISSING) -> str:
        value = self.get(key, default)
        if type(value) is not str or (not value and default is _MISSING):
            fail(self.at(key), f"expected a non-empty string, got {shown(value)}")
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: Any = _MISSING) -> str:
        value = self.get(key, default)
        if value not in choices or type(value) is not str:
            fail(self.at(key), f"expected one of {', '.join(choices)}, got {shown(value)}")
        return value

    def mapping(self, key: str, default: Any = _MISSING) -> "Fields":
        return Fields(self.get(key, default), self.at(key))

    def sequence(self, key: str, default: Any = _MISSING) -> list:
        value = self.get(key, default)
        if type(value) is not list:
            fail(self.at(key), f"expected a list, got {shown(value)}")
        return value

    def done(self, hint: str | None = None) -> None:
        """Reject the keys no getter asked for (``description`` excepted)."""
        self._used.add("description")
        for key in self.value:
            if key not in self._used:
                known = hint or ", ".join(sorted(self._used - {"description"}))
                fail(self.at(key), f"unknown field (known here: {known})")
