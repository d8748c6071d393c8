"""The simulated world end to end: scenario -> flights -> sensors -> recording."""
import gzip
import json
import math

import numpy as np
import pytest

from conftest import SHORT_SCENARIO_S
from sims.scenario import load_scenario
from sims.world import simulate
from tracker import frames
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


def bundled_changed(tmp_path, old, new) -> tuple[str, InputError]:
    """The bundled scenario with ``old`` -> ``new`` once, and the error simulating it."""
    text = open(load_scenario("caspian-2015").path).read()
    assert old in text
    bad = tmp_path / "changed.yaml"
    bad.write_text(text.replace(old, new, 1))
    with pytest.raises(InputError) as info:
        simulate(load_scenario(bad))
    return str(bad), info.value


def test_a_sensor_error_names_the_scenario_file_line_and_field(tmp_path, capsys):
    bad, err = bundled_changed(tmp_path, "az_deg: 0.15", "az_deg: 0.05")
    message = str(err)
    assert message.startswith(f"{bad}:") and "sigma.az_deg" in message and "floor" in message


# ------------------------------------------------- another theatre, written as files only

BALTIC = """\
# A notional exercise in the Baltic: nothing here is in the code, and the land
# mask is the scenario's own (the bundled borders stop at 52 N, 25 E)
format: airtrack-scenario
version: 1
name: baltic-exercise
seed: 11
start: 2030-06-01T12:00:00Z
duration_s: 2400
truth_period_s: 1.0
land_mask: land.geojson
places:
  ship: {lat: 55.5, lon: 15.0}
  t1: {lat: 56.8, lon: 23.0}
  t2: {lat: 56.6, lon: 23.5}
  t3: {lat: 57.0, lon: 22.8}
flights:
  - salvo: ship
    kind: cruise_missile
    launch: {t_s: 60, at: ship}
    count: 3
    interval_s: 20
    waypoints: [{lat: 56.0, lon: 18.0}, {lat: 56.5, lon: 21.5}]
    targets: [t1, t2, t3]
    rcs_m2: 0.5
traffic:
  routes:
    - {id: AL-1, t_s: 0, waypoints: [{lat: 59.0, lon: 18.0}, {lat: 54.0, lon: 24.0}],
       alt_m: 10500, speed_mps: 240}
sensors:
  - {id: gr-coast, kind: ground_radar, site: {lat: 56.4, lon: 21.0, alt: 40}, period_s: 10,
     range_max_m: 250000, sigma: {range_m: 60, az_deg: 0.15, el_deg: 0.3, rr_mps: 1.5},
     r50_m: 120000, false_alarms_per_rotation: 3}
  - {id: aew-1, kind: airborne_radar, orbit: {lat: 57.5, lon: 18.0, alt: 9000, length_m: 80000,
     width_m: 30000, heading_deg: 45, speed_mps: 180}, period_s: 10, range_max_m: 400000,
     sigma: {range_m: 100, az_deg: 0.3, el_deg: 0.5, rr_mps: 2}, r50_m: 200000,
     false_alarms_per_rotation: 5}
expect:
  type: FeatureCollection
  features:
    - type: Feature
      properties: {role: target_area, name: East}
      geometry:
        type: Polygon
        coordinates: [[[22.0, 56.0], [24.5, 56.0], [24.5, 57.5], [22.0, 57.5], [22.0, 56.0]]]
"""
BALTIC_LAND = {"type": "FeatureCollection", "bbox": [10.0, 53.0, 30.0, 61.0], "features": [
    {"type": "Feature", "properties": {"name": "Westland", "kind": "country"},
     "geometry": {"type": "Polygon",
                  "coordinates": [[[10, 56], [16, 56], [16, 61], [10, 61], [10, 56]]]}},
    {"type": "Feature", "properties": {"name": "Eastland", "kind": "country"},
     "geometry": {"type": "Polygon",
                  "coordinates": [[[21, 53], [30, 53], [30, 61], [21, 61], [21, 53]]]}}]}


def ground_m(a, b):
    """Straight-line distance (m) between ground points (lat, lon) rad, arrays."""
    return np.linalg.norm(frames.geodetic_to_ecef(*a, 0.0) - frames.geodetic_to_ecef(*b, 0.0),
                          axis=-1)


@pytest.fixture(scope="module")
def baltic(tmp_path_factory):
    folder = tmp_path_factory.mktemp("baltic")
    (folder / "land.geojson").write_text(json.dumps(BALTIC_LAND))
    path = folder / "baltic.yaml"
    path.write_text(BALTIC)
    out = folder / "baltic.jsonl.gz"
    assert main(["simulate", str(path), "--out", str(out), "--quiet"]) == 0
    with RecordingReader(out) as reader:                  # the reader takes all of it
        header, recs = reader.header, list(reader)
    scenario = load_scenario(path)
    _, labelled = simulate(scenario)                       # the same run, with truth labels
    return scenario, header, recs, [r for r in labelled if isinstance(r, Scan)]


def test_another_theatre_flies_its_own_missiles_past_its_own_sensors(baltic):
    scenario, header, recs, _ = baltic
    assert header.scenario["name"] == "baltic-exercise"
    assert list(header.sensors) == ["gr-coast", "aew-1"] and header.sensors["aew-1"].moving
    assert header.expect["features"][0]["properties"]["name"] == "East"
    events = [r for r in recs if isinstance(r, Event)]
    assert [e.event for e in events].count("launch") == 3
    targets = {f.id: (f.target.lat, f.target.lon) for f in scenario.flights}
    impacts = {e.id: e for e in events if e.event == "impact"}
    assert set(impacts) == set(targets) == {"ship-01", "ship-02", "ship-03"}
    for fid, e in impacts.items():
        assert e.extra["cause"] == "target"
        assert ground_m((e.lat_rad, e.lon_rad), targets[fid]) < 1000.0
    truth = [r for r in recs if isinstance(r, Truth) and r.kind == "cruise_missile"]
    lat, lon, alt = (np.array([getattr(r, k) for r in truth]) for k in ("lat_rad", "lon_rad",
                                                                        "alt_m"))
    lon_deg = np.degrees(lon)
    # cruise heights from the scenario's own land mask: 20 m over the sea, 100 m over Eastland
    sea, land = (lon_deg > 16.5) & (lon_deg < 20.5), (lon_deg > 21.6) & (lon_deg < 22.2)
    assert sea.sum() > 500 and land.sum() > 100
    assert np.all((alt[sea] > 10.0) & (alt[sea] < 30.0))
    assert np.all((alt[land] > 50.0) & (alt[land] < 150.0))
    # the coastal radar holds a missile only inside its 4/3-Earth radio horizon
    site = (math.radians(56.4), math.radians(21.0))
    seen = np.array(["gr-coast" in r.seen_by for r in truth])
    distance = ground_m((lat, lon), site)
    horizon = frames.radar_horizon_range(40.0, alt)
    assert seen.sum() > 50 and np.all(distance[seen] <= horizon[seen] + 1.0)
    assert not seen[distance > horizon + 1.0].any()
    # the airborne radar sees missiles over the sea far beyond that
    aew = np.array(["aew-1" in r.seen_by for r in truth])
    assert (aew & (distance > 150e3)).sum() > 100
    airliner = [r for r in recs if isinstance(r, Truth) and r.kind == "aircraft"]
    assert airliner and all(9000.0 < r.alt_m < 12000.0 for r in airliner)


def test_another_theatre_scans_are_sector_scans_with_clutter_and_detections(baltic):
    scenario, header, recs, labelled = baltic
    scans = [r for r in recs if isinstance(r, Scan)]
    ground = [s for s in scans if s.sensor == "gr-coast"]
    # 16 sector scans a 10 s rotation, tiling the circle, one dwell (0.625 s) apart
    assert len(ground) == 16 * 240
    assert np.allclose(np.diff([s.t for s in ground]), 10.0 / 16)
    sectors = [s.sector.az_rad for s in ground[:16]]
    assert all(abs(frames.wrap_pi(a[1] - b[0])) < 1e-9 for a, b in zip(sectors, sectors[1:]))
    airborne = [s for s in scans if s.sensor == "aew-1"]
    assert all(np.linalg.norm(s.site.vel_enu) == pytest.approx(180.0, rel=0.02) for s in airborne)
    # the recording holds the same detections as the labelled run
    assert [len(s) for s in scans] == [len(s) for s in labelled]
    ids = [(s.sensor, i) for s in labelled for i in s.detection_ids]
    for sensor, rate in (("gr-coast", 3.0), ("aew-1", 5.0)):
        false = sum(1 for x, i in ids if x == sensor and i is None)
        assert abs(false - 240 * rate) < 5.0 * math.sqrt(240 * rate)      # Poisson, 5 sigma
        assert sum(1 for x, i in ids if x == sensor and i and i.startswith("ship-")) > 20


def test_a_flight_and_an_orbit_across_the_antimeridian_read_back(tmp_path):
    """Longitudes stay in [-180, 180] for flights, events and a moving site crossing 180."""
    text = BALTIC.replace("land_mask: land.geojson", "land_mask: sea").replace(
        "ship: {lat: 55.5, lon: 15.0}", "ship: {lat: 55.5, lon: 179.2}").replace(
        "[{lat: 56.0, lon: 18.0}, {lat: 56.5, lon: 21.5}]", "[]").replace(
        "targets: [t1, t2, t3]", "targets: [{lat: 55.6, lon: -179.6}]").replace(
        "lat: 57.5, lon: 18.0, alt: 9000", "lat: 55.0, lon: 179.9, alt: 9000").replace(
        "[[[22.0, 56.0], [24.5, 56.0], [24.5, 57.5], [22.0, 57.5], [22.0, 56.0]]]",
        "[[[-180, 55], [-179, 55], [-179, 56], [-180, 56], [-180, 55]]]")
    path = tmp_path / "east.yaml"
    path.write_text(text)
    out = tmp_path / "east.jsonl"
    assert main(["simulate", str(path), "--out", str(out), "--duration", "600", "--quiet"]) == 0
    with RecordingReader(out) as reader:
        recs = list(reader)
    impacts = [r for r in recs if isinstance(r, Event) and r.event == "impact"]
    assert len(impacts) == 3 and all(e.lon_rad < 0.0 for e in impacts)
    target = (math.radians(55.6), math.radians(-179.6))
    assert all(ground_m((e.lat_rad, e.lon_rad), target) < 1000.0 for e in impacts)
    sites = [r.site.lon_rad for r in recs if isinstance(r, Scan) and r.sensor == "aew-1"]
    assert min(sites) < -3.1 and max(sites) > 3.1                      # it does cross


def test_a_satellite_line_of_sight_floor_is_checked_where_it_looks(tmp_path):
    """0.0004 deg of azimuth, 84 deg below the horizontal of a geostationary satellite,
    is 0.00004 deg across the line of sight: kinder than the floor of SCENARIO.md."""
    bad, err = bundled_changed(tmp_path, "sigma: {az_deg: 0.004,", "sigma: {az_deg: 0.0004,")
    assert err.field == "sensors[7].sigma.az_deg" and err.path == bad
    assert "across the line of sight, below the realism floor 0.0003" in err.problem
