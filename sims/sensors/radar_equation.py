r"""Detection probability of a surveillance radar: radar equation and Swerling targets.

The radar equation (Skolnik [1]_, chapter 2) makes the single-look
signal-to-noise ratio of a target of cross-section :math:`\sigma` at range
:math:`R` proportional to :math:`\sigma / R^4`. A scenario does not list
powers, gains and losses; it gives the range :math:`R_{50}` at which a target
of reference cross-section :math:`\sigma_{ref}` is detected with probability
0.5. With the design false-alarm probability :math:`P_{fa}` of the detector,
that fixes the constant of the equation:

.. math:: \mathrm{SNR}(R, \sigma) = \mathrm{SNR}_{50}\,
          \frac{\sigma}{\sigma_{ref}} \Big(\frac{R_{50}}{R}\Big)^4,
          \qquad P_d(\mathrm{SNR}_{50}) = 0.5

Single-look detection probability of a square-law detector with threshold
:math:`T = -\ln P_{fa}` (noise power normalised to 1), for the Swerling
cases (Richards [2]_, chapter 6, "Threshold detection of radar targets";
Skolnik [1]_, section on cross-section fluctuations):

* Swerling 0 (steady target): :math:`P_d = Q_1(\sqrt{2\,\mathrm{SNR}}, \sqrt{2T})`,
  Marcum's Q, evaluated as the survival function of a non-central
  :math:`\chi^2` with 2 degrees of freedom;
* Swerling 1 (Rayleigh amplitude, scan-to-scan): :math:`P_d = P_{fa}^{1/(1+\mathrm{SNR})}`;
* Swerling 3 (one dominant scatterer, :math:`\chi^2` with 4 degrees of freedom):
  :math:`P_d = \big(1 + \frac{2\,\mathrm{SNR}\,T}{(2+\mathrm{SNR})^2}\big)
  e^{-2T/(2+\mathrm{SNR})}`.

With one look per scan, Swerling 2 and 4 (pulse-to-pulse decorrelation) give
the same single-look probabilities as 1 and 3; they are accepted as such.
The Swerling 1 and 3 forms are the Swerling 0 probability averaged over the
exponential and :math:`\chi^2_4` cross-section densities; ``tests/test_sensors.py``
checks that average by quadrature. With :math:`P_{fa} = 10^{-6}`,
:math:`\mathrm{SNR}_{50}` is 18.9 (12.8 dB) for Swerling 1.

References
----------
.. [1] M. I. Skolnik, Introduction to Radar Systems, 3rd ed., McGraw-Hill, 2001,
   chapter 2 (the radar equation; cross-section fluctuations, Swerling models).
.. [2] M. A. Richards, Fundamentals of Radar Signal Processing, McGraw-Hill,
   2005, chapter 6.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

# the tracker computes a track's Pd with the same equations (tracker.cross_section)
from tracker.cross_section import SWERLING_CASES, single_look_pd


@dataclass(frozen=True)
class RadarDetection:
    """Detection probability versus range and cross-section, from ``r50_m``.

    The equations are in the module docstring. Bad combinations raise
    ``ValueError`` (the scenario reader has checked the fields first).
    """

    r50_m: float                    #: m, range at which a ``rcs_ref_m2`` target has Pd = 0.5
    rcs_ref_m2: float = 1.0         #: m^2, cross-section that ``r50_m`` refers to
    swerling: int = 1               #: Swerling case, 0 to 4
    pfa: float = 1e-6               #: design false-alarm probability of the detector
    snr_50: float = field(init=False)   #: linear SNR at which Pd = 0.5

    def __post_init__(self):
        if not (self.r50_m > 0 and self.rcs_ref_m2 > 0 and 0 < self.pfa < 0.5):
            raise ValueError(f"need r50_m > 0, rcs_ref_m2 > 0, 0 < pfa < 0.5: {self}")
        if self.swerling not in SWERLING_CASES:
            raise ValueError(f"swerling={self.swerling} must be one of 0..4")
        if SWERLING_CASES[self.swerling] == 1:
            snr_50 = np.log(self.pfa) / np.log(0.5) - 1.0     # 0.5 = Pfa^(1/(1+SNR))
        else:
            snr_50 = optimize.brentq(
                lambda s: float(single_look_pd(s, self.pfa, self.swerling)) - 0.5, 0.0, 1e4,
                xtol=1e-12)
        object.__setattr__(self, "snr_50", float(snr_50))

    def snr(self, range_m, rcs_m2) -> np.ndarray:
        """Mean SNR (linear) of targets of cross-section ``rcs_m2`` at ``range_m``."""
        range_m = np.maximum(np.asarray(range_m, dtype=np.float64), 1.0)  # no 1/0 at the antenna
        return self.snr_50 * (np.asarray(rcs_m2) / self.rcs_ref_m2) * (self.r50_m / range_m) ** 4

    def detection_probability(self, range_m, rcs_m2) -> np.ndarray:
        """Single-look Pd of targets of cross-section ``rcs_m2`` (m^2) at ``range_m`` (m)."""
        return single_look_pd(self.snr(range_m, rcs_m2), self.pfa, self.swerling)

    def range_at(self, pd: float, rcs_m2: float) -> float:
        """Range (m) at which a target of cross-section ``rcs_m2`` has detection probability ``pd``."""
        snr = optimize.brentq(
            lambda s: float(single_look_pd(s, self.pfa, self.swerling)) - pd, 0.0, 1e6, xtol=1e-12)
        return self.r50_m * (self.snr_50 * rcs_m2 / self.rcs_ref_m2 / snr) ** 0.25

    def mean_pd_over_disc(self, range_max_m: float, rcs_m2: float, n: int = 4000) -> float:
        r"""Pd averaged over a disc of radius ``range_max_m`` (area weighting,
        :math:`\frac{1}{R^2}\int_0^R P_d(r)\,2r\,dr`): the header's typical ``pd``."""
        r = (np.arange(n) + 0.5) / n * range_max_m
        return float(np.mean(self.detection_probability(r, rcs_m2) * 2.0 * r / range_max_m))
