"""Reading a scenario's sensor dictionary: every field checked, every error located.

A :class:`SpecReader` wraps one mapping of the scenario (a sensor, or a
mapping inside it such as ``sigma``) with its field path (``sensors[2]``), so
that a bad value is reported as, for example,
``sensors[2].sigma.az_deg: 0.05 is below the realism floor 0.1 (SCENARIO.md)``
(:class:`tracker.errors.InputError` with that ``field``; the scenario loader
adds the file). Keys the sensor does not know are rejected too: a misspelt
optional key would otherwise silently fall back to its default.
"""
from __future__ import annotations

import math
from typing import Any, Iterable, Mapping

from tracker.errors import InputError

_MISSING = object()
FLOOR_SOURCE = "(SCENARIO.md)"


class SpecReader:
    """Typed, range-checked access to one mapping of a scenario file."""

    def __init__(self, spec: Any, path: str):
        if not isinstance(spec, Mapping):
            raise InputError(f"expected a mapping, got {type(spec).__name__}", field=path)
        self.spec = spec
        self.path = path
        self._read: set[str] = set()

    def field(self, key: str) -> str:
        """The field path of ``key`` inside this mapping."""
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, problem: str) -> None:
        raise InputError(problem, field=self.field(key))

    def has(self, key: str) -> bool:
        return key in self.spec

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        self._read.add(key)
        if key not in self.spec:
            if default is _MISSING:
                self.fail(key, "required field is missing")
            return default
        return self.spec[key]

    def number(self, key: str, default: Any = _MISSING, *, above: float | None = None,
               at_least: float | None = None, at_most: float | None = None,
               floor: float | None = None) -> float:
        """A finite real number, optionally bounded; ``floor`` is a realism floor."""
        value = self.raw(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value):
            self.fail(key, f"expected a finite number, got {value!r}")
        value = float(value)
        if above is not None and not value > above:
            self.fail(key, f"{value:g} must be > {above:g}")
        if at_least is not None and value < at_least:
            self.fail(key, f"{value:g} must be >= {at_least:g}")
        if at_most is not None and value > at_most:
            self.fail(key, f"{value:g} must be <= {at_most:g}")
        if floor is not None and value < floor:
            self.fail(key, f"{value:g} is below the realism floor {floor:g} {FLOOR_SOURCE}")
        return value

    def probability(self, key: str, default: Any = _MISSING) -> float:
        return self.number(key, default, at_least=0.0, at_most=1.0)

    def integer(self, key: str, default: Any = _MISSING, *, at_least: int | None = None,
                choices: Iterable[int] | None = None) -> int:
        value = self.raw(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, f"expected an integer, got {value!r}")
        if at_least is not None and value < at_least:
            self.fail(key, f"{value} must be >= {at_least}")
        if choices is not None and value not in tuple(choices):
            self.fail(key, f"{value} is not one of {', '.join(map(str, choices))}")
        return int(value)

    def text(self, key: str, default: Any = _MISSING) -> str:
        value = self.raw(key, default)
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"expected a non-empty string, got {value!r}")
        return value

    def pair(self, key: str, default: Any = _MISSING, *, at_least: float | None = None,
             at_most: float | None = None) -> tuple[float, float]:
        """Two finite numbers ``[low, high]`` with low < high, within the bounds."""
        value = self.raw(key, default)
        if not isinstance(value, (list, tuple)) or len(value) != 2 or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                for v in value):
            self.fail(key, f"expected two finite numbers [low, high], got {value!r}")
        low, high = float(value[0]), float(value[1])
        if not low < high:
            self.fail(key, f"low {low:g} must be < high {high:g}")
        if (at_least is not None and low < at_least) or (at_most is not None and high > at_most):
            self.fail(key, f"[{low:g}, {high:g}] must lie within [{at_least:g}, {at_most:g}]")
        return low, high

    def child(self, key: str, default: Any = _MISSING) -> "SpecReader":
        """The mapping under ``key``, as a reader of its own."""
        return SpecReader(self.raw(key, default), self.field(key))

    def finish(self) -> None:
        """Reject the keys nobody read (typos, or fields of another sensor kind)."""
        unknown = sorted(set(map(str, self.spec)) - self._read)
        if unknown:
            self.fail(unknown[0], "unknown field (see docs/sensors.md for the accepted fields)")


def site_geodetic(reader: SpecReader, *, alt_at_least: float = -500.0) -> tuple[float, float, float]:
    """``{lat, lon, alt}`` in degrees and metres -> (lat rad, lon rad, alt m)."""
    lat = reader.number("lat", at_least=-90.0, at_most=90.0)
    lon = reader.number("lon", at_least=-180.0, at_most=180.0)    # as the recording's
    alt = reader.number("alt", at_least=alt_at_least)
    reader.finish()
    return math.radians(lat), math.radians(lon), alt
