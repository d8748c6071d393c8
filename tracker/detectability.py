"""Each track's own detection probability per sensor, learned from its record of looks.

A sensor's ``pd`` is a coverage average for a typical target (a radar's
header gives the Pd of a 1 m^2 target averaged over its whole disc, ~0.25),
while an airliner inside coverage is seen nearly every scan and a missile
inside its horizon most scans. With one pd for all, a miss hardly lowers any
track's existence, so a track whose target is gone lives on for minutes.
Each track therefore learns its own (docs/tracker.md, "Detection
probability"):

* ``looks`` and ``hits`` per sensor, fading by 1 - 1/``memory_looks`` per
  look: a look is weighted by the probability that the scan could see the
  target (1 when it did) and by its posterior existence (the misses of a
  target that is gone do not wear down the pd that makes them count: an EM
  view of the record), a hit by the probability that it was detected;
* its pd, the posterior mean of a Beta prior worth ``prior_looks`` looks at
  the sensor's pd: (hits + a pd) / (looks + a);
* ``visible_to``, the probability that the sensor can detect the target at
  all (a cooperative-only feed never reports a missile): 1 once it has, and
  after a miss v (1 - pd) / (v (1 - pd) + 1 - v), Bayes over {visible with
  pd, invisible}.
"""
from __future__ import annotations

import numpy as np

from .config import Detection
from .tracks import TrackTable

#: a scan covers a track, for "coasting", when its sensor's pd is at least this (the
#: threshold DESIGN.md uses for a recording's ``seen_by``); a sensor below it keeps its
#: pd and its misses do not make a track coast
COVERING_PD = 0.1


def track_pd(table: TrackTable, rows: np.ndarray, column: int, pd: float,
             config: Detection) -> np.ndarray:
    """Each track's detection probability for the sensor of ``column`` (rows,).

    (hits + a pd) / (looks + a) with a = ``prior_looks``; the sensor's ``pd``
    as it is when ``memory_looks`` is 0 or the sensor is below ``COVERING_PD``.
    """
    if config.memory_looks <= 0.0 or pd < COVERING_PD:
        return np.full(rows.size, pd)
    looks, hits = table.looks[rows, column], table.hits[rows, column]
    return (hits + config.prior_looks * pd) / (looks + config.prior_looks)


def record_looks(table: TrackTable, rows: np.ndarray, column: int, seen: np.ndarray,
                 pd_if_visible: np.ndarray, visible: np.ndarray, existence: np.ndarray,
                 config: Detection) -> None:
    """One look of the sensor of ``column`` at tracks ``rows`` (module docstring).

    ``seen`` is the probability each was detected (1 - beta_0), ``pd_if_visible``
    its pd given the sensor can see it, ``visible`` the probability the scan could
    (above the horizon), ``existence`` its posterior existence.
    """
    fade = 1.0 - 1.0 / config.memory_looks if config.memory_looks >= 1.0 else 0.0
    v, miss = table.visible_to[rows, column], 1.0 - pd_if_visible
    table.visible_to[rows, column] = seen + (1.0 - seen) * v * miss / (v * miss + 1.0 - v)
    there = np.clip(existence, 0.0, 1.0)
    table.looks[rows, column] = fade * table.looks[rows, column] \
        + seen + (1.0 - seen) * visible * there
    table.hits[rows, column] = fade * table.hits[rows, column] + seen


def pool(table: TrackTable, new: int, old: int, visible_prior: float) -> None:
    """Track ``new`` continues ``old``: what each segment learned of its sensors, pooled.

    Looks and hits add; the odds that a sensor can see the target multiply (two
    independent pieces of evidence over the one prior).
    """
    table.looks[new] += table.looks[old]
    table.hits[new] += table.hits[old]
    a, b = table.visible_to[new], table.visible_to[old]
    seen = (a >= 1.0) | (b >= 1.0)
    odds = np.where(seen, 0.0, a / np.where(seen, 1.0, 1.0 - a) * b
                    / np.where(seen, 1.0, 1.0 - b) * (1.0 - visible_prior) / visible_prior)
    table.visible_to[new] = np.where(seen, 1.0, odds / (1.0 + odds))
