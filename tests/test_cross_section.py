"""Each track's radar cross-section posterior and its Pd (tracker.cross_section)."""
import math
from dataclasses import replace

import numpy as np
import pytest

from tracker.config import CrossSection, TrackerConfig, load_config
from tracker.cross_section import CrossSectionModel, RadarEquation, single_look_pd
from tracker.errors import InputError
from tracker.scan import Scan, Sensor, Site

SITE = Site(lat_rad=math.radians(35.0), lon_rad=math.radians(35.0), alt_m=30.0)
SIGMA = {"range": 60.0, "az": math.radians(0.15), "el": math.radians(0.3)}


ON = CrossSection(enabled=True)


def radar(sid="r", **extra):
    return Sensor(id=sid, kind="radar", site=SITE, sigma=SIGMA, extra=extra)


@pytest.mark.parametrize("swerling", [0, 1, 2, 3, 4])
def test_pd_is_one_half_at_r50_for_the_reference_target_and_follows_r_to_the_fourth(swerling):
    eq = RadarEquation.from_sensor(radar(r50_m=120e3, swerling=swerling), ON)
    assert eq.pd(np.array([120e3]), np.array([1.0]))[0, 0] == pytest.approx(0.5, abs=1e-9)
    # twice the range is 1/16 the SNR: the same Pd as a 1/16 m^2 target at r50
    assert eq.pd(np.array([240e3]), np.array([1.0]))[0, 0] == pytest.approx(
        eq.pd(np.array([120e3]), np.array([1.0 / 16]))[0, 0], rel=1e-12)
    pd = eq.pd(np.array([30e3, 60e3, 120e3, 240e3]), np.array([0.1, 1.0, 10.0]))
    # falls with range, rises with cross-section (strictly where it is not saturated)
    assert (np.diff(pd, axis=0) <= 0).all() and (np.diff(pd, axis=1) >= 0).all()
    assert pd[1, 0] > pd[2, 0] > pd[3, 0] and pd[3, 0] < pd[3, 1] < pd[3, 2]


def test_swerling_1_is_the_closed_form_and_header_defaults_fill_what_is_missing():
    snr = np.array([0.0, 1.0, 18.93, 100.0])
    assert np.allclose(single_look_pd(snr, 1e-6, 1), 1e-6 ** (1.0 / (1.0 + snr)))
    eq = RadarEquation.from_sensor(radar(r50_m=100e3), ON)
    assert (eq.rcs_ref_m2, eq.swerling, eq.pfa) == (1.0, 1, 1e-6)
    assert eq.snr_50 == pytest.approx(math.log(1e-6) / math.log(0.5) - 1.0)


def test_sensors_without_r50_or_with_bad_fields_keep_the_learned_pd():
    defaults = ON
    assert RadarEquation.from_sensor(radar(), defaults) is None
    assert RadarEquation.from_sensor(radar(r50_m="far"), defaults) is None
    assert RadarEquation.from_sensor(radar(r50_m=-5.0), defaults) is None
    assert RadarEquation.from_sensor(radar(r50_m=1e5, pfa=0.7), defaults) is None
    assert RadarEquation.from_sensor(radar(r50_m=1e5, swerling=7), defaults) is None
    los = Sensor(id="s", kind="los", site=SITE, sigma={"az": 1e-5, "el": 1e-5},
                 extra={"r50_m": 1e5})
    model = CrossSectionModel({"a": radar("a", r50_m=1e5), "b": radar("b"), "s": los},
                              ON)
    assert model.covers("a") and not model.covers("b") and not model.covers("s")
    off = CrossSectionModel({"a": radar("a", r50_m=1e5)}, TrackerConfig().detection.cross_section)
    assert not off.covers("a")                                  # off by default


def test_a_hit_raises_a_miss_lowers_and_a_half_seen_look_lands_between():
    model = CrossSectionModel({"r": radar(r50_m=150e3)}, ON)
    pd_b = model.pd_per_bin("r", np.full(3, 150e3))
    log_w = np.zeros((3, model.n_bins))
    before = model.track_pd(log_w, pd_b)
    after = model.track_pd(model.look(log_w, pd_b, np.array([1.0, 0.0, 0.5]),
                                      np.full(3, 0.9)), pd_b)
    assert after[0] > before[0] > after[1]
    assert after[1] < after[2] < after[0]
    # a miss says little of a track that is probably not there
    weak = model.track_pd(model.look(log_w[:1], pd_b[:1], np.zeros(1), np.full(1, 0.05)),
                          pd_b[:1])
    assert after[1] < weak[0] < before[0]


@pytest.mark.parametrize("rcs", [0.1, 0.5, 5.0])
def test_the_posterior_finds_the_cross_section_from_hits_and_misses_at_many_ranges(rcs):
    # one radar's looks at ranges from 40 to 220 km, drawn with the true Pd
    model = CrossSectionModel({"r": radar(r50_m=150e3)}, ON)
    rng = np.random.default_rng(7)
    log_w = np.zeros((1, model.n_bins))
    errors = []
    for k in range(300):
        r = rng.uniform(40e3, 220e3, 1)
        pd_b = model.pd_per_bin("r", r)
        true_pd = model.equations["r"].pd(r, np.array([rcs]))[0, 0]
        if k >= 100:
            errors.append(model.track_pd(log_w, pd_b)[0] - true_pd)
        hit = float(rng.random() < true_pd)
        log_w = model.look(log_w, pd_b, np.array([hit]), np.ones(1))
    w = model.weights(log_w)[0]
    mean_db = 10 * (w @ np.log10(model.grid_m2))
    assert abs(mean_db - 10 * math.log10(rcs)) < 3.0           # within 3 dB
    assert np.sqrt(np.mean(np.square(errors))) < 0.1           # predicted Pd within 0.1
    assert np.isfinite(log_w).all() and log_w.max() == 0.0


def test_a_track_pools_both_segments_evidence():
    from tracker import detectability
    from tracker.tracks import TrackTable
    model = CrossSectionModel({"r": radar(r50_m=150e3)}, ON)
    table = TrackTable(n_sensors=1, sensor_ids=["r"], cross_section_bins=model.n_bins)
    rows = table.add(np.zeros((2, 6)), np.tile(np.eye(6), (2, 1, 1)), 0.0, np.full(2, 0.5), "r")
    pd_b = model.pd_per_bin("r", np.full(1, 200e3))
    for _ in range(5):                       # the old segment: five hits far out
        table.rcs_log_w[rows[1:]] = model.look(table.rcs_log_w[rows[1:]], pd_b, np.ones(1),
                                               np.ones(1))
    detectability.pool(table, rows[0], rows[1], 0.5)
    assert np.allclose(table.rcs_log_w[rows[0]], table.rcs_log_w[rows[1]])
    assert model.track_pd(table.rcs_log_w[rows[:1]], pd_b)[0] > 0.8


def test_cross_section_settings_load_and_bad_ones_are_located(tmp_path):
    good = tmp_path / "c.yaml"
    good.write_text("detection: {cross_section: {enabled: true, bins: 11, max_m2: 100}}\n"
                    "initiation: {max_position_sigma_m: 8000}\n")
    config = load_config(good)
    assert config.detection.cross_section.enabled and config.detection.cross_section.bins == 11
    assert config.initiation.max_position_sigma_m == 8000.0
    assert not TrackerConfig().detection.cross_section.enabled
    for text, field in (("detection: {cross_section: {bins: 1}}\n", "detection.cross_section.bins"),
                        ("detection: {cross_section: {min_m2: 0}}\n",
                         "detection.cross_section.min_m2"),
                        ("detection: {cross_section: {pfa: 0.9}}\n", "detection.cross_section.pfa"),
                        ("detection: {cross_section: {swerling: 5}}\n",
                         "detection.cross_section.swerling"),
                        ("initiation: {max_position_sigma_m: 0}\n",
                         "initiation.max_position_sigma_m")):
        bad = tmp_path / "bad.yaml"
        bad.write_text(text)
        with pytest.raises(InputError, match=f"{bad}: {field}:"):
            load_config(bad)


def test_the_tracker_learns_a_far_small_target_s_pd_from_the_radar_equation():
    # a 0.3 m^2 target 60 km from a radar whose 1 m^2 Pd is 0.5 at 100 km (Pd 0.73 there),
    # seen as the equation says: its track knows its pd at 130 km too (0.09)
    from tracker.engine import Tracker
    from tracker.models import Radar
    from tracker import frames
    site = Site(lat_rad=math.radians(36.0), lon_rad=math.radians(45.0), alt_m=30.0)
    sigma = {"range": 60.0, "az": math.radians(0.15), "el": math.radians(0.3), "rr": 1.5}
    sensor = Sensor(id="r", kind="radar", site=site, sigma=sigma, pd=0.25, clutter_density=3e-9,
                    range_max_m=250e3, period_s=10.0, extra={"r50_m": 100e3})
    eq = RadarEquation.from_sensor(sensor, ON)
    lat, lon = math.radians(36.0 + 60e3 / 111e3), math.radians(45.0)
    pos = np.ravel(frames.geodetic_to_ecef(lat, lon, 3000.0))
    vel = np.ravel(frames.enu_to_ecef_vector(np.array([0.0, 1.0, 0.0]), lat, lon))
    rng = np.random.default_rng(3)
    config = TrackerConfig(detection=replace(TrackerConfig().detection, cross_section=ON))
    tracker = Tracker({"r": sensor}, config, lambda r: None)
    model = tracker._cross_section
    for k in range(60):
        t = 1e9 + 10.0 * k
        x = np.concatenate([pos + (t - 1e9) * vel, vel])
        z_true = Radar(site=site).h(x[None])[0]
        p = eq.pd(np.array([z_true[0]]), np.array([0.3]))[0, 0]
        z = [z_true + rng.normal(0, [60.0, sigma["az"], sigma["el"], 1.5])] \
            if rng.random() < p else []
        tracker.submit(Scan(t=t, sensor="r", kind="radar",
                            detections=np.array(z, dtype=float).reshape(-1, 4)))
    tracker._release(math.inf)
    rows = tracker.tracks.rows()
    assert rows.size == 1
    log_w = tracker.tracks.rcs_log_w[rows]
    near = model.track_pd(log_w, model.pd_per_bin("r", np.array([60e3])))[0]
    far = model.track_pd(log_w, model.pd_per_bin("r", np.array([130e3])))[0]
    true_near, true_far = eq.pd(np.array([60e3, 130e3]), np.array([0.3]))[:, 0]
    assert near == pytest.approx(true_near, abs=0.05)
    assert far == pytest.approx(true_far, abs=0.05)
    mean_db = 10 * (model.weights(log_w)[0] @ np.log10(model.grid_m2))
    assert abs(mean_db - 10 * math.log10(0.3)) < 2.5
