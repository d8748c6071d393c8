"""Gating one scan: coarse k-d tree + compiled fine stage vs the all-pairs NumPy gate.

Run with timings: ``pytest tests/benchmarks/test_gating_bench.py --benchmark-enable``.
In the normal suite (``--benchmark-disable``) each runs once and the pairs of the
two-stage gate are checked against the all-pairs gate's.

Scenes: the synthetic scaling data of issue 5 (N targets in a 1,000 km box near
the surface, a position sensor, 100 m noise, N detections + 10 clutter), gated in
ECEF metres at gate probability 0.999; and a radar sector of the scenario's size,
300 tracks x 200 detections (range, azimuth across north, elevation, range-rate).
"""
import numpy as np
import pytest

from kalman_inputs import spd
from tracker import frames, gating, reference

GATE_PROBABILITY = 0.999
SITE = (np.radians(36.0), np.radians(45.0), 20.0)


def position_scene(N, seed=0):
    """z_hat (N, 3) ECEF, S (N, 3, 3) = P_pos + R (R: 100 m ENU at each track), z."""
    rng = np.random.default_rng(seed)
    east, north = rng.uniform(-5e5, 5e5, size=(2, N))
    z_hat = frames.aer_to_ecef(np.arctan2(east, north), 0.0, np.hypot(east, north), *SITE[:2],
                               rng.uniform(50.0, 12e3, N))
    lat, lon, _ = frames.ecef_to_geodetic(z_hat)
    rot = frames.enu_rotation(lat, lon)
    R = rot.transpose(0, 2, 1) @ np.diag([100.0 ** 2] * 3) @ rot
    S = spd(rng, N, 3, scale=80.0 ** 2, cond=20.0) + R
    z = z_hat + np.einsum("nij,nj->ni", np.linalg.cholesky(S), rng.normal(size=(N, 3)))
    clutter = frames.aer_to_ecef(rng.uniform(0, 2 * np.pi, 10), 0.0, rng.uniform(0, 7e5, 10),
                                 *SITE[:2], rng.uniform(0, 12e3, 10))
    z = np.concatenate([z, clutter])[rng.permutation(N + 10)]
    return "position", np.ascontiguousarray(z_hat), np.ascontiguousarray(S), z


def radar_scene(N=300, n_det=200, seed=0):
    """A radar with range-rate: tracks out to 250 km, 180 target detections + 20 clutter."""
    rng = np.random.default_rng(seed)
    az = frames.wrap_two_pi(rng.uniform(-0.4, 0.4, N))          # a sector across north
    z_hat = np.stack([rng.uniform(5e3, 2.5e5, N), az, rng.uniform(0.0, 0.15, N),
                      rng.uniform(-300, 300, N)], axis=1)
    sigma = np.array([60.0, np.radians(0.15), np.radians(0.3), 1.5])
    S = spd(rng, N, 4, scale=1.0, cond=10.0) * np.outer(sigma, sigma) * 2.0
    hit = rng.choice(N, n_det - 20, replace=False)
    z = z_hat[hit] + np.einsum("nij,nj->ni", np.linalg.cholesky(S[hit]),
                               rng.normal(size=(hit.size, 4)))
    clutter = np.stack([rng.uniform(0, 2.5e5, 20), rng.uniform(-0.4, 0.4, 20),
                        rng.uniform(0.0, 0.15, 20), rng.uniform(-350, 350, 20)], axis=1)
    z = np.concatenate([z, clutter])
    z[:, 1] = frames.wrap_two_pi(z[:, 1])
    return "radar", z_hat, S, z


def two_stage(kind, z_hat, S, z):
    return gating.gate(kind, z_hat, S, z, GATE_PROBABILITY)


def all_pairs(kind, z_hat, S, z):
    m = z_hat.shape[1]
    return reference.gate_all_pairs(z_hat, S, z, gating.angle_columns(kind, m),
                                    np.ones(z_hat.shape[0], bool),
                                    gating.gate_threshold(GATE_PROBABILITY, m))


SCENES = {"position N=1000": lambda: position_scene(1_000),
          "position N=10000": lambda: position_scene(10_000),
          "radar 300x200": radar_scene}


@pytest.fixture(scope="module")
def scenes():
    return {name: make() for name, make in SCENES.items()}


@pytest.mark.parametrize("scene", list(SCENES))
def test_gate_two_stage(benchmark, scenes, scene):
    benchmark.group = f"gate {scene}"
    args = scenes[scene]
    gated = benchmark.pedantic(two_stage, args=args, rounds=50, warmup_rounds=2)
    track, detection = all_pairs(*args)[:2]
    np.testing.assert_array_equal(gated.track, track)
    np.testing.assert_array_equal(gated.detection, detection)


@pytest.mark.parametrize("scene", list(SCENES))
def test_gate_all_pairs_numpy(benchmark, scenes, scene):
    benchmark.group = f"gate {scene}"
    args = scenes[scene]
    rounds = 1 if "10000" in scene else 5
    track = benchmark.pedantic(all_pairs, args=args, rounds=rounds)[0]
    assert track.size > 0


@pytest.mark.parametrize("scene", list(SCENES))
def test_gate_stages(benchmark, scenes, scene):
    """The fine stage alone, on the coarse stage's candidates (the rest is the k-d tree)."""
    benchmark.group = f"gate {scene}"
    kind, z_hat, S, z = scenes[scene]
    threshold = gating.gate_threshold(GATE_PROBABILITY, z_hat.shape[1])
    pairs = gating.candidates(kind, z_hat, S, z, threshold)
    gated = benchmark.pedantic(gating.fine_gate, args=(kind, z_hat, S, z, pairs, threshold),
                               rounds=50, warmup_rounds=2)
    assert gated.n_candidates == pairs.detection.size
