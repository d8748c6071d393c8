"""Observed impacts: a satellite's flash where a confirmed track is means its target came down.

An infrared satellite sees launches and impact flashes, not cruising
targets (its pd for an air target is below the covering threshold). A flash
inside a confirmed track's gate in the sensor's line-of-sight space (Gated
pairs of ``tracker.gating``, likelihood N(nu; 0, S)) is explained either by
a false alarm (density lambda, the sensor's clutter density) or by the
track's target coming down there. With a prior ``impact_prior`` that a
target comes down within a scan, the posterior that detection d is track
i's impact is, as in (J)PDA with one detection and several candidates,

    beta_id = pi l_id / (1 + pi sum_k l_kd),   l_id = N(nu_id; 0, S_i) / lambda

and track i came down with probability p_i = 1 - prod_d (1 - beta_id). Its
existence becomes r (1 - p_i). A flash near two tracks of a column splits
between them by likelihood; the one that did not come down is restored by
its next detection. Confirmed tracks only: a tentative track may be the
launch that made the flash.
"""
from __future__ import annotations

import numpy as np

from . import gating
from .measurement import measure
from .scan import Scan, Sensor


def impact_probabilities(scan: Scan, sensor: Sensor, x: np.ndarray, P: np.ndarray,
                         clutter_density, gate_probability: float,
                         impact_prior: float) -> np.ndarray:
    """Probability that each track (x (n, 6), P) came down at this scan's flashes (n,).

    ``clutter_density``: the sensor's (a float) or one per detection (n_det,), per rad².
    """
    n = x.shape[0]
    if n == 0 or len(scan) == 0:
        return np.zeros(n)
    meas = measure(scan, sensor, x, P)
    gated = gating.gate(sensor.kind, meas.z_hat, meas.S, meas.z, gate_probability)
    if gated.detection.size == 0:
        return np.zeros(n)
    owner = np.repeat(np.arange(n), np.diff(gated.offsets))
    weight = impact_prior * np.exp(np.minimum(
        gated.log_likelihood - np.log(np.broadcast_to(clutter_density, (len(scan),)))[
            gated.detection], 700.0))
    total = np.bincount(gated.detection, weights=weight, minlength=len(scan))
    beta = weight / (1.0 + total[gated.detection])
    # p_i = 1 - prod_d (1 - beta_id), in logs
    log_none = np.bincount(owner, weights=np.log1p(-np.minimum(beta, 1.0 - 1e-15)),
                           minlength=n)
    return -np.expm1(log_none)
