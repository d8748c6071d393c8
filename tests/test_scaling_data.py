"""The benchmarks' scaling data (tests/scaling_data.py): what it promises, and its GOSPA helper."""
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import scaling_data as sd
from tracker import frames
from tracker.metrics import gospa


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data():
    a, b, c = sd.make(50, 4, seed=3), sd.make(50, 4, seed=3), sd.make(50, 4, seed=4)
    for x, y in zip(a.scans, b.scans):
        np.testing.assert_array_equal(x.detections, y.detections)
    assert not np.array_equal(a.truth[0], c.truth[0])


def test_scans_are_position_scans_in_internal_units_with_pd_noise_and_clutter():
    data = sd.make(400, 6, seed=1)
    sensor = data.sensor
    assert sensor.kind == "position" and sensor.pd == 0.9 and sensor.sigma == {"h": 100.0,
                                                                               "v": 100.0}
    assert math.isclose(sensor.clutter_density, 10 / (1e6 * 1e6 * 2e4))
    times = [s.t for s in data.scans]
    np.testing.assert_allclose(np.diff(times), 5.0)
    seen = []
    for scan, origin, truth in zip(data.scans, data.origin, data.truth):
        assert scan.kind == "position" and scan.sensor == sensor.id
        assert (origin == -1).sum() == 10
        z = scan.detections
        assert np.abs(z[:, :2]).max() < math.pi           # radians, not degrees
        real = origin >= 0
        error = sd.detections_ecef(scan)[real] - truth[origin[real]]
        assert 80.0 < error.std() < 120.0                 # 100 m per axis
        seen.append(real.sum() / 400)
    assert 0.87 < np.mean(seen) < 0.93


def test_targets_fly_level_at_airliner_speed_inside_the_box():
    data = sd.make(300, 13, seed=2)
    lat, lon, alt = frames.ecef_to_geodetic(data.truth[-1])
    assert ((alt > 8_900) & (alt < 11_100)).all()
    speed = np.linalg.norm(data.truth[-1] - data.truth[-2], axis=1) / 5.0
    assert ((speed > 185) & (speed < 265)).all()
    east = (lon - sd.CENTRE_LON) * 6.39e6 * math.cos(sd.CENTRE_LAT)
    assert np.abs(east).max() < 0.5e6 + 60 * 265


@given(n=st.integers(0, 25), m=st.integers(0, 25), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_gospa_by_parts_equals_the_dense_gospa(n, m, seed):
    rng = np.random.default_rng(seed)
    truth, tracks = rng.uniform(0, 8_000, (n, 3)), rng.uniform(0, 8_000, (m, 3))
    dense = gospa(truth, tracks)
    distance, missed, false = sd.gospa_by_parts(truth, tracks)
    assert math.isclose(distance, dense.distance, rel_tol=1e-9, abs_tol=1e-9)
    assert (missed, false) == (dense.missed, dense.false)
