"""NumPy twins of the IMM kernels: ``src_cython/imm.pyx`` and ``imm_modes.pyx``.

Same names and signatures as the kernels (outputs filled in the arrays the
caller passes); ``tracker.reference`` re-exports them, so every twin is found
there (DESIGN.md rule 3). Those of ``imm_modes.pyx`` are built from the NumPy
code the kernels replaced: the motion models of ``tracker.models`` and the
mode likelihoods of ``tracker.imm``. Pair layout (mode-major): pair i of
track t under mode j at row ``M offsets[t] + j c_t + i``, c_t the pairs of
track t.
"""
from __future__ import annotations

import numpy as np

from . import imm
from .kalman import STATUS_INVALID_INPUT, STATUS_NOT_PD, STATUS_OK, STATUS_OVERFLOW
from .models import ConstantVelocity, CoordinatedTurn


# A non-finite result is reported per track in ``status``, as the kernels do, so
# NumPy's floating-point warnings about it are noise.
_quiet = np.errstate(over="ignore", invalid="ignore", divide="ignore")


def _finite_rows(*arrays: np.ndarray) -> np.ndarray:
    """(N,) True where row i of every array is finite."""
    return np.logical_and.reduce([np.isfinite(a.reshape(a.shape[0], -1)).all(axis=1)
                                  for a in arrays])


# --- IMM (issue 6, item 1) ------------------------------------------------------------
# Twins of src_cython/imm.pyx. trans[k, i, j] = p_ij, from mode i to mode j. Only the upper
# triangle of each covariance is read. A track whose status is not STATUS_OK gets zeros in
# every output.


def _positive_definite(P):
    """(...,) True where the symmetric matrices P (..., n, n) are positive definite."""
    return np.linalg.eigvalsh(P).min(axis=-1) > 0.0


def _upper(P):
    """The symmetric matrices whose upper triangle is that of P: all the kernels read."""
    return np.triu(P) + np.swapaxes(np.triu(P, 1), -1, -2)


def _modes_status(w, x, P):
    """(N,) status of each track's mode weights (N, M) and mode estimates (kernel order).

    P must be symmetric (``_upper``)."""
    status = np.zeros(w.shape[0], dtype=np.int8)
    invalid = ~_finite_rows(w, x, P) | (w < 0).any(axis=1) | ~(w.sum(axis=1) > 0)
    status[invalid] = STATUS_INVALID_INPUT
    P_safe = np.where(invalid[:, None, None, None], np.eye(P.shape[-1]), P)
    status[~invalid & ~_positive_definite(P_safe).all(axis=1)] = STATUS_NOT_PD
    return status


def _moment_match(w, x, P):
    """x = sum_i w_i x_i, P = sum_i w_i (P_i + d_i d_i'), d_i = x_i - x; w (..., M) sums to 1."""
    x_out = np.einsum("...i,...in->...n", w, x)
    d = x - x_out[..., None, :]
    spread = d[..., :, None] * d[..., None, :]
    return x_out, np.einsum("...i,...irc->...rc", w, P + spread)


def _zero_failed(status, *outputs):
    bad = status != STATUS_OK
    for out in outputs:
        out[bad] = 0.0


@_quiet
def imm_mix(mu, trans, x, P, x_mixed, P_mixed, mu_pred, status):
    """IMM mixing; twin of ``_imm.imm_mix``.

    c_j = sum_i p_ij mu_i; mu_{i|j} = p_ij mu_i / c_j; x_0j = sum_i mu_{i|j} x_i;
    P_0j = sum_i mu_{i|j} (P_i + (x_i - x_0j)(x_i - x_0j)') (Bar-Shalom, Li &
    Kirubarajan 2001, sec. 11.6). A mode with c_j = 0 keeps its own state.
    """
    N, M = mu.shape
    T = np.broadcast_to(trans, (N, M, M))
    P = _upper(P)
    status[:] = _modes_status(mu, x, P)
    status[~_finite_rows(T) | (T < 0).any(axis=(1, 2))] = STATUS_INVALID_INPUT
    joint = T * mu[:, :, None]                                 # p_ij mu_i  (N, i, j)
    c = joint.sum(axis=1)                                      # c_j = sum_i p_ij mu_i
    own = np.broadcast_to(np.eye(M), (N, M, M))
    weights = np.where(c[:, None, :] > 0, joint / np.where(c > 0, c, 1.0)[:, None, :], own)
    # mixed state of mode j: sum over i, with weights (N, j, i)
    xm, Pm = _moment_match(np.swapaxes(weights, 1, 2), x[:, None], P[:, None])
    x_mixed[:], P_mixed[:], mu_pred[:] = xm, Pm, c
    status[(status == STATUS_OK) & ~_finite_rows(x_mixed, P_mixed, mu_pred)] = STATUS_OVERFLOW
    _zero_failed(status, x_mixed, P_mixed, mu_pred)


@_quiet
def imm_mode_probabilities(mu_pred, log_likelihood, floor, mu_post, status):
    """Mode probabilities from c_j and log Lambda_j, floored; twin of ``_imm.imm_mode_probabilities``.

    mu_j = c_j Lambda_j / sum_i c_i Lambda_i as a log-sum-exp; modes below ``floor``
    are raised to it and the others rescaled to share 1 - (number raised) floor,
    repeated until none of them is below the floor.
    """
    N, M = mu_pred.shape
    invalid = (~_finite_rows(mu_pred) | (mu_pred < 0).any(axis=1)
               | np.isnan(log_likelihood).any(axis=1) | (log_likelihood == np.inf).any(axis=1))
    a = np.where(mu_pred > 0, np.log(np.where(mu_pred > 0, mu_pred, 1.0)) + log_likelihood,
                 -np.inf)
    top = a.max(axis=1)
    invalid |= ~(top > -np.inf) | (not (floor >= 0.0 and floor * M < 1.0))
    p = np.exp(a - np.where(invalid, 0.0, top)[:, None])
    p /= p.sum(axis=1, keepdims=True)
    fixed = np.zeros((N, M), dtype=bool)
    for _ in range(M):
        free = 1.0 - fixed.sum(axis=1) * floor
        scale = free / np.where(fixed, 0.0, p).sum(axis=1)
        fixed |= p * scale[:, None] < floor
    mu_post[:] = np.where(fixed, floor, p * scale[:, None])
    status[:] = np.where(invalid, STATUS_INVALID_INPUT, STATUS_OK)
    _zero_failed(status, mu_post)


@_quiet
def imm_combine(mu, x, P, x_out, P_out, status):
    """Moment-matched output estimate; twin of ``_imm.imm_combine``.

    x = sum_j mu_j x_j, P = sum_j mu_j (P_j + (x_j - x)(x_j - x)'), mu normalised per track.
    """
    P = _upper(P)
    status[:] = _modes_status(mu, x, P)
    w = mu / mu.sum(axis=1, keepdims=True)
    x_out[:], P_out[:] = _moment_match(w, x, P)
    status[(status == STATUS_OK) & ~_finite_rows(x_out, P_out)] = STATUS_OVERFLOW
    _zero_failed(status, x_out, P_out)


# --- imm_modes.pyx --------------------------------------------------------------------


def _mode_major(offsets: np.ndarray, M: int) -> tuple[np.ndarray, np.ndarray]:
    """Each pair's track (K,) and its rows (K, M) in the mode-major layout."""
    count = np.diff(offsets)
    owner = np.repeat(np.arange(count.shape[0]), count)
    within = np.arange(owner.shape[0]) - offsets[owner]
    return owner, (M * offsets[owner] + within)[:, None] + np.arange(M) * count[owner][:, None]


@_quiet
def imm_predict_modes(x, P, dt, up, noise, turn_rate, status):
    """Each mode predicted by its model, F and Q from ``tracker.models``; twin of the kernel.

    Mode j is ``ConstantVelocity(*noise[j])`` when ``turn_rate[j]`` is 0, else
    ``CoordinatedTurn(*noise[j], turn_rate[j])``, about the track's local up.
    Reads the upper blocks of each P (P symmetric); failed tracks get zeros.
    """
    N, M, n = x.shape
    P_upper = P.copy()
    P_upper[..., 3:, :3] = np.swapaxes(P[..., :3, 3:], -1, -2)
    ok = _finite_rows(x, P_upper, up, dt[:, None]) & (dt >= 0)
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
    status[:] = np.where(ok, np.where(_finite_rows(x_new, P_new), STATUS_OK, STATUS_OVERFLOW),
                         STATUS_INVALID_INPUT)
    bad = status != STATUS_OK
    x_new[bad], P_new[bad] = 0.0, 0.0
    x[:], P[:] = x_new, P_new


@_quiet
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


def imm_innovation_covariances(H, R, P, rows, S):
    """S_k = H_r P_r H_r' + (R_r + R_r')/2, r = rows[k]; twin of the kernel."""
    H, R, P = H[rows], R[rows], P[rows]
    out = H @ P @ np.swapaxes(H, -1, -2)
    out = 0.5 * (out + np.swapaxes(out, -1, -2)) + 0.5 * (R + np.swapaxes(R, -1, -2))
    S[...] = out
