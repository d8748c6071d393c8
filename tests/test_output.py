"""The TRACK record encoder (tracker.output): strict JSON, equal after a round trip."""
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.output import NonFiniteError, RecordWriter, encode


def _reject(name):
    raise ValueError(f"non-strict JSON constant {name}")


def strict_loads(line: bytes):
    """What every airtrack reader does: refuse NaN and Infinity literals."""
    return json.loads(line, parse_constant=_reject)


def track_record(**changes):
    record = {"type": "track", "t": 1444200030.0, "id": "T17", "status": "confirmed",
              "lat": 39.180886513853416, "lon": 50.235084492571374, "alt": 9043.000512471423,
              "vel_enu": [-233.391683354875, -28.08643661494571, -1.4843018254812819],
              "cov_pos_enu": [[6352.554379518352, 0.0003656447902005816, -0.504728618097497],
                              [0.0003656447898329164, 6352.5534775050255, -0.05449828695466],
                              [-0.5047286180970323, -0.05449828695400242, 5482.669365005054]],
              "existence": 0.9999999998250293, "class": "unknown", "sensors": ["geo"],
              "t_update": 1444200025.0}
    record.update(changes)
    return record


def test_a_track_record_is_one_line_of_json_equal_after_a_round_trip():
    record = track_record()
    line = encode(record)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert strict_loads(line) == record
    # every float keeps its exact value (shortest round-trip form, as repr)
    assert json.dumps(strict_loads(line), separators=(",", ":")).encode() + b"\n" == line


finite = st.floats(allow_nan=False, allow_infinity=False)
names = st.text(max_size=12)          # ids and sensor names: any Unicode, quotes, "null"


@given(t=finite, lat=finite, vel=st.lists(finite, min_size=3, max_size=3),
       cov=st.lists(st.lists(finite, min_size=3, max_size=3), min_size=3, max_size=3),
       track_id=names, sensors=st.lists(names, max_size=3))
@settings(max_examples=200, deadline=None)
def test_random_track_records_round_trip(t, lat, vel, cov, track_id, sensors):
    record = track_record(t=t, lat=lat, vel_enu=vel, cov_pos_enu=cov, id=track_id,
                          sensors=sensors)
    assert strict_loads(encode(record)) == record


def test_numpy_values_are_written_as_plain_numbers():
    record = track_record(alt=np.float64(9000.5), vel_enu=np.array([1.0, 2.0, 3.0]),
                          existence=np.float32(0.5))
    got = strict_loads(encode(record))
    assert got["alt"] == 9000.5 and got["vel_enu"] == [1.0, 2.0, 3.0] and got["existence"] == 0.5


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("where", ["lat", "vel_enu", "cov_pos_enu", "numpy"])
def test_a_non_finite_number_is_refused_and_named(bad, where):
    record = track_record()
    if where == "lat":
        record["lat"], field = bad, "lat"
    elif where == "vel_enu":
        record["vel_enu"][2], field = bad, "vel_enu[2]"
    elif where == "cov_pos_enu":
        record["cov_pos_enu"][1][2], field = bad, "cov_pos_enu[1][2]"
    else:
        record["vel_enu"], field = np.array([0.0, bad, 1.0]), "vel_enu[1]"
    with pytest.raises(NonFiniteError) as caught:
        encode(record)
    message = str(caught.value)
    assert caught.value.field == field and message.startswith(f"record 'T17': {field}: ")
    assert "not a finite number" in message and "RFC 8259" in message
    assert isinstance(caught.value, ValueError)


def test_null_and_the_word_null_in_strings_are_kept():
    """None is JSON null (ALERT records carry it); "null" inside a string is no NaN."""
    record = {"type": "alert", "id": "null", "impact": None, "reason": "x:null,", "n": [None]}
    assert strict_loads(encode(record)) == record
    record = track_record(sensors=["null"], id="null")
    assert strict_loads(encode(record)) == record


def test_a_value_json_cannot_hold_is_a_type_error():
    with pytest.raises(TypeError, match="cannot encode"):
        encode(track_record(t=object()))


def test_the_writer_writes_one_line_per_record_and_counts(tmp_path):
    path = tmp_path / "tracks.jsonl"
    with open(path, "wb") as f:
        writer = RecordWriter(f)
        for i in range(3):
            writer(track_record(id=f"T{i}"))
    lines = path.read_bytes().splitlines()
    assert writer.count == 3 and [strict_loads(x)["id"] for x in lines] == ["T0", "T1", "T2"]
