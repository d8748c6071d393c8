"""Target classification from kinematics: ``cruise_missile``, ``aircraft`` or ``unknown``.

Each class c is a mixture of flight regimes (``config.Classification``),
each uniform over a box of height above the surface h, horizontal speed s
and climb rate w. A track's estimate of (h, s, w) is Gaussian with sigmas
from its covariance, so its likelihood under a box is the Gaussian
integrated over the box, per axis (the box's uniform density convolved with
the estimate's error; axes taken as independent):

    L_b = prod_axes [Phi((b - m) / sigma) - Phi((a - m) / sigma)] / (b - a)
    L_c = sum_b w_b L_b / sum_b w_b

A far or coarse sensor's estimate (an airborne radar's 0.5 deg of elevation
is 2.6 km of height at 300 km) thus weighs little, and an airliner whose
height is that uncertain stays ``unknown`` rather than becoming a missile.

Evidence accumulates in time, not per detection, so a track updated by
three sensors does not learn three times as fast (successive estimates of
one track are correlated). Per class, at each detection at time t,

    e_c <- lambda e_c + (1 - lambda) K log L_c,   lambda = exp(-(t - t_last) / T)

(a fading-memory log-likelihood: a sequential test whose old evidence is
discounted, with memory T and K independent looks per memory, so that in
steady state e_c = K log L_c); the first detection counts as one look.
The posterior is p_c ~ prior_c exp(e_c); a track takes the class of
largest posterior once it reaches ``decide_probability``, else ``unknown``.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from . import _classify, frames
from .config import Classification, KinematicBox

CLASSES = ("cruise_missile", "aircraft", "unknown")
MISSILE, AIRCRAFT, UNKNOWN = range(3)
#: a likelihood below this is this: one impossible look must not outweigh a minute
_LOG_FLOOR = -60.0
#: sigmas never below these (m, m/s, m/s): a box edge is then a step, not a division by 0
_SIGMA_FLOOR = np.array([1.0, 0.1, 0.1])


@dataclass(frozen=True)
class _Boxes:
    """Every class's boxes as arrays: lower and upper edges (B, 3), log weight, class."""

    lower: np.ndarray
    upper: np.ndarray
    log_weight: np.ndarray
    owner: np.ndarray

    @classmethod
    def from_config(cls, config: Classification) -> "_Boxes":
        boxes = [(name, getattr(config, name)) for name in (f.name for f in fields(config))
                 if isinstance(getattr(config, name), KinematicBox)]
        owner = np.array([MISSILE if n.startswith("missile_") else
                          AIRCRAFT if n.startswith("aircraft_") else UNKNOWN
                          for n, _ in boxes])
        weight = np.array([b.weight for _, b in boxes], dtype=float)
        total = np.bincount(owner, weights=weight, minlength=len(CLASSES))
        with np.errstate(divide="ignore"):
            log_weight = np.log(weight / total[owner])
        return cls(lower=np.array([[b.height_m[0], b.speed_mps[0], b.climb_mps[0]]
                                   for _, b in boxes]),
                   upper=np.array([[b.height_m[1], b.speed_mps[1], b.climb_mps[1]]
                                   for _, b in boxes]),
                   log_weight=log_weight, owner=owner.astype(np.int64))


def kinematics(x: np.ndarray, P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Height above the surface, horizontal speed and climb rate of ECEF tracks, with sigmas.

    Returns ``mean`` and ``sigma``, both (n, 3). With u the local up and d
    the direction of the horizontal velocity (both ECEF): sigma_h^2 = u' P_p u,
    sigma_s^2 = d' P_v d, sigma_w^2 = u' P_v u (compiled
    ``_classify.class_kinematics``, NumPy twin in ``tracker.reference``).
    """
    _, _, alt, rot = frames.ecef_to_geodetic_enu(x[:, :3])             # rows E, N, U
    n = x.shape[0]
    mean, sigma = np.empty((n, 3)), np.empty((n, 3))
    _classify.class_kinematics(np.ascontiguousarray(x, dtype=np.float64),
                               np.ascontiguousarray(P, dtype=np.float64), rot, alt,
                               _SIGMA_FLOOR, mean, sigma)
    return mean, sigma


class Classifier:
    """Class evidence per track row, kept in the track table (``class_evidence``)."""

    def __init__(self, config: Classification):
        self.config = config
        self._boxes = _Boxes.from_config(config)
        b = self._boxes
        self._log_box_constant = b.log_weight - np.log(b.upper - b.lower).sum(axis=1)
        prior = np.array([config.prior_missile, config.prior_aircraft, config.prior_unknown])
        self._log_prior = np.log(prior / prior.sum())

    def log_likelihoods(self, mean: np.ndarray, sigma: np.ndarray) -> np.ndarray:
        """log L_c (n, 3) of kinematics ``mean`` with ``sigma`` (module docstring; compiled
        ``_classify.class_log_likelihoods``, NumPy twin in ``tracker.reference``)."""
        b = self._boxes
        out = np.empty((mean.shape[0], len(CLASSES)))
        _classify.class_log_likelihoods(np.ascontiguousarray(mean, dtype=np.float64),
                                        np.ascontiguousarray(sigma, dtype=np.float64),
                                        b.lower, b.upper, self._log_box_constant, b.owner,
                                        _LOG_FLOOR, out)
        return out

    def observe(self, evidence: np.ndarray, t_last: np.ndarray, x: np.ndarray,
                P: np.ndarray, t: float) -> np.ndarray:
        """Evidence (n, 3) after detections at ``t`` of tracks with states ``x``, ``P``.

        ``evidence`` and ``t_last`` are the tracks' evidence and the time it was
        last updated (-inf: never).
        """
        if x.shape[0] == 0:
            return evidence
        mean, sigma = kinematics(x, P)
        log_l = self.log_likelihoods(mean, sigma)
        fade = np.exp(-np.maximum(t - t_last, 0.0) / self.config.memory_s)[:, None]
        weight = (1.0 - fade) * self.config.looks_per_memory
        return np.where(np.isfinite(t_last)[:, None], fade * evidence + weight * log_l, log_l)

    @property
    def prior_probability(self) -> float:
        """The largest prior class probability: a track's before any evidence."""
        return float(np.exp(self._log_prior.max()))

    def probabilities(self, evidence: np.ndarray) -> np.ndarray:
        """Posterior class probabilities (n, 3) from evidence (n, 3)."""
        log_p = self._log_prior[None] + evidence
        log_p -= np.logaddexp.reduce(log_p, axis=1, keepdims=True)
        return np.exp(log_p)

    def labels(self, evidence: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Class index per track (``unknown`` below ``decide_probability``) and its probability."""
        p = self.probabilities(evidence)
        best = p.argmax(axis=1)
        p_best = p[np.arange(p.shape[0]), best]
        return np.where(p_best >= self.config.decide_probability, best, UNKNOWN), p_best


class ClassHistory:
    """Each track's class changes with the kinematics that made them (for summary.json)."""

    #: changes kept per track: the first ones say how fast it was classified, and a track
    #: that keeps flipping shows that in the first few
    MAX_CHANGES = 16

    def __init__(self):
        self.tracks: dict[str, list[dict]] = {}

    def record(self, t: float, ids: list, labels: np.ndarray, probability: np.ndarray,
               height: np.ndarray, vel_enu: np.ndarray) -> None:
        """Append a change for each track id in ``ids`` (its new label and evidence)."""
        for k, track_id in enumerate(ids):
            changes = self.tracks.setdefault(track_id, [])
            if len(changes) < self.MAX_CHANGES:
                changes.append({
                    "t": t, "class": CLASSES[labels[k]],
                    "probability": round(float(probability[k]), 4),
                    "height_m": round(float(height[k]), 1),
                    "speed_mps": round(float(np.hypot(vel_enu[k, 0], vel_enu[k, 1])), 1),
                    "climb_mps": round(float(vel_enu[k, 2]), 1)})

    def summary(self) -> dict:
        """Counts of tracks by their last class, and every track's changes."""
        last = [changes[-1]["class"] for changes in self.tracks.values()]
        return {"tracks_by_class": {c: last.count(c) for c in CLASSES},
                "changes": self.tracks}
