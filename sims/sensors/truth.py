"""Truth states of every flight at many times at once, for the sensors.

The sensors read the documented arrays of a ``Trajectories`` (``t``, ``pos``,
``vel``, ``alive``, ``boosting``, ``rcs_m2``, ``kinds``, ``events``) and
interpolate them themselves, batched over many scan times, instead of calling
``Trajectories.at(t)`` once per scan: one NumPy call per block of scans keeps a
two-hour, fifty-flight run well under a second of interpolation.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracker import frames


@dataclass(frozen=True)
class TruthSample:
    """States of F flights at K times."""

    pos: np.ndarray          #: (K, F, 3) ECEF m
    vel: np.ndarray          #: (K, F, 3) ECEF m/s
    alive: np.ndarray        #: (K, F) bool
    boosting: np.ndarray     #: (K, F) bool

    def altitude(self) -> np.ndarray:
        """(K, F) altitude above the WGS-84 ellipsoid (m)."""
        return frames.ecef_to_geodetic(self.pos)[2]


def sample(traj, times) -> TruthSample:
    """Flights' states at ``times`` (K,) UTC s, linearly interpolated.

    The same rule as ``Trajectories.at``, batched: positions and velocities
    are interpolated linearly between the two samples around each time, a
    flight is alive (or boosting) when it is so at both of them, and outside
    the sampled span nothing is alive.
    """
    times = np.atleast_1d(np.asarray(times, dtype=np.float64))
    t = np.asarray(traj.t, dtype=np.float64)
    pos, vel = np.asarray(traj.pos, dtype=np.float64), np.asarray(traj.vel, dtype=np.float64)
    alive, boosting = np.asarray(traj.alive, dtype=bool), np.asarray(traj.boosting, dtype=bool)
    n_flights = pos.shape[0]
    if n_flights == 0 or t.size == 0:
        shape = (times.size, n_flights)
        return TruthSample(np.zeros(shape + (3,)), np.zeros(shape + (3,)),
                           np.zeros(shape, bool), np.zeros(shape, bool))
    if t.size == 1:
        lower = upper = np.zeros(times.size, dtype=np.intp)
        weight = np.zeros(times.size)
    else:
        lower = np.clip(np.searchsorted(t, times, side="right") - 1, 0, t.size - 2)
        upper = lower + 1
        weight = np.clip((times - t[lower]) / (t[upper] - t[lower]), 0.0, 1.0)
    inside = (times >= t[0]) & (times <= t[-1])
    w = weight[:, None, None]
    # (F, K, 3) -> (K, F, 3)
    pos_k = ((1.0 - w) * pos[:, lower].transpose(1, 0, 2) + w * pos[:, upper].transpose(1, 0, 2))
    vel_k = ((1.0 - w) * vel[:, lower].transpose(1, 0, 2) + w * vel[:, upper].transpose(1, 0, 2))

    def flag(values):
        return (values[:, lower] & values[:, upper]).T & inside[:, None]

    return TruthSample(pos_k, vel_k, flag(alive), flag(boosting))
