"""Scoring a run against truth (the evaluation issue grows this module).

GOSPA, the generalised optimal sub-pattern assignment metric with alpha = 2,
splits the error into localisation, missed targets and false tracks:

.. math:: d_p^{(c,2)}(X, Y) = \\Big( \\min_{\\gamma} \\sum_{(i,j) \\in \\gamma}
          d(x_i, y_j)^p + \\frac{c^p}{2} (|X| + |Y| - 2|\\gamma|) \\Big)^{1/p}

over assignments gamma of pairs closer than c (A. S. Rahmathullah,
A. F. Garcia-Fernandez, L. Svensson, "Generalized optimal sub-pattern
assignment metric", FUSION 2017, eq. 2 and Proposition 1). With alpha = 2 a
pair at distance c or more costs as much as leaving both unassigned, so the
optimal assignment is a linear sum assignment on min(d, c)^p, after which
such pairs count as one miss and one false track. Assignment with scipy's
``linear_sum_assignment`` (Crouse 2016).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist


@dataclass(frozen=True)
class Gospa:
    """One time's GOSPA and its parts (metres), and who matched whom."""

    distance: float
    localisation: float          #: (sum of matched d^p)^(1/p) part, before the root
    missed: int
    false: int
    pairs: np.ndarray            #: (k, 2) matched (truth index, track index)


def gospa(truth: np.ndarray, tracks: np.ndarray, c: float = 2000.0, p: float = 2.0) -> Gospa:
    """GOSPA (alpha = 2) between truth positions (n, 3) and track positions (m, 3), metres."""
    truth = np.asarray(truth, dtype=float).reshape(-1, 3)
    tracks = np.asarray(tracks, dtype=float).reshape(-1, 3)
    if truth.shape[0] == 0 or tracks.shape[0] == 0:
        unassigned = truth.shape[0] + tracks.shape[0]
        return Gospa(distance=(0.5 * c ** p * unassigned) ** (1.0 / p), localisation=0.0,
                     missed=truth.shape[0], false=tracks.shape[0],
                     pairs=np.empty((0, 2), dtype=np.intp))
    d = cdist(truth, tracks)
    rows, cols = linear_sum_assignment(np.minimum(d, c) ** p)
    close = d[rows, cols] < c
    pairs = np.stack([rows[close], cols[close]], axis=1)
    local = float(np.sum(d[rows[close], cols[close]] ** p))
    missed = truth.shape[0] - pairs.shape[0]
    false = tracks.shape[0] - pairs.shape[0]
    total = local + 0.5 * c ** p * (missed + false)
    return Gospa(distance=total ** (1.0 / p), localisation=local, missed=missed, false=false,
                 pairs=pairs)


def persistent_correspondence(previous: dict, truth_ids: list, track_ids: list,
                              truth: np.ndarray, tracks: np.ndarray, c: float = 2000.0) -> dict:
    """Truth id -> track id at one time, keeping last time's pairs that still hold.

    The CLEAR MOT rule (K. Bernardin, R. Stiefelhagen, "Evaluating multiple
    object tracking performance: the CLEAR MOT metrics", EURASIP JIVP 2008,
    section 2.1.1): a pair of ``previous`` whose track is still reported and
    still closer than ``c`` to its truth is kept, so two tracks that each
    follow their own target never trade targets because the targets pass
    within the tracks' errors of one another; the truths and tracks left
    over are matched by least sum of squared distances (scipy's
    ``linear_sum_assignment``), pairs closer than ``c`` only. Identity
    changes counted from these pairs are the tracker's, not the metric's.
    """
    truth = np.asarray(truth, dtype=float).reshape(-1, 3)
    tracks = np.asarray(tracks, dtype=float).reshape(-1, 3)
    column = {tid: j for j, tid in enumerate(track_ids)}
    matched: dict = {}
    taken = np.zeros(len(track_ids), dtype=bool)
    free = []
    for i, oid in enumerate(truth_ids):
        j = column.get(previous.get(oid), -1)
        if j >= 0 and not taken[j] and np.linalg.norm(truth[i] - tracks[j]) < c:
            matched[oid] = track_ids[j]
            taken[j] = True
        else:
            free.append(i)
    left = np.flatnonzero(~taken)
    if free and left.size:
        d = cdist(truth[free], tracks[left])
        rows, cols = linear_sum_assignment(np.minimum(d, c) ** 2)
        for r, k in zip(rows, cols):
            if d[r, k] < c:
                matched[truth_ids[free[r]]] = track_ids[left[k]]
    return matched
