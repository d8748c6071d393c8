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
  the sensor's population pd p_s: (hits + a p_s) / (looks + a);
* p_s, per sensor, what its confirmed tracks show: the fading sums of their
  looks L_s and hits H_s over a prior of ``population_looks`` b looks at the
  header's pd: p_s = (H_s + b pd) / (L_s + b), an empirical-Bayes prior
  (a header pd is a coverage average for a typical target, ~0.25 for a
  radar's 1 m^2, while the targets it tracks are seen nearly every
  rotation; a fixed prior at the header's pd held an airliner's track at
  0.86, and a weak one lets a few hits in a row push a track's pd to 0.99,
  where one miss nearly ends it);
* ``visible_to``, the probability that the sensor can detect the target at
  all (a cooperative-only feed never reports a missile): 1 once it has, and
  after a miss v (1 - pd) / (v (1 - pd) + 1 - v), Bayes over {visible with
  pd, invisible}.
"""
from __future__ import annotations

import numpy as np

from .config import Detection
from .tracks import CONFIRMED, TrackTable

#: a scan covers a track, for "coasting", when its sensor's pd is at least this (the
#: threshold DESIGN.md uses for a recording's ``seen_by``); a sensor below it keeps its
#: pd and its misses do not make a track coast
COVERING_PD = 0.1


class Population:
    """Per sensor, the fading looks and hits of its confirmed tracks (module docstring)."""

    def __init__(self, n_sensors: int, config: Detection):
        self.config = config
        self.looks = np.zeros(n_sensors)
        self.hits = np.zeros(n_sensors)

    def pd(self, column: int, header_pd: float) -> float:
        """p_s = (H_s + b pd) / (L_s + b)."""
        b = self.config.population_looks
        return float((self.hits[column] + b * header_pd) / (self.looks[column] + b))

    def add(self, column: int, looks: np.ndarray, hits: np.ndarray) -> None:
        """One scan's looks and hits at confirmed tracks, each look fading the past."""
        n = float(looks.sum())
        fade = (1.0 - 1.0 / self.config.population_memory_looks) ** n
        self.looks[column] = fade * self.looks[column] + n
        self.hits[column] = fade * self.hits[column] + float(hits.sum())


def track_pd(table: TrackTable, rows: np.ndarray, column: int, pd: float,
             population: Population, config: Detection) -> np.ndarray:
    """Each track's detection probability for the sensor of ``column`` (rows,).

    (hits + a p_s) / (looks + a) with a = ``prior_looks`` and p_s the
    population's pd; the sensor's ``pd`` as it is when ``memory_looks`` is 0
    or the sensor is below ``COVERING_PD``.
    """
    if config.memory_looks <= 0.0 or pd < COVERING_PD:
        return np.full(rows.size, pd)
    looks, hits = table.looks[rows, column], table.hits[rows, column]
    return (hits + config.prior_looks * population.pd(column, pd)) / (looks + config.prior_looks)


def record_looks(table: TrackTable, rows: np.ndarray, column: int, seen: np.ndarray,
                 pd_if_visible: np.ndarray, visible: np.ndarray, existence: np.ndarray,
                 population: Population, config: Detection) -> None:
    """One look of the sensor of ``column`` at tracks ``rows`` (module docstring).

    ``seen`` is the probability each was detected (1 - beta_0), ``pd_if_visible``
    its pd given the sensor can see it, ``visible`` the probability the scan could
    (above the horizon), ``existence`` its posterior existence. The confirmed
    tracks' looks also go to the sensor's ``population``.
    """
    fade = 1.0 - 1.0 / config.memory_looks if config.memory_looks >= 1.0 else 0.0
    v, miss = table.visible_to[rows, column], 1.0 - pd_if_visible
    # as 1 - v', (1 - seen) (1 - v) / (v miss + 1 - v): a sensor that has seen the target
    # keeps v = 1 exactly; written as v' itself, v = 1 is unstable in floating point (an
    # error of 1e-16 grows by 1 / miss a miss) and a lost track (tracker.resume) that
    # misses for minutes came to believe its own radar could not see it
    table.visible_to[rows, column] = np.clip(
        1.0 - (1.0 - seen) * (1.0 - v) / (v * miss + 1.0 - v), 0.0, 1.0)
    there = np.clip(existence, 0.0, 1.0)
    look = seen + (1.0 - seen) * visible * there
    table.looks[rows, column] = fade * table.looks[rows, column] + look
    table.hits[rows, column] = fade * table.hits[rows, column] + seen
    confirmed = table.status[rows] == CONFIRMED
    population.add(column, look[confirmed], seen[confirmed])


def pool(table: TrackTable, new: int, old: int, visible_prior: float) -> None:
    """Track ``new`` continues ``old``: what each segment learned of its sensors, pooled.

    Looks and hits add; the odds that a sensor can see the target multiply (two
    independent pieces of evidence over the one prior).
    """
    table.looks[new] += table.looks[old]
    table.hits[new] += table.hits[old]
    # the cross-section's evidence adds too (tracker.cross_section); the prior is flat
    log_w = table.rcs_log_w[new] + table.rcs_log_w[old]
    table.rcs_log_w[new] = log_w - log_w.max()
    a, b = table.visible_to[new], table.visible_to[old]
    seen = (a >= 1.0) | (b >= 1.0)
    odds = np.where(seen, 0.0, a / np.where(seen, 1.0, 1.0 - a) * b
                    / np.where(seen, 1.0, 1.0 - b) * (1.0 - visible_prior) / visible_prior)
    table.visible_to[new] = np.where(seen, 1.0, odds / (1.0 + odds))
