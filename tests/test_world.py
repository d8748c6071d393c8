"""The simulated world end to end: scenario -> flights -> sensors -> recording."""
import gzip
import json

import numpy as np
import pytest

from conftest import SHORT_SCENARIO_S
from sims.scenario import load_scenario
from sims.world import simulate
from tracker.cli import main
from tracker.errors import InputError
from tracker.recording import Event, RecordingReader, Truth
from tracker.scan import Scan


@pytest.fixture(scope="module")
def records(caspian_recording):
    with RecordingReader(caspian_recording) as reader:
        return reader.header, list(reader), reader.counts


def test_recording_is_time_ordered_and_complete(records):
    header, recs, counts = records
    scenario = load_scenario("caspian-2015")
    assert header.scenario["name"] == "caspian-2015" and header.surface == {"model": "ellipsoid"}
    assert list(header.sensors) == [s.id for s in scenario.sensors]
    assert header.expect["type"] == "FeatureCollection"
    times = np.array([r.t for r in recs])
    assert (np.diff(times) >= 0).all() and counts.out_of_order == 0 and counts.duplicates == 0
    assert times[0] >= scenario.start and times[-1] <= scenario.start + SHORT_SCENARIO_S
    scans = [r for r in recs if isinstance(r, Scan)]
    assert {s.sensor for s in scans} == set(header.sensors)
    # detections carry no truth labels in a recording
    assert all(s.detection_ids is None for s in scans)


def test_truth_at_the_truth_rate_with_seen_by(records):
    header, recs, _ = records
    truth = [r for r in recs if isinstance(r, Truth)]
    missiles = {r.id for r in truth if r.kind == "cruise_missile"}
    assert len(missiles) == 26                       # all launched in the first 12 minutes
    times = sorted({r.t for r in truth})
    assert np.allclose(np.diff(times), header.scenario["truth_period_s"])
    seen = [r for r in truth if r.seen_by]
    assert {s for r in truth for s in r.seen_by} <= set(header.sensors)
    # low missiles over the Caspian are beyond every radar's horizon; the coastal radar
    # picks them up at the coast: coverage is patchy, neither empty nor full
    missile_truth = [r for r in truth if r.kind == "cruise_missile"]
    fraction = np.mean([bool(r.seen_by) for r in missile_truth])
    assert 0.02 < fraction < 0.9, fraction
    assert any("gr-rasht" in r.seen_by for r in missile_truth)
    # airliners at 9 to 12 km are inside some radar's horizon almost everywhere
    assert np.mean([bool(r.seen_by) for r in truth if r.kind == "aircraft"]) > 0.9
    assert len(seen) > 0


def test_launch_events_and_boosters_seen_from_space(records):
    _, recs, _ = records
    events = [r for r in recs if isinstance(r, Event)]
    assert sum(e.event == "launch" for e in events) == 26
    ir = [r for r in recs if isinstance(r, Scan) and r.sensor == "sat-ir" and len(r)]
    assert len(ir) >= 10                             # boosters at launch are bright


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    def run(seed, name):
        out = tmp_path / name
        assert main(["simulate", "caspian-2015", "--out", str(out), "--duration", "120",
                     "--seed", str(seed), "--quiet"]) == 0
        return out.read_bytes()

    a, b, c = run(1, "a.jsonl.gz"), run(1, "b.jsonl.gz"), run(2, "c.jsonl.gz")
    assert a == b
    assert a != c
    assert gzip.decompress(a).split(b"\n", 1)[0] != gzip.decompress(c).split(b"\n", 1)[0]


def test_simulate_reports_counts(tmp_path, capsys):
    out = tmp_path / "r.jsonl"
    assert main(["simulate", "caspian-2015", "--out", str(out), "--duration", "60"]) == 0
    text = capsys.readouterr().out
    assert "wrote" in text and "clutter fraction" in text and "gr-rasht:" in text
    first = json.loads(out.read_text().split("\n", 1)[0])
    assert first["format"] == "airtrack-recording" and first["scenario"]["seed"] == 20151007


def test_simulate_bad_input_is_one_line_and_status_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: airtrack-scenario\nversion: 1\nname: x\nseed: nope\n")
    assert main(["simulate", str(bad), "--out", str(tmp_path / "r.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"airtrack: {bad}:") and err.count("\n") == 1 and "seed" in err
    assert main(["simulate", "no-such-scenario", "--out", str(tmp_path / "r.jsonl")]) == 2
    assert "no-such-scenario" in capsys.readouterr().err
    assert main(["simulate", "--out", str(tmp_path / "r.jsonl"), "--duration", "-5"]) == 2


def test_a_sensor_error_names_the_scenario_file_line_and_field(tmp_path, capsys):
    scenario = load_scenario("caspian-2015")
    text = open(scenario.path).read()
    assert "az_deg: 0.15" in text
    bad = tmp_path / "floor.yaml"
    bad.write_text(text.replace("az_deg: 0.15", "az_deg: 0.05", 1))
    with pytest.raises(InputError) as info:
        simulate(load_scenario(bad))
    message = str(info.value)
    assert message.startswith(f"{bad}:") and "sigma.az_deg" in message and "floor" in message
