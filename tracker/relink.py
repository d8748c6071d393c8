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
``relink.gate_probability``. The lost track is predicted from its last
detection, with cruise noise (``cruise_psd``): across its direction of
flight ``relink.process_noise.horizontal`` (turns), along it
``relink.speed_noise`` (a cruise missile or an airliner holds its speed, so
its distance along its path stays known over minutes: the salvos of
caspian-2015, 245, 250 and 255 m/s, part by kilometres in a gap).

A target that turns flies a path longer than its chord, so at its held speed
it is, on average, *behind* its straight-line prediction: with the heading
wandering as the cruise noise across the direction of flight says, by
q T^2 / (4 v) after T (1.6 km after 400 s at 250 m/s, 8 km after 900 s),
and the plain prediction is moved back along the direction of flight by
that, its spread added along it (``turn_shortfall``). Without it a column's
straight-line predictions all lie ahead of their targets, each nearer the
target ahead of its own, and the first target back took the id of the
one behind it.

Over minutes the prediction's error is mostly the target's own unmodelled
manoeuvres (a waypoint turn, a speed change), and targets that fly one path
a few seconds apart, a column of cruise missiles, make the same ones: after
a 5-minute gap every prediction of the column is 15 km off in the same way,
four times the spacing of its missiles. So a lost track that follows the
path of one already re-linked (its *reference*) is predicted with the
reference's measured offset instead, the bias-compensated association of
track segments (cf. the common-bias assignment of Levedahl, "An explicit
pattern matching assignment algorithm", SPIE 4728, 2002). With lag s (how
many seconds the lost track trails the reference along its path) the lost
target is where the reference's target was s seconds before, so its offset
from its own prediction is the reference's s seconds ago:

.. math:: \\hat x_l(t) = F_l x_l + A\\,(x_r^{live}(t) - F_r x_r), \\qquad
          A = \\begin{bmatrix} I & -sI \\\\ 0 & I \\end{bmatrix}

with covariance P_new + F_l P_l F_l' + A (P_r^live + F_r P_r F_r') A' +
Q(|s|): the lost states' own errors, predicted without process noise (the
manoeuvres are common and cancel), and the cruise noise over the lag for
what is not common. A reference counts for a lost track when the lag is
under ``relink.reference_max_lag_s``, the lost track's prediction lies
within ``relink.reference_max_cross_track_m`` of the reference's predicted
line, and their velocities differ by less than
``relink.reference_max_velocity_difference_mps``; the nearest in lag is used.

Choosing: a newly confirmed track takes, among the lost tracks whose gate
it falls in (the referenced gate for those with a reference, the plain one
for the others), the most likely, least d' S^-1 d + ln det S; among those
within ``relink.tie_likelihood_ratio`` of it, which the kinematics cannot
tell apart, the earliest lost (a column leaves coverage and comes back in
order). A referenced prediction, kilometres tighter, wins whenever it fits;
a lost track with a reference and outside its referenced gate is not this
target. A track lost minutes before the others and predicted 100 km off
(its missile glided down) is far less likely than them, and does not take
the first id of the column to come back.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2

from . import kalman
from .models import ConstantVelocity, local_up
from .tracks import TrackTable


def _flight_frame(x: np.ndarray):
    """Local up z, horizontal direction of flight u (0 when the horizontal speed is under
    1 m/s) and horizontal speed, of states x (n, 6)."""
    z = local_up(x)
    v = x[:, 3:] - np.sum(x[:, 3:] * z, axis=1)[:, None] * z
    speed = np.linalg.norm(v, axis=1)
    moving = speed > 1.0
    u = np.where(moving[:, None], v / np.where(moving, speed, 1.0)[:, None], 0.0)
    return z, u, np.where(moving, speed, 0.0)


def cruise_psd(x: np.ndarray, q_speed: float, q_turn: float, q_vertical: float) -> np.ndarray:
    """White-acceleration spectral density (N, 3, 3), ECEF, of a target in cruise.

    A = q_speed u u' + q_turn c c' + q_vertical z z', with z the local up, u
    the horizontal direction of flight and c = z x u: a cruising target
    turns far more readily than it changes speed, so over minutes its speed
    stays known while its heading does not. A track with no horizontal
    speed gets q_turn both ways.
    """
    z, u, _ = _flight_frame(x)
    psd = q_turn * (np.eye(3) - z[:, :, None] * z[:, None, :])
    psd += (q_speed - q_turn) * (u[:, :, None] * u[:, None, :])
    psd += q_vertical * (z[:, :, None] * z[:, None, :])
    return np.ascontiguousarray(psd)


def turn_shortfall(x: np.ndarray, dt: np.ndarray, q_turn: float):
    """How far a cruising target falls behind its straight-line prediction: (dx (n, 6), dP (n, 6, 6)).

    A target that holds its speed v while its heading wanders (white acceleration
    q_turn across its direction of flight, so a heading variance a t with
    a = q_turn / v^2 after t) flies a path longer than its chord. Its velocity
    along the old direction u is v cos(theta), of mean v exp(-a t / 2): the mean
    state lags the straight-line prediction over T along u by

    .. math:: \\bar s = v T - \\frac{2 v}{a} (1 - e^{-a T / 2}) \\approx \\frac{q T^2}{4 v},
              \\qquad \\bar w = v (1 - e^{-a T / 2}) \\approx \\frac{q T}{2 v}

    in position and velocity, with (second order in theta, theta Brownian)
    var s = q^2 T^4 / (12 v^2), var w = q^2 T^2 / (2 v^2) and
    cov(s, w) = q^2 T^3 / (6 v^2) along u u' (E cos theta = exp(-var theta / 2) for
    a Gaussian theta; the variances from E theta^4 = 3 (var theta)^2; a Monte Carlo
    of such paths agrees, tests/test_relink.py). Zero for a target with no
    horizontal speed.
    """
    _, u, speed = _flight_frame(x)
    moving = speed > 0.0
    v_ = np.where(moving, speed, 1.0)
    T = np.maximum(dt, 0.0)
    a = q_turn / v_ ** 2
    aT = a * T
    decay = -np.expm1(-aT / 2.0)                       # 1 - exp(-a T / 2)
    w = np.where(moving, v_ * decay, 0.0)
    # v T - (2 v / a)(1 - exp(-a T / 2)), by its series where a T is tiny (q_turn 0: none)
    small = aT < 1e-6
    s = np.where(small, v_ * aT * T / 4.0,
                 v_ * T - 2.0 * v_ * T * decay / np.where(small, 1.0, aT))
    s = np.where(moving, s, 0.0)
    q2 = np.where(moving, q_turn ** 2 / v_ ** 2, 0.0)
    var_s, var_w, cov_sw = q2 * T ** 4 / 12.0, q2 * T ** 2 / 2.0, q2 * T ** 3 / 6.0
    dx = np.concatenate([-s[:, None] * u, -w[:, None] * u], axis=1)
    uu = u[:, :, None] * u[:, None, :]
    dP = np.zeros((x.shape[0], 6, 6))
    dP[:, :3, :3] = var_s[:, None, None] * uu
    dP[:, 3:, 3:] = var_w[:, None, None] * uu
    dP[:, :3, 3:] = dP[:, 3:, :3] = cov_sw[:, None, None] * uu
    return dx, dP


@dataclass
class _Reference:
    """A re-linked pair: the lost segment's last state and the live track that continued it."""

    track_id: str
    x: np.ndarray            #: the lost segment's state at ``t_state`` (6,)
    P: np.ndarray            #: its covariance (6, 6)
    t_state: float
    t_relinked: float


def _predict(x: np.ndarray, P: np.ndarray, dt: np.ndarray, psd: np.ndarray):
    """Copies of (n, 6) states and (n, 6, 6) covariances predicted by ``dt`` (CV)."""
    x, P = x.copy(), P.copy()
    status = kalman.predict_cv(x, P, np.maximum(dt, 0.0), psd)
    return x, P, status == 0


def _nll(d: np.ndarray, S: np.ndarray) -> tuple[float, float]:
    """(d' S^-1 d, ln det S), (inf, inf) when S is not positive definite."""
    sign, logdet = np.linalg.slogdet(S)
    if sign <= 0:
        return np.inf, np.inf
    return float(d @ np.linalg.solve(S, d)), float(logdet)


class Relinker:
    """Decides which lost track a newly confirmed one continues, and remembers references."""

    def __init__(self, motion: ConstantVelocity, q_speed: float, gate_probability: float,
                 max_gap_s: float, max_lag_s: float, max_cross_track_m: float,
                 max_velocity_difference_mps: float, tie_likelihood_ratio: float):
        self.motion = motion
        self.q_speed = q_speed
        self.gate = chi2.ppf(gate_probability, 6)
        self.tie = 2.0 * np.log(tie_likelihood_ratio)
        self.max_gap_s = max_gap_s
        self.max_lag_s = max_lag_s
        self.max_cross_track_m = max_cross_track_m
        self.max_velocity_difference_mps = max_velocity_difference_mps
        self.references: list[_Reference] = []

    @classmethod
    def from_config(cls, relink_config) -> "Relinker":
        q = relink_config.process_noise
        return cls(ConstantVelocity(q_horizontal=q.horizontal, q_vertical=q.vertical),
                   relink_config.speed_noise, relink_config.gate_probability, relink_config.max_gap_s,
                   relink_config.reference_max_lag_s, relink_config.reference_max_cross_track_m,
                   relink_config.reference_max_velocity_difference_mps,
                   relink_config.tie_likelihood_ratio)

    def _psd(self, x: np.ndarray) -> np.ndarray:
        """The cruise noise of lost targets (``cruise_psd``) at states x (n, 6)."""
        return cruise_psd(x, self.q_speed, self.motion.q_horizontal, self.motion.q_vertical)

    def remember(self, table: TrackTable, old: int, t: float, track_id: str,
                 state: tuple | None = None) -> None:
        """Keep lost row ``old``'s state as a reference for the track now called ``track_id``;
        ``state`` (x, P, t_state): the lost segment's, when the row has moved on from it
        (a lost track resumed by a detection, ``tracker.resume``)."""
        x, P, t_state = state if state is not None else (table.x[old], table.P[old],
                                                         table.t_state[old])
        self.references.append(_Reference(track_id, np.array(x), np.array(P),
                                          float(t_state), t))

    def _live_references(self, table: TrackTable, t: float):
        """References whose continuing track is still followed: (refs, live rows)."""
        self.references = [r for r in self.references if t - r.t_relinked <= self.max_gap_s]
        if not self.references:
            return [], np.empty(0, dtype=np.intp)
        active = table.active_rows()
        row_of = {table.ids[k]: k for k in active}
        refs = [r for r in self.references if r.track_id in row_of]
        return refs, np.array([row_of[r.track_id] for r in refs], dtype=np.intp)

    def pairs(self, table: TrackTable, new: np.ndarray, lost: np.ndarray,
              t: float) -> list[tuple[int, int]]:
        """Pairs (new row, lost row) that continue one another (module docstring)."""
        if new.size == 0 or lost.size == 0:
            return []
        lost, x, P = self.predictions(table, lost, t)
        taken = np.zeros(lost.size, dtype=bool)
        result = []
        for a in new:
            cost = np.full(lost.size, np.inf)
            for j in np.flatnonzero(~taken):
                m2, logdet = _nll(table.x[a] - x[j], table.P[a] + P[j])
                if m2 <= self.gate:
                    cost[j] = m2 + logdet
            tied = np.flatnonzero(np.isfinite(cost) & (cost <= cost.min() + self.tie))
            if tied.size:
                best = tied[np.argmin(table.t_lost[lost[tied]])]
                taken[best] = True
                result.append((int(a), int(lost[best])))
        return result

    def predictions(self, table: TrackTable, lost: np.ndarray, t: float):
        """Lost rows predicted to t as ``pairs`` compares them: by their reference when
        they have one, else in cruise and behind the straight line by the turn shortfall;
        (rows predicted, x (n, 6), P (n, 6, 6) without a new track's P_new)."""
        psd = self._psd(table.x[lost])
        dt = t - table.t_state[lost]
        x, P, ok = _predict(table.x[lost], table.P[lost], dt, psd)
        lost, x, P, dt = lost[ok], x[ok], P[ok], dt[ok]
        if lost.size == 0:
            return lost, x, P
        # a target that turned in the gap is behind its straight-line prediction
        dx, dP = turn_shortfall(x, dt, self.motion.q_horizontal)
        # the lost states predicted without process noise: their own errors only
        _, P0, _ = _predict(table.x[lost], table.P[lost], dt, np.zeros_like(psd[ok]))
        referenced = self._referenced_predictions(table, lost, x, P0, t)
        x, P = x + dx, P + dP
        for j, ref in enumerate(referenced):
            if ref is not None:
                x[j], P[j] = ref
        return lost, x, P

    def _referenced_predictions(self, table: TrackTable, lost: np.ndarray, x: np.ndarray,
                                P0: np.ndarray, t: float) -> list:
        """Per lost track: (prediction, covariance less P_new) by its nearest reference, or None."""
        out: list = [None] * lost.size
        refs, rows = self._live_references(table, t)
        if not refs:
            return out
        xs = np.array([r.x for r in refs])
        Ps = np.array([r.P for r in refs])
        xr, Pr0, ok = _predict(xs, Ps, t - np.array([r.t_state for r in refs]),
                               np.zeros((len(refs), 3, 3)))
        # the continuing tracks, brought to t (they were updated at most a scan ago)
        live_psd = self.motion.acceleration_psd(table.x[rows])
        xl, Pl, ok_live = _predict(table.x[rows], table.P[rows], t - table.t_state[rows],
                                   live_psd)
        ok &= ok_live
        ok &= np.einsum("ki,ki->k", xr[:, 3:], xr[:, 3:]) > 1.0     # a reference that moves
        for j in range(lost.size):
            v = x[j, 3:]
            best, best_lag = -1, np.inf
            for k in np.flatnonzero(ok):
                ahead = xr[k, :3] - x[j, :3]
                lag = float(ahead @ xr[k, 3:]) / float(xr[k, 3:] @ xr[k, 3:])
                cross = ahead - lag * xr[k, 3:]
                if (abs(lag) <= self.max_lag_s and abs(lag) < abs(best_lag)
                        and np.linalg.norm(cross) <= self.max_cross_track_m
                        and np.linalg.norm(xr[k, 3:] - v) <= self.max_velocity_difference_mps):
                    best, best_lag = k, lag
            if best < 0:
                continue
            A = np.eye(6)
            A[:3, 3:] = -best_lag * np.eye(3)
            offset = A @ (xl[best] - xr[best])
            Q = np.zeros((1, 6, 6))
            xq = x[j:j + 1].copy()
            kalman.predict_cv(xq, Q, np.array([abs(best_lag)]), self._psd(xq))
            S = P0[j] + A @ (Pl[best] + Pr0[best]) @ A.T + Q[0]
            out[j] = (x[j] + offset, S)
        return out
