"""The track table: every live track's state as columns of arrays (structure of arrays).

The kernels work on whole columns (``x`` (N, 6), ``P`` (N, 6, 6), ...) so a
stage of the tracker is one call over all tracks. Rows are tracks; a deleted
track's row is reused by a later track (``free`` rows), and the arrays grow
by doubling, so memory stays linear in the number of live tracks and no
per-scan allocation is proportional to the table. Ids are strings, stable
for a track's life and never reused.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

TENTATIVE, CONFIRMED, DELETED, LOST = 0, 1, 2, 3
#: a LOST track (``tracker.relink``) is no longer a target of the picture: ``tentative``
STATUS_NAMES = {TENTATIVE: "tentative", CONFIRMED: "confirmed", DELETED: "deleted",
                LOST: "tentative"}


class TrackTable:
    """Columns of track data; ``live`` marks the rows in use."""

    def __init__(self, capacity: int = 64, n_sensors: int = 0,
                 initial_modes: np.ndarray | None = None, sensor_ids: Sequence[str] = (),
                 cross_section_bins: int = 1):
        self._next_id = 1
        self.n_sensors = n_sensors
        self.cross_section_bins = cross_section_bins
        #: the sensors of the ``t_detected`` columns, in order; an id ``add`` has not
        #: seen adds a column
        self.sensor_ids: list[str] = []
        self._by_id: list[int] = []                   # columns in the order of their ids
        self.t_detected = np.empty((capacity, 0))
        #: mode probabilities of a new track (``tracker.imm``); one mode by default
        self.initial_modes = np.ones(1) if initial_modes is None else np.asarray(initial_modes)
        self._allocate(capacity)
        for sensor in sensor_ids:
            self.sensor_column(sensor)

    def _allocate(self, capacity: int) -> None:
        self.x = np.zeros((capacity, 6))                  #: ECEF state, m and m/s
        self.P = np.zeros((capacity, 6, 6))               #: covariance
        self.P[:] = np.eye(6)
        #: IMM: each mode's state, covariance and probability (x, P are their combination)
        M = self.initial_modes.size
        self.xm = np.zeros((capacity, M, 6))
        self.Pm = np.zeros((capacity, M, 6, 6))
        self.Pm[:] = np.eye(6)
        self.mu = np.zeros((capacity, M))
        self.t_state = np.zeros(capacity)                 #: time of x and P
        #: x and P just after the last detection that updated the track (at t_update): a
        #: lost track is predicted over its gap from here, not from its coasted state
        self.x_fix = np.zeros((capacity, 6))
        #: the last scan that covered the track (a serial number) and the detection of it
        #: most likely the track's (-1: none gated): two tracks that keep naming the same
        #: detection follow one target (tracker.merge)
        self.last_scan = np.full(capacity, -1, dtype=np.int64)
        self.best_detection = np.full(capacity, -1, dtype=np.int64)
        self.P_fix = np.zeros((capacity, 6, 6))
        self.t_update = np.zeros(capacity)                #: last detection that updated it
        self.t_born = np.zeros(capacity)
        self.t_lost = np.zeros(capacity)                  #: when a LOST track was lost
        self.t_output = np.full(capacity, -np.inf)        #: last record written
        self.existence = np.zeros(capacity)
        #: probability that the target came down (an observed impact, tracker.flashes)
        self.impact = np.zeros(capacity)
        self.status = np.full(capacity, DELETED, dtype=np.int8)
        self.missed = np.zeros(capacity, dtype=bool)      #: no detection at the last covering scan
        self.n_updates = np.zeros(capacity, dtype=np.int64)
        #: per sensor: fading counts of the scans that covered the track and of its
        #: (expected) detections in them, for its own detection probability
        self.looks = np.zeros((capacity, self.n_sensors))
        self.hits = np.zeros((capacity, self.n_sensors))
        #: per sensor: probability that the sensor can detect this target at all (1 once
        #: it has; a cooperative-only feed and a missile: falls with each miss)
        self.visible_to = np.ones((capacity, self.n_sensors))
        #: log-weights of the track's radar cross-section over its grid (tracker.cross_section)
        self.rcs_log_w = np.zeros((capacity, self.cross_section_bins))
        #: per class (tracker.classify.CLASSES): fading log-likelihood evidence, and when
        #: it was last updated (-inf: never)
        self.class_evidence = np.zeros((capacity, 3))
        self.t_class = np.full(capacity, -np.inf)
        self.class_label = np.full(capacity, -1, dtype=np.int8)   #: last one written (-1: none)
        #: the class the evidence gives now (tracker.classify index) and its probability
        self.class_now = np.full(capacity, 2, dtype=np.int8)
        self.class_p = np.zeros(capacity)
        self.live = np.zeros(capacity, dtype=bool)
        self.ids = np.empty(capacity, dtype=object)
        #: per sensor (``sensor_ids``): when it last detected the track (-inf: never)
        self.t_detected = np.full((capacity, len(self.sensor_ids)), -np.inf)

    @property
    def capacity(self) -> int:
        return self.x.shape[0]

    def __len__(self) -> int:
        return int(self.live.sum())

    def rows(self) -> np.ndarray:
        """Indices of the live rows (LOST ones included)."""
        return np.flatnonzero(self.live)

    def active_rows(self) -> np.ndarray:
        """Indices of the live rows that scans update: all but the LOST ones."""
        return np.flatnonzero(self.live & (self.status != LOST))

    def lost_rows(self) -> np.ndarray:
        return np.flatnonzero(self.live & (self.status == LOST))

    def _grow(self, needed: int) -> None:
        old = self.capacity
        new = max(2 * old, old + needed)
        columns = {name: getattr(self, name) for name in
                   ("x", "P", "x_fix", "P_fix", "last_scan", "best_detection", "xm", "Pm", "mu", "t_state", "t_update", "t_born", "t_lost",
                    "t_output", "existence", "impact", "status", "missed", "n_updates", "looks", "hits", "visible_to", "rcs_log_w", "class_evidence", "t_class", "class_label", "class_now", "class_p", "live",
                    "ids", "t_detected")}
        self._allocate(new)
        for name, values in columns.items():
            getattr(self, name)[:old] = values

    def sensor_column(self, sensor: str) -> int:
        """The ``t_detected`` column of ``sensor``, added (never seen) when it has none."""
        if sensor not in self.sensor_ids:
            self.sensor_ids.append(sensor)
            self._by_id = sorted(range(len(self.sensor_ids)), key=self.sensor_ids.__getitem__)
            self.t_detected = np.hstack([self.t_detected, np.full((self.capacity, 1), -np.inf)])
        return self.sensor_ids.index(sensor)

    def pool_detections(self, new: int, old: int) -> None:
        """Give row ``new`` the detection times of row ``old`` for the sensors it lacks."""
        known = self.t_detected[new] > -np.inf            # the newer segment's, where it has one
        self.t_detected[new] = np.where(known, self.t_detected[new], self.t_detected[old])

    def detected_since(self, rows: np.ndarray, t: float, period: float) -> tuple[list, dict]:
        """The sensors that detected each of ``rows`` within ``period`` of ``t`` (s).

        Returns a key per row and, per key, the ids of its sensors, sorted: rows
        share keys, so a scan builds one tuple per set of sensors, not per row
        (a TRACK record's ``sensors``). With up to 62 sensors a key is the
        set's bits, in the order of the ids; beyond, the tuple of its flags.
        """
        seen = t - self.t_detected[rows][:, self._by_id] <= period
        names = [self.sensor_ids[j] for j in self._by_id]
        if seen.shape[1] <= 62:
            keys = (seen @ (1 << np.arange(seen.shape[1], dtype=np.int64))).tolist()
            return keys, {key: tuple(s for j, s in enumerate(names) if key >> j & 1)
                          for key in set(keys)}
        keys = list(map(tuple, seen.tolist()))
        return keys, {key: tuple(s for s, on in zip(names, key) if on) for key in set(keys)}

    def add(self, x: np.ndarray, P: np.ndarray, t: float, existence: np.ndarray,
            sensor: str, visible_prior: float = 1.0) -> np.ndarray:
        """Start tentative tracks with states ``x`` (n, 6) and covariances ``P`` at ``t``.

        Every sensor's ``visible_to`` starts at ``visible_prior``; the caller
        sets the detecting sensor's to 1. Returns their rows.
        """
        n = x.shape[0]
        free = np.flatnonzero(~self.live)
        if free.size < n:
            self._grow(n - free.size)
            free = np.flatnonzero(~self.live)
        rows = free[:n]
        self.x[rows] = x
        self.P[rows] = P
        self.xm[rows] = x[:, None, :]
        self.Pm[rows] = P[:, None, :, :]
        self.mu[rows] = self.initial_modes
        self.t_state[rows] = t
        self.t_update[rows] = t
        self.x_fix[rows] = x
        self.last_scan[rows] = -1
        self.best_detection[rows] = -1
        self.P_fix[rows] = P
        self.t_born[rows] = t
        self.t_output[rows] = -np.inf
        self.existence[rows] = existence
        self.impact[rows] = 0.0
        self.status[rows] = TENTATIVE
        self.missed[rows] = False
        self.n_updates[rows] = 1
        self.looks[rows] = 0.0
        self.hits[rows] = 0.0
        self.visible_to[rows] = visible_prior
        self.rcs_log_w[rows] = 0.0                          # log-uniform
        self.class_evidence[rows] = 0.0
        self.t_class[rows] = -np.inf
        self.class_label[rows] = -1
        self.class_now[rows] = 2                            # unknown, until evidence says
        self.class_p[rows] = 0.0
        self.live[rows] = True
        column = self.sensor_column(sensor)
        self.t_detected[rows] = -np.inf
        self.t_detected[rows, column] = t
        for row in rows:
            self.ids[row] = f"T{self._next_id}"
            self._next_id += 1
        return rows

    def remove(self, rows: np.ndarray) -> None:
        """Free the rows of deleted tracks for reuse."""
        self.live[rows] = False
        self.status[rows] = DELETED
