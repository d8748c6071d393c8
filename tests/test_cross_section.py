"""Each track's radar cross-section posterior and its Pd (tracker.cross_section)."""
import math

import numpy as np
import pytest

from tracker.config import CrossSection, TrackerConfig, load_config
from tracker.cross_section import CrossSectionModel, RadarEquation, single_look_pd
from tracker.errors import InputError
from tracker.scan import Sensor, Site

SITE = Site(lat_rad=math.radians(35.0), lon_rad=math.radians(35.0), alt_m=30.0)
SIGMA = {"range": 60.0, "az": math.radians(0.15), "el": math.radians(0.3)}


def radar(sid="r", **extra):
    return Sensor(id=sid, kind="radar", site=SITE, sigma=SIGMA, extra=extra)


@pytest.mark.parametrize("swerling", [0, 1, 2, 3, 4])
def test_pd_is_one_half_at_r50_for_the_reference_target_and_follows_r_to_the_fourth(swerling):
    eq = RadarEquation.from_sensor(radar(r50_m=120e3, swerling=swerling), CrossSection())
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
    eq = RadarEquation.from_sensor(radar(r50_m=100e3), CrossSection())
    assert (eq.rcs_ref_m2, eq.swerling, eq.pfa) == (1.0, 1, 1e-6)
    assert eq.snr_50 == pytest.approx(math.log(1e-6) / math.log(0.5) - 1.0)


def test_sensors_without_r50_or_with_bad_fields_keep_the_learned_pd():
    defaults = CrossSection()
    assert RadarEquation.from_sensor(radar(), defaults) is None
    assert RadarEquation.from_sensor(radar(r50_m="far"), defaults) is None
    assert RadarEquation.from_sensor(radar(r50_m=-5.0), defaults) is None
    assert RadarEquation.from_sensor(radar(r50_m=1e5, pfa=0.7), defaults) is None
    assert RadarEquation.from_sensor(radar(r50_m=1e5, swerling=7), defaults) is None
    los = Sensor(id="s", kind="los", site=SITE, sigma={"az": 1e-5, "el": 1e-5},
                 extra={"r50_m": 1e5})
    model = CrossSectionModel({"a": radar("a", r50_m=1e5), "b": radar("b"), "s": los},
                              CrossSection())
    assert model.covers("a") and not model.covers("b") and not model.covers("s")
    off = CrossSectionModel({"a": radar("a", r50_m=1e5)}, CrossSection(enabled=False))
    assert not off.covers("a")


def test_a_hit_raises_a_miss_lowers_and_a_half_seen_look_lands_between():
    model = CrossSectionModel({"r": radar(r50_m=150e3)}, CrossSection())
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
    model = CrossSectionModel({"r": radar(r50_m=150e3)}, CrossSection())
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
    model = CrossSectionModel({"r": radar(r50_m=150e3)}, CrossSection())
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
    good.write_text("detection: {cross_section: {bins: 11, max_m2: 100}}\n"
                    "initiation: {max_position_sigma_m: 8000}\n")
    config = load_config(good)
    assert config.detection.cross_section.bins == 11
    assert config.initiation.max_position_sigma_m == 8000.0
    assert TrackerConfig().detection.cross_section.enabled
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
