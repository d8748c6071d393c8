"""Classification from kinematics (tracker.classify): likelihoods, evidence, the tracker's labels."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import integrate, stats

from tracker import _classify, reference

from tracker import frames
from tracker.classify import AIRCRAFT, MISSILE, UNKNOWN, Classifier, kinematics
from tracker.config import Classification, KinematicBox, TrackerConfig, load_config
from tracker.errors import InputError

from test_engine import SITE, T0, airliner, run, scans

CONFIG = Classification()


def test_a_box_likelihood_is_the_gaussian_integrated_over_the_box():
    # one box per class: L = prod over axes of the integral of N(m, s^2) over [a, b] / (b - a)
    one = dict(missile_manoeuvre=KinematicBox(0.0), aircraft_climb=KinematicBox(0.0),
               aircraft_low=KinematicBox(0.0))
    config = Classification(**one)
    mean, sigma = np.array([[400.0, 230.0, 3.0]]), np.array([[250.0, 20.0, 5.0]])
    got = Classifier(config).log_likelihoods(mean, sigma)[0]
    for c, box in ((MISSILE, config.missile_cruise), (AIRCRAFT, config.aircraft_cruise),
                   (UNKNOWN, config.unknown)):
        want = 0.0
        for (a, b), m, s in zip((box.height_m, box.speed_mps, box.climb_mps), mean[0], sigma[0]):
            mass, _ = integrate.quad(lambda v: stats.norm.pdf(v, m, s), a, b,
                                     points=[m], limit=200)
            want += math.log(max(mass, 1e-300) / (b - a))
        # the aircraft box lies 22 sigma above this height: both far below the floor
        if c != AIRCRAFT:
            assert got[c] == pytest.approx(want, rel=1e-6)
    assert got[AIRCRAFT] <= got.max() - 59.0


@pytest.mark.parametrize("sigma_h", [100.0, 1000.0, 2600.0])
def test_an_airliner_is_never_a_missile_whatever_its_height_sigma(sigma_h):
    c = Classifier(CONFIG)
    for height in (7000.0, 9500.0, 12000.0):
        p = c.probabilities(c.log_likelihoods(np.array([[height, 240.0, 0.0]]),
                                              np.array([[sigma_h, 8.0, 3.0]])))[0]
        assert p[MISSILE] < 0.1 and p[AIRCRAFT] > 0.85


def test_a_low_fast_track_is_a_missile_at_its_first_good_estimate():
    c = Classifier(CONFIG)
    labels, p = c.labels(c.log_likelihoods(np.array([[60.0, 250.0, 0.0], [60.0, 250.0, 0.0]]),
                                           np.array([[150.0, 6.0, 4.0], [2600.0, 6.0, 4.0]])))
    assert labels[0] == MISSILE and p[0] > 0.99
    assert labels[1] == UNKNOWN          # 2.6 km of height sigma: it may be an airliner


def test_evidence_fades_with_time_not_with_the_number_of_detections():
    c = Classifier(CONFIG)
    lat, lon = math.radians(36.4), math.radians(45.4)
    state = airliner(T0)[None]
    P = np.diag([100.0, 100.0, 100.0, 1.0, 1.0, 1.0])[None] ** 2
    log_l = c.log_likelihoods(*kinematics(state, P))
    first = c.observe(np.zeros((1, 3)), np.array([-np.inf]), state, P, T0)
    assert first == pytest.approx(log_l)
    # a full memory later, the first look weighs 1/e and the new one 1 - 1/e
    later = c.observe(first, np.array([T0]), state, P, T0 + CONFIG.memory_s)
    assert later == pytest.approx(log_l * (math.exp(-1) + (1 - math.exp(-1))))
    # one detection a minute or six: the same evidence after a minute of the same estimate
    e_one, e_six, t_six = first, first, T0
    e_one = c.observe(e_one, np.array([T0]), state, P, T0 + 60.0)
    for k in range(1, 7):
        e_six = c.observe(e_six, np.array([t_six]), state, P, T0 + 10.0 * k)
        t_six = T0 + 10.0 * k
    assert e_six == pytest.approx(e_one)


def test_kinematics_of_an_airliner():
    lat, lon = math.radians(36.4), math.radians(45.4)
    vel = np.ravel(frames.enu_to_ecef_vector(np.array([180.0, 135.0, -5.0]), lat, lon))
    x = np.concatenate([np.ravel(frames.geodetic_to_ecef(lat, lon, 9000.0)), vel])[None]
    P = np.diag([50.0, 50.0, 50.0, 2.0, 2.0, 2.0])[None] ** 2
    mean, sigma = kinematics(x, P)
    assert mean[0] == pytest.approx([9000.0, 225.0, -5.0], abs=1e-6)
    assert sigma[0] == pytest.approx([50.0, 2.0, 2.0], rel=1e-6)


def missile(t):
    """A cruise missile 40 km north of the radar at 100 m, 250 m/s west."""
    lat, lon = math.radians(36.36), math.radians(45.0)
    pos0 = np.ravel(frames.geodetic_to_ecef(lat, lon, 100.0))
    vel = np.ravel(frames.enu_to_ecef_vector(np.array([-250.0, 0.0, 0.0]), lat, lon))
    return np.concatenate([pos0 + (t - T0) * vel, vel])


@pytest.mark.parametrize("truth,kind", [(missile, "cruise_missile"), (airliner, "aircraft")])
def test_the_tracker_labels_its_confirmed_tracks(truth, kind):
    rng = np.random.default_rng(3)
    tracker, records = run(scans(T0 + 10.0 * np.arange(20), rng, truth=truth))
    confirmed = [r for r in records if r["status"] in ("confirmed", "coasting")]
    assert confirmed
    # from the first confirmed record on, within one more detection
    assert all(r["class"] == kind for r in confirmed[1:])
    assert confirmed[-1]["class_probability"] > 0.95
    history = tracker.class_history.summary()
    assert history["tracks_by_class"][kind] == 1
    (changes,) = history["changes"].values()
    assert changes[-1]["class"] == kind and changes[-1]["probability"] >= 0.9


def test_bad_classification_settings_are_located(tmp_path):
    bad = tmp_path / "c.yaml"
    for text, where in (("classification: {missile_cruise: {height_m: [600, 0]}}",
                         "classification.missile_cruise.height_m"),
                        ("classification: {missile_cruise: {speed_mps: [1, 2, 3]}}",
                         "classification.missile_cruise.speed_mps"),
                        ("classification: {decide_probability: 1.5}",
                         "classification.decide_probability"),
                        ("classification: {memory_s: 0}", "classification.memory_s"),
                        ("classification: {prior_missile: -1}", "classification.prior_missile"),
                        ("classification: {min_interval_s: -1}",
                         "classification.min_interval_s"),
                        ("detection: {population_looks: 0}", "detection.population_looks"),
                        ("detection: {population_memory_looks: 0.5}",
                         "detection.population_memory_looks")):
        bad.write_text(text + "\n")
        with pytest.raises(InputError) as e:
            load_config(bad)
        assert e.value.field == where, text
    good = tmp_path / "g.yaml"
    good.write_text("classification: {aircraft_cruise: {height_m: [5000, 14000]}}\n")
    assert load_config(good).classification.aircraft_cruise.height_m == (5000.0, 14000.0)
    assert TrackerConfig().as_json()["classification"]["missile_cruise"]["weight"] == 0.8


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), n=st.integers(0, 40), spread=st.sampled_from(
    [1.0, 100.0, 1e4]))
def test_the_compiled_likelihoods_equal_their_numpy_twin(seed, n, spread):
    rng = np.random.default_rng(seed)
    c = Classifier(CONFIG)
    b = c._boxes
    mean = np.column_stack([rng.uniform(-2000, 30000, n), rng.uniform(0, 1500, n),
                            rng.uniform(-400, 400, n)])
    sigma = rng.uniform(0.5, 3.0, (n, 3)) * np.array([1.0, 0.1, 0.1]) * spread
    got, want = np.empty((n, 3)), np.empty((n, 3))
    _classify.class_log_likelihoods(mean, sigma, b.lower, b.upper, c._log_box_constant,
                                    b.owner, -60.0, got)
    reference.class_log_likelihoods(mean, sigma, b.lower, b.upper, c._log_box_constant,
                                    b.owner, -60.0, want)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), n=st.integers(0, 30))
def test_the_compiled_kinematics_equal_their_numpy_twin(seed, n):
    rng = np.random.default_rng(seed)
    lat, lon = rng.uniform(-1.4, 1.4, n), rng.uniform(-np.pi, np.pi, n)
    pos = np.reshape(frames.geodetic_to_ecef(lat, lon, rng.uniform(0, 15000, n)), (-1, 3))
    x = np.hstack([pos, rng.normal(0, 200, (n, 3))])
    A = rng.normal(0, 1, (n, 6, 6))
    P = A @ A.transpose(0, 2, 1) * rng.uniform(1, 1e4)
    _, _, alt, rot = frames.ecef_to_geodetic_enu(pos)
    floor = np.array([1.0, 0.1, 0.1])
    got = np.empty((n, 3)), np.empty((n, 3))
    want = np.empty((n, 3)), np.empty((n, 3))
    _classify.class_kinematics(x, P, rot, alt, floor, *got)
    reference.class_kinematics(x, P, rot, alt, floor, *want)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)
