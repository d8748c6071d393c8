"""Field checks for parsed JSON input, raising `InputError` with the field path.

Each check takes the value and its field path from the record's root (e.g.
``detections[3].az_deg``) and returns the value in the type the caller wants,
or raises ``InputError(problem, field=path)``; the reader adds the file and
line. A bool is not a number here, although Python counts it as an int.

The bounds of the external fields live in ``BOUNDS`` so that the scalar
checks and the vectorised detection checks of `tracker.recording` apply the
same rules.
"""
from __future__ import annotations

import json
import math
from typing import Any, NoReturn

from .errors import InputError

INF = math.inf

#: field -> (low, high, high is open); both ends inclusive unless said
BOUNDS: dict[str, tuple[float, float, bool]] = {
    "lat": (-90.0, 90.0, False),
    "lon": (-180.0, 180.0, False),
    "alt": (-INF, INF, False),
    "range_m": (0.0, INF, False),
    "az_deg": (0.0, 360.0, True),           # DESIGN: azimuth in [0, 360); 360 is 0
    "el_deg": (-90.0, 90.0, False),
    "rr_mps": (-INF, INF, False),
}

#: UTC seconds since the Unix epoch of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the
#: times a UTC date names; beyond them no clock reads, and time steps could overflow
TIME_RANGE = (-62_135_596_800.0, 253_402_300_799.0)

_MISSING = object()


def fail(field: str | None, problem: str) -> NoReturn:
    raise InputError(problem, field=field)


def shown(value: Any, limit: int = 40) -> str:
    """The value as JSON text, shortened, for an error message."""
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def get(obj: dict, key: str, field: str) -> Any:
    """``obj[key]``, or the "missing" error for ``field``."""
    value = obj.get(key, _MISSING)
    if value is _MISSING:
        fail(field, "missing")
    return value


def finite(value: Any, field: str) -> float:
    """A finite JSON number as a float (JSON ``1e400`` parses to inf: rejected)."""
    kind = type(value)
    if kind is float:
        if math.isfinite(value):
            return value
    elif kind is int:
        try:
            return float(value)
        except OverflowError:
            pass
    fail(field, f"expected a finite number, got {shown(value)}")


def bounded(value: Any, field: str, low: float, high: float, high_open: bool = False) -> float:
    """A finite number in [low, high] (or [low, high) when ``high_open``)."""
    x = finite(value, field)
    if low <= x and (x < high if high_open else x <= high):
        return x
    fail(field, f"expected a number {describe_bounds(low, high, high_open)}, got {shown(value)}")


def describe_bounds(low: float, high: float, high_open: bool = False) -> str:
    if high == INF:
        return f">= {low:g}"
    return f"in [{low:g}, {high:g}{')' if high_open else ']'}"


def external(value: Any, field: str, name: str) -> float:
    """A value of the external field ``name`` (``az_deg``, ``lat``, ...), checked by ``BOUNDS``."""
    low, high, high_open = BOUNDS[name]
    return bounded(value, field, low, high, high_open)


def timestamp(value: Any, field: str) -> float:
    """A time ``t``: UTC seconds since the Unix epoch, within ``TIME_RANGE`` (years 1 to 9999)."""
    t = finite(value, field)
    if TIME_RANGE[0] <= t <= TIME_RANGE[1]:
        return t
    fail(field, f"expected UTC seconds since the Unix epoch in years 1 to 9999, got {shown(value)}")


def positive(value: Any, field: str) -> float:
    x = finite(value, field)
    if x > 0.0:
        return x
    fail(field, f"expected a number > 0, got {shown(value)}")


def non_negative(value: Any, field: str) -> float:
    return bounded(value, field, 0.0, INF)


def probability(value: Any, field: str) -> float:
    return bounded(value, field, 0.0, 1.0)


def text(value: Any, field: str) -> str:
    """A non-empty string."""
    if type(value) is str and value:
        return value
    fail(field, f"expected a non-empty string, got {shown(value)}")


def obj(value: Any, field: str | None) -> dict:
    if type(value) is dict:
        return value
    fail(field, f"expected an object, got {shown(value)}")


def array(value: Any, field: str, length: int | None = None) -> list:
    if type(value) is not list:
        fail(field, f"expected an array, got {shown(value)}")
    if length is not None and len(value) != length:
        fail(field, f"expected an array of {length} numbers, got {len(value)} items")
    return value


def vector(value: Any, field: str, length: int) -> tuple[float, ...]:
    """A fixed-length array of finite numbers."""
    return tuple(finite(v, f"{field}[{i}]") for i, v in enumerate(array(value, field, length)))
