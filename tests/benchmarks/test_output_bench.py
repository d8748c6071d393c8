"""Encoding one scan's TRACK records: the candidates behind ``tracker.output``.

Run with timings: ``pytest tests/benchmarks/test_output_bench.py --benchmark-enable``.

The records are identical for every candidate: the 1,000-odd records one scan
of the 1,000-target scaling data makes (``scaling_data``), as the engine emits
them. Candidates, each producing one line per record:

* ``stdlib json``: ``json.JSONEncoder(allow_nan=False, separators=...)``, built
  once (the C encoder), what ``airtrack track`` used before;
* ``f-string``: a hand-written formatter for the TRACK shape, ``float.__repr__``
  per number (what json writes too) and a finiteness check on the sum;
* ``orjson``: ``orjson.dumps`` alone, which writes NaN as null (not strict);
* ``tracker.output``: orjson plus the NaN / Infinity refusal (the chosen one).

In the normal suite each runs once and its lines must parse back to the records.
"""
import json
import math

import pytest

import scaling_data
from tracker import output
from tracker.config import TrackerConfig
from tracker.engine import Tracker

orjson = pytest.importorskip("orjson")


@pytest.fixture(scope="module")
def records():
    """Every record of the last processed scan of an 8-scan, 1,000-target run."""
    data = scaling_data.make(1_000, 8, seed=1)
    emitted = []
    tracker = Tracker({data.sensor.id: data.sensor}, TrackerConfig(), emitted.append)
    for scan in data.scans:
        tracker.submit(scan)
    last = max(r["t"] for r in emitted)
    return [r for r in emitted if r["t"] == last]


_STDLIB = json.JSONEncoder(allow_nan=False, separators=(",", ":")).encode
_strings: dict[str, str] = {}


def _string(s: str) -> str:
    encoded = _strings.get(s)
    if encoded is None:
        encoded = _strings[s] = json.dumps(s)
    return encoded


def _fstring(r: dict) -> str:
    f = float.__repr__
    v, (c0, c1, c2) = r["vel_enu"], r["cov_pos_enu"]
    if not math.isfinite(r["t"] + r["lat"] + r["lon"] + r["alt"] + sum(v) + sum(c0) + sum(c1)
                         + sum(c2) + r["existence"] + r["t_update"]):
        raise ValueError("not finite")
    return (f'{{"type":"track","t":{f(r["t"])},"id":{_string(r["id"])},'
            f'"status":{_string(r["status"])},"lat":{f(r["lat"])},"lon":{f(r["lon"])},'
            f'"alt":{f(r["alt"])},"vel_enu":[{f(v[0])},{f(v[1])},{f(v[2])}],'
            f'"cov_pos_enu":[[{f(c0[0])},{f(c0[1])},{f(c0[2])}],[{f(c1[0])},{f(c1[1])},'
            f'{f(c1[2])}],[{f(c2[0])},{f(c2[1])},{f(c2[2])}]],'
            f'"existence":{f(r["existence"])},"class":{_string(r["class"])},'
            f'"class_probability":{f(r["class_probability"])},'
            f'"sensors":[{",".join(map(_string, r["sensors"]))}],'
            f'"t_update":{f(r["t_update"])}}}\n')


CANDIDATES = {
    "stdlib json": lambda r: _STDLIB(r) + "\n",
    "f-string": _fstring,
    "orjson": orjson.dumps,
    "tracker.output": output.encode,
}


@pytest.mark.parametrize("impl", list(CANDIDATES))
def test_encode_scan(benchmark, records, impl):
    benchmark.group = f"encode one scan's TRACK records N={len(records)}"
    encode = CANDIDATES[impl]
    lines = benchmark.pedantic(lambda: [encode(r) for r in records], rounds=50)
    assert [json.loads(line) for line in lines] == records
