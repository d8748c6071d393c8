"""The kernels of src_cython/imm_modes.pyx against their twins, worked cases and invariants."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.stats import multivariate_normal

from kalman_inputs import ecef_states, spd
from test_kalman import close

from tracker import _imm_modes, imm, kalman, mode_update, reference
from tracker.models import ConstantVelocity, CoordinatedTurn, local_up

seeds = st.integers(0, 2**32 - 1)
IMPLEMENTATIONS = {"compiled": _imm_modes, "reference": reference}
implementations = pytest.mark.parametrize("impl", list(IMPLEMENTATIONS))


def run(impl, kernel, *inputs, outputs=()):
    """``kernel`` of ``impl`` on copies of the inputs and fresh outputs; every argument back."""
    args = [np.array(a) if isinstance(a, np.ndarray) else a for a in inputs]
    args += [np.full(shape, 7.0 if dtype == np.float64 else 7, dtype) for shape, dtype in outputs]
    getattr(IMPLEMENTATIONS[impl], kernel)(*args)
    return args


def prediction_problem(rng, N, M):
    """Mixed mode states (N, M, 6), SPD P, steps, local ups, mode noise and turn rates."""
    x = np.ascontiguousarray(ecef_states(rng, N)[:, None, :]
                             + rng.normal(scale=300.0, size=(N, M, 6)))
    P = spd(rng, N * M, 6, 1e4).reshape(N, M, 6, 6)
    dt = rng.uniform(0.0, 30.0, size=N)
    dt[rng.random(N) < 0.2] = 0.0
    up = local_up(x[:, 0])
    noise = rng.uniform(0.0, 100.0, size=(M, 2))
    rate = np.radians(rng.uniform(-10.0, 10.0, size=M))
    rate[rng.random(M) < 0.4] = 0.0                       # constant-velocity modes
    rate[rng.random(M) < 0.2] = 1e-5                      # the turn integrals' series
    return x, P, dt, up, noise, rate


def pair_problem(rng, N, M, m, angle_column=None):
    """(z_hat, H, R, P, z, detection, offsets, angle, clutter_density, mu_pred) of gated pairs."""
    counts = rng.integers(0, 4, size=N)
    offsets = np.r_[0, np.cumsum(counts)].astype(np.intp)
    D = 6
    z_hat = rng.normal(scale=1e3, size=(N, M, m))
    z = rng.normal(scale=1e3, size=(D, m))
    angle = np.zeros(m, dtype=np.uint8)
    if angle_column is not None:                          # azimuths near the wrap
        angle[angle_column] = 1
        z_hat[..., angle_column] = rng.uniform(0.0, 2.0 * np.pi, size=(N, M))
        z[:, angle_column] = rng.uniform(0.0, 2.0 * np.pi, size=D)
    H = rng.normal(size=(N, M, m, 6)) * (rng.random((N, M, m, 6)) < 0.6)    # some zeros
    R = spd(rng, N * M, m, 1e2, cond=30).reshape(N, M, m, m)
    P = spd(rng, N * M, 6, 1e4, cond=100).reshape(N, M, 6, 6)
    detection = rng.integers(0, D, size=offsets[-1]).astype(np.intp)
    clutter = 10.0 ** rng.uniform(-12, -6, size=N)
    mu_pred = rng.dirichlet(np.ones(M), size=N)
    mu_pred[rng.random((N, M)) < 0.1] = 0.0
    mu_pred[:, 0] += 0.1
    return z_hat, H, R, P, z, detection, offsets, angle, clutter, mu_pred


def pair_outputs(K, M, m):
    return [((K * M, m), np.float64), ((K * M,), np.float64), ((K,), np.float64)]


def association_outputs(N, M, K):
    return [((N, M), np.float64), ((K * M,), np.float64), ((N * M,), np.float64),
            ((N * M + 1,), np.intp)]


# --- kernels against their twins ------------------------------------------------------------

@given(N=st.integers(1, 30), M=st.integers(1, imm.MAX_MODES), seed=seeds)
@settings(max_examples=60, deadline=None)
def test_imm_predict_modes_matches_reference(N, M, seed):
    x, P, dt, up, noise, rate = prediction_problem(np.random.default_rng(seed), N, M)
    outs = [((N,), np.int8)]
    got = run("compiled", "imm_predict_modes", x, P, dt, up, noise, rate, outputs=outs)
    want = run("reference", "imm_predict_modes", x, P, dt, up, noise, rate, outputs=outs)
    close(got[0].reshape(N, -1), want[0].reshape(N, -1), rtol=1e-12)
    close(got[1].reshape(N, -1), want[1].reshape(N, -1), rtol=1e-12)
    assert (got[6] == 0).all() and (want[6] == 0).all()
    assert (got[1] == np.swapaxes(got[1], -1, -2)).all()
    assert (np.linalg.eigvalsh(got[1]) > 0).all()


@given(N=st.integers(1, 30), M=st.integers(1, imm.MAX_MODES), m=st.sampled_from([2, 3, 4, 1, 6]),
       angle=st.booleans(), seed=seeds)
@settings(max_examples=60, deadline=None)
def test_imm_pair_likelihoods_match_reference(N, M, m, angle, seed):
    problem = pair_problem(np.random.default_rng(seed), N, M, m, 0 if angle else None)
    K = problem[6][-1]
    got = run("compiled", "imm_pair_likelihoods", *problem, outputs=pair_outputs(K, M, m))
    want = run("reference", "imm_pair_likelihoods", *problem, outputs=pair_outputs(K, M, m))
    assert_allclose(got[10], want[10], rtol=1e-12, atol=1e-9)
    assert_allclose(got[11], want[11], rtol=1e-9)
    assert_allclose(got[12], want[12], rtol=1e-9)
    if angle:
        assert (np.abs(got[10][:, 0]) <= np.pi).all()


@given(N=st.integers(1, 30), M=st.integers(1, imm.MAX_MODES), seed=seeds)
@settings(max_examples=60, deadline=None)
def test_imm_mode_association_matches_reference_and_each_mode_sums_to_one(N, M, seed):
    rng = np.random.default_rng(seed)
    problem = list(pair_problem(rng, N, M, 3))
    # floored mode probabilities, as the tracker's: l_ij / l_i <= 1 / c_j stays finite
    problem[9] = np.maximum(problem[9], 1e-4) / np.maximum(problem[9], 1e-4).sum(1, keepdims=True)
    offsets, K = problem[6], problem[6][-1]
    _, log_ratio, log_mixture = run("compiled", "imm_pair_likelihoods", *problem,
                                    outputs=pair_outputs(K, M, 3))[10:]
    beta = rng.dirichlet(np.ones(4), size=K)[:, 0] if K else np.empty(0)
    # beta_none makes each track's total 1 (exactly 0 for some: a sure detection)
    beta_none = np.maximum(1.0 - np.bincount(np.repeat(np.arange(N), np.diff(offsets)),
                                             weights=beta, minlength=N), 0.0)
    inputs = (log_ratio, log_mixture, beta, beta_none, offsets)
    got = run("compiled", "imm_mode_association", *inputs, outputs=association_outputs(N, M, K))
    want = run("reference", "imm_mode_association", *inputs,
               outputs=association_outputs(N, M, K))
    for g, w in zip(got[5:8], want[5:8]):
        assert_allclose(g, w, rtol=1e-9, atol=1e-15)
    assert (got[8] == want[8]).all()
    # each mode's weights, over the pseudo-track of its pairs, sum to 1
    flat = got[8]
    totals = np.add.reduceat(np.r_[got[6], 0.0], flat[:-1]) * (np.diff(flat) > 0) + got[7]
    assert_allclose(totals, 1.0, rtol=1e-12)


# --- worked cases and invariants ------------------------------------------------------------

def test_a_zero_rate_mode_is_the_constant_velocity_prediction():
    rng = np.random.default_rng(1)
    x, P, dt, up, _, _ = prediction_problem(rng, 8, 1)
    status = np.empty(8, dtype=np.int8)
    xm, Pm = x.copy(), P.copy()
    _imm_modes.imm_predict_modes(xm, Pm, dt, up, np.array([[20.0, 2.0]]), np.zeros(1), status)
    cv = ConstantVelocity(q_horizontal=20.0, q_vertical=2.0)
    x_cv, P_cv = x[:, 0].copy(), P[:, 0].copy()
    kalman.predict_cv(x_cv, P_cv, dt, cv.acceleration_psd(x_cv, up))
    assert (status == 0).all()
    assert_allclose(xm[:, 0], x_cv, rtol=1e-15)
    close(Pm[:, 0], P_cv, rtol=1e-13)


def test_a_turn_mode_turns_the_velocity_about_the_up_and_keeps_the_speed():
    """Heading east at 35 N with omega = +3 deg/s for 10 s: 30 deg to the right (south)."""
    from tracker import frames
    lat, lon = np.radians(35.0), np.radians(50.0)
    rot = frames.enu_rotation(lat, lon)                     # rows east, north, up
    x = np.r_[frames.geodetic_to_ecef(lat, lon, 9000.0).ravel(), 250.0 * rot[0]][None, None]
    P = np.eye(6)[None, None] * 100.0
    status = np.empty(1, dtype=np.int8)
    rate = np.radians(3.0)
    _imm_modes.imm_predict_modes(x, P, np.array([10.0]), rot[2][None].copy(),
                                 np.array([[0.0, 0.0]]), np.array([rate]), status)
    v_enu = rot @ x[0, 0, 3:]
    assert status[0] == 0
    assert_allclose(v_enu, 250.0 * np.array([np.cos(np.radians(30)), -np.sin(np.radians(30)), 0]),
                    atol=1e-9)
    # the chord of the arc of radius v / omega, 30 deg long
    radius = 250.0 / rate
    moved = rot @ (x[0, 0, :3] - frames.geodetic_to_ecef(lat, lon, 9000.0).ravel())
    assert_allclose(moved, radius * np.array([np.sin(np.radians(30)), np.cos(np.radians(30)) - 1,
                                              0.0]), atol=1e-6)
    F = CoordinatedTurn(0.0, 0.0, turn_rate=rate).transition([10.0], x[:, 0], up=rot[2][None])
    assert_allclose(P[0, 0], (F @ (np.eye(6) * 100.0) @ F[0].T)[0], rtol=1e-12, atol=1e-12)


def test_pair_likelihoods_worked_example():
    """One track, two modes, one pair: log N(nu; 0, S_j) - log lambda and the mixture."""
    z_hat = np.array([[[0.0, 0.0], [30.0, 0.0]]])
    S = np.array([[np.diag([100.0, 400.0]), np.diag([900.0, 400.0])]])
    z = np.array([[10.0, 20.0]])
    # S = H P H' + R with H = [I 0] and R = 50 I: the position blocks of P are S - R
    H = np.broadcast_to(np.eye(2, 6), (1, 2, 2, 6))
    R = np.broadcast_to(50.0 * np.eye(2), (1, 2, 2, 2))
    P = np.tile(np.eye(6), (1, 2, 1, 1))
    P[:, :, :2, :2] = S - R
    got = mode_update.pair_likelihoods(z_hat, H, R, P, z, [0], [0, 1], (), 1e-6,
                                       [[0.25, 0.75]])
    want = [multivariate_normal(cov=S[0, j]).logpdf(z[0] - z_hat[0, j]) - np.log(1e-6)
            for j in range(2)]
    assert_allclose(got[0], [[10.0, 20.0], [-20.0, 20.0]])
    assert_allclose(got[1], want, rtol=1e-13)
    assert_allclose(got[2], [np.log(0.25 * np.exp(want[0]) + 0.75 * np.exp(want[1]))],
                    rtol=1e-13)


@implementations
def test_bad_modes_get_minus_infinity_and_bad_tracks_zeros(impl):
    rng = np.random.default_rng(3)
    z_hat, H, R, P, z, detection, offsets, angle, clutter, mu_pred = pair_problem(rng, 6, 3, 3)
    offsets = np.array([0, 2, 4, 5, 5, 6, 7], dtype=np.intp)
    detection = rng.integers(0, z.shape[0], size=7).astype(np.intp)
    P[1, 2], R[1, 2] = -P[1, 2], -R[1, 2]                  # S not positive definite
    P[2, 0, 0, 0] = np.nan
    mu_pred = np.full((6, 3), 1 / 3)
    got = run(impl, "imm_pair_likelihoods", z_hat, H, R, P, z, detection, offsets, angle,
              clutter, mu_pred, outputs=pair_outputs(7, 3, 3))
    log_ratio = got[11]
    assert (log_ratio[[2 * 3 + 4, 2 * 3 + 5]] == -np.inf).all()    # track 1, mode 2
    assert log_ratio[3 * 4] == -np.inf                               # track 2, mode 0
    assert np.isfinite(np.delete(log_ratio, [10, 11, 12])).all()
    assert np.isfinite(got[12]).all()
    x, P, dt, up, noise, rate = prediction_problem(rng, 4, 2)
    x[1, 1, 2], dt[2] = np.inf, -1.0
    got = run(impl, "imm_predict_modes", x, P, dt, up, noise, rate, outputs=[((4,), np.int8)])
    assert got[6].tolist() == [0, 1, 1, 0]
    assert (got[0][1:3] == 0).all() and (got[1][1:3] == 0).all()
    assert np.isfinite(got[0]).all() and np.isfinite(got[1]).all()


def test_checked_entries_reject_wrong_shapes_and_bad_models():
    modes = (np.zeros((2, 3, 3)), np.tile(np.eye(3, 6), (2, 3, 1, 1)),
             np.tile(np.eye(3), (2, 3, 1, 1)), np.tile(np.eye(6), (2, 3, 1, 1)))
    mu = np.full((2, 3), 1 / 3)
    with pytest.raises(ValueError, match="offsets"):
        mode_update.pair_likelihoods(*modes, np.zeros((1, 3)), [0], [0, 2, 1], (), 1e-9, mu)
    with pytest.raises(ValueError, match="detection"):
        mode_update.pair_likelihoods(*modes, np.zeros((1, 3)), [3], [0, 1, 1], (), 1e-9, mu)
    with pytest.raises(ValueError, match="clutter_density"):
        mode_update.pair_likelihoods(*modes, np.zeros((1, 3)), [0], [0, 1, 1], (), 0.0, mu)
    with pytest.raises(ValueError, match="H has shape"):
        mode_update.pair_likelihoods(modes[0], modes[1][:, :, :2], *modes[2:], np.zeros((1, 3)),
                                     [0], [0, 1, 1], (), 1e-9, mu)
    turning = CoordinatedTurn(turn_rate=np.radians([3.0, 4.0]))      # a rate per track
    with pytest.raises(ValueError, match="one turn_rate"):
        imm.ImmModel(modes=(turning,), names=("t",), mean_sojourn_s=(10.0,))


def test_each_mode_major_row_names_its_pair():
    from tracker.mode_update import pair_of_rows
    # track 0: pairs 0, 1; track 1: none; track 2: pairs 2, 3, 4; two modes each
    assert pair_of_rows(np.array([0, 2, 2, 5]), 2).tolist() == [0, 1, 0, 1, 2, 3, 4, 2, 3, 4]
    assert pair_of_rows(np.array([0]), 4).size == 0


@pytest.mark.parametrize("m", [2, 3, 4])
def test_innovation_covariances_match_their_twin_and_are_symmetric(m):
    rng = np.random.default_rng(m)
    L, K = 30, 45
    H = rng.normal(size=(L, m, 6))
    H[:, :, 3:] *= rng.random((L, m, 1)) < 0.5              # some rows see no velocity
    A = rng.normal(size=(L, 6, 6))
    P = A @ A.transpose(0, 2, 1) + np.eye(6)
    B = rng.normal(size=(L, m, m))
    R = B @ B.transpose(0, 2, 1) + 0.1 * rng.normal(size=(L, m, m))   # not quite symmetric
    rows = rng.integers(0, L, size=K).astype(np.intp)
    S, S_twin = np.full((K, m, m), np.nan), np.full((K, m, m), np.nan)
    _imm_modes.imm_innovation_covariances(H, R, P, rows, S)
    reference.imm_innovation_covariances(H, R, P, rows, S_twin)
    np.testing.assert_allclose(S, S_twin, rtol=1e-12, atol=1e-9)
    assert (S == S.transpose(0, 2, 1)).all()
    expected = H[rows] @ P[rows] @ H[rows].transpose(0, 2, 1) + 0.5 * (R[rows] + R[rows].transpose(0, 2, 1))
    np.testing.assert_allclose(S, expected, rtol=1e-10, atol=1e-9)
