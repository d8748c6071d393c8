"""tools/airliner_coverage.py: airliners scored by the run scorer's own rules."""
import importlib.util
import json
import math
from pathlib import Path

import pytest

from tracker.recording import Header, RecordingWriter, Truth
from tracker.scan import Sensor, Site

TOOL = Path(__file__).resolve().parents[1] / "tools" / "airliner_coverage.py"


def load_tool():
    spec = importlib.util.spec_from_file_location("airliner_coverage", TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def truth(t, name, kind, lat, alt):
    return Truth(t=float(t), id=name, kind=kind, lat_rad=math.radians(lat),
                 lon_rad=math.radians(45.0), alt_m=alt, vel_enu=(0.0, 0.0, 0.0), seen_by=("r",))


def track(t, name, lat, alt, cls="unknown", status="confirmed"):
    return {"type": "track", "t": float(t), "id": name, "status": status, "lat": lat,
            "lon": 45.0, "alt": alt, "vel_enu": [0.0, 0.0, 0.0], "class": cls}


def test_airliners_are_scored_and_missiles_only_take_part_in_the_assignment(tmp_path):
    radar = Sensor(id="r", kind="radar", site=Site(math.radians(36.0), math.radians(45.0), 20.0),
                   sigma={"range": 60.0, "az": 0.003, "el": 0.005})
    recording = tmp_path / "r.jsonl"
    with RecordingWriter(recording) as writer:
        writer.write_header(Header(sensors={"r": radar}))
        for t in range(5):                   # airliner A at 36.0 N, missile M at 36.5 N
            writer.write(truth(t, "A", "aircraft", 36.0, 10000.0))
            writer.write(truth(t, "M", "cruise_missile", 36.5, 50.0))
    records = [track(t, "T1", 36.0, 10000.0) for t in range(1, 5)]          # A from t = 1
    records += [track(t, "T2", 36.5, 50.0, cls="cruise_missile") for t in range(5)]   # on M
    records += [track(3, "T1", 36.0, 10000.0, cls="cruise_missile")]       # once called a missile
    tracks = tmp_path / "tracks.jsonl"
    tracks.write_text("".join(json.dumps(r) + "\n" for r in records))
    got = load_tool().score(str(recording), str(tracks))
    assert got["airliner_samples_covered"] == 5
    assert got["airliner_coverage_tracked"] == pytest.approx(4 / 5)
    assert got["airliners_tracked"] == 1 and got["ids_per_airliner"] == 1.0
    assert got["airliner_tracks_classed_missile"] == ["T1"]                # not T2: it is on M
    assert got["airliner_track_records_classed_missile"] == 1
