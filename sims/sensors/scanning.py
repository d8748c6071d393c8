"""What every simulated sensor does the same way: scan times, and cutting a block into scans."""
from __future__ import annotations

import math
from typing import Iterator

import numpy as np


def periodic_times(t_start: float, t_end: float, period_s: float, phase_s: float) -> np.ndarray:
    """Times ``phase_s + n period_s`` (UTC s) inside [t_start, t_end], increasing.

    Timed in absolute UTC, so that every window of a run has the same scan times.
    """
    first = math.ceil((t_start - phase_s) / period_s)
    last = math.floor((t_end - phase_s) / period_s)
    return phase_s + np.arange(first, max(last + 1, first), dtype=np.int64) * period_s


def per_scan(rows: np.ndarray, labels: np.ndarray, scan_of: np.ndarray, n_scans: int,
             names: np.ndarray, rng: np.random.Generator
             ) -> Iterator[tuple[np.ndarray, tuple]]:
    """The detections of each of ``n_scans`` scans, targets and false alarms mixed.

    Parameters
    ----------
    rows : ndarray, shape (n, m)
        Every detection of a block of scans (targets first, false alarms after).
    labels : ndarray, shape (n,)
        Index into ``names`` of each detection's truth; -1 (the last name,
        ``None``) for a false alarm.
    scan_of : ndarray, shape (n,)
        The scan (0 .. n_scans - 1) each detection belongs to.

    Yields
    ------
    (rows_k, ids_k) for k = 0 .. n_scans - 1, rows in random order within the
    scan, so that nothing downstream can tell a false alarm by its place.
    """
    order = np.lexsort((rng.random(scan_of.size), scan_of))
    rows, labels = rows[order], labels[order]
    bounds = np.searchsorted(scan_of[order], np.arange(n_scans + 1))
    for k in range(n_scans):
        part = slice(bounds[k], bounds[k + 1])
        yield rows[part], tuple(names[labels[part]])
