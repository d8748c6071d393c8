"""Pure-NumPy twins of the compiled kernels (DESIGN.md rule 3).

Each function has the name and signature of its compiled kernel in
``tracker._kalman`` (in-place on ``x`` and ``P``, outputs filled in the
arrays the caller passes) and does the same arithmetic in readable,
batched NumPy. The tests compare the two on random inputs; the linear
Kalman twin is also checked against filterpy. Nothing in the engine calls
these: they are the oracle, and the yardstick the benchmarks beat.
"""
from __future__ import annotations

import numpy as np

STATUS_OK = 0
STATUS_INVALID_INPUT = 1
STATUS_NOT_PD = 2
STATUS_OVERFLOW = 3

# A non-finite result is reported per track in ``status``, as the kernels do, so
# NumPy's floating-point warnings about it are noise.
_quiet = np.errstate(over="ignore", invalid="ignore", divide="ignore")


def _finite_rows(*arrays: np.ndarray) -> np.ndarray:
    """(N,) True where every array's row i is finite."""
    ok = np.ones(arrays[0].shape[0], dtype=bool)
    for a in arrays:
        ok &= np.isfinite(a.reshape(a.shape[0], -1)).all(axis=1)
    return ok


def _symmetrise(A: np.ndarray) -> np.ndarray:
    return 0.5 * (A + np.swapaxes(A, -1, -2))


def _commit(x, P, x_new, P_new, status, ok):
    """Write back the tracks whose result is finite; mark the others as overflowed."""
    finite = _finite_rows(x_new, P_new)
    status[ok & ~finite] = STATUS_OVERFLOW
    done = ok & finite
    x[done] = x_new[done]
    P[done] = P_new[done]
    status[done] = STATUS_OK
    return done


@_quiet
def predict(x, P, F, Q, status):
    """x = F x, P = F P F' + Q for every track; twin of ``_kalman.predict``."""
    ok = _finite_rows(x, P, F, Q)
    status[~ok] = STATUS_INVALID_INPUT
    x_new = np.einsum("nij,nj->ni", F, x)                               # x = F x
    P_new = _symmetrise(F @ P @ np.swapaxes(F, 1, 2) + Q)               # P = F P F' + Q
    _commit(x, P, x_new, P_new, status, ok)


@_quiet
def predict_cv(x, P, dt, accel_psd, status):
    """Nearly-constant-velocity prediction, per-track dt; twin of ``_kalman.predict_cv``.

    F = [[I, dt I], [0, I]], Q = [[dt^3/3 A, dt^2/2 A], [dt^2/2 A, dt A]]
    (Bar-Shalom, Li & Kirubarajan 2001, eq. 6.2.2-12), A the ECEF acceleration PSD.
    """
    N = x.shape[0]
    P_sym = np.triu(P) + np.swapaxes(np.triu(P, 1), 1, 2)   # symmetric: upper triangle read
    ok = _finite_rows(x, P_sym, accel_psd, dt[:, None]) & (dt >= 0)
    status[~ok] = STATUS_INVALID_INPUT
    h = np.where(ok, dt, 0.0)
    F = np.broadcast_to(np.eye(6), (N, 6, 6)).copy()
    F[:, 0:3, 3:6] = h[:, None, None] * np.eye(3)
    Q = np.zeros((N, 6, 6))
    Q[:, 0:3, 0:3] = (h**3 / 3.0)[:, None, None] * accel_psd
    Q[:, 0:3, 3:6] = Q[:, 3:6, 0:3] = (h**2 / 2.0)[:, None, None] * accel_psd
    Q[:, 3:6, 3:6] = h[:, None, None] * accel_psd
    x_new = np.einsum("nij,nj->ni", F, x)
    P_new = _symmetrise(F @ P_sym @ np.swapaxes(F, 1, 2) + Q)
    _commit(x, P, x_new, P_new, status, ok)


def _gain(P, H, R):
    """S = H P H' + R (symmetrised) and K = P H' S^-1 by a solve; ok where S is PD."""
    S = _symmetrise(H @ P @ np.swapaxes(H, 1, 2) + R)                   # S = H P H' + R
    pd = np.zeros(S.shape[0], dtype=bool)
    finite = _finite_rows(S)
    if finite.any():
        pd[finite] = np.linalg.eigvalsh(S[finite]).min(axis=1) > 0.0
    S_safe = np.where(pd[:, None, None], S, np.eye(S.shape[1]))
    K = np.swapaxes(np.linalg.solve(S_safe, H @ P), 1, 2)               # K = P H' S^-1
    return S, K, pd


def _joseph(P, K, H, R):
    """(I - K H) P (I - K H)' + K R K': symmetric PSD whatever the round-off in K."""
    A = np.eye(P.shape[1]) - K @ H
    return _symmetrise(A @ P @ np.swapaxes(A, 1, 2) + K @ R @ np.swapaxes(K, 1, 2))


@_quiet
def update(x, P, H, R, innovation, S, nis, status):
    """Kalman / EKF update, Joseph form; twin of ``_kalman.update``.

    S = H P H' + R, K = P H' S^-1, x+ = x + K y, P+ = (I-KH) P (I-KH)' + K R K',
    NIS = y' S^-1 y (Bar-Shalom et al. 2001, eq. 5.2.3-9 to -18).
    """
    S[:] = 0.0
    nis[:] = -1.0
    ok = _finite_rows(x, P, H, R, innovation)
    status[~ok] = STATUS_INVALID_INPUT
    S_new, K, pd = _gain(P, H, R)
    status[ok & ~pd] = STATUS_NOT_PD
    ok &= pd
    S[ok] = S_new[ok]
    x_new = x + np.einsum("nij,nj->ni", K, innovation)                  # x + K y
    P_new = _joseph(P, K, H, R)
    S_safe = np.where(ok[:, None, None], S_new, np.eye(S.shape[1]))
    q = np.einsum("ni,ni->n", innovation, np.linalg.solve(S_safe, innovation[..., None])[..., 0])
    done = _commit(x, P, x_new, P_new, status, ok & np.isfinite(q))
    status[ok & ~np.isfinite(q)] = STATUS_OVERFLOW
    nis[done] = q[done]


def kf_update(x, P, H, R, z, S, nis, status):
    """Linear Kalman update; twin of ``_kalman.kf_update``: ``update`` with y = z - H x."""
    update(x, P, H, R, z - np.einsum("nij,nj->ni", H, x), S, nis, status)


@_quiet
def pda_update(x, P, H, R, innovations, beta, beta_none, offsets, S, status):
    """Probabilistic data association update; twin of ``_kalman.pda_update``.

    nu = sum_i beta_i nu_i; x+ = x + K nu;
    P+ = beta_0 P + (1 - beta_0) P_c + K (sum_i beta_i nu_i nu_i' - nu nu') K'
    (Bar-Shalom, Daum & Huang, IEEE Control Systems Magazine 29(6), 2009).
    """
    N, m = H.shape[0], H.shape[1]
    S[:] = 0.0
    counts = np.diff(offsets)
    owner = np.repeat(np.arange(N), np.maximum(counts, 0))
    ok = _finite_rows(x, P, H, R, beta_none[:, None]) & (counts >= 0)
    if innovations.shape[0]:
        bad_pair = ~_finite_rows(innovations, beta[:, None])
        ok[np.unique(owner[bad_pair])] = False
    status[~ok] = STATUS_INVALID_INPUT
    S_new, K, pd = _gain(P, H, R)
    status[ok & ~pd] = STATUS_NOT_PD
    ok &= pd
    S[ok] = S_new[ok]
    nu = np.zeros((N, m))
    spread = np.zeros((N, m, m))
    np.add.at(nu, owner, beta[:, None] * innovations)
    np.add.at(spread, owner, beta[:, None, None] * innovations[:, :, None] * innovations[:, None, :])
    spread -= nu[:, :, None] * nu[:, None, :]                           # spread of innovations
    x_new = x + np.einsum("nij,nj->ni", K, nu)
    b0 = beta_none[:, None, None]
    P_new = _symmetrise(b0 * P + (1.0 - b0) * _joseph(P, K, H, R)
                        + K @ spread @ np.swapaxes(K, 1, 2))
    _commit(x, P, x_new, P_new, status, ok)
