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
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import imm, kalman
from .gating import Gated
from .measurement import measure
from .scan import Scan, Sensor


@dataclass
class ModeInnovations:
    """Each gated pair's innovation under each mode, and each mode's H, R and S."""

    innovations: np.ndarray       #: (K, M, m) z_i - h(x_j), angles wrapped into [-pi, pi)
    H: np.ndarray                 #: (N * M, m, 6)
    R: np.ndarray                 #: (N * M, m, m)
    S: np.ndarray                 #: (N, M, m, m)


def mode_innovations(scan: Scan, sensor: Sensor, gated: Gated, xm: np.ndarray,
                     Pm: np.ndarray) -> ModeInnovations:
    """Innovations of the gated pairs under every mode of their tracks (xm (N, M, 6))."""
    N, M = xm.shape[:2]
    meas = measure(scan, sensor, xm.reshape(N * M, 6), Pm.reshape(N * M, 6, 6))
    m = meas.z_hat.shape[1]
    owner = np.repeat(np.arange(N), np.diff(gated.offsets))
    flat = owner[:, None] * M + np.arange(M)                               # (K, M)
    nu = meas.z[gated.detection][:, None, :m] - meas.z_hat[flat]
    for c in meas.angle_columns:
        nu[..., c] = (nu[..., c] + np.pi) % (2.0 * np.pi) - np.pi
    return ModeInnovations(nu, meas.H, meas.R, meas.S.reshape(N, M, m, m))


def update_modes(xm: np.ndarray, Pm: np.ndarray, mu_pred: np.ndarray, modes: ModeInnovations,
                 log_ratio: np.ndarray, offsets: np.ndarray, beta: np.ndarray,
                 beta_none: np.ndarray, floor: float):
    """Mode-matched PDA updates (xm, Pm in place), mode probabilities and the combination.

    Returns mu (N, M), x (N, 6), P (N, 6, 6) and a status per track (the worst of
    its modes' updates, of the mode probabilities and of the combination).
    """
    N, M = xm.shape[:2]
    K, m = modes.innovations.shape[0], modes.innovations.shape[2]
    log_likelihood, beta_mode, beta_none_mode = imm.mode_association(
        log_ratio, mu_pred, offsets, beta, beta_none)
    # pairs regrouped track by track, then mode by mode: pseudo-track i * M + j owns
    # its track's pairs, in the same order, with mode j's innovations and weights
    count = np.diff(offsets)
    owner = np.repeat(np.arange(N), count)
    within = np.arange(K) - offsets[owner]
    index = (offsets[owner] * M + within)[:, None] + np.arange(M) * count[owner][:, None]
    innovations = np.empty((K * M, m))
    innovations[index] = modes.innovations
    weights = np.empty(K * M)
    weights[index] = beta_mode
    flat_offsets = np.zeros(N * M + 1, dtype=np.intp)
    np.cumsum(np.repeat(count, M), out=flat_offsets[1:])
    _, status = kalman.pda_update(xm.reshape(N * M, 6), Pm.reshape(N * M, 6, 6), modes.H,
                                  modes.R, innovations, weights,
                                  np.ascontiguousarray(beta_none_mode).reshape(N * M),
                                  flat_offsets)
    status = status.reshape(N, M).max(axis=1)
    mu, mode_status = imm.mode_probabilities(mu_pred, log_likelihood, floor)
    x, P, combine_status = imm.combine(mu, xm, Pm)
    return mu, x, P, np.maximum(np.maximum(status, mode_status), combine_status)
