"""Duplicate tracks: two confirmed tracks that follow one target become one.

A target can get a second track: detections of one sensor fall outside the
existing track's gate for a scan or two (an airliner's height, seen by a
ground radar and by the airborne radar at long range, disagrees by a
kilometre) and start a tentative track that confirms; JIPDA then shares the
target's detections between the two, and both live on, one of them a false
track by any count. Two confirmed tracks i, j, predicted to a common time,
are the same target when the track-to-track association statistic

.. math:: D_{ij} = (x_i - x_j)^T (P_i + P_j)^{-1} (x_i - x_j)

(Bar-Shalom, "On the track-to-track correlation problem", IEEE TAC 26(2),
1981; the cross-covariance of their common detections is neglected) lies
inside the 6-D gate of probability ``merge.gate_probability`` and both
name the same detection of the last scan that covered them as the one most
likely theirs (largest JIPDA beta), at every check for
``merge.min_duration_s``. Kinematics alone cannot tell a duplicate from two
missiles overtaking one another 300 m apart, whose young tracks' velocities
are still uncertain; but two targets make two detections, and each of
their tracks names its own. The younger track is deleted (its id ends with a ``deleted``
record), the older keeps its id. Candidate pairs are the tracks that name
one detection (no search in space); the check runs every
``merge.check_period_s``.
"""
from __future__ import annotations

import numpy as np
from scipy.stats import chi2

from . import kalman
from .models import ConstantVelocity
from .tracks import CONFIRMED, TrackTable


class Merger:
    """Finds confirmed tracks that duplicate an older one, with the pairs' history."""

    def __init__(self, motion: ConstantVelocity, gate_probability: float,
                 min_duration_s: float, check_period_s: float):
        self.motion = motion
        self.gate = chi2.ppf(gate_probability, 6)
        self.min_duration_s = min_duration_s
        self.check_period_s = check_period_s
        self._since: dict[tuple[str, str], float] = {}   # (older id, younger id) -> first t
        self._last_check = -np.inf

    @classmethod
    def from_config(cls, motion: ConstantVelocity, merge_config) -> "Merger":
        return cls(motion, merge_config.gate_probability, merge_config.min_duration_s,
                   merge_config.check_period_s)

    def duplicates(self, table: TrackTable, t: float) -> np.ndarray:
        """Rows of confirmed tracks that have duplicated an older one long enough (sorted)."""
        if self.min_duration_s < 0 or t - self._last_check < self.check_period_s:
            return np.empty(0, dtype=np.intp)
        self._last_check = t
        rows = np.flatnonzero(table.live & (table.status == CONFIRMED)
                              & (table.best_detection >= 0))
        # candidate pairs: tracks naming the same detection of the same scan (O(N log N),
        # no search in space)
        key = table.last_scan[rows] * (1 << 32) + table.best_detection[rows]
        order = np.argsort(key, kind="stable")
        rows, key = rows[order], key[order]
        if not (key[1:] == key[:-1]).any():
            self._since = {}
            return np.empty(0, dtype=np.intp)
        start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        size = np.diff(np.r_[start, key.size])
        pairs = [(rows[s0 + i], rows[s0 + j]) for s0, n in zip(start[size > 1], size[size > 1])
                 for i in range(n) for j in range(i + 1, n)]
        since, doomed = {}, set()
        a, b = np.array(pairs, dtype=np.intp).T
        both = np.concatenate([a, b])
        x, P = table.x[both].copy(), table.P[both].copy()
        kalman.predict_cv(x, P, np.maximum(t - table.t_state[both], 0.0),
                          self.motion.acceleration_psd(x))
        d = x[:a.size] - x[a.size:]
        S = P[:a.size] + P[a.size:]
        sign, _ = np.linalg.slogdet(S)
        ok = sign > 0
        D = np.full(a.size, np.inf)
        D[ok] = np.einsum("ki,ki->k", d[ok], np.linalg.solve(S[ok], d[ok][..., None])[..., 0])
        for ri, rj in zip(a[D <= self.gate], b[D <= self.gate]):
            if (table.t_born[ri], table.ids[ri]) > (table.t_born[rj], table.ids[rj]):
                ri, rj = rj, ri                       # ri: the older track
            key_ = (table.ids[ri], table.ids[rj])
            first = self._since.get(key_, t)
            since[key_] = first
            if t - first >= self.min_duration_s:
                doomed.add(int(rj))
        self._since = since
        return np.array(sorted(doomed), dtype=np.intp)
