"""The compiled Kalman kernels against their NumPy twins, filterpy and worked numbers."""
import numpy as np
import pytest
from filterpy.kalman import KalmanFilter
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from kalman_inputs import cv_process_noise, cv_transition, ecef_states, position_tracks, spd
import importlib

from tracker import kalman, reference

seeds = st.integers(0, 2**32 - 1)
sizes = st.integers(1, 40)
#: every build of the kernels this machine runs (portable, and AVX2+FMA on x86-64)
builds = pytest.mark.parametrize("build", kalman.available_builds())


def close(got, want, rtol=1e-9):
    """Equal to rtol relative to the largest entry of each track's block."""
    want = np.asarray(want)
    scale = np.abs(want.reshape(want.shape[0], -1)).max(axis=1) if want.ndim > 1 else np.abs(want)
    atol = rtol * np.maximum(scale, 1e-300).reshape((-1,) + (1,) * (want.ndim - 1))
    assert np.all(np.abs(np.asarray(got) - want) <= atol + rtol * np.abs(want))


def both(build, kernel, *inputs, outputs=()):
    """Run the compiled kernel of ``build`` and its twin on copies of the same inputs."""
    runs = []
    compiled = importlib.import_module(f"tracker.{build}")
    for impl in (getattr(compiled, kernel), getattr(reference, kernel)):
        args = [a.copy() for a in inputs] + [np.empty(shape, dtype) for shape, dtype in outputs]
        impl(*args)
        runs.append(args)
    return runs


def assert_spd(P):
    assert_allclose(P, P.transpose(0, 2, 1), rtol=0, atol=1e-12 * np.abs(P).max())
    assert (np.linalg.eigvalsh(P).min(axis=1) > 0).all()


# --- kernels against their twins ------------------------------------------------------------

@builds
@given(N=sizes, n=st.integers(1, 9), seed=seeds)
@settings(max_examples=60, deadline=None)
def test_predict_matches_reference(build, N, n, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=1e6, size=(N, n))
    P, Q = spd(rng, N, n, 1e4), spd(rng, N, n, 10.0)
    F = np.eye(n) + rng.normal(scale=0.5, size=(N, n, n))
    got, want = both(build, "predict", x, P, F, Q, outputs=[((N,), np.int8)])
    close(got[0], want[0])
    close(got[1], want[1])
    assert (got[4] == 0).all() and (want[4] == 0).all()


@builds
@given(N=sizes, seed=seeds, dt_max=st.floats(0.0, 600.0))
@settings(max_examples=60, deadline=None)
def test_predict_cv_matches_reference(build, N, seed, dt_max):
    rng = np.random.default_rng(seed)
    x, P = ecef_states(rng, N), spd(rng, N, 6, 1e4)
    dt = rng.uniform(0.0, dt_max, size=N)
    dt[0] = 0.0 if N > 1 else dt[0]
    psd = spd(rng, N, 3, 5.0, cond=100)
    got, want = both(build, "predict_cv", x, P, dt, psd, outputs=[((N,), np.int8)])
    close(got[0], want[0])
    close(got[1], want[1])
    assert (got[4] == 0).all()


@builds
@given(N=sizes, n=st.integers(2, 9), m=st.integers(1, 6), seed=seeds)
@settings(max_examples=60, deadline=None)
def test_update_matches_reference(build, N, n, m, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=1e3, size=(N, n))
    P, R = spd(rng, N, n, 1e4), spd(rng, N, m, 1e2)
    H = rng.normal(size=(N, m, n))
    y = rng.normal(scale=50.0, size=(N, m))
    outs = [((N, m, m), np.float64), ((N,), np.float64), ((N,), np.int8)]
    got, want = both(build, "update", x, P, H, R, y, outputs=outs)
    for g, w in zip(got[:2] + got[5:7], want[:2] + want[5:7]):
        close(g, w, rtol=1e-9)
    assert (got[7] == 0).all() and (want[7] == 0).all()
    assert_spd(got[1])


@builds
@given(N=sizes, n=st.integers(2, 9), m=st.integers(1, 6), seed=seeds)
@settings(max_examples=40, deadline=None)
def test_kf_update_matches_reference(build, N, n, m, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=1e3, size=(N, n))
    P, R = spd(rng, N, n, 1e4), spd(rng, N, m, 1e2)
    H = rng.normal(size=(N, m, n))
    z = np.einsum("nij,nj->ni", H, x) + rng.normal(scale=50.0, size=(N, m))
    outs = [((N, m, m), np.float64), ((N,), np.float64), ((N,), np.int8)]
    got, want = both(build, "kf_update", x, P, H, R, z, outputs=outs)
    for g, w in zip(got[:2] + got[5:7], want[:2] + want[5:7]):
        close(g, w, rtol=1e-9)
    assert (got[7] == 0).all() and (want[7] == 0).all()


@builds
@given(N=sizes, m=st.integers(1, 4), seed=seeds)
@settings(max_examples=60, deadline=None)
def test_pda_update_matches_reference(build, N, m, seed):
    rng = np.random.default_rng(seed)
    n = 6
    x = rng.normal(scale=1e3, size=(N, n))
    P, R = spd(rng, N, n, 1e4), spd(rng, N, m, 1e2)
    H = rng.normal(size=(N, m, n))
    counts = rng.integers(0, 5, size=N)
    offsets = np.r_[0, np.cumsum(counts)].astype(np.intp)
    innovations = rng.normal(scale=30.0, size=(offsets[-1], m))
    beta, beta_none = np.empty(offsets[-1]), np.empty(N)
    for i in range(N):
        w = rng.uniform(0.01, 1.0, size=counts[i] + 1)
        w /= w.sum()
        beta_none[i], beta[offsets[i]:offsets[i + 1]] = w[0], w[1:]
    outs = [((N, m, m), np.float64), ((N,), np.int8)]
    got, want = both(build, "pda_update", x, P, H, R, innovations, beta, beta_none, offsets,
                     outputs=outs)
    close(got[0], want[0], rtol=1e-9)
    close(got[1], want[1], rtol=1e-9)
    close(got[8], want[8], rtol=1e-9)
    assert (got[9] == 0).all()
    assert_spd(got[1])


# --- against filterpy -----------------------------------------------------------------------

def test_linear_filter_matches_filterpy_over_500_steps():
    rng = np.random.default_rng(7)
    N, steps = 4, 500
    x, P, *_ = position_tracks(rng, N)
    P = spd(rng, N, 6, 1e4, cond=100)
    psd = spd(rng, N, 3, 1.0, cond=10)
    H = np.tile(np.hstack([np.eye(3), np.zeros((3, 3))]), (N, 1, 1))
    R = spd(rng, N, 3, 1e4, cond=10)
    filters = []
    for i in range(N):
        f = KalmanFilter(dim_x=6, dim_z=3)
        f.x, f.P, f.H, f.R = x[i][:, None].copy(), P[i].copy(), H[i], R[i]
        filters.append(f)
    truth = x.copy()
    for _ in range(steps):
        dt = rng.uniform(0.5, 20.0, size=N)
        F, Q = cv_transition(dt), cv_process_noise(dt, psd)
        truth = np.einsum("nij,nj->ni", F, truth)
        z = truth[:, :3] + rng.normal(scale=100.0, size=(N, 3))
        assert (kalman.predict(x, P, F, Q) == 0).all()
        assert (kalman.kf_update(x, P, z, R, H)[2] == 0).all()
        for i, f in enumerate(filters):
            f.predict(F=F[i], Q=Q[i])
            f.update(z[i])
    for i, f in enumerate(filters):
        # filterpy forms the gain with inv(S): agree to a tolerance relative to the norm
        assert np.linalg.norm(x[i] - f.x[:, 0]) <= 1e-6 * np.linalg.norm(f.x)
        assert np.linalg.norm(P[i] - f.P) <= 1e-6 * np.linalg.norm(f.P)
    # and the filter converged on the truth: 500 updates at 100 m noise
    assert np.abs(x[:, :3] - truth[:, :3]).max() < 300.0


# --- worked numbers -------------------------------------------------------------------------

def one(*values):
    return [np.array(v, dtype=np.float64).reshape((1,) * (3 - np.ndim(v)) + np.shape(v))
            for v in values]


def test_update_scalar_worked_example():
    # P = 4, R = 1, z - x = 5: S = 5, K = 0.8, x+ = 4, P+ = 0.2^2*4 + 0.8^2*1 = 0.8, NIS = 5
    x, P = np.zeros((1, 1)), np.full((1, 1, 1), 4.0)
    S, nis, status = kalman.update(x, P, np.ones((1, 1, 1)), np.ones((1, 1, 1)), [[5.0]])
    assert status[0] == kalman.STATUS_OK
    assert_allclose([x[0, 0], P[0, 0, 0], S[0, 0, 0], nis[0]], [4.0, 0.8, 5.0, 5.0], rtol=1e-14)


def test_pda_scalar_worked_example():
    # P = 4, R = 1 -> S = 5, K = 0.8, P_c = 0.8; innovations +1 and -1 at 0.4 each, beta_0 = 0.2:
    # nu = 0, spread = 0.8, P+ = 0.2*4 + 0.8*0.8 + 0.8^2*0.8 = 1.952
    x, P = np.full((1, 1), 10.0), np.full((1, 1, 1), 4.0)
    S, status = kalman.pda_update(x, P, np.ones((1, 1, 1)), np.ones((1, 1, 1)),
                                  [[1.0], [-1.0]], [0.4, 0.4], [0.2], [0, 2])
    assert status[0] == kalman.STATUS_OK
    assert_allclose([x[0, 0], P[0, 0, 0], S[0, 0, 0]], [10.0, 1.952, 5.0], rtol=1e-14)


def test_pda_with_one_certain_detection_is_a_kalman_update():
    rng = np.random.default_rng(3)
    x, P, F, Q, z, R, H = position_tracks(rng, 5)
    y = z - np.einsum("nij,nj->ni", H, x)
    x1, P1, x2, P2 = x.copy(), P.copy(), x.copy(), P.copy()
    kalman.update(x1, P1, H, R, y)
    kalman.pda_update(x2, P2, H, R, y, np.ones(5), np.zeros(5), np.arange(6))
    assert_allclose(x2, x1, rtol=1e-12)
    assert_allclose(P2, P1, rtol=1e-10)


def test_pda_without_detections_keeps_the_prediction():
    rng = np.random.default_rng(4)
    x, P, F, Q, z, R, H = position_tracks(rng, 3)
    x0, P0 = x.copy(), P.copy()
    _, status = kalman.pda_update(x, P, H, R, np.empty((0, 3)), np.empty(0), np.ones(3),
                                  np.zeros(4, dtype=np.intp))
    assert (status == 0).all()
    assert_allclose(x, x0, rtol=0)
    assert_allclose(P, P0, rtol=1e-15)


def test_predict_cv_worked_example():
    # 100 m/s east for 10 s; A = I: P_pos += 1000/3, P_pv += 50, P_vel += 10
    x = np.array([[0.0, 0, 0, 100.0, 0, 0]])
    P = np.zeros((1, 6, 6))
    status = kalman.predict_cv(x, P, [10.0], np.eye(3)[None])
    assert status[0] == 0
    assert_allclose(x[0], [1000.0, 0, 0, 100.0, 0, 0])
    assert_allclose([P[0, 0, 0], P[0, 0, 3], P[0, 3, 3], P[0, 0, 1]], [1000 / 3, 50.0, 10.0, 0.0])


def test_predict_cv_equals_general_predict():
    rng = np.random.default_rng(5)
    x, P = ecef_states(rng, 20), spd(rng, 20, 6, 1e4)
    dt, psd = rng.uniform(0, 600, 20), spd(rng, 20, 3, 2.0)
    x1, P1, x2, P2 = x.copy(), P.copy(), x.copy(), P.copy()
    kalman.predict_cv(x1, P1, dt, psd)
    kalman.predict(x2, P2, cv_transition(dt), cv_process_noise(dt, psd))
    assert_allclose(x1, x2, rtol=1e-14)
    assert_allclose(P1, P2, rtol=1e-9, atol=1e-9 * np.abs(P2).max())


# --- bad tracks are reported and left alone; the others still update -----------------------

@pytest.mark.parametrize("impl", kalman.available_builds() + ["reference"])
def test_bad_tracks_get_a_status_and_stay_unchanged(impl):
    rng = np.random.default_rng(6)
    N = 5
    x, P, F, Q, z, R, H = position_tracks(rng, N)
    psd = spd(rng, N, 3, 1.0)
    dt = np.full(N, 5.0)
    x[1, 2] = np.nan                 # NaN state
    dt[2] = -1.0                     # negative time step
    P[3] *= 1e308 / np.abs(P[3]).max()   # finite, but overflows when propagated
    status = np.empty(N, np.int8)
    x0, P0 = x.copy(), P.copy()
    (reference if impl == "reference" else importlib.import_module(f"tracker.{impl}")).predict_cv(x, P, dt, psd, status)
    assert status.tolist() == [0, 1, 1, 3, 0]
    assert np.array_equal(x[1:4], x0[1:4], equal_nan=True) and np.array_equal(P[1:4], P0[1:4])
    assert not np.array_equal(x[[0, 4]], x0[[0, 4]])

    x, P = x0.copy(), P0.copy()
    R[4] = -R[4]                     # S not positive definite
    S, nis, status = np.empty((N, 3, 3)), np.empty(N), np.empty(N, np.int8)
    y = z - x[:, :3]
    (reference if impl == "reference" else importlib.import_module(f"tracker.{impl}")).update(x, P, H, R, y, S, nis, status)
    assert status.tolist()[:2] == [0, 1] and status[4] == 2
    assert np.array_equal(P[4], P0[4]) and nis[4] == -1.0 and (S[4] == 0).all()
    assert np.isfinite(x[[0, 2, 4]]).all() and nis[0] > 0


def test_checked_entry_rejects_wrong_shapes_and_dtypes():
    rng = np.random.default_rng(8)
    x, P, F, Q, z, R, H = position_tracks(rng, 3)
    with pytest.raises(ValueError, match="F has shape"):
        kalman.predict(x, P, F[:, :5, :5], Q)
    with pytest.raises(TypeError, match="x must be"):
        kalman.predict(x.astype(np.float32), P, F, Q)
    with pytest.raises(ValueError, match="offsets"):
        kalman.pda_update(x, P, H, R, np.zeros((2, 3)), [0.5, 0.5], [0, 0, 0], [0, 2, 1, 2])
    with pytest.raises(ValueError, match="measurement dimension"):
        kalman.update(x, P, np.zeros((3, 7, 6)), np.zeros((3, 7, 7)), np.zeros((3, 7)))


def test_covariance_stays_positive_definite_over_many_updates():
    # a nearly noiseless sensor is the classic way to break P = (I - K H) P
    rng = np.random.default_rng(9)
    N = 50
    x, P, F, Q, z, R, H = position_tracks(rng, N)
    R = np.tile(np.eye(3) * 1e-6, (N, 1, 1))
    psd = np.tile(np.eye(3) * 1e-6, (N, 1, 1))
    for _ in range(2000):
        kalman.predict_cv(x, P, np.full(N, 1.0), psd)
        status = kalman.kf_update(x, P, x[:, :3] + rng.normal(scale=1e-3, size=(N, 3)), R, H)[2]
        assert (status == 0).all()
    assert_spd(P)


def test_the_fastest_build_this_machine_runs_is_chosen():
    builds = kalman.available_builds()
    assert builds[-1] == "_kalman"              # the portable build is always there
    assert kalman.KERNELS == builds[0]
    assert kalman._kalman.__name__ == f"tracker.{kalman.KERNELS}"
