"""Predict + update of N tracks per call: compiled kernels vs NumPy twins vs a filterpy loop.

Run with timings: ``pytest tests/benchmarks --benchmark-enable``. In the normal
suite (``--benchmark-disable``) each benchmark runs once and its result is
checked, so a broken fast path fails here too.

The problem is the synthetic constant-velocity scaling data of the realism
floors' one exception: ECEF tracks near the surface, 100 m position noise,
per-track time steps, one position measurement per track.
"""
import tracemalloc

import numpy as np
import pytest
from filterpy.kalman import KalmanFilter

from kalman_inputs import cv_process_noise, cv_transition, position_tracks, spd
import importlib

from tracker import kalman, reference

_kalman = kalman._kalman                      # the build tracker.kalman chose
IMPLEMENTATIONS = {"compiled": _kalman, "numpy": reference}
if kalman.KERNELS != "_kalman":               # also time the portable build
    IMPLEMENTATIONS["compiled (portable)"] = importlib.import_module("tracker._kalman")

SIZES = [1_000, 10_000, 100_000]
FILTERPY_MAX = 10_000          # a Python loop over objects beyond this only costs CI time


def inputs(N, seed=0):
    """(x, P, dt, accel_psd, z, R, H) and preallocated outputs (S, nis, status)."""
    rng = np.random.default_rng(seed)
    x, P, _, _, z, R, H = position_tracks(rng, N)
    dt = rng.uniform(1.0, 12.0, size=N)                 # tracks last updated at different times
    accel_psd = spd(rng, N, 3, scale=1.0, cond=100.0)
    # outputs written once here, as a tracker reuses its workspace from scan to scan: a
    # fresh np.empty would put the kernel's first touch of every page into the timing
    S, nis, status = np.full((N, 3, 3), 0.0), np.full(N, 0.0), np.full(N, 0, np.int8)
    return x, P, dt, accel_psd, z, R, H, S, nis, status


def predict_update(impl, x, P, dt, accel_psd, z, R, H, S, nis, status):
    """One predict (each track over its own dt) and one linear update of every track."""
    impl.predict_cv(x, P, dt, accel_psd, status)
    impl.kf_update(x, P, H, R, z, S, nis, status)
    return x, status


def filterpy_bank(x, P, dt, accel_psd, z, R, H, *_):
    """One filterpy KalmanFilter per track, holding the same F(dt) and Q(dt)."""
    F, Q = cv_transition(dt), cv_process_noise(dt, accel_psd)
    filters = []
    for i in range(len(x)):
        f = KalmanFilter(dim_x=6, dim_z=3)
        f.x, f.P, f.F, f.Q, f.H, f.R = x[i][:, None].copy(), P[i].copy(), F[i], Q[i], H[i], R[i]
        filters.append(f)
    return filters, z


def filterpy_loop(filters, z):
    for f, zi in zip(filters, z):
        f.predict()
        f.update(zi)
    return filters


@pytest.mark.parametrize("N", SIZES)
@pytest.mark.parametrize("impl", list(IMPLEMENTATIONS))
def test_predict_update(benchmark, impl, N):
    benchmark.group = f"predict+update N={N}"
    kernels = IMPLEMENTATIONS[impl]
    rounds = 20 if N < 100_000 else 5
    x, status = benchmark.pedantic(predict_update, setup=lambda: ((kernels,) + inputs(N), {}),
                                   rounds=rounds if impl != "numpy" else max(3, rounds // 4))
    assert (status == 0).all() and np.isfinite(x).all()
    # the same numbers whichever implementation ran
    want, _ = predict_update(_kalman if impl == "numpy" else reference, *inputs(N))
    np.testing.assert_allclose(x, want, rtol=1e-9, atol=1e-9 * np.abs(want).max())


@pytest.mark.parametrize("N", [n for n in SIZES if n <= FILTERPY_MAX])
def test_predict_update_filterpy_loop(benchmark, N):
    benchmark.group = f"predict+update N={N}"
    filters = benchmark.pedantic(filterpy_loop, setup=lambda: (filterpy_bank(*inputs(N)), {}),
                                 rounds=3 if N < FILTERPY_MAX else 1)
    # the same arithmetic as the compiled kernels, to filterpy's inv(S) tolerance
    x, *_ = predict_update(_kalman, *inputs(N))
    got = np.array([f.x[:, 0] for f in filters])
    assert np.abs(got - x).max() <= 1e-6 * np.abs(x).max()


def test_compiled_kernels_do_not_allocate_per_track():
    """The tracemalloc peak of one predict + update stays flat as N grows 100-fold."""
    peaks = {}
    for N in (1_000, 100_000):
        x, P, dt, accel_psd, z, R, H, S, nis, status = inputs(N)

        def call():
            _kalman.predict_cv(x, P, dt, accel_psd, status)
            _kalman.kf_update(x, P, H, R, z, S, nis, status)

        call()                                    # warm up: imports, caches
        tracemalloc.start()
        call()
        peaks[N] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    # a per-track allocation of even one double would add 800 kB at N = 100,000
    assert peaks[100_000] <= peaks[1_000] + 1024, peaks
    assert peaks[100_000] < 16 * 1024, peaks


def pda_inputs(N, seed=0, m=4, per_track=3):
    """Radar-sized PDA problem: N tracks, m = 4 (range, az, el, range-rate), a few
    gated detections per track with association probabilities summing to 1."""
    rng = np.random.default_rng(seed)
    x, P, *_ = position_tracks(rng, N)
    H = np.ascontiguousarray(rng.normal(size=(N, m, 6)) * (rng.random((N, m, 6)) < 0.5))
    H[:, :, :3] += np.eye(m, 3)                          # keep S well posed
    R = spd(rng, N, m, scale=1e4, cond=100.0)
    counts = rng.integers(0, 2 * per_track, size=N)
    offsets = np.r_[0, np.cumsum(counts)].astype(np.intp)
    innovations = rng.normal(scale=100.0, size=(offsets[-1], m))
    weights = rng.uniform(0.05, 1.0, size=offsets[-1])
    beta_none = rng.uniform(0.05, 0.5, size=N)
    totals = np.bincount(np.repeat(np.arange(N), counts), weights, minlength=N)
    totals = np.where(counts > 0, totals, 1.0)
    beta = weights * np.repeat((1.0 - beta_none) / totals, counts)
    beta_none = np.where(counts > 0, beta_none, 1.0)
    S, status = np.full((N, m, m), 0.0), np.full(N, 0, np.int8)
    return x, P, H, R, innovations, beta, beta_none, offsets, S, status


@pytest.mark.parametrize("N", [300, 10_000])
@pytest.mark.parametrize("impl", list(IMPLEMENTATIONS))
def test_pda_update(benchmark, impl, N):
    benchmark.group = f"pda_update m=4 N={N}"
    kernels = IMPLEMENTATIONS[impl]
    run = benchmark.pedantic(lambda *a: (kernels.pda_update(*a), a)[1],
                             setup=lambda: (pda_inputs(N), {}), rounds=10 if impl != "numpy" else 3)
    x, P, status = run[0], run[1], run[-1]
    assert (status == 0).all() and np.isfinite(P).all()
    want = pda_inputs(N)
    (reference if impl != "numpy" else _kalman).pda_update(*want)
    np.testing.assert_allclose(x, want[0], rtol=1e-9, atol=1e-9 * np.abs(want[0]).max())
