"""NumPy twins of the kernels of ``src_cython/imm_modes.pyx`` (``tracker._imm_modes``).

Same names and signatures as the kernels (outputs filled in the arrays the
caller passes); ``tracker.reference`` re-exports them, so every twin is found
there (DESIGN.md rule 3). They are built from the NumPy code the kernels
replaced: the motion models of ``tracker.models`` and the mode likelihoods of
``tracker.imm``. Pair layout (mode-major): pair i of track t under mode j at
row ``M offsets[t] + j c_t + i``, c_t the pairs of track t.
"""
from __future__ import annotations

import numpy as np

from . import imm
from .kalman import STATUS_INVALID_INPUT, STATUS_OK, STATUS_OVERFLOW
from .models import ConstantVelocity, CoordinatedTurn


def _finite(*arrays: np.ndarray) -> np.ndarray:
    """(N,) True where row i of every array is finite."""
    return np.logical_and.reduce([np.isfinite(a.reshape(a.shape[0], -1)).all(axis=1)
                                  for a in arrays])


def _mode_major(offsets: np.ndarray, M: int) -> tuple[np.ndarray, np.ndarray]:
    """Each pair's track (K,) and its rows (K, M) in the mode-major layout."""
    count = np.diff(offsets)
    owner = np.repeat(np.arange(count.shape[0]), count)
    within = np.arange(owner.shape[0]) - offsets[owner]
    return owner, (M * offsets[owner] + within)[:, None] + np.arange(M) * count[owner][:, None]


@np.errstate(over="ignore", invalid="ignore")
def imm_predict_modes(x, P, dt, up, noise, turn_rate, status):
    """Each mode predicted by its model, F and Q from ``tracker.models``; twin of the kernel.

    Mode j is ``ConstantVelocity(*noise[j])`` when ``turn_rate[j]`` is 0, else
    ``CoordinatedTurn(*noise[j], turn_rate[j])``, about the track's local up.
    Reads the upper blocks of each P (P symmetric); failed tracks get zeros.
    """
    N, M, n = x.shape
    P_upper = P.copy()
    P_upper[..., 3:, :3] = np.swapaxes(P[..., :3, 3:], -1, -2)
    ok = _finite(x, P_upper, up, dt[:, None]) & (dt >= 0)
    h, u = np.where(ok, dt, 0.0), np.where(ok[:, None], up, 0.0)
    x_new, P_new = np.empty_like(x), np.empty_like(P_upper)
    for j in range(M):
        q_h, q_v = noise[j]
        mode = ConstantVelocity(q_h, q_v) if turn_rate[j] == 0.0 \
            else CoordinatedTurn(q_h, q_v, turn_rate=float(turn_rate[j]))
        F = mode.transition(h, np.where(ok[:, None], x[:, j], 0.0), up=u)
        x_new[:, j] = np.einsum("nij,nj->ni", F, x[:, j])                # x = F x
        P_new[:, j] = F @ P_upper[:, j] @ np.swapaxes(F, 1, 2) \
            + mode.process_noise(x[:, j], h, up=u)                       # P = F P F' + Q
    P_new = 0.5 * (P_new + np.swapaxes(P_new, -1, -2))
    status[:] = np.where(ok, np.where(_finite(x_new, P_new), STATUS_OK, STATUS_OVERFLOW),
                         STATUS_INVALID_INPUT)
    bad = status != STATUS_OK
    x_new[bad], P_new[bad] = 0.0, 0.0
    x[:], P[:] = x_new, P_new


@np.errstate(divide="ignore", invalid="ignore")
def imm_pair_likelihoods(z_hat, H, R, P, z, detection, offsets, angle, clutter_density, mu_pred,
                         innovations, log_ratio, log_mixture):
    """Innovations, log N(nu_ij; 0, S_j) - log lambda and log sum_j c_j l_ij; twin of the kernel.

    ``imm.pair_log_likelihood_ratios`` and ``imm.mixture_log_likelihood_ratio``
    with S = H P H' + (R + R')/2, angle columns wrapped into [-pi, pi) (a value
    already there kept); -inf for a non-finite innovation.
    """
    N, M, m = z_hat.shape
    S = H @ P @ np.swapaxes(H, -1, -2) + 0.5 * (R + np.swapaxes(R, -1, -2))
    owner, rows = _mode_major(offsets, M)
    nu = z[detection][:, None, :] - z_hat[owner]                         # (K, M, m)
    wrapped = (nu + np.pi) % (2.0 * np.pi) - np.pi
    nu = np.where(angle.astype(bool) & ((nu >= np.pi) | (nu < -np.pi)), wrapped, nu)
    finite = np.isfinite(nu).all(axis=-1)
    ratio = imm.pair_log_likelihood_ratios(np.where(finite[..., None], nu, 0.0),
                                           0.5 * (S + np.swapaxes(S, -1, -2)), offsets,
                                           clutter_density)
    ratio = np.where(finite, ratio, -np.inf)
    innovations[rows] = nu
    log_ratio[rows] = ratio
    log_mixture[:] = imm.mixture_log_likelihood_ratio(ratio, mu_pred, offsets)


def imm_mode_association(log_ratio, log_mixture, beta, beta_none, offsets, log_likelihood,
                         beta_mode, beta_none_mode, flat_offsets):
    """``imm.split_association`` in the mode-major layout, with the mode states' offsets."""
    N, M = log_likelihood.shape
    owner, rows = _mode_major(offsets, M)
    log_likelihood[:], split, none = imm.split_association(log_ratio[rows], log_mixture, offsets,
                                                           beta, beta_none)
    beta_mode[rows] = split
    beta_none_mode[:] = none.reshape(N * M)
    flat_offsets[0] = 0
    np.cumsum(np.repeat(np.diff(offsets), M), out=flat_offsets[1:])
