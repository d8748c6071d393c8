"""Scenario files: the bundled one loads; every kind of bad file gives one located error."""
from __future__ import annotations

import json
import math
import textwrap

import pytest

from sims.scenario import FAILURE_MODES, list_scenarios, load_scenario
from sims.world import simulate
from tracker.cli import main
from tracker.errors import InputError
from tracker.recording import RecordingReader, Truth
from tracker.scan import Scan

# A small valid scenario; the malformed cases below each change one thing.
GOOD = textwrap.dedent("""\
    format: airtrack-scenario
    version: 1
    name: tiny
    seed: 7
    start: 2015-10-07T06:00:00Z
    duration_s: 600
    truth_period_s: 1
    surface: {model: ellipsoid}
    places:
      ship: {lat: 41.0, lon: 50.5}
      goal: {lat: 36.0, lon: 38.5}
    routes:
      west:
        - {lat: 38.0, lon: 50.0}
        - {lat: 36.5, lon: 45.0}
    flights:
      - id: m1
        kind: cruise_missile
        launch: {t_s: 10, lat: 41.0, lon: 50.5}
        waypoints:
          - {lat: 40.0, lon: 50.5}
          - {lat: 39.0, lon: 50.2}
        target: goal
        failure: {mode: engine, after_s: 100}
      - salvo: s
        kind: cruise_missile
        launch: {t_s: 0, at: ship}
        count: 3
        interval_s: 20
        waypoints: [west, {lat: 36.2, lon: 41.0}]
        targets: [goal]
        failures:
          - {missile: 2, mode: drift, t_s: 500, rate_deg_s: 0.1}
    traffic:
      airways:
        - name: AW1
          points: [{lat: 38.0, lon: 44.0}, {lat: 34.0, lon: 44.5}]
          interval_s: 300
      routes:
        - {id: r1, t_s: 0, waypoints: [ship, goal], alt_m: 10000, speed_mps: 240}
    sensors:
      - {id: gr-1, kind: ground_radar, site: {lat: 37, lon: 45, alt: 20},
         sigma: {range_m: 60, az_deg: 0.15}}
    expect:
      type: FeatureCollection
      features:
        - type: Feature
          properties: {role: target_area, name: goal area}
          geometry:
            type: Polygon
            coordinates: [[[38, 35.5], [39, 35.5], [39, 36.5], [38, 36.5], [38, 35.5]]]
    """)


def write(tmp_path, text, name="s.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text, needle):
    """1-based line of the first line containing ``needle``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_bundled_scenario_loads():
    assert "caspian-2015" in list_scenarios()
    s = load_scenario("caspian-2015")
    assert s.name == "caspian-2015"
    assert len(s.flights) == 26
    assert all(f.kind == "cruise_missile" for f in s.flights)
    assert len({(f.origin.lat, f.origin.lon) for f in s.flights}) == 4
    assert len({f.target for f in s.flights}) == 11
    assert sorted(f.failure.mode for f in s.flights if f.failure) == \
        ["drift", "engine", "engine", "guidance"]
    assert s.start == 1444197600.0                    # 2015-10-07T06:00:00Z
    assert 6600 <= s.duration_s <= 8400               # about two hours
    assert s.surface == {"model": "ellipsoid"}
    kinds = [x.kind for x in s.sensors]
    assert kinds.count("ground_radar") >= 4 and {"airborne_radar", "infrared_satellite",
                                                 "position"} <= set(kinds)
    roles = [f["properties"]["role"] for f in s.expect["features"]]
    assert roles.count("corridor") == 1 and roles.count("target_area") == 3


def test_good_scenario_expands_salvos_routes_and_places(tmp_path):
    s = load_scenario(write(tmp_path, GOOD))
    assert [f.id for f in s.flights] == ["m1", "s-01", "s-02", "s-03"]
    salvo = s.flights[1:]
    assert [f.launch_t - s.start for f in salvo] == [0.0, 20.0, 40.0]
    assert all(len(f.waypoints) == 3 for f in salvo)          # route "west" + one point
    assert salvo[0].target.name == "goal"
    assert salvo[1].failure.mode == "drift"
    assert salvo[1].failure.after_s == pytest.approx(480.0)   # t_s 500 - launch at 20
    assert salvo[0].failure is None and s.flights[0].failure.after_s == 100.0
    assert math.degrees(s.flights[0].origin.lat) == pytest.approx(41.0)
    assert s.airliners[0].alt_sea_m == 10000.0 and s.airways[0].directions == "both"
    assert s.sensors[0].field == "sensors[0]"
    assert s.sensors[0].line == line_of(GOOD, "id: gr-1")
    assert s.sensors[0].spec["sigma"] == {"range_m": 60, "az_deg": 0.15}


# (old text, new text, field, line marker (None: line 1 or none), words of the problem)
MALFORMED = [
    ("seed: 7\n", "", "seed", None, "missing"),
    ("duration_s: 600", 'duration_s: "long"', "duration_s", "duration_s:", "expected a number"),
    ("{lat: 39.0, lon: 50.2}", '{lat: "x", lon: 50.2}', "flights[0].waypoints[1].lat",
     "lat: \"x\"", 'expected a number in [-90, 90], got "x"'),
    ("{lat: 40.0, lon: 50.5}", "{lat: 95.0, lon: 50.5}", "flights[0].waypoints[0].lat",
     "lat: 95.0", "in [-90, 90]"),
    ("mode: engine", "mode: explode", "flights[0].failure.mode", "mode: explode",
     "expected one of " + ", ".join(FAILURE_MODES)),
    ("rate_deg_s: 0.1}", "glide_ratio: 3}", "flights[1].failures[0].glide_ratio",
     "glide_ratio: 3", "unknown field"),
    ("[39, 36.5], [38, 36.5]", "[38, 36.5], [39, 36.5]", "expect.features[0].geometry",
     "geometry:", "invalid polygon"),
    ("[38, 36.5], [38, 35.5]]]", "[38, 36.5], [38.2, 35.5]]]",
     "expect.features[0].geometry.coordinates[0]", "coordinates:", "not closed"),
    ("role: target_area", "role: target", "expect.features[0].properties.role",
     "role: target", "expected one of target_area, corridor"),
    ("surface: {model: ellipsoid}\n", "surface: {model: ellipsoid}\nsensor: []\n", "sensor",
     "sensor: []", "unknown field"),
    ("target: goal", "target: nowhere", "flights[0].target", "target: nowhere",
     'unknown place "nowhere"'),
    ("targets: [goal]", "targets: [goal, goal]", "flights[1].targets", "targets: [goal, goal]",
     "expected 1 or count=3 targets"),
    ("start: 2015-10-07T06:00:00Z", "start: 2015-10-07T06:00:00", "start", "start:",
     "time zone"),
    ("version: 1", "version: 2", "version", "version:", "version 1"),
    ("count: 3", "count: 2.5", "flights[1].count", "count: 2.5", "expected an integer"),
    ("name: tiny\n", "name: tiny\nname: again\n", "name", "name: again", "duplicate key"),
    ("id: r1,", "id: m1,", "traffic.routes[0]", "id: m1,", "used twice"),
    ("interval_s: 300", "interval_s: 0", "traffic.airways[0].interval_s", "interval_s: 0",
     "> 0"),
]


@pytest.mark.parametrize("old, new, field, marker, words", MALFORMED,
                         ids=[case[2] + ":" + case[4][:20] for case in MALFORMED])
def test_malformed_scenario_names_file_line_and_field(tmp_path, old, new, field, marker, words):
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    err = info.value
    assert err.path == str(path)
    assert err.field == field
    assert err.line == (line_of(text, marker) if marker else 1)
    assert words in err.problem
    assert str(err).startswith(f"{path}:{err.line}: {field}: ")


def test_yaml_syntax_error_gives_its_line(tmp_path):
    text = GOOD.replace("count: 3", "count: [3")
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert info.value.path == str(path)
    assert info.value.line is not None and info.value.line >= line_of(text, "count: [3")
    assert "not YAML" in info.value.problem


def test_expect_in_a_separate_file(tmp_path):
    collection = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"role": "corridor", "name": "c"},
        "geometry": {"type": "Polygon", "coordinates": [[[38, 35], [39, 35], [39, 36], [38, 35]]]}}]}
    write(tmp_path, json.dumps(collection), "expect.geojson")
    start = GOOD.index("expect:")
    text = GOOD[:start] + "expect: expect.geojson\n"
    s = load_scenario(write(tmp_path, text))
    assert s.expect == collection
    collection["features"][0]["properties"]["name"] = ""
    geojson = write(tmp_path, json.dumps(collection), "expect.geojson")
    with pytest.raises(InputError) as info:
        load_scenario(tmp_path / "s.yaml")
    assert info.value.path == str(geojson)                # the GeoJSON file, no line
    assert info.value.line is None
    assert info.value.field == "features[0].properties.name"


def test_sensor_errors_are_located_by_the_scenario(tmp_path):
    path = write(tmp_path, GOOD)
    s = load_scenario(path)
    err = s.locate(InputError("0.05 is below the realism floor 0.1", field="sensors[0].sigma.az_deg"))
    assert (err.path, err.line, err.field) == (str(path), line_of(GOOD, "sigma: {range_m"),
                                                "sensors[0].sigma.az_deg")
    missing = s.locate(InputError("required field is missing", field="sensors[0].period_s"))
    assert missing.line == line_of(GOOD, "id: gr-1")      # the sensor's own line


def test_unknown_bundled_name_and_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such scenario"):
        load_scenario("atlantis-1999")
    with pytest.raises(InputError, match="no such file"):
        load_scenario(tmp_path / "absent.yaml")


def test_a_missile_route_outside_the_land_mask_is_an_error(tmp_path):
    """Outside the bundled borders nothing is land: a missile there would fly its
    sea height over land, so the scenario must bring its own mask (or say ``sea``)."""
    text = GOOD.replace("lat: 39.0, lon: 50.2}", "lat: 55.0, lon: 20.0}")     # the Baltic
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    err = info.value
    assert (err.path, err.field, err.line) == (str(path), "flights[0]", line_of(text, "id: m1"))
    assert "m1: its waypoint 2 (55.00, 20.00) lies outside the land mask" in err.problem
    assert "land_mask" in err.problem
    assert load_scenario(write(tmp_path, text + "land_mask: sea\n")).land_mask == "sea"
    assert load_scenario(write(tmp_path, GOOD)).land_mask is None       # the bundled borders


def test_a_scenario_may_bring_its_own_land_mask(tmp_path):
    mask = {"type": "FeatureCollection", "bbox": [10.0, 30.0, 55.0, 60.0], "features": [{
        "type": "Feature", "properties": {"name": "Eastland", "kind": "country"},
        "geometry": {"type": "Polygon",
                     "coordinates": [[[21, 50], [30, 50], [30, 60], [21, 60], [21, 50]]]}}]}
    write(tmp_path, json.dumps(mask), "land.geojson")
    text = GOOD.replace("lat: 39.0, lon: 50.2}", "lat: 55.0, lon: 20.0}")
    s = load_scenario(write(tmp_path, text + "land_mask: land.geojson\n"))
    assert s.land_mask == str(tmp_path / "land.geojson")
    # ... which must cover every missile's route, too
    mask["bbox"] = [10.0, 50.0, 30.0, 60.0]
    write(tmp_path, json.dumps(mask), "small.geojson")
    with pytest.raises(InputError) as info:
        load_scenario(write(tmp_path, text + "land_mask: small.geojson\n"))
    assert info.value.field == "flights[0]" and "outside the land mask (50..60 N" in str(info.value)
    for value, words in (("absent.geojson", "no such file"), ("[1]", 'expected "sea" or a path')):
        path = write(tmp_path, GOOD + f"land_mask: {value}\n")
        with pytest.raises(InputError) as info:
            load_scenario(path)
        assert (info.value.field, info.value.line) == ("land_mask", line_of(GOOD, "expect:") + 8)
        assert words in info.value.problem


# ------------------------------------------------- the other bundled scenarios

NEW_SCENARIOS = ["dense-raid", "strong-clutter", "aew-only"]


def kinds_of(scenario):
    return [x.spec["kind"] for x in scenario.sensors]


@pytest.mark.parametrize("name", NEW_SCENARIOS)
def test_each_bundled_scenario_loads_passes_its_floors_and_simulates(name, tmp_path):
    """Loads by name, its sensors pass the realism floors (simulate builds them), and
    ``airtrack simulate NAME --duration 90`` writes scans with detections and truth."""
    assert name in list_scenarios()
    s = load_scenario(name)
    assert s.name == name and s.surface == {"model": "ellipsoid"}
    assert {f["properties"]["role"] for f in s.expect["features"]} == {"corridor", "target_area"}
    out = tmp_path / "r.jsonl"
    assert main(["simulate", name, "--out", str(out), "--duration", "90", "--quiet"]) == 0
    with RecordingReader(out) as reader:
        header, records = reader.header, list(reader)
    assert set(header.sensors) == {x.spec["id"] for x in s.sensors}
    scans = [r for r in records if isinstance(r, Scan)]
    truth = [r for r in records if isinstance(r, Truth)]
    assert {r.sensor for r in scans} == set(header.sensors)
    assert sum(len(r) for r in scans if r.kind == "radar") > 0
    assert {r.kind for r in truth} == {"aircraft", "cruise_missile"}    # launches within 90 s
    assert max(r.t for r in records) <= s.start + 90


def test_dense_raid_is_dense():
    s = load_scenario("dense-raid")
    missiles = [f for f in s.flights if f.kind == "cruise_missile"]
    assert len(missiles) >= 100
    assert len({(f.origin.lat, f.origin.lon) for f in missiles}) >= 4
    assert len({f.failure.mode for f in missiles if f.failure}) >= 3
    assert len(s.airways) >= 4 and min(a.interval_s for a in s.airways) <= 300
    kinds = kinds_of(s)
    assert kinds.count("ground_radar") >= 4 and kinds.count("airborne_radar") == 1


def test_strong_clutter_drowns_its_radars_and_leaves_the_density_out(tmp_path):
    s = load_scenario("strong-clutter")
    radars = [x.spec for x in s.sensors if x.spec["kind"] == "ground_radar"]
    assert len(radars) >= 3 and all(r["false_alarms_per_rotation"] >= 100 for r in radars)
    assert max(r["false_alarms_per_rotation"] for r in radars) >= 250
    out = tmp_path / "r.jsonl"
    assert main(["simulate", "strong-clutter", "--out", str(out), "--duration", "30",
                 "--quiet"]) == 0
    sensors = {x["id"]: x for x in json.loads(out.read_text().split("\n", 1)[0])["sensors"]}
    for r in radars:
        assert "clutter_density" not in sensors[r["id"]] and "pd" in sensors[r["id"]]
    assert "clutter_density" in sensors["sat-ir"]


def test_aew_only_has_one_radar_and_it_flies():
    kinds = kinds_of(load_scenario("aew-only"))
    assert kinds.count("airborne_radar") == 1
    assert set(kinds) <= {"airborne_radar", "infrared_satellite"}


# ------------------------------------------------- header_omits and merge keys

GR_1 = "sigma: {range_m: 60, az_deg: 0.15}}"
#: GOOD's radar, complete enough to simulate, with ``header_omits: VALUE``
GR_1_OMITS = ("sigma: {range_m: 60, az_deg: 0.15, el_deg: 0.3}, period_s: 10,\n"
              "         range_max_m: 200000, r50_m: 100000, false_alarms_per_rotation: 3,\n"
              "         header_omits: VALUE}")


def test_header_omits_leaves_fields_out_of_the_recording(tmp_path):
    text = GOOD.replace(GR_1, GR_1_OMITS.replace("VALUE", "[pd, clutter_density]"))
    path = write(tmp_path, text)
    out = tmp_path / "r.jsonl"
    assert main(["simulate", str(path), "--out", str(out), "--duration", "20", "--quiet"]) == 0
    sensor = json.loads(out.read_text().split("\n", 1)[0])["sensors"][0]
    assert "pd" not in sensor and "clutter_density" not in sensor and "sigma" in sensor
    with RecordingReader(out) as reader:
        assert reader.header.sensors["gr-1"].pd is None
        assert reader.header.sensors["gr-1"].clutter_density is None
    plain = tmp_path / "plain.jsonl"
    text = GOOD.replace(GR_1, GR_1_OMITS.replace("VALUE", "[]"))
    assert main(["simulate", str(write(tmp_path, text, "g.yaml")), "--out", str(plain),
                 "--duration", "20", "--quiet"]) == 0
    full = json.loads(plain.read_text().split("\n", 1)[0])["sensors"][0]
    assert full["pd"] > 0 and full["clutter_density"] > 0
    # the scans are the same: only the header changes
    assert out.read_text().split("\n", 1)[1] == plain.read_text().split("\n", 1)[1]


@pytest.mark.parametrize("value, field, words", [
    ("[pd, range_max_m]", "sensors[0].header_omits[1]", "expected one of pd, clutter_density"),
    ("[pd, pd]", "sensors[0].header_omits[1]", "listed twice"),
    ("pd", "sensors[0].header_omits", "expected a list"),
])
def test_bad_header_omits_names_file_line_and_field(tmp_path, value, field, words):
    text = GOOD.replace(GR_1, GR_1_OMITS.replace("VALUE", value))
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        simulate(load_scenario(path), duration_s=10)
    err = info.value
    assert (err.path, err.field) == (str(path), field) and words in err.problem
    assert err.line == line_of(text, "header_omits")


def test_merge_keys_give_defaults_that_written_keys_override(tmp_path):
    text = GOOD.replace(
        "  - {id: gr-1, kind: ground_radar, site: {lat: 37, lon: 45, alt: 20},\n"
        "     sigma: {range_m: 60, az_deg: 0.15}}",
        "  - &radar {id: gr-1, kind: ground_radar, site: {lat: 37, lon: 45, alt: 20},\n"
        "     sigma: {range_m: 60, az_deg: 0.15}}\n"
        "  - {<<: *radar, id: gr-2,\n"
        "     sigma: {range_m: 80, az_deg: 0.2}}")
    assert "gr-2" in text
    s = load_scenario(write(tmp_path, text))
    second = s.sensors[1]
    assert second.spec["id"] == "gr-2" and second.spec["site"] == {"lat": 37, "lon": 45, "alt": 20}
    assert second.spec["sigma"] == {"range_m": 80, "az_deg": 0.2}
    assert s.line_of("sensors[1].sigma.az_deg") == line_of(text, "range_m: 80")   # the written one
    assert s.line_of("sensors[1].site.lat") == line_of(text, "&radar")             # the merged one
    twice = text.replace("id: gr-2,", "id: gr-2, id: gr-3,")
    with pytest.raises(InputError, match="duplicate key") as info:
        load_scenario(write(tmp_path, twice))
    assert info.value.field == "sensors[1].id"
