"""Online clutter density (``tracker.clutter``): convergence, the clutter map, and its use."""
import dataclasses
import gzip
import json
import math

import numpy as np
import pytest

from tracker import frames
from tracker.cli import main
from tracker.clutter import ClutterEstimator, _Radar, claimed_by, ellipsoid_zone_area
from tracker.config import TrackerConfig, load_config
from tracker.engine import Tracker
from tracker.errors import InputError
from tracker.gating import CoverageLimits
from tracker.models import Radar
from tracker.scan import Scan, Sector, Sensor

from test_engine import SIGMA, SITE, T0, airliner, radar

EL = (math.radians(-1.0), math.radians(45.0))     # the config's default elevation band
RANGE_MAX, RR_MAX = 250e3, 350.0
RADAR_VOLUME = RANGE_MAX * 2 * math.pi * (EL[1] - EL[0]) * 2 * RR_MAX     # m rad^2 (m/s)


def _offset(k):
    """Three airliners 0, 30 and 60 km apart (ECEF state at t)."""
    def truth(t):
        x = airliner(t)
        return x + np.r_[k * 30e3 * x[3:] / np.linalg.norm(x[3:]), 0, 0, 0]
    return truth


def radar_clutter(rng, n, a0=0.0, width=2 * math.pi):
    """n false detections uniform in range, the azimuths [a0, a0 + width], el and rr."""
    return np.column_stack([rng.uniform(0, RANGE_MAX, n),
                            np.mod(a0 + rng.uniform(0, width, n), 2 * math.pi),
                            rng.uniform(*EL, n), rng.uniform(-RR_MAX, RR_MAX, n)])


def test_the_estimate_converges_to_a_known_rate_and_targets_are_not_counted():
    rng = np.random.default_rng(11)
    rate = 20.0                                     # false detections a (whole-volume) scan
    true = rate / RADAR_VOLUME
    tracker = Tracker({"r": radar(clutter_density=None, pd=0.9)}, TrackerConfig())
    targets = [_offset(k) for k in range(3)]
    n_target = 0
    for k in range(100):
        t = T0 + 10.0 * k
        seen = [Radar(site=SITE).h(f(t)[None])[0] for f in targets if rng.random() < 0.9]
        seen = [z + rng.normal(0, [60.0, SIGMA["az"], SIGMA["el"], 1.5]) for z in seen]
        n_target += len(seen)
        z = np.vstack([np.reshape(seen, (-1, 4)), radar_clutter(rng, rng.poisson(rate))])
        tracker.submit(Scan(t=t, sensor="r", kind="radar", detections=z))
    tracker.finish()
    estimate = tracker.clutter.maps["r"].density
    assert estimate == pytest.approx(true, rel=0.2)
    summary = tracker.clutter.summary()["r"]
    assert summary["source"] == "estimated" and summary["scans"] == 100
    # per m deg^2 (m/s), as a header would say it
    assert summary["clutter_density"] == pytest.approx(estimate * (math.pi / 180) ** 2)
    # the targets' ~270 detections went to their confirmed tracks, not into the count
    assert tracker.counts.tracks_confirmed >= 3 and n_target > 250
    assert summary["detections_counted"] < 100 * rate + 0.15 * n_target


def test_a_position_feed_s_estimate_converges_over_its_region():
    lat, lon = (math.radians(33.0), math.radians(39.0)), (math.radians(40.0), math.radians(48.0))
    sensor = Sensor(id="geo", kind="position", site=None, sigma={"h": 300.0, "v": 150.0},
                    pd=0.9, extra={"region": {"lat": [33.0, 39.0], "lon": [40.0, 48.0]}})
    rate, config = 5.0, TrackerConfig()
    volume = ellipsoid_zone_area(lat[0], lat[1], lon[1] - lon[0]) * (
        config.clutter.position_alt_max_m - config.clutter.position_alt_min_m)
    rng = np.random.default_rng(3)
    tracker = Tracker({"geo": sensor}, config)
    for k in range(100):
        n = rng.poisson(rate)
        z = np.column_stack([np.arcsin(rng.uniform(*np.sin(lat), n)), rng.uniform(*lon, n),
                             rng.uniform(0.0, 15e3, n)])
        tracker.submit(Scan(t=T0 + 10.0 * k, sensor="geo", kind="position", detections=z))
    tracker.finish()
    assert tracker.clutter.maps["geo"].density == pytest.approx(rate / volume, rel=0.2)


def test_a_clutter_map_finds_a_sector_with_ten_times_the_clutter():
    """16 sector scans a rotation; sector 0 (0-22.5 deg) has 10x the density of the rest."""
    rng = np.random.default_rng(7)
    sensor = radar(clutter_density=None)
    estimator = ClutterEstimator({"r": sensor}, TrackerConfig())
    cold = 4.0                                       # false detections per cold sector scan
    width = 2 * math.pi / 16
    for k in range(100 * 16):
        s = k % 16
        sector = Sector(az_rad=(s * width, (s + 1) * width % (2 * math.pi)))
        z = radar_clutter(rng, rng.poisson(cold * (10 if s == 0 else 1)), s * width, width)
        scan = Scan(t=T0 + k, sensor="r", kind="radar", detections=z, sector=sector)
        estimator.density(scan, sensor, 3e-9)
        estimator.update(scan, sensor, np.zeros(len(scan)))
    cells = estimator.maps["r"].cell_density.reshape(4, 16)     # range rings x azimuths
    true_cold = cold * 16 / RADAR_VOLUME
    assert cells[:, 1:].mean() == pytest.approx(true_cold, rel=0.2)
    assert cells[:, 0].mean() == pytest.approx(10 * true_cold, rel=0.2)
    ratio = cells[:, 0] / cells[:, 1:].mean()
    assert (7.0 < ratio).all() and (ratio < 13.0).all()
    assert cells[:, 0].min() > 4 * cells[:, 1:].max()            # every hot cell stands out
    # a detection in the hot sector gets the hot cell's density, one elsewhere a cold one
    probe = Scan(t=T0 + 2e4, sensor="r", kind="radar",
                 detections=np.array([[100e3, 0.1, 0.1, 0.0], [100e3, 3.0, 0.1, 0.0]]))
    hot, other = estimator.density(probe, sensor, 3e-9)
    assert hot / other > 7.0


def test_a_sector_exposes_the_cells_it_covers_through_north():
    config = TrackerConfig()
    geometry = _Radar(radar(), CoverageLimits.from_sensor(radar()), config.clutter, True)
    # 16 cells of 22.5 deg; the sector from 348.75 to 11.25 deg covers half of cells 15 and 0
    sector = Sector(az_rad=(math.radians(348.75), math.radians(11.25)), range_m=(0.0, 125e3))
    f = geometry.exposure(Scan(t=0.0, sensor="r", kind="radar", detections=np.empty((0, 4)),
                               sector=sector)).reshape(4, 16)
    expected = np.zeros((4, 16))
    expected[:2, [0, 15]] = 0.5                      # the inner two rings of 62.5 km
    np.testing.assert_allclose(f, expected, atol=1e-12)
    # whole volume: 4 x 16 cells of 62.5 km x 22.5 deg x the band x 700 m/s
    assert geometry.cell_volume.sum() == pytest.approx(RADAR_VOLUME)


def test_claims_of_confirmed_tracks_and_the_ellipsoid_area_by_hand():
    # tracks 0 (confirmed, r' 0.8) and 1 (tentative): pairs (0, d0) beta 0.5, (0, d1) 0.25,
    # (1, d1) 0.9; q = beta r', confirmed tracks only
    got = claimed_by(np.array([0, 2, 3]), np.array([0, 1, 1]), np.array([0.5, 0.25, 0.9]),
                     np.array([0.8, 0.6]), np.array([True, False]), 3)
    np.testing.assert_allclose(got, [0.4, 0.2, 0.0])
    whole = ellipsoid_zone_area(-math.pi / 2, math.pi / 2, 2 * math.pi)
    assert whole == pytest.approx(510_065_621.7e6, rel=1e-8)      # WGS-84's surface, m^2
    sphere = frames.WGS84_A ** 2 * 2 * math.pi * 2
    assert 0.99 * sphere < whole < sphere


def _slice(src, dst, seconds, strip):
    """The first ``seconds`` of a recording, with clutter_density taken out of its header."""
    with gzip.open(src, "rt") as fin, gzip.open(dst, "wt") as fout:
        header = json.loads(fin.readline())
        if strip:
            for sensor in header["sensors"]:
                sensor.pop("clutter_density", None)
        fout.write(json.dumps(header) + "\n")
        t0 = None
        for line in fin:
            t = json.loads(line)["t"]
            t0 = t if t0 is None else t0
            if t - t0 > seconds:
                break
            fout.write(line)
    return header


@pytest.mark.parametrize("strip", [True, False], ids=["no header density", "header density"])
def test_the_tracker_estimates_only_what_the_header_leaves_out(caspian_recording, tmp_path,
                                                              strip):
    recording = tmp_path / "slice.jsonl.gz"
    header = _slice(caspian_recording, recording, 600.0, strip)
    assert main(["track", str(recording), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    clutter = summary["clutter"]
    assert set(clutter) == {s["id"] for s in header["sensors"]}
    with gzip.open(caspian_recording, "rt") as f:
        given = {s["id"]: s["clutter_density"] for s in json.loads(f.readline())["sensors"]}
    for sid, c in clutter.items():
        if not strip:                            # the header wins: used as it is
            assert c["source"] == "header" and c["clutter_density"] == pytest.approx(given[sid])
            continue
        assert c["source"] == "estimated" and c["scans"] > 0 and c["header"] is None
        # 10 minutes are 60 rotations: every radar and the feed within 40 % of the
        # simulator's density (the satellite also counts boosters and flashes)
        if sid != "sat-ir":
            assert c["clutter_density"] == pytest.approx(given[sid], rel=0.4), sid
    assert summary["counts"]["tracks_confirmed"] > 10


def test_the_header_wins_unless_the_config_says_estimate():
    sensor = radar(clutter_density=5e-9)
    scan = Scan(t=T0, sensor="r", kind="radar", detections=radar_clutter(np.random.default_rng(1), 3))
    estimator = ClutterEstimator({"r": sensor}, TrackerConfig())
    assert (estimator.density(scan, sensor, 5e-9) == 5e-9).all() and estimator.maps == {}
    config = load_config(None)
    anyway = dataclasses.replace(config, clutter=dataclasses.replace(config.clutter,
                                                                     header_wins=False))
    estimator = ClutterEstimator({"r": sensor}, anyway)
    estimator.density(scan, sensor, 5e-9)
    assert estimator.maps["r"].prior_density == 5e-9         # the header is the prior
    assert estimator.summary()["r"]["source"] == "estimated"
    off = dataclasses.replace(config, clutter=dataclasses.replace(config.clutter, enabled=False))
    estimator = ClutterEstimator({"r": radar(clutter_density=None)}, off)
    assert (estimator.density(scan, radar(clutter_density=None), 3e-9) == 3e-9).all()
    assert estimator.summary()["r"]["source"] == "default"


def test_clutter_settings_load_and_bad_ones_are_located(tmp_path):
    good = tmp_path / "clutter.yaml"
    good.write_text("clutter: {header_wins: false, memory_looks: 50, radar_azimuth_cells: 8}\n")
    config = load_config(good)
    assert config.clutter.header_wins is False and config.clutter.memory_looks == 50.0
    assert config.clutter.radar_azimuth_cells == 8
    for text, field in (("clutter: {memory_looks: 1}\n", "clutter.memory_looks"),
                        ("clutter: {prior_looks: 0}\n", "clutter.prior_looks"),
                        ("clutter: {map_floor: 2}\n", "clutter.map_floor"),
                        ("clutter: {radar_range_cells: 0}\n", "clutter.radar_range_cells"),
                        ("clutter: {radar_el_min_deg: 50}\n", "clutter.radar_el_min_deg"),
                        ("clutter: {enabled: 1}\n", "clutter.enabled"),
                        ("clutter: {map: 1}\n", "clutter.map")):
        bad = tmp_path / "bad.yaml"
        bad.write_text(text)
        with pytest.raises(InputError, match=f"{bad}: {field}:"):
            load_config(bad)
