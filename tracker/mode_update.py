"""The measurement step of IMM tracks inside JIPDA (IMM-JIPDA), for one scan.

Gating runs once per track on the combined (moment-matched) prediction, whose
covariance contains every mode's spread. For each gated (track, detection)
pair the likelihood is then evaluated under each mode's own prediction: with
nu_ij = z_i - h(x_j) and S_j = H_j P_j H_j' + R, l_ij = N(nu_ij; 0, S_j) /
lambda. JIPDA takes the track-level mixture sum_j c_j l_ij (Musicki &
Suvorova, "Tracking in clutter using IMM-IPDA-based algorithms", IEEE TAES
44(1), 2008); its association probabilities are split among the modes
(``imm.mode_association``), every mode takes a PDA update with its own
innovations and weights (the compiled ``kalman.pda_update`` on the N * M mode
states), and the mode probabilities and the combined estimate follow
(``imm.mode_probabilities``, ``imm.combine``).

The pair likelihoods and the split are compiled (``src_cython/imm_modes.pyx``:
``imm_pair_likelihoods``, ``imm_mode_association``); their per-(pair, mode)
arrays are in the mode-major layout that ``kalman.pda_update`` takes on the
flattened mode states: pair i of track t under mode j at row
``M offsets[t] + j c_t + i`` (c_t pairs in track t).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _imm_modes, gating, imm, kalman
from .gating import Gated
from .measurement import measure
from .scan import Scan, Sensor


@dataclass
class ModeInnovations:
    """Each gated pair's innovation and likelihood ratio under each mode; each mode's H, R."""

    innovations: np.ndarray       #: (K * M, m) z_i - h(x_j), angles wrapped, mode-major
    log_ratio: np.ndarray         #: (K * M,) log N(nu_ij; 0, S_j) - log lambda, mode-major
    log_mixture: np.ndarray       #: (K,) log sum_j c_j l_ij, the pair's ratio for JIPDA
    H: np.ndarray                 #: (N * M, m, 6)
    R: np.ndarray                 #: (N * M, m, m)


def _offsets(offsets, K: int) -> np.ndarray:
    offsets = np.ascontiguousarray(offsets, dtype=np.intp)
    if offsets.ndim != 1 or offsets[0] != 0 or offsets[-1] != K or (np.diff(offsets) < 0).any():
        raise ValueError(f"offsets must be non-decreasing, from 0 to {K}")
    return offsets


def pair_likelihoods(z_hat, H, R, P, z, detection, offsets, angle_columns, clutter_density,
                     mu_pred):
    r"""Innovations, log-likelihood ratios and mixture ratios of the gated pairs, every mode.

    Parameters
    ----------
    z_hat : array_like, shape (N, M, m)
        Each mode's predicted measurement.
    H, R, P : array_like, shapes (N, M, m, 6), (N, M, m, m), (N, M, 6, 6)
        Each mode's Jacobian, measurement noise and covariance: the innovation
        covariance :math:`S_j = H_j P_j H_j^T + R_j` is formed in the kernel.
    z : array_like, shape (D, m)
        The scan's detections, in the measurement space (m, rad, m/s).
    detection : array_like of int, shape (K,)
        Each gated pair's detection (row of z), grouped by track.
    offsets : array_like of int, shape (N + 1,)
        Track t owns pairs ``offsets[t]:offsets[t + 1]``.
    angle_columns : tuple of int
        Columns whose differences wrap at +-pi.
    clutter_density : float or array_like, shape (N,)
        lambda > 0, false detections per unit measurement volume.
    mu_pred : array_like, shape (N, M)
        Predicted mode probabilities :math:`c_j`.

    Returns
    -------
    innovations : ndarray, shape (K * M, m)
    log_ratio : ndarray, shape (K * M,)
        :math:`\log \mathcal N(\nu_{ij}; 0, S_j) - \log\lambda`, mode-major; -inf under a
        mode whose S is not positive definite.
    log_mixture : ndarray, shape (K,)
        :math:`\log \sum_j c_j \ell_{ij}`: the track-level ratio that JIPDA takes
        (Musicki & Suvorova, IEEE TAES 44(1), 2008).
    """
    z_hat = np.ascontiguousarray(z_hat, dtype=np.float64)
    if z_hat.ndim != 3 or not 1 <= z_hat.shape[1] <= imm.MAX_MODES:
        raise ValueError(f"z_hat has shape {z_hat.shape}, expected (N, 1..{imm.MAX_MODES}, m)")
    N, M, m = z_hat.shape
    if not 1 <= m <= kalman.MAX_MEASUREMENT:
        raise ValueError(f"measurement dimension {m} outside 1..{kalman.MAX_MEASUREMENT}")
    z = np.ascontiguousarray(np.asarray(z, dtype=np.float64).reshape(-1, m))
    detection = np.ascontiguousarray(detection, dtype=np.intp)
    K = detection.shape[0]
    offsets = _offsets(offsets, K)
    if offsets.shape[0] != N + 1:
        raise ValueError(f"offsets has {offsets.shape[0]} entries, expected {N + 1}")
    if K and not (0 <= detection.min() and detection.max() < z.shape[0]):
        raise ValueError(f"detection must index the {z.shape[0]} rows of z")
    lam = np.ascontiguousarray(np.broadcast_to(np.asarray(clutter_density, dtype=np.float64),
                                               (N,)))
    if not (np.isfinite(lam) & (lam > 0)).all():
        raise ValueError("clutter_density must be finite and > 0")
    angle = np.zeros(m, dtype=np.uint8)
    angle[list(angle_columns)] = 1
    innovations, log_ratio, log_mixture = np.empty((K * M, m)), np.empty(K * M), np.empty(K)
    _imm_modes.imm_pair_likelihoods(z_hat, kalman._in("H", H, (N, M, m, 6)),
                                    kalman._in("R", R, (N, M, m, m)),
                                    kalman._in("P", P, (N, M, 6, 6)), z, detection, offsets,
                                    angle, lam, kalman._in("mu_pred", mu_pred, (N, M)),
                                    innovations, log_ratio, log_mixture)
    return innovations, log_ratio, log_mixture


def split_association(log_ratio, log_mixture, beta, beta_none, offsets, n_modes: int):
    """:func:`tracker.imm.mode_association` in the mode-major layout (compiled).

    Returns log Lambda~ (N, M), beta_mode (K * M,), beta_none_mode (N * M,) and the
    offsets (N * M + 1,) of the mode states' pairs, for ``kalman.pda_update``.
    """
    K = np.shape(log_mixture)[0]
    offsets = _offsets(offsets, K)
    N, M = offsets.shape[0] - 1, int(n_modes)
    log_likelihood, beta_mode = np.empty((N, M)), np.empty(K * M)
    beta_none_mode, flat_offsets = np.empty(N * M), np.empty(N * M + 1, dtype=np.intp)
    _imm_modes.imm_mode_association(kalman._in("log_ratio", log_ratio, (K * M,)),
                                    kalman._in("log_mixture", log_mixture, (K,)),
                                    kalman._in("beta", beta, (K,)),
                                    kalman._in("beta_none", beta_none, (N,)), offsets,
                                    log_likelihood, beta_mode, beta_none_mode, flat_offsets)
    return log_likelihood, beta_mode, beta_none_mode, flat_offsets


def pair_of_rows(offsets: np.ndarray, n_modes: int) -> np.ndarray:
    """The gated pair (index into the K pairs) of each of the K * M mode-major rows.

    Row M offsets[t] + j c_t + i holds pair offsets[t] + i (src_cython/imm_modes.pyx).
    """
    offsets = np.asarray(offsets, dtype=np.intp)
    counts = np.repeat(np.diff(offsets), n_modes)              # c_t, once per mode
    starts = np.repeat(offsets[:-1], n_modes)
    row_starts = np.r_[0, np.cumsum(counts)[:-1]]
    return np.repeat(starts - row_starts, counts) + np.arange(counts.sum())


def measure_modes(scan: Scan, sensor: Sensor, xm: np.ndarray, Pm: np.ndarray):
    """Every mode's predicted measurement, H and R (N * M rows; no S: the kernels form it)."""
    N, M = xm.shape[:2]
    return measure(scan, sensor, xm.reshape(N * M, 6), Pm.reshape(N * M, 6, 6),
                   innovation_covariance=False)


def mode_innovations(gated: Gated, meas, Pm: np.ndarray, mu_pred: np.ndarray,
                     clutter_density) -> ModeInnovations:
    """The gated pairs under every mode of their tracks (Pm (N, M, 6, 6), mu_pred (N, M);
    ``meas`` from :func:`measure_modes`)."""
    N, M = Pm.shape[:2]
    m = meas.z_hat.shape[1]
    found = pair_likelihoods(meas.z_hat.reshape(N, M, m), meas.H.reshape(N, M, m, 6),
                             meas.R.reshape(N, M, m, m), Pm, meas.z[:, :m], gated.detection,
                             gated.offsets, meas.angle_columns, clutter_density, mu_pred)
    return ModeInnovations(*found, meas.H, meas.R)


def update_modes(xm: np.ndarray, Pm: np.ndarray, mu_pred: np.ndarray, modes: ModeInnovations,
                 offsets: np.ndarray, beta: np.ndarray, beta_none: np.ndarray, floor: float):
    """Mode-matched PDA updates (xm, Pm in place), mode probabilities and the combination.

    Returns mu (N, M), x (N, 6), P (N, 6, 6) and a status per track (the worst of
    its modes' updates, of the mode probabilities and of the combination).
    """
    N, M = xm.shape[:2]
    log_likelihood, beta_mode, beta_none_mode, flat_offsets = split_association(
        modes.log_ratio, modes.log_mixture, beta, beta_none, offsets, M)
    _, status = kalman.pda_update(xm.reshape(N * M, 6), Pm.reshape(N * M, 6, 6), modes.H,
                                  modes.R, modes.innovations, beta_mode, beta_none_mode,
                                  flat_offsets)
    status = status.reshape(N, M).max(axis=1)
    mu, mode_status = imm.mode_probabilities(mu_pred, log_likelihood, floor)
    x, P, combine_status = imm.combine(mu, xm, Pm)
    return mu, x, P, np.maximum(np.maximum(status, mode_status), combine_status)


def gate_modes(kind: str, meas, modes, Pm: np.ndarray, union: np.ndarray | None,
               gate_probability: float) -> Gated:
    """The scan's pairs: each track's gate about its combined prediction (``meas``), and
    for the ``union`` rows also every mode's own gate (``gating.gate_union``; ``modes``
    from :func:`measure_modes`).

    Gated on the combination alone, a confirmed track missed a 3 g turn's first
    detection (its range-rate 140 m/s off the straight mode's): the combination's
    covariance holds the turn mode's only by its probability, and the detection
    started a new track (docs/imm.md, "The gate").
    """
    rows = np.empty(0, np.intp) if union is None else np.flatnonzero(union)
    if rows.size == 0:
        return gating.gate(kind, meas.z_hat, meas.S, meas.z, gate_probability)
    M = Pm.shape[1]
    flat = np.ascontiguousarray((M * rows[:, None] + np.arange(M)).ravel())
    m = modes.z_hat.shape[1]
    H = kalman._in("H", modes.H, (modes.H.shape[0], m, 6))
    R = kalman._in("R", modes.R, (modes.H.shape[0], m, m))
    S = np.empty((flat.size, m, m))
    _imm_modes.imm_innovation_covariances(H, R, Pm.reshape(-1, 6, 6), flat, S)
    return gating.gate_union(kind, meas.z_hat, meas.S, meas.z, gate_probability,
                             np.repeat(rows, M), modes.z_hat[flat], S)
