"""Strict JSON Lines for the records a run writes (TRACK records of ``tracks.jsonl``).

Encoding is on the hot path: every live track gets a record at least every
output period, so at 1,000 tracks ``airtrack track`` encodes 1,000 records a
scan. The encoder was chosen with ``tests/benchmarks/test_output_bench.py``
on identical TRACK records (docs/benchmarks.md, "Output encoding"): for the
1,018 records of one 1,000-target scan (medians, one core), the standard
library's C encoder (built once, ``allow_nan=False``) takes 10.7 ms, a
hand-written f-string formatter 9.4 ms (its 18 ``float.__repr__`` calls a
record cost as much as the C encoder), orjson alone 0.6 ms and this module
(orjson and the NaN check) 1.1 ms: 10x less than the standard library.

DESIGN.md requires strict RFC 8259 JSON: no ``NaN`` or ``Infinity``. orjson
writes a non-finite float as ``null`` instead of refusing it, so every
encoded line is searched for ``null`` (one compiled ``re`` search); only a line
that contains it, which a TRACK record never does unless a value is not
finite (or a string holds the word), is checked value by value, and a
non-finite number raises :class:`NonFiniteError` naming its field. ``None``
values stay ``null``: ALERT records carry them.
"""
from __future__ import annotations

import math
import re
from typing import IO, Any

import orjson

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_APPEND_NEWLINE
#: finds ``null`` in a line: re's literal search takes 0.22 us on a 460-byte TRACK
#: line where ``b"null" in line`` takes 0.38 us (orjson itself 0.5 us)
_find_null = re.compile(b"null").search


class NonFiniteError(ValueError):
    """A record holds NaN or an infinity, which strict JSON (RFC 8259) cannot carry."""

    def __init__(self, field: str, value: float, record_id: Any = None):
        self.field, self.value, self.record_id = field, value, record_id
        which = f"record {record_id!r}: " if record_id is not None else ""
        super().__init__(f"{which}{field}: {value!r} is not a finite number; strict JSON "
                         "(RFC 8259) has no NaN or Infinity")


def _first_non_finite(value: Any, path: str) -> tuple[str, float] | None:
    """(field path, value) of the first non-finite number in ``value``, or None."""
    if isinstance(value, float):                  # numpy float64 is a float too
        return None if math.isfinite(value) else (path, value)
    if isinstance(value, dict):
        for key, item in value.items():
            found = _first_non_finite(item, f"{path}.{key}" if path else str(key))
            if found:
                return found
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found = _first_non_finite(item, f"{path}[{i}]")
            if found:
                return found
    elif hasattr(value, "dtype") and hasattr(value, "tolist"):      # numpy arrays, scalars
        if value.dtype.kind in "fc":
            return _first_non_finite(value.tolist(), path)
    return None


def encode(record: dict) -> bytes:
    """One record as a line of strict JSON (UTF-8, ending in ``\\n``).

    Accepts what the engine emits (str, int, float, bool, None, lists, dicts,
    and numpy scalars and arrays). Raises :class:`NonFiniteError` for NaN or
    an infinity anywhere in the record, and ``TypeError`` for a value JSON
    cannot hold.
    """
    try:
        line = orjson.dumps(record, option=_OPTIONS)
    except orjson.JSONEncodeError as e:
        raise TypeError(f"cannot encode record as JSON: {e}") from None
    if _find_null(line) is not None:
        found = _first_non_finite(record, "")
        if found:
            raise NonFiniteError(*found, record_id=record.get("id")
                                 if isinstance(record, dict) else None)
    return line


class RecordWriter:
    """An ``emit`` for ``Tracker``: each record as one line of a binary file.

    ``file`` is opened in binary mode (``open(path, "wb")``); the writer
    counts the records it wrote in ``count``.
    """

    def __init__(self, file: IO[bytes]):
        self._write = file.write
        self.count = 0

    def __call__(self, record: dict) -> None:
        self._write(encode(record))
        self.count += 1
