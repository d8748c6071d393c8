r"""Each track's radar cross-section, learned from its hits and misses, and its Pd at any range.

A radar header may give the range ``r50_m`` at which a target of ``rcs_ref_m2``
is detected with probability 0.5, with its Swerling case and design false-alarm
probability (docs/sensors.md: "let a tracker compute Pd per track"). The radar
equation then gives the single-look Pd of a target of cross-section
:math:`\sigma` at range :math:`R` (Skolnik, *Introduction to Radar Systems*,
3rd ed., 2001, ch. 2; Richards, *Fundamentals of Radar Signal Processing*,
2005, ch. 6):

.. math:: \mathrm{SNR} = \mathrm{SNR}_{50}\,\frac{\sigma}{\sigma_{ref}}
          \Big(\frac{R_{50}}{R}\Big)^4, \qquad
          P_d = P_{fa}^{1/(1+\mathrm{SNR})} \ \text{(Swerling 1)}

(Swerling 0 and 3 below), with :math:`\mathrm{SNR}_{50}` the SNR at which
:math:`P_d = 0.5`. The cross-section is the target's, not the sensor's: what
one radar's hits and misses say of it holds for every radar, at every range.
So a missile seen by a ground radar at 60 km brings to an airborne radar at
160 km the Pd that range gives it (0.2, not the 0.8 an airliner has there), a
track entering a radar's far edge expects to be missed, and a track whose
target has gone expects hits where it is near.

Each track carries a posterior over a log-spaced grid of cross-sections
(``detection.cross_section``), as log-weights: a log-uniform prior times the
detection that started the track (a hit, :math:`\propto p_b` at its range:
without it a track born of clutter explains its misses by a target too small
for the radar to see, and never dies of them), and each look multiplies
weight b by the look's likelihood given :math:`\sigma_b`. With the association's probability ``seen`` that the
track was detected, its prior existence :math:`e` and Pd :math:`p_b` (times
the probability that the target is above the horizon):

.. math:: \ell_b = \mathrm{seen}\,\frac{p_b}{\bar p}
          + (1-\mathrm{seen})\,\frac{1 - e\,p_b}{1 - e\,\bar p},
          \qquad \bar p = \textstyle\sum_b w_b\,p_b

the exact single-track likelihood of the scan (the JIPDA posterior of a
detection, :math:`\mathrm{seen}`, written back as the mixture of its two
hypotheses). Before each look the log-weights are scaled by
:math:`1 - 1/\text{memory\_looks}`: an aspect change or a Swerling fade does
not freeze the estimate. A track's Pd for a radar is then
:math:`\bar p(R)` at its predicted range.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np
from scipy import optimize, stats

from .config import CrossSection
from .scan import Sensor

#: Swerling case -> the single-look case it behaves as (2 ~ 1, 4 ~ 3 with one look a scan)
SWERLING_CASES = {0: 0, 1: 1, 2: 1, 3: 3, 4: 3}


def single_look_pd(snr: np.ndarray, pfa: float, swerling: int) -> np.ndarray:
    r"""Pd of one look at mean SNR ``snr`` (linear), threshold T = -ln Pfa (Richards ch. 6).

    Swerling 1: :math:`P_{fa}^{1/(1+S)}`; 3: :math:`(1 + 2ST/(2+S)^2)\,e^{-2T/(2+S)}`;
    0: Marcum's :math:`Q_1(\sqrt{2S}, \sqrt{2T})`, the survival function of a
    non-central :math:`\chi^2_2(2S)` at 2T.
    """
    snr = np.maximum(snr, 0.0)
    threshold = -math.log(pfa)
    case = SWERLING_CASES[swerling]
    if case == 1:
        return pfa ** (1.0 / (1.0 + snr))
    if case == 3:
        return (1.0 + 2.0 * snr * threshold / (2.0 + snr) ** 2) * np.exp(
            -2.0 * threshold / (2.0 + snr))
    return stats.ncx2.sf(2.0 * threshold, 2, 2.0 * snr)


@dataclass(frozen=True)
class RadarEquation:
    """Pd against range for each cross-section of the grid, from a header's ``r50_m``."""

    r50_m: float
    rcs_ref_m2: float
    swerling: int
    pfa: float
    snr_50: float               #: linear SNR at which Pd = 0.5

    @classmethod
    def from_sensor(cls, sensor: Sensor, defaults: CrossSection) -> "RadarEquation | None":
        """The sensor's equation, or None when it is not a radar or its header has no ``r50_m``.

        ``rcs_ref_m2``, ``swerling`` and ``pfa`` default to ``defaults`` (1 m²,
        Swerling 1, 1e-6). Fields of the wrong type or range are not guessed
        at: the sensor keeps the learned-pd path (``tracker.detectability``).
        """
        extra = sensor.extra
        if sensor.kind != "radar" or "r50_m" not in extra:
            return None
        try:
            r50 = float(extra["r50_m"])
            ref = float(extra.get("rcs_ref_m2", defaults.rcs_ref_m2))
            swerling = int(extra.get("swerling", defaults.swerling))
            pfa = float(extra.get("pfa", defaults.pfa))
        except (TypeError, ValueError):
            return None
        if not (math.isfinite(r50) and r50 > 0 and math.isfinite(ref) and ref > 0
                and 0 < pfa < 0.5 and swerling in SWERLING_CASES):
            return None
        if SWERLING_CASES[swerling] == 1:
            snr_50 = math.log(pfa) / math.log(0.5) - 1.0          # 0.5 = Pfa^(1/(1+S))
        else:
            snr_50 = optimize.brentq(
                lambda s: float(single_look_pd(np.array(s), pfa, swerling)) - 0.5, 0.0, 1e4,
                xtol=1e-12)
        return cls(r50, ref, swerling, pfa, float(snr_50))

    def pd(self, range_m: np.ndarray, rcs_m2: np.ndarray) -> np.ndarray:
        """Pd (n, B) of the grid's cross-sections ``rcs_m2`` (B,) at ``range_m`` (n,)."""
        r = np.maximum(np.asarray(range_m, dtype=np.float64), 1.0)   # no 1/0 at the antenna
        snr = self.snr_50 / self.rcs_ref_m2 * rcs_m2[None, :] * (self.r50_m / r[:, None]) ** 4
        return single_look_pd(snr, self.pfa, self.swerling)


class CrossSectionModel:
    """The grid, each radar's equation, and the posterior's two operations."""

    def __init__(self, sensors: Mapping[str, Sensor], config: CrossSection):
        self.config = config
        self.grid_m2 = np.geomspace(config.min_m2, config.max_m2, config.bins)
        self.equations = {}
        if config.enabled:
            for sid, sensor in sensors.items():
                eq = RadarEquation.from_sensor(sensor, config)
                if eq is not None:
                    self.equations[sid] = eq
        self._fade = 1.0 - 1.0 / config.memory_looks if config.memory_looks >= 1.0 else 0.0

    @property
    def n_bins(self) -> int:
        """Columns a track table needs: the grid, or 1 when no radar uses it (off)."""
        return self.grid_m2.size if self.equations else 1

    def covers(self, sensor_id: str) -> bool:
        """Whether tracks' Pd for this sensor comes from the radar equation."""
        return sensor_id in self.equations

    def pd_per_bin(self, sensor_id: str, range_m: np.ndarray) -> np.ndarray:
        return self.equations[sensor_id].pd(range_m, self.grid_m2)

    @staticmethod
    def weights(log_w: np.ndarray) -> np.ndarray:
        """Normalised posterior weights (n, B) from log-weights."""
        w = np.exp(log_w - log_w.max(axis=1, keepdims=True))
        return w / w.sum(axis=1, keepdims=True)

    def track_pd(self, log_w: np.ndarray, pd_b: np.ndarray) -> np.ndarray:
        """Posterior mean Pd, sum_b w_b p_b (n,)."""
        return np.einsum("nb,nb->n", self.weights(log_w), pd_b)

    def look(self, log_w: np.ndarray, pd_b: np.ndarray, seen: np.ndarray,
             existence: np.ndarray) -> np.ndarray:
        """Log-weights after one look (module docstring); ``pd_b`` already scaled by visibility.

        ``seen`` (n,) is the probability the track was detected, ``existence``
        (n,) its existence before the scan.
        """
        w = self.weights(log_w)
        p = np.einsum("nb,nb->n", w, pd_b)[:, None]
        e = np.clip(existence, 0.0, 1.0)[:, None]
        s = np.clip(seen, 0.0, 1.0)[:, None]
        hit = np.divide(pd_b, p, out=np.ones_like(pd_b), where=p > 0.0)
        miss = (1.0 - e * pd_b) / np.maximum(1.0 - e * p, 1e-12)
        log_l = np.log(np.maximum(s * hit + (1.0 - s) * miss, 1e-300))
        out = self._fade * log_w + log_l
        return out - out.max(axis=1, keepdims=True)
