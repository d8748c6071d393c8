"""The recording format: round trip, malformed input, counts, gzip damage, garbage."""
from __future__ import annotations

import copy
import gzip
import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from numpy.testing import assert_allclose

from tracker.errors import InputError
from tracker.recording import Event, Header, RecordingReader, RecordingWriter, Truth
from tracker.scan import Scan, Sector, Sensor, Site

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tracker" / "data" / "sample.jsonl.gz"
D = math.radians

SITE = {"lat": 36.92, "lon": 50.64, "alt": 20.0}
SENSORS = [
    {"id": "r", "kind": "radar", "site": SITE, "sigma": {"range_m": 60, "az_deg": 0.15,
     "el_deg": 0.3, "rr_mps": 1.5}, "pd": 0.9, "clutter_density": 1e-12,
     "range_max_m": 2.5e5, "period_s": 10},
    {"id": "q", "kind": "radar", "site": SITE, "sigma": {"range_m": 80, "az_deg": 0.2,
     "el_deg": 0.4}},
    {"id": "m", "kind": "radar", "sigma": {"range_m": 100, "az_deg": 0.3, "el_deg": 0.5,
     "rr_mps": 2}},
    {"id": "s", "kind": "los", "site": {"lat": 0, "lon": 57, "alt": 35786e3},
     "sigma": {"az_deg": 0.0004, "el_deg": 0.0004}},
    {"id": "p", "kind": "position", "sigma": {"h_m": 300, "v_m": 150}},
]
HEADER = {"format": "airtrack-recording", "version": 1, "sensors": SENSORS}
RADAR_DET = {"range_m": 1000.0, "az_deg": 10.0, "el_deg": 1.0, "rr_mps": -3.0}
SCAN = {"type": "scan", "t": 100.0, "sensor": "r", "detections": [RADAR_DET, RADAR_DET]}
MOVING_SITE = {"lat": 36.3, "lon": 51.8, "alt": 9000, "vel_enu": [100, -50, 0]}


def write(tmp_path, lines, name="rec.jsonl"):
    """A recording file of the given lines (dicts as JSON, str as is, bytes raw)."""
    out = b"".join((line if isinstance(line, bytes) else
                    (line if isinstance(line, str) else json.dumps(line)).encode()) + b"\n"
                   for line in lines)
    path = tmp_path / name
    path.write_bytes(gzip.compress(out, mtime=0) if name.endswith(".gz") else out)
    return path


def read(path, **kwargs):
    with RecordingReader(path, **kwargs) as reader:
        return reader, list(reader)


def scan(**changes):
    out = copy.deepcopy(SCAN)
    out.update(changes)
    return out


def header(**changes):
    out = copy.deepcopy(HEADER)
    out.update(changes)
    return out


def sensors(index, **changes):
    out = copy.deepcopy(SENSORS)
    out[index].update(changes)
    return header(sensors=out)


def det(**changes):
    out = dict(RADAR_DET)
    out.update(changes)
    return {k: x for k, x in out.items() if x is not None}


# ---------------------------------------------------------------- round trip

def rich_records():
    hdr = Header(
        sensors={
            "gr": Sensor("gr", "radar", Site(D(36.92), D(50.64), 20.0),
                         {"range": 60.0, "az": D(0.15), "el": D(0.3), "rr": 1.5}, pd=0.9,
                         clutter_density=1e-9, range_max_m=2.5e5, period_s=10.0,
                         extra={"name": "Ramsar", "band": "S"}),
            "sr": Sensor("sr", "radar", Site(D(37.47), D(49.46), 30.0),
                         {"range": 80.0, "az": D(0.2), "el": D(0.4)}),
            "aew": Sensor("aew", "radar", None,
                          {"range": 100.0, "az": D(0.3), "el": D(0.5), "rr": 2.0}),
            "sat": Sensor("sat", "los", Site(0.0, D(57.0), 35_786e3),
                          {"az": D(0.0004), "el": D(0.0004)}, clutter_density=3.0),
            "ir": Sensor("ir", "los", None, {"az": D(0.01), "el": D(0.01)}),
            "pos": Sensor("pos", "position", None, {"h": 300.0, "v": 150.0},
                          clutter_density=1e-15),
        },
        surface={"model": "ellipsoid", "note": "kept"},
        scenario={"name": "rich", "seed": 7},
        expect={"type": "FeatureCollection", "features": []},
        extra={"producer": "test"})
    rng = np.random.default_rng(3)

    def radar(n, rr=True):
        cols = [rng.uniform(0, 3e5, n), rng.uniform(0, 2 * np.pi, n),
                rng.uniform(-0.1, 1.0, n)] + ([rng.normal(0, 200, n)] if rr else [])
        return np.column_stack(cols)

    records = [
        Scan(1e9, "gr", "radar", radar(5), detection_ids=("a", None, "c", None, None)),
        Scan(1e9 + 1, "sr", "radar", radar(3, rr=False),
             sector=Sector((D(315.0), D(45.0)), (0.0, 1.8e5))),
        Scan(1e9 + 2, "sr", "radar", radar(0, rr=False), sector=Sector((D(45.0), D(135.0)))),
        Scan(1e9 + 3, "aew", "radar", radar(4),
             site=Site(D(36.3), D(51.8), 9000.0, np.array([120.0, -80.0, 0.5]))),
        Scan(1e9 + 4, "sat", "los", np.column_stack([rng.uniform(0, 2 * np.pi, 2),
                                                     rng.uniform(-1.5, -1.4, 2)])),
        Scan(1e9 + 5, "ir", "los", np.array([[1.0, 0.2]]), site=Site(D(35.0), D(50.0), 12e3)),
        Scan(1e9 + 6, "pos", "position", np.array([[D(37.1), D(-50.2), 9500.0],
                                                   [D(-89.0), D(179.9), -20.0]])),
        Truth(1e9 + 6, "cm-1", "cruise_missile", D(37.5), D(50.8), 50.0, (-140.0, -200.0, 0.1),
              seen_by=("gr", "aew"), extra={"rcs_m2": 0.5}),
        Truth(1e9 + 7, "al-1", "aircraft", D(37.0), D(49.6), 10_000.0, (239.0, -21.0, 0.0)),
        Event(1e9 + 8, "cm-1", "impact", D(37.4), D(50.7), extra={"alt": 0.0, "cause": "engine"}),
    ]
    return hdr, records


def assert_same(got, want):
    assert type(got) is type(want)
    if isinstance(want, Scan):
        assert (got.t, got.sensor, got.kind, got.detection_ids) == \
            (want.t, want.sensor, want.kind, want.detection_ids)
        assert got.detections.dtype == np.float64
        assert_allclose(got.detections, want.detections, rtol=1e-12, atol=1e-15)
        assert (got.site is None) == (want.site is None)
        if want.site is not None:
            assert_allclose([got.site.lat_rad, got.site.lon_rad, got.site.alt_m],
                            [want.site.lat_rad, want.site.lon_rad, want.site.alt_m], rtol=1e-12)
            if want.site.vel_enu is None:
                assert got.site.vel_enu is None
            else:
                assert_allclose(got.site.vel_enu, want.site.vel_enu, rtol=1e-12)
        assert (got.sector is None) == (want.sector is None)
        if want.sector is not None:
            assert_allclose(got.sector.az_rad, want.sector.az_rad, rtol=1e-12)
            assert got.sector.range_m == want.sector.range_m
    else:
        assert_allclose([got.lat_rad, got.lon_rad], [want.lat_rad, want.lon_rad], rtol=1e-12)
        tidy = {"lat_rad": 0.0, "lon_rad": 0.0}
        assert got.__class__(**{**got.__dict__, **tidy}) == want.__class__(**{**want.__dict__, **tidy})


@pytest.mark.parametrize("name", ["rich.jsonl", "rich.jsonl.gz"])
def test_round_trip_keeps_every_field(tmp_path, name):
    hdr, records = rich_records()
    with RecordingWriter(tmp_path / name) as writer:
        writer.write_header(hdr)
        for record in records:
            writer.write(record)
    reader, got = read(tmp_path / name)
    assert reader.header.sensors.keys() == hdr.sensors.keys()
    for sensor_id, want in hdr.sensors.items():
        have = reader.header.sensors[sensor_id]
        assert (have.kind, have.moving, have.extra, have.sigma.keys()) == \
            (want.kind, want.moving, want.extra, want.sigma.keys())
        assert_allclose(list(have.sigma.values()), list(want.sigma.values()), rtol=1e-12)
        for name_ in ("pd", "clutter_density", "range_max_m", "period_s"):
            if getattr(want, name_) is None:
                assert getattr(have, name_) is None
            else:
                assert getattr(have, name_) == pytest.approx(getattr(want, name_), rel=1e-12)
    assert (reader.header.surface, reader.header.scenario, reader.header.expect,
            reader.header.extra) == (hdr.surface, hdr.scenario, hdr.expect, hdr.extra)
    assert len(got) == len(records)
    for g, w in zip(got, records):
        assert_same(g, w)
    assert got[1].has_range_rate is False and got[0].has_range_rate is True


def test_writer_is_deterministic_and_strict(tmp_path):
    hdr, records = rich_records()
    for name in ("a.jsonl.gz", "b.jsonl.gz"):
        with RecordingWriter(tmp_path / name) as writer:
            writer.write_header(hdr)
            for record in records:
                writer.write(record)
    assert (tmp_path / "a.jsonl.gz").read_bytes() == (tmp_path / "b.jsonl.gz").read_bytes()
    with RecordingWriter(tmp_path / "nan.jsonl") as writer:
        writer.write_header(hdr)
        with pytest.raises(ValueError):
            writer.write(Scan(1.0, "pos", "position", np.array([[0.1, 0.2, np.nan]])))


def test_writer_wraps_azimuth_into_0_360(tmp_path):
    hdr, _ = rich_records()
    with RecordingWriter(tmp_path / "w.jsonl") as writer:
        writer.write_header(hdr)
        writer.write(Scan(1.0, "sat", "los", np.array([[-1e-20, -1.0], [2 * np.pi, 0.0],
                                                      [-D(10.0), 0.0]])))
    _, (got,) = read(tmp_path / "w.jsonl")
    assert_allclose(got.detections[:, 0], [0.0, 0.0, D(350.0)], rtol=1e-12)


# ---------------------------------------------------------------- malformed

BAD_SECOND_SCAN = [
    ("invalid JSON", '{"type": "scan",', "invalid JSON: Expecting property name enclosed in "
     "double quotes at column 17"),
    ("trailing data", '{"type": "scan"} x', "invalid JSON: Extra data at column 18"),
    ("NaN literal", '{"type": "scan", "t": NaN, "sensor": "r", "detections": []}',
     "invalid JSON: NaN is not JSON (RFC 8259)"),
    ("Infinity literal", '{"type": "scan", "t": 1, "sensor": "r", "detections": '
     '[{"range_m": Infinity, "az_deg": 1, "el_deg": 1, "rr_mps": 1}]}',
     "invalid JSON: Infinity is not JSON (RFC 8259)"),
    ("huge number", '{"type": "scan", "t": 1, "sensor": "r", "detections": '
     '[{"range_m": 1e400, "az_deg": 1, "el_deg": 1, "rr_mps": 1}]}',
     "detections[0].range_m: expected a finite number, got inf"),
    ("not an object", "[1, 2]", "expected a JSON object, got [1, 2]"),
    ("no type", {"t": 1.0}, "type: missing"),
    ("type not a string", {"type": 3}, "type: expected a string, got 3"),
    ("not UTF-8", b'{"type": "scan", "sensor": "\xff"}', "not UTF-8 text (byte 28)"),
    ("string number", scan(detections=[det(), det(az_deg="abc")]),
     'detections[1].az_deg: expected a finite number, got "abc"'),
    ("bool number", scan(detections=[det(el_deg=True)]),
     "detections[0].el_deg: expected a finite number, got true"),
    ("null number", scan(detections=[det(rr_mps=None), det(rr_mps=None)] and
                         [{**RADAR_DET, "rr_mps": None}]),
     "detections[0].rr_mps: expected a finite number, got null"),
    ("azimuth 360", scan(detections=[det(az_deg=360)]),
     "detections[0].az_deg: expected a number in [0, 360), got 360"),
    ("negative azimuth", scan(detections=[det(), det(), det(az_deg=-0.5)]),
     "detections[2].az_deg: expected a number in [0, 360), got -0.5"),
    ("elevation", scan(detections=[det(el_deg=90.5)]),
     "detections[0].el_deg: expected a number in [-90, 90], got 90.5"),
    ("negative range", scan(detections=[det(range_m=-5)]),
     "detections[0].range_m: expected a number >= 0, got -5"),
    ("t a string", scan(t="now"), 't: expected a finite number, got "now"'),
    ("unknown sensor", scan(sensor="zz"), 'sensor: unknown sensor "zz" (not in the header)'),
    ("detections not array", scan(detections={}), "detections: expected an array, got {}"),
    ("detection not object", scan(detections=[det(), 5]),
     "detections[1]: expected an object, got 5"),
    ("missing field", scan(detections=[det(el_deg=None)]), "detections[0].el_deg: missing"),
    ("foreign field", scan(detections=[det(lat=1.0)]),
     "detections[0].lat: not a field of a radar detection"),
    ("los with range", scan(sensor="s", detections=[{"az_deg": 1, "el_deg": -80, "range_m": 4}]),
     "detections[0].range_m: not a field of a los detection"),
    ("position with azimuth", scan(sensor="p", detections=[
        {"lat": 1, "lon": 2, "alt": 3, "az_deg": 4}]),
     "detections[0].az_deg: not a field of a position detection"),
    ("position latitude", scan(sensor="p", detections=[{"lat": -90.1, "lon": 2, "alt": 3}]),
     "detections[0].lat: expected a number in [-90, 90], got -90.1"),
    ("position longitude", scan(sensor="p", detections=[{"lat": 1, "lon": 180.5, "alt": 3}]),
     "detections[0].lon: expected a number in [-180, 180], got 180.5"),
    ("rr in some", scan(detections=[det(), det(rr_mps=None)]),
     "detections[1].rr_mps: missing (this radar reports rr_mps in its other detections)"),
    ("rr in later only", scan(sensor="q", detections=[det(rr_mps=None), det()]),
     "detections[1].rr_mps: not expected: this radar does not report rr_mps in its other "
     "detections"),
    ("rr against earlier scans", scan(detections=[det(rr_mps=None)]),
     "detections[0].rr_mps: missing: this radar reported rr_mps on line 2"),
    ("rr without its sigma", scan(sensor="q", detections=[det()]),
     'detections[0].rr_mps: sensor "q" has no sigma.rr_mps in the header'),
    ("detection id", scan(detections=[det(id=7)]),
     "detections[0].id: expected a string, got 7"),
    ("moving without site", scan(sensor="m"),
     'site: missing: sensor "m" is moving (no site in the header)'),
    ("moving rr without velocity", scan(sensor="m", site={"lat": 36, "lon": 51, "alt": 9e3}),
     "site.vel_enu: missing: a moving radar that reports rr_mps gives its velocity"),
    ("moving site latitude", scan(sensor="m", site={**MOVING_SITE, "lat": 95}),
     "site.lat: expected a number in [-90, 90], got 95"),
    ("velocity of 2", scan(sensor="m", site={**MOVING_SITE, "vel_enu": [1, 2]}),
     "site.vel_enu: expected an array of 3 numbers, got 2 items"),
    ("fixed with site", scan(site=MOVING_SITE),
     'site: sensor "r" is not moving (its site: in the header)'),
    ("sector of one", scan(sector={"az_deg": [10]}),
     "sector.az_deg: expected an array of 2 numbers, got 1 items"),
    ("sector azimuth", scan(sector={"az_deg": [10, 400]}),
     "sector.az_deg[1]: expected a number in [0, 360), got 400"),
    ("sector range", scan(sector={"az_deg": [10, 20], "range_m": [5e3, 1e3]}),
     "sector.range_m: expected [min, max] with min <= max, got [5000.0, 1000.0]"),
    ("sector of position", scan(sensor="p", detections=[], sector={"az_deg": [1, 2]}),
     "sector: a position sensor has no azimuth sector"),
    ("truth latitude", {"type": "truth", "t": 1, "id": "a", "kind": "aircraft", "lat": 91,
                        "lon": 0, "alt": 0, "vel_enu": [0, 0, 0]},
     "lat: expected a number in [-90, 90], got 91"),
    ("truth velocity", {"type": "truth", "t": 1, "id": "a", "kind": "aircraft", "lat": 1,
                        "lon": 0, "alt": 0, "vel_enu": [0, "x", 0]},
     'vel_enu[1]: expected a finite number, got "x"'),
    ("truth seen_by", {"type": "truth", "t": 1, "id": "a", "kind": "aircraft", "lat": 1,
                       "lon": 0, "alt": 0, "vel_enu": [0, 0, 0], "seen_by": ["r", "x"]},
     'seen_by[1]: unknown sensor "x" (not in the header)'),
    ("seen_by not ids", {"type": "truth", "t": 1, "id": "a", "kind": "aircraft", "lat": 1,
                         "lon": 0, "alt": 0, "vel_enu": [0, 0, 0], "seen_by": ["r", ["r"]]},
     'seen_by[1]: unknown sensor ["r"] (not in the header)'),
    ("time past year 9999", scan(t=1e300),
     "t: expected UTC seconds since the Unix epoch in years 1 to 9999, got 1e+300"),
    ("time before year 1", {"type": "event", "t": -7e10, "id": "a", "event": "impact",
                            "lat": 1, "lon": 2},
     "t: expected UTC seconds since the Unix epoch in years 1 to 9999, got -70000000000.0"),
    ("truth id", {"type": "truth", "t": 1, "id": 4, "kind": "aircraft", "lat": 1,
                  "lon": 0, "alt": 0, "vel_enu": [0, 0, 0]},
     "id: expected a non-empty string, got 4"),
    ("event kind", {"type": "event", "t": 1, "id": "a", "event": "boom", "lat": 1, "lon": 2},
     'event: expected one of launch, failure, impact, got "boom"'),
    ("event longitude", {"type": "event", "t": 1, "id": "a", "event": "impact", "lat": 1,
                         "lon": -181}, "lon: expected a number in [-180, 180], got -181"),
]

BAD_HEADER = [
    ("missing header", SCAN, 'format: missing: line 1 must be the recording header, '
     'got a "scan" record'),
    ("foreign header", header(format="geojson"),
     'format: expected "airtrack-recording", got "geojson"'),
    ("version", header(version=2), "version: expected 1 (the version this airtrack reads), got 2"),
    ("header not object", [HEADER], 'expected a JSON object, got [{"format": "airtrack-recording", "ve...'),
    ("no sensors", {"format": "airtrack-recording", "version": 1}, "sensors: missing"),
    ("duplicate sensor", header(sensors=SENSORS + [SENSORS[0]]),
     'sensors[5].id: duplicate sensor id "r"'),
    ("unknown surface", header(surface={"model": "srtm3"}),
     'surface.model: unknown surface model "srtm3"; this airtrack ships: ellipsoid'),
    ("sensor kind", sensors(0, kind="sonar"),
     'sensors[0].kind: expected one of radar, los, position, got "sonar"'),
    ("negative sigma", sensors(1, sigma={"range_m": -60, "az_deg": 0.2, "el_deg": 0.4}),
     "sensors[1].sigma.range_m: expected a number > 0, got -60"),
    ("missing sigma", sensors(3, sigma={"az_deg": 0.2}), "sensors[3].sigma.el_deg: missing"),
    ("foreign sigma", sensors(4, sigma={"h_m": 300, "v_m": 150, "az_deg": 1}),
     "sensors[4].sigma.az_deg: not a sigma of a position sensor"),
    ("pd", sensors(0, pd=1.5), "sensors[0].pd: expected a number in [0, 1], got 1.5"),
    ("negative clutter", sensors(0, clutter_density=-1),
     "sensors[0].clutter_density: expected a number >= 0, got -1"),
    ("site latitude", sensors(0, site={"lat": 91, "lon": 0, "alt": 0}),
     "sensors[0].site.lat: expected a number in [-90, 90], got 91"),
    ("fixed site velocity", sensors(0, site={**SITE, "vel_enu": [0, 0, 0]}),
     "sensors[0].site.vel_enu: a fixed site has no velocity"),
    ("position site", sensors(4, site=SITE),
     "sensors[4].site: a position sensor reports geodetic positions and has no site"),
    ("sensor id", sensors(2, id=""), 'sensors[2].id: expected a non-empty string, got ""'),
    ("sigma zero in radians", sensors(3, sigma={"az_deg": 5e-324, "el_deg": 0.1}),
     "sensors[3].sigma.az_deg: out of range: its variance is not a positive finite float, "
     "got 5e-324"),
    ("variance overflows", sensors(1, sigma={"range_m": 1e200, "az_deg": 0.2, "el_deg": 0.4}),
     "sensors[1].sigma.range_m: out of range: its variance is not a positive finite float, "
     "got 1e+200"),
    ("clutter overflows in radians", sensors(0, clutter_density=1e307),
     "sensors[0].clutter_density: out of range: too large once per rad² instead of per deg², "
     "got 1e+307"),
]


@pytest.mark.parametrize("gz", [False, True], ids=["jsonl", "gz"])
@pytest.mark.parametrize("line, message", [c[1:] for c in BAD_SECOND_SCAN],
                         ids=[c[0] for c in BAD_SECOND_SCAN])
def test_malformed_line_is_reported_with_line_and_field(tmp_path, gz, line, message):
    name = "rec.jsonl.gz" if gz else "rec.jsonl"
    path = write(tmp_path, [HEADER, SCAN, line, SCAN], name)
    delivered = []
    with pytest.raises(InputError) as err:
        with RecordingReader(path) as reader:
            delivered.extend(reader)
    assert str(err.value).startswith(f"{path}:3: {message}")
    assert "\n" not in str(err.value)
    assert len(delivered) == 1            # the good line before the bad one was delivered


@pytest.mark.parametrize("line, message", [c[1:] for c in BAD_HEADER],
                         ids=[c[0] for c in BAD_HEADER])
def test_malformed_header_is_reported_on_line_1(tmp_path, line, message):
    path = write(tmp_path, [line, SCAN])
    with pytest.raises(InputError) as err:
        read(path)
    assert str(err.value) == f"{path}:1: {message}"


def test_empty_file_has_no_header(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    with pytest.raises(InputError, match=r"^.*empty\.jsonl: empty file: line 1 must be"):
        read(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputError) as err:
        read(tmp_path / "nofile.jsonl")
    assert str(err.value) == f"{tmp_path / 'nofile.jsonl'}: no such file"


def test_line_longer_than_the_limit_is_malformed_and_not_held(tmp_path):
    lines = [HEADER, SCAN, scan(detections=[det()] * 40), SCAN]
    path = write(tmp_path, lines)
    delivered = []
    with pytest.raises(InputError) as err:
        with RecordingReader(path, max_line_bytes=2000) as reader:
            delivered.extend(reader)
    assert str(err.value) == f"{path}:3: line longer than 2000 bytes"
    assert len(delivered) == 1
    # a file without a line break stops at the limit, not at the end of the file
    path.write_bytes(json.dumps(HEADER).encode() + b" " * 10_000)
    with pytest.raises(InputError, match=r":1: line longer than 4096 bytes$"):
        read(path, max_line_bytes=4096)


def test_a_line_at_the_limit_is_read(tmp_path):
    path = write(tmp_path, [HEADER, SCAN])
    longest = max(len(line) for line in path.read_bytes().splitlines(keepends=True))
    assert len(read(path, max_line_bytes=longest)[1]) == 1


def test_unreadable_file_is_one_input_error(tmp_path, monkeypatch):
    def denied(path, mode):
        raise PermissionError(13, "Permission denied", str(path))
    monkeypatch.setattr("tracker.recording.open", denied, raising=False)   # root reads anything
    with pytest.raises(InputError) as err:
        read(tmp_path / "r.jsonl")
    assert str(err.value) == f"{tmp_path / 'r.jsonl'}: cannot read: Permission denied"


def test_directory_is_one_input_error(tmp_path):
    with pytest.raises(InputError) as err:
        read(tmp_path)
    assert str(err.value) == f"{tmp_path}: is a directory, not a recording"


# ---------------------------------------------------------------- what is not malformed

def test_units_are_converted_where_they_enter(tmp_path):
    # hand-worked: degrees -> radians; clutter per deg² -> per rad² for the two angle axes
    per_rad2 = (180.0 / math.pi) ** 2
    hdr = header(sensors=[
        {**SENSORS[0], "clutter_density": 2e-12},
        {**SENSORS[1], "clutter_density": 4e-9},                     # radar without rr
        {**SENSORS[3], "clutter_density": 0.5},
        {**SENSORS[4], "clutter_density": 1e-15}])
    lines = [hdr, scan(sector={"az_deg": [350, 10], "range_m": [0, 1e5]}),
             scan(sensor="s", detections=[{"az_deg": 270.0, "el_deg": -80.0}]),
             scan(sensor="p", detections=[{"lat": 36.5, "lon": -120.0, "alt": 5.0}])]
    reader, (radar, los, position) = read(write(tmp_path, lines))
    got = reader.header.sensors
    assert got["r"].sigma == pytest.approx({"range": 60.0, "az": 0.15 * math.pi / 180,
                                            "el": 0.3 * math.pi / 180, "rr": 1.5}, rel=1e-15)
    assert got["r"].clutter_density == pytest.approx(2e-12 * per_rad2, rel=1e-15)
    assert got["q"].clutter_density == pytest.approx(4e-9 * 3282.806350011744, rel=1e-15)
    assert got["s"].clutter_density == pytest.approx(0.5 * 3282.806350011744, rel=1e-15)
    assert got["p"].clutter_density == 1e-15 and got["p"].sigma == {"h": 300.0, "v": 150.0}
    assert got["r"].site.lat_rad == pytest.approx(36.92 * math.pi / 180, rel=1e-15)
    assert_allclose(radar.detections[0], [1000.0, 10 * math.pi / 180, math.pi / 180, -3.0],
                    rtol=1e-15)
    assert_allclose(radar.sector.az_rad, [350 * math.pi / 180, 10 * math.pi / 180], rtol=1e-15)
    assert_allclose(los.detections, [[1.5 * math.pi, -80 * math.pi / 180]], rtol=1e-15)
    assert_allclose(position.detections, [[36.5 * math.pi / 180, -120 * math.pi / 180, 5.0]],
                    rtol=1e-15)


def test_byte_order_mark_before_the_header_is_ignored(tmp_path):
    path = write(tmp_path, [HEADER, SCAN])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    reader, got = read(path)
    assert reader.header.sensors.keys() == {s["id"] for s in SENSORS} and len(got) == 1
    path.write_bytes(path.read_bytes() + b"\xef\xbb\xbf" + json.dumps(SCAN).encode())
    with pytest.raises(InputError, match=r":3: invalid JSON: Expecting value at column 1$"):
        read(path)                                   # only line 1 may start with one


def test_out_of_order_and_duplicate_scans_are_passed_on_and_counted(tmp_path):
    lines = [HEADER, scan(t=10.0), scan(t=20.0), scan(t=15.0), scan(t=20.0),
             scan(t=20.0, sensor="q", detections=[]), scan(t=5.0), scan(t=30.0)]
    reader, got = read(write(tmp_path, lines))
    assert [s.t for s in got] == [10.0, 20.0, 15.0, 20.0, 20.0, 5.0, 30.0]
    assert [s.line for s in got] == [2, 3, 4, 5, 6, 7, 8]
    assert reader.counts.out_of_order == 2           # 15 after 20, 5 after 20
    assert reader.counts.duplicates == 1             # (r, 20) twice; (q, 20) is another sensor
    assert (reader.counts.scans, reader.counts.detections, reader.counts.lines) == (7, 12, 8)


def test_duplicates_are_remembered_for_a_bounded_window(tmp_path):
    times = [float(t) for t in range(0, 100, 10)] + [15.0, 85.0, 5.0, 90.0]
    reader, _ = read(write(tmp_path, [HEADER] + [scan(t=t) for t in times]),
                     duplicate_window_s=30.0)
    # 85 is older than the newest (90) - 30 = 60? no: 85 >= 60 -> new time, kept; 90 is a
    # duplicate inside the window; the window pruned 0..50 so nothing older is compared.
    assert reader.counts.duplicates == 1
    assert reader.counts.out_of_order == 3
    recent_times, heap, _ = reader._recent["r"]
    assert max(recent_times) == 90.0 and min(recent_times) >= 60.0 and len(heap) == len(recent_times)


def test_duplicate_inside_the_window_is_found_even_out_of_order(tmp_path):
    reader, _ = read(write(tmp_path, [HEADER] + [scan(t=t) for t in (10.0, 20.0, 30.0, 10.0)]))
    assert reader.counts.duplicates == 1


def test_unknown_types_and_fields_are_skipped_and_counted(tmp_path):
    lines = [header(producer={"name": "x"}), {"type": "track", "id": "T1"},
             scan(radar_mode="surveillance", detections=[det(snr_db=13.0)]),
             {"type": "track"}, {"type": "comment", "text": "hi"}, "", "   "]
    reader, got = read(write(tmp_path, lines))
    assert len(got) == 1 and got[0].line == 3
    assert reader.counts.skipped == {"track": 2, "comment": 1}
    assert reader.header.extra == {"producer": {"name": "x"}}


def test_gzip_is_recognised_by_its_magic_not_its_name(tmp_path):
    body = (json.dumps(HEADER) + "\n" + json.dumps(SCAN) + "\n").encode()
    (tmp_path / "a.jsonl").write_bytes(gzip.compress(body))
    (tmp_path / "b.jsonl.gz").write_bytes(body)
    for name in ("a.jsonl", "b.jsonl.gz"):
        _, got = read(tmp_path / name)
        assert len(got) == 1


@pytest.mark.parametrize("cut", [0.5, 0.9, -4])
def test_truncated_gzip_delivers_the_scans_before_then_fails(tmp_path, cut):
    lines = [HEADER] + [scan(t=float(t), pad="x" * (t % 37)) for t in range(3000)]
    path = write(tmp_path, lines, "rec.jsonl.gz")
    whole = path.read_bytes()
    path.write_bytes(whole[:int(len(whole) * cut)] if cut > 0 else whole[:cut])
    delivered = []
    with pytest.raises(InputError) as err:
        with RecordingReader(path) as reader:
            delivered.extend(reader)
    assert str(err.value) == f"{path}: truncated gzip file after line {len(delivered) + 1}"
    assert len(delivered) > 100
    assert [s.t for s in delivered] == [float(t) for t in range(len(delivered))]


def test_corrupt_gzip_is_reported_without_a_line(tmp_path):
    path = write(tmp_path, [HEADER] + [scan(t=float(t)) for t in range(2000)], "rec.jsonl.gz")
    data = bytearray(path.read_bytes())
    data[-8] ^= 0xFF                      # the CRC-32 of the gzip trailer
    path.write_bytes(bytes(data))
    delivered = []
    with pytest.raises(InputError) as err:
        with RecordingReader(path) as reader:
            delivered.extend(reader)
    assert len(delivered) == 2000
    assert str(err.value).startswith(f"{path}: corrupt gzip data after line 2001: CRC check failed")


# ---------------------------------------------------------------- garbage

def json_values():
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False,
                                                                     allow_infinity=False) | st.text()
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)


def assert_reads_or_fails_cleanly(tmp_path, lines):
    path = write(tmp_path, lines)
    try:
        read(path)
    except InputError as e:
        assert str(e).startswith(str(path)) and "\n" not in str(e)


@given(garbage=st.binary(max_size=200))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_random_bytes_only_raise_input_error(tmp_path, garbage):
    assert_reads_or_fails_cleanly(tmp_path, [HEADER, SCAN, garbage.replace(b"\n", b" ")])
    assert_reads_or_fails_cleanly(tmp_path, [garbage.replace(b"\n", b" ")])


@given(value=json_values())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_random_json_values_only_raise_input_error(tmp_path, value):
    assert_reads_or_fails_cleanly(tmp_path, [HEADER, json.dumps(value)])
    assert_reads_or_fails_cleanly(tmp_path, [json.dumps(value), SCAN])


SCAN_FIELDS = ["t", "sensor", "site", "sector", "detections", "type"]
DET_FIELDS = ["range_m", "az_deg", "el_deg", "rr_mps", "lat", "lon", "alt", "id", "extra"]


@given(sensor=st.sampled_from(["r", "q", "m", "s", "p", "zz"]),
       field=st.sampled_from(SCAN_FIELDS + DET_FIELDS), value=json_values() | st.just("DELETE"),
       index=st.integers(0, 2),
       number=st.floats(allow_nan=False) | st.integers(-10**400, 10**400))
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_mutated_scans_only_raise_input_error(tmp_path, sensor, field, value, index, number):
    record = scan(sensor=sensor, site=MOVING_SITE if sensor == "m" else None,
                  detections=[det(), det(), det()])
    if record["site"] is None:
        del record["site"]
    target = record if field in SCAN_FIELDS else record["detections"][index]
    for new in (value, number):
        if new == "DELETE":
            target.pop(field, None)
        else:
            target[field] = new
        assert_reads_or_fails_cleanly(tmp_path, [HEADER, SCAN, record])


TRUTH = {"type": "truth", "t": 1.0, "id": "a", "kind": "aircraft", "lat": 1.0, "lon": 2.0,
         "alt": 3.0, "vel_enu": [1.0, 2.0, 3.0], "seen_by": ["r", "s"]}
EVENT = {"type": "event", "t": 1.0, "id": "a", "event": "impact", "lat": 1.0, "lon": 2.0}


@given(record=st.sampled_from([TRUTH, EVENT]),
       field=st.sampled_from(sorted(TRUTH.keys() | EVENT.keys())),
       value=json_values() | st.just("DELETE"), index=st.integers(0, 2))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_mutated_truth_and_events_only_raise_input_error(tmp_path, record, field, value, index):
    record = copy.deepcopy(record)
    if value == "DELETE":
        record.pop(field, None)
    elif isinstance(record.get(field), list) and index < len(record[field]):
        record[field][index] = value             # one item: seen_by[1] = ["r"], vel_enu[0] = {}
    else:
        record[field] = value
    assert_reads_or_fails_cleanly(tmp_path, [HEADER, record])


@given(sensor=st.integers(0, 4), field=st.sampled_from(["id", "kind", "site", "sigma", "pd",
       "clutter_density", "range_max_m", "period_s"]), value=json_values())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_mutated_headers_only_raise_input_error(tmp_path, sensor, field, value):
    assert_reads_or_fails_cleanly(tmp_path, [sensors(sensor, **{field: value}), SCAN])


# ---------------------------------------------------------------- the shipped sample

def test_shipped_sample_is_what_the_tool_writes(tmp_path):
    spec = importlib.util.spec_from_file_location("make_sample", ROOT / "tools" /
                                                  "make_sample_recording.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    tool.main(tmp_path / "sample.jsonl.gz")
    fresh = gzip.decompress((tmp_path / "sample.jsonl.gz").read_bytes()).splitlines()
    shipped = gzip.decompress(SAMPLE.read_bytes()).splitlines()
    # the same records and fields; numbers to 1e-12, as NumPy and libm releases differ in
    # the last bit of a sine or a square root (a byte comparison failed on numpy 2.4)
    assert len(fresh) == len(shipped), \
        "tracker/data/sample.jsonl.gz is stale: run python tools/make_sample_recording.py"
    for line, (a, b) in enumerate(zip(fresh, shipped), start=1):
        assert _same_json(json.loads(a), json.loads(b)), \
            f"sample line {line} is stale: run python tools/make_sample_recording.py"
    assert SAMPLE.stat().st_size < 300_000


def _same_json(a, b) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same_json(a[k], b[k])
                                                                     for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_same_json, a, b))
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(b, (int, float)) and math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9)
    return a == b


def test_sample_has_every_sensor_shape():
    reader, records = read(SAMPLE)
    kinds = {(s.kind, s.moving) for s in reader.header.sensors.values()}
    assert kinds == {("radar", False), ("radar", True), ("los", False), ("position", False)}
    scans = [r for r in records if isinstance(r, Scan)]
    assert any(s.sector is not None and s.sector.az_rad[1] < s.sector.az_rad[0] for s in scans)
    assert all(s.site is not None and s.site.vel_enu is not None
               for s in scans if s.sensor == "aew-1")
    truth = [r for r in records if isinstance(r, Truth)]
    assert {t.kind for t in truth} == {"cruise_missile", "aircraft"}
    assert any("gr-ramsar" in t.seen_by for t in truth if t.kind == "cruise_missile")
    assert {e.event for e in records if isinstance(e, Event)} == {"launch", "failure", "impact"}
    for s in reader.header.sensors.values():          # SCENARIO.md's realism floors
        if s.kind == "radar":
            assert s.sigma["range"] >= 50 and s.sigma["az"] >= D(0.1) and s.sigma["el"] >= D(0.2)
            assert s.sigma.get("rr", 1.0) >= 1.0 and 5 <= s.period_s <= 12
        if s.kind == "los":
            assert s.sigma["az"] >= D(0.0003)
        if s.kind == "position":
            assert s.sigma["h"] >= 200


def test_empty_scan_of_a_moving_radar_needs_no_velocity(tmp_path):
    # no detections: no range-rate to interpret, so DESIGN.md asks for no vel_enu
    site = {"lat": 36, "lon": 51, "alt": 9e3}
    path = write(tmp_path, [HEADER, scan(sensor="m", site=MOVING_SITE),
                            scan(sensor="m", t=101.0, site=site, detections=[])])
    _, records = read(path)
    assert [len(r) for r in records] == [2, 0]
    assert records[1].site.vel_enu is None
