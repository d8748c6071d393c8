"""Track-segment association: a lost confirmed track gives its id back to its target.

A cruise missile at 50 m leaves one radar's horizon and enters another's
minutes later, too late for its track to have coasted through: the track,
more uncertain than ``max_position_sigma_m`` or below ``delete_existence``,
is lost. A confirmed track that is lost for want of detections (not one that
went underground or whose filter failed) is kept as *lost*: out of every
scan's coverage, reported as ``tentative`` with its prediction, for
``relink.max_gap_s``. When a new track confirms, it is compared with the
lost tracks' predictions to its time (Yeom, Kirubarajan & Bar-Shalom, "Track
segment association, fine-step IMM and initialization with Doppler for
improved track performance during maneuvering targets", IEEE TAES 40(1),
2004): with d = x_new - x_lost(t) and S = P_new + P_lost(t), a pair is
possible when d' S^-1 d is inside the 6-D gate of probability
``relink.gate_probability``, and the possible pairs are assigned by least
total negative log-likelihood, d' S^-1 d + ln det S (scipy's
``linear_sum_assignment``). A matched new track takes the lost track's id.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.stats import chi2

from . import kalman
from .models import ConstantVelocity
from .tracks import TrackTable

#: cost of a pair outside the gate: never chosen over a gated one, and dropped after
_OUTSIDE = 1e12


def relink(table: TrackTable, new: np.ndarray, lost: np.ndarray, t: float,
           motion: ConstantVelocity, gate_probability: float) -> list[tuple[int, int]]:
    """Pairs (new row, lost row) that continue one another, by the rule of the module docstring.

    ``new`` are rows of tracks at time ``t``; ``lost`` rows of lost tracks,
    predicted here (on copies) from their own times to ``t``.
    """
    if new.size == 0 or lost.size == 0:
        return []
    x, P = table.x[lost].copy(), table.P[lost].copy()
    status = kalman.predict_cv(x, P, np.maximum(t - table.t_state[lost], 0.0),
                               motion.acceleration_psd(x))
    usable = status == 0
    lost, x, P = lost[usable], x[usable], P[usable]
    if lost.size == 0:
        return []
    d = table.x[new][:, None, :] - x[None, :, :]                      # (n, l, 6)
    S = table.P[new][:, None, :, :] + P[None, :, :, :]                 # (n, l, 6, 6)
    sign, logdet = np.linalg.slogdet(S)
    ok = sign > 0
    distance = np.full(d.shape[:2], np.inf)
    distance[ok] = np.einsum("ki,ki->k", d[ok], np.linalg.solve(S[ok], d[ok][..., None])[..., 0])
    gated = ok & (distance <= chi2.ppf(gate_probability, 6))
    if not gated.any():
        return []
    pairs, taken = [], np.zeros(lost.size, dtype=bool)
    order = np.argsort(table.t_lost[lost], kind="stable")
    for a in range(new.size):
        choice = order[gated[a, order] & ~taken[order]]
        if choice.size:
            taken[choice[0]] = True
            pairs.append((int(new[a]), int(lost[choice[0]])))
    return pairs
