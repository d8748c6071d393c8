r"""Interacting Multiple Model (IMM) filtering of many tracks at once.

Each track carries M modes, each a full 6-state ECEF estimate (``x`` (N, M, 6),
``P`` (N, M, 6, 6)) with a probability (``mu`` (N, M)). One IMM cycle, as in
Blom & Bar-Shalom (1988) and Bar-Shalom, Li & Kirubarajan (2001, sec. 11.6):

1. :func:`predict` - mixing (compiled ``imm_mix``), then every mode predicted
   by its own motion model (compiled ``imm_predict_modes``);
2. the mode-matched updates: any ``tracker.kalman`` update on the flattened
   states, one innovation per mode;
3. :func:`mode_likelihood` (PDA form), or :func:`mode_association` (after a
   track-level JIPDA), gives log Lambda_j; :func:`mode_probabilities` (compiled)
   turns it into posterior mode probabilities, floored. In the tracker the
   pair likelihoods and the association split are compiled
   (``tracker.mode_update``); the NumPy functions here are their twins' arithmetic;
4. :func:`combine` (compiled) - the moment-matched estimate that leaves the tracker.

:class:`ImmModel` holds the modes and the mode-switching Markov chain;
:func:`tracker_modes` is the set the tracker uses. Equations, references and
speed: ``docs/imm.md``. Conventions: ``transition[..., i, j]`` is the
probability of moving *from* mode i *to* mode j (rows sum to 1); a per-track
failure never raises, it is a ``STATUS_*`` (``tracker.kalman``) per track, and a
failed track gets zeros in every output.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import _imm, _imm_modes, kalman
from .kalman import STATUS_OK, _in
from .models import STATE_DIM, ConstantVelocity, CoordinatedTurn, local_up

MAX_MODES = 8            #: most modes a track may have (src_cython/imm.pyx MAXMODES)
#: default floor on every mode probability: a mode never drops below it, so it can
#: take over within a scan or two when the target starts to manoeuvre
PROBABILITY_FLOOR = 1e-4


# ---------------------------------------------------------------------------- model


@dataclass(frozen=True)
class ImmModel:
    r"""Modes (motion models) and the Markov chain that switches between them.

    Over a step :math:`T` a track stays in mode i with probability
    :math:`p_{ii} = e^{-T/\tau_i}` and leaves it with :math:`1 - p_{ii}`, to mode j
    with share :math:`s_{ij}`:

    .. math:: p_{ij} = (1 - e^{-T/\tau_i})\, s_{ij} \quad (j \ne i)

    :math:`e^{-T/\tau_i}` is the probability that a sojourn of exponential length
    with mean :math:`\tau_i` outlasts the step: the continuous-time form of the
    sojourn-time design of [1]_ (sec. 11.6, :math:`\tau_i = T / (1 - p_{ii})`
    for a fixed revisit), needed because scans arrive at irregular times. It
    allows at most one switch per step; the exact chain, ``expm(G T)``, differs
    in :math:`O((T/\tau)^2)`.

    References
    ----------
    .. [1] Y. Bar-Shalom, X. R. Li, T. Kirubarajan, Estimation with Applications
       to Tracking and Navigation, Wiley, 2001.
    """

    #: motion models: each a ConstantVelocity, or a CoordinatedTurn with one turn_rate
    #: (the compiled mode-matched prediction builds these two)
    modes: tuple
    names: tuple[str, ...]                  #: one name per mode, e.g. "cv", "turn_right"
    mean_sojourn_s: tuple[float, ...]       #: s, mean time a target stays in each mode
    #: (M, M) where a target goes when it leaves a mode: row i "from", column j "to",
    #: zero diagonal, rows sum to 1; None: to every other mode alike
    switch: tuple[tuple[float, ...], ...] | None = None
    #: mode probabilities of a new track
    initial_probabilities: tuple[float, ...] | None = None
    probability_floor: float = PROBABILITY_FLOOR    #: no mode probability falls below this
    _switch: np.ndarray = field(init=False, repr=False, compare=False)
    _noise: np.ndarray = field(init=False, repr=False, compare=False)       # (M, 2) q_h, q_v
    _turn_rate: np.ndarray = field(init=False, repr=False, compare=False)   # (M,) rad/s

    def __post_init__(self):
        M = len(self.modes)
        if not 1 <= M <= MAX_MODES:
            raise ValueError(f"modes: {M} modes, expected 1..{MAX_MODES}")
        for name, value in (("names", self.names), ("mean_sojourn_s", self.mean_sojourn_s)):
            if len(value) != M:
                raise ValueError(f"{name} has {len(value)} entries, expected one per mode ({M})")
        for k, mode in enumerate(self.modes):
            if not isinstance(mode, (ConstantVelocity, CoordinatedTurn)) \
                    or np.ndim(getattr(mode, "turn_rate", 0.0)) != 0:
                raise ValueError(f"modes[{k}]={mode!r} must be a ConstantVelocity or a "
                                 "CoordinatedTurn with one turn_rate")
        object.__setattr__(self, "_noise", np.array(
            [(mode.q_horizontal, mode.q_vertical) for mode in self.modes], dtype=np.float64))
        object.__setattr__(self, "_turn_rate", np.array(
            [float(getattr(mode, "turn_rate", 0.0)) for mode in self.modes]))
        tau = np.asarray(self.mean_sojourn_s, dtype=np.float64)
        if not (tau > 0).all():          # +inf is allowed: a mode that is never left
            raise ValueError(f"mean_sojourn_s={self.mean_sojourn_s} must be > 0 s")
        if self.switch is None:
            switch = (1.0 - np.eye(M)) / max(M - 1, 1)
        else:
            switch = np.array(self.switch, dtype=np.float64)
            if switch.shape != (M, M) or not np.isfinite(switch).all() or (switch < 0).any() \
                    or (np.diag(switch) != 0).any() \
                    or (M > 1 and not np.allclose(switch.sum(axis=1), 1.0, rtol=0, atol=1e-12)):
                raise ValueError(f"switch must be ({M}, {M}), >= 0, with a zero diagonal "
                                 "and rows summing to 1")
        object.__setattr__(self, "_switch", switch)
        if self.initial_probabilities is not None:
            p = np.asarray(self.initial_probabilities, dtype=np.float64)
            if p.shape != (M,) or (p < 0).any() or not np.isclose(p.sum(), 1.0, rtol=0, atol=1e-12):
                raise ValueError(f"initial_probabilities must be {M} numbers >= 0 summing to 1")
        if not 0.0 <= self.probability_floor < 1.0 / M:
            raise ValueError(f"probability_floor={self.probability_floor} must lie in [0, 1/{M})")

    @property
    def n_modes(self) -> int:
        return len(self.modes)

    def initial(self, n_tracks: int) -> np.ndarray:
        """Mode probabilities (n_tracks, M) of new tracks (uniform if none were given)."""
        M = self.n_modes
        p = (np.full(M, 1.0 / M) if self.initial_probabilities is None
             else np.asarray(self.initial_probabilities, dtype=np.float64))
        return np.tile(p, (n_tracks, 1))

    def transition(self, dt, entry_scale=None) -> np.ndarray:
        """Mode transition matrices (N, M, M) over per-track steps ``dt`` (s, (N,)), from i to j.

        A scalar ``dt`` gives one (M, M) matrix. Rows sum to 1 (a single mode: p = 1).
        ``entry_scale`` (N, M), in [0, 1], scales each track's probability of switching
        into mode j from another, :math:`p_{ij} \\leftarrow s_j p_{ij}` (i != j); what
        it takes stays in mode i. It carries what a track's class says of its
        manoeuvres (an airliner does not dive at 2 g: ``imm.aircraft_vertical_entry``).
        """
        dt = np.asarray(dt, dtype=np.float64)
        if dt.ndim > 1 or not (np.isfinite(dt).all() and (dt >= 0).all()):
            raise ValueError("dt must be finite and >= 0 s, a scalar or (N,)")
        if self.n_modes == 1:                                        # nowhere else to go
            return np.ones(dt.shape + (1, 1))
        tau = np.asarray(self.mean_sojourn_s, dtype=np.float64)
        stay = np.exp(-dt[..., None] / tau)                          # p_ii = exp(-T / tau_i)
        p = (1.0 - stay)[..., :, None] * self._switch                # p_ij = (1 - p_ii) s_ij
        if entry_scale is not None:
            scale = np.asarray(entry_scale, dtype=np.float64)
            if scale.shape != p.shape[:-2] + (self.n_modes,) \
                    or not ((scale >= 0) & (scale <= 1)).all():
                raise ValueError(f"entry_scale must be {p.shape[:-2] + (self.n_modes,)}, "
                                 "in [0, 1]")
            p = p * scale[..., None, :]                              # the diagonal is 0 here
            stay = 1.0 - p.sum(axis=-1)
        i = np.arange(self.n_modes)
        p[..., i, i] = stay
        return p


def tracker_modes(turn_rate_deg_s: float = 5.0, probability_floor: float = PROBABILITY_FLOOR
                  ) -> ImmModel:
    """The tracker's four modes: straight, turn right, turn left, vertical manoeuvre.

    Intensities in m^2/s^3 in each track's local ENU frame (``docs/imm.md`` has the
    reasons): straight flight (q 10 horizontal, 1 vertical; config.md's "straight
    flight alone would want about 10"); coordinated turns at +-``turn_rate_deg_s``
    (5 deg/s: a 2.2 g turn at 250 m/s) with q 30 horizontal to cover other rates;
    and a vertical-manoeuvre mode, CV with q 3000 vertical (sqrt(q/T) = 24 m/s^2
    over a 5 s revisit) for pop-ups and terminal dives.
    """
    omega = float(np.radians(turn_rate_deg_s))
    return ImmModel(
        modes=(ConstantVelocity(q_horizontal=10.0, q_vertical=1.0),
               CoordinatedTurn(q_horizontal=30.0, q_vertical=1.0, turn_rate=omega),
               CoordinatedTurn(q_horizontal=30.0, q_vertical=1.0, turn_rate=-omega),
               ConstantVelocity(q_horizontal=10.0, q_vertical=3000.0)),
        names=("cv", "turn_right", "turn_left", "vertical"),
        mean_sojourn_s=(120.0, 30.0, 30.0, 20.0),
        switch=((0.0, 0.4, 0.4, 0.2),
                (0.8, 0.0, 0.1, 0.1),
                (0.8, 0.1, 0.0, 0.1),
                (0.8, 0.1, 0.1, 0.0)),
        initial_probabilities=(0.7, 0.1, 0.1, 0.1),
        probability_floor=probability_floor,
    )


# ----------------------------------------------------------------- checked kernels


def _modes(mu, x, P) -> tuple[np.ndarray, int, int, int]:
    """Check (mu, x, P) of N tracks with M modes of n states; mu comes back contiguous."""
    if not isinstance(x, np.ndarray) or x.ndim != 3:
        raise ValueError("x must have shape (n_tracks, n_modes, n_state)")
    N, M, n = x.shape
    if not 1 <= M <= MAX_MODES:
        raise ValueError(f"{M} modes outside 1..{MAX_MODES}")
    if not 1 <= n <= kalman.MAX_STATE:
        raise ValueError(f"state dimension {n} outside 1..{kalman.MAX_STATE}")
    return (_in("mu", mu, (N, M)), _in("x", x, (N, M, n)), _in("P", P, (N, M, n, n))), N, M, n


def mix(mu, transition, x, P):
    r"""Mix the mode estimates: the initial condition of each mode-matched prediction.

    Parameters
    ----------
    mu : array_like, shape (N, M)
        Mode probabilities after the last update.
    transition : array_like, shape (N, M, M) or (M, M)
        Mode transition probabilities over each track's step, from i (row) to j
        (column); (M, M) serves every track. :meth:`ImmModel.transition`.
    x, P : array_like, shapes (N, M, n) and (N, M, n, n)
        Mode states (ECEF m, m/s) and covariances, positive definite.

    Returns
    -------
    x_mixed, P_mixed : ndarray, shapes (N, M, n) and (N, M, n, n)
    mu_pred : ndarray, shape (N, M)
        Predicted mode probabilities :math:`c_j`.
    status : ndarray, shape (N,), int8
        ``STATUS_INVALID_INPUT`` (NaN/inf, a negative probability, all mu 0),
        ``STATUS_NOT_PD`` (a mode covariance), ``STATUS_OVERFLOW``; zeros out.

    Notes
    -----
    .. math:: c_j = \sum_i p_{ij}\mu_i, \quad \mu_{i|j} = p_{ij}\mu_i / c_j, \quad
              x_{0j} = \sum_i \mu_{i|j} x_i, \quad
              P_{0j} = \sum_i \mu_{i|j}\big(P_i + (x_i - x_{0j})(x_i - x_{0j})^T\big)

    A mode into which nothing flows (:math:`c_j = 0`) keeps its own estimate.
    Bar-Shalom, Li & Kirubarajan (2001), sec. 11.6.
    """
    (mu, x, P), N, M, n = _modes(mu, x, P)
    transition = np.ascontiguousarray(transition, dtype=np.float64)
    if transition.shape == (M, M):
        transition = transition[None]
    if transition.shape not in ((N, M, M), (1, M, M)):
        raise ValueError(f"transition has shape {transition.shape}, expected ({N}, {M}, {M}) "
                         f"or ({M}, {M})")
    x_mixed, P_mixed = np.empty((N, M, n)), np.empty((N, M, n, n))
    mu_pred, status = np.empty((N, M)), np.empty(N, dtype=np.int8)
    _imm.imm_mix(mu, transition, x, P, x_mixed, P_mixed, mu_pred, status)
    return x_mixed, P_mixed, mu_pred, status


def mode_probabilities(mu_pred, log_likelihood, floor: float = PROBABILITY_FLOOR):
    r"""Posterior mode probabilities from the predicted ones and each mode's likelihood.

    Parameters
    ----------
    mu_pred : array_like, shape (N, M)
        Predicted mode probabilities :math:`c_j` (from :func:`predict`).
    log_likelihood : array_like, shape (N, M)
        :math:`\log\Lambda_j`, up to a constant per track (:func:`mode_likelihood`);
        -inf for a mode that cannot explain the scan; NaN and +inf are invalid.
    floor : float
        Every mode probability is at least this, 0 <= floor < 1/M.

    Returns
    -------
    mu : ndarray, shape (N, M)
        Rows sum to 1.
    status : ndarray, shape (N,), int8
        ``STATUS_INVALID_INPUT`` also when no mode has weight (every :math:`c_j\Lambda_j = 0`).

    Notes
    -----
    .. math:: \mu_j = \frac{c_j \Lambda_j}{\sum_i c_i \Lambda_i}
              = \exp\big(a_j - \operatorname{logsumexp}_i a_i\big), \quad
              a_j = \log c_j + \log\Lambda_j

    then modes below the floor are raised to it and the others scaled to share
    the rest (repeated until none is below). Bar-Shalom et al. (2001), sec. 11.6.
    """
    mu_pred = np.ascontiguousarray(mu_pred, dtype=np.float64)
    if mu_pred.ndim != 2 or not 1 <= mu_pred.shape[1] <= MAX_MODES:
        raise ValueError(f"mu_pred has shape {mu_pred.shape}, expected (n_tracks, 1..{MAX_MODES})")
    N, M = mu_pred.shape
    floor = float(floor)
    if not 0.0 <= floor < 1.0 / M:
        raise ValueError(f"floor={floor} must lie in [0, 1/{M})")
    mu_post, status = np.empty((N, M)), np.empty(N, dtype=np.int8)
    _imm.imm_mode_probabilities(mu_pred, _in("log_likelihood", log_likelihood, (N, M)), floor,
                                mu_post, status)
    return mu_post, status


def combine(mu, x, P):
    r"""The moment-matched estimate of each track from its modes: what the tracker reports.

    Parameters
    ----------
    mu : array_like, shape (N, M)
        Mode probabilities (normalised per track here).
    x, P : array_like, shapes (N, M, n) and (N, M, n, n)

    Returns
    -------
    x_out, P_out : ndarray, shapes (N, n) and (N, n, n)
    status : ndarray, shape (N,), int8

    Notes
    -----
    .. math:: x = \sum_j \mu_j x_j, \quad P = \sum_j \mu_j \big(P_j + (x_j - x)(x_j - x)^T\big)

    Bar-Shalom et al. (2001), sec. 11.6.
    """
    (mu, x, P), N, M, n = _modes(mu, x, P)
    x_out, P_out, status = np.empty((N, n)), np.empty((N, n, n)), np.empty(N, dtype=np.int8)
    _imm.imm_combine(mu, x, P, x_out, P_out, status)
    return x_out, P_out, status


def predict(model: ImmModel, mu, x, P, dt, entry_scale=None):
    r"""One IMM prediction of every track: mixing, then each mode by its own motion model.

    Parameters
    ----------
    model : ImmModel
    mu : array_like, shape (N, M)
        Mode probabilities after the last update.
    x, P : array_like, shapes (N, M, 6) and (N, M, 6, 6)
        Mode states (ECEF m, m/s) and covariances after the last update.
    dt : float or array_like, shape (N,)
        Each track's step (s, >= 0).
    entry_scale : array_like, shape (N, M), optional
        Per-track scale of the probabilities of switching into each mode
        (:meth:`ImmModel.transition`).

    Returns
    -------
    mu_pred : ndarray, shape (N, M)
        Predicted mode probabilities :math:`c_j`.
    x_pred, P_pred : ndarray, shapes (N, M, 6) and (N, M, 6, 6)
        Mode-matched predictions from the mixed initial conditions.
    status : ndarray, shape (N,), int8
        The mixing's status, else the worst of the mode predictions'; zeros out.

    Notes
    -----
    The mode-matched predictions are one call of the compiled ``imm_predict_modes``
    on the mixed (N, M, 6) states, in place: it builds each mode's F (constant
    velocity, or a coordinated turn about the track's local up) and Q (white
    acceleration shaped in local ENU) on the stack, as ``tracker.models`` writes
    them, and applies them in 3x3 blocks.
    """
    if not isinstance(model, ImmModel):
        raise ValueError(f"model={model!r} must be an ImmModel")
    if entry_scale is not None:      # one matrix per track, whatever dt's shape
        dt = np.broadcast_to(np.asarray(dt, dtype=np.float64), (np.shape(mu)[0],))
    x_mixed, P_mixed, mu_pred, status = mix(mu, model.transition(dt, entry_scale), x, P)
    N, M, n = x_mixed.shape
    if M != model.n_modes or n != STATE_DIM:
        raise ValueError(f"x has shape {x_mixed.shape}, expected (N, {model.n_modes}, {STATE_DIM})")
    dt = np.ascontiguousarray(np.broadcast_to(np.asarray(dt, dtype=np.float64), (N,)))
    ok = status == STATUS_OK
    # one local up per track for every mode: the modes' mixed positions differ by metres,
    # and the up turns by 1.6e-4 rad a km. Failed tracks (zeros) get up = 0: no latitude
    # is taken of the Earth's centre
    if ok.all():
        up = local_up(x_mixed[:, 0])
    else:
        up = np.zeros((N, 3))
        up[ok] = local_up(x_mixed[ok, 0])
    mode_status = np.empty(N, dtype=np.int8)
    _imm_modes.imm_predict_modes(x_mixed, P_mixed, dt, np.ascontiguousarray(up), model._noise,
                                 model._turn_rate, mode_status)
    status = np.where(ok, mode_status, status).astype(np.int8)
    bad = status != STATUS_OK
    x_mixed[bad], P_mixed[bad], mu_pred[bad] = 0.0, 0.0, 0.0
    return mu_pred, x_mixed, P_mixed, status


# ------------------------- mode likelihoods (NumPy; compiled in tracker.mode_update)


def gaussian_log_likelihood(S, nis) -> np.ndarray:
    r"""log N(y; 0, S) of innovations from their NIS and S, as ``kalman.update`` returns them.

    :math:`-\tfrac12\big(y^T S^{-1} y + \log\det(2\pi S)\big)`, shape S.shape[:-2]; -inf
    where S is not positive definite or NIS is negative (a failed update).
    """
    S = np.asarray(S, dtype=np.float64)
    nis = np.asarray(nis, dtype=np.float64)
    sign, logdet = np.linalg.slogdet(2.0 * np.pi * S)
    with np.errstate(invalid="ignore"):
        return np.where((sign > 0) & (nis >= 0), -0.5 * (nis + logdet), -np.inf)


def _owner(offsets, K: int) -> tuple[np.ndarray, int]:
    offsets = np.asarray(offsets, dtype=np.intp)
    if offsets.ndim != 1 or offsets[0] != 0 or offsets[-1] != K or (np.diff(offsets) < 0).any():
        raise ValueError(f"offsets must be non-decreasing, from 0 to {K}")
    N = offsets.shape[0] - 1
    return np.repeat(np.arange(N), np.diff(offsets)), N


def _pair_log_ratios(log_ratio, offsets) -> tuple[np.ndarray, np.ndarray, int]:
    log_ratio = np.asarray(log_ratio, dtype=np.float64)
    if log_ratio.ndim != 2 or np.isnan(log_ratio).any() or (log_ratio == np.inf).any():
        raise ValueError("log_ratio must be (n_pairs, n_modes), no NaN or +inf")
    owner, N = _owner(offsets, log_ratio.shape[0])
    return log_ratio, owner, N


def _per_track(name: str, value, N: int) -> np.ndarray:
    value = np.broadcast_to(np.asarray(value, dtype=np.float64), (N,))
    if not ((value > 0) & (value <= 1)).all():
        raise ValueError(f"{name} must lie in (0, 1]")
    return value


def _segment_logsumexp(values: np.ndarray, owner: np.ndarray, N: int) -> np.ndarray:
    """(N, M) log sum over each track's rows of ``values`` (K, M); -inf for none."""
    top = np.full((N, values.shape[1]), -np.inf)
    np.maximum.at(top, owner, values)
    shift = np.where(np.isfinite(top), top, 0.0)
    total = np.zeros_like(top)
    np.add.at(total, owner, np.exp(values - shift[owner]))
    with np.errstate(divide="ignore"):
        return shift + np.log(total)


def pair_log_likelihood_ratios(innovations, S, offsets, clutter_density) -> np.ndarray:
    r"""log(N(nu_ij; 0, S_j) / lambda) of every gated pair i under every mode j.

    Parameters
    ----------
    innovations : array_like, shape (K, M, m)
        z - h(x_j) of each gated (track, detection) pair, under each mode's prediction,
        grouped by track (CSR, as ``kalman.pda_update``).
    S : array_like, shape (N, M, m, m)
        Innovation covariance of each mode.
    offsets : array_like of int, shape (N + 1,)
        Track t owns pairs ``offsets[t]:offsets[t + 1]``.
    clutter_density : float or array_like, shape (N,)
        False detections per unit measurement volume, lambda > 0.

    Returns
    -------
    log_ratio : ndarray, shape (K, M)
        -inf under a mode whose S is not positive definite.
    """
    innovations = np.asarray(innovations, dtype=np.float64)
    S = np.asarray(S, dtype=np.float64)
    owner, N = _owner(offsets, innovations.shape[0])
    if innovations.ndim != 3 or S.shape != (N,) + innovations.shape[1:] + innovations.shape[2:]:
        raise ValueError(f"innovations {innovations.shape} and S {S.shape} do not match "
                         "(K, M, m) and (N, M, m, m)")
    lam = np.broadcast_to(np.asarray(clutter_density, dtype=np.float64), (N,))
    if not (np.isfinite(lam) & (lam > 0)).all():
        raise ValueError("clutter_density must be finite and > 0")
    m = S.shape[-1]
    good = np.isfinite(S).all(axis=(-2, -1))
    try:                                    # the common case: every S positive definite
        L = np.linalg.cholesky(np.where(good[..., None, None], S, np.eye(m)))  # S = L L'
    except np.linalg.LinAlgError:
        good[good] = np.linalg.eigvalsh(S[good]).min(axis=-1) > 0
        L = np.linalg.cholesky(np.where(good[..., None, None], S, np.eye(m)))
    w = np.linalg.solve(L[owner], innovations[..., None])[..., 0]               # L w = nu
    log_det = 2.0 * np.log(np.diagonal(L, axis1=-2, axis2=-1)).sum(axis=-1)
    log_n = -0.5 * ((w ** 2).sum(axis=-1) + m * np.log(2.0 * np.pi) + log_det[owner])
    return np.where(good[owner], log_n - np.log(lam)[owner, None], -np.inf)


def mode_likelihood(log_ratio, offsets, detection_probability, gate_probability) -> np.ndarray:
    r"""log Lambda_j of every track and mode: the PDA likelihood of the scan under mode j.

    Parameters
    ----------
    log_ratio : array_like, shape (K, M)
        :func:`pair_log_likelihood_ratios`: log(N(nu_ij; 0, S_j)/lambda), untruncated
        Gaussian (not divided by the gate probability); -inf allowed.
    offsets : array_like of int, shape (N + 1,)
    detection_probability, gate_probability : float or array_like, shape (N,)
        Pd and Pg in (0, 1].

    Returns
    -------
    log_likelihood : ndarray, shape (N, M)
        For :func:`mode_probabilities`. -inf only when Pd Pg = 1 and no pair
        has a finite ratio.

    Notes
    -----
    With Poisson clutter of density lambda, the likelihood of the validated
    detections under mode j, divided by a factor common to every mode, is

    .. math:: \Lambda_j = 1 - P_D P_G + P_D \sum_i \frac{\mathcal N(\nu_{ij}; 0, S_j)}{\lambda}

    the IMM-PDA mode likelihood (Houles & Bar-Shalom, IEEE TAES 25(2), 1989) in the
    form of IMM-IPDA, whose gate-truncated pdf :math:`p_{ij} = \mathcal N / P_G`
    makes it :math:`1 - P_D P_G + P_D P_G \sum_i p_{ij}/\lambda` (Musicki &
    Suvorova, IEEE TAES 44(1), 2008). Computed in log space (log-sum-exp).
    For several tracks sharing detections use :func:`mode_association`.
    """
    log_ratio, owner, N = _pair_log_ratios(log_ratio, offsets)
    pd = _per_track("detection_probability", detection_probability, N)
    pg = _per_track("gate_probability", gate_probability, N)
    with np.errstate(divide="ignore"):
        log_miss = np.log1p(-pd * pg)[:, None]                    # log(1 - Pd Pg)
        log_hits = np.log(pd)[:, None] + _segment_logsumexp(log_ratio, owner, N)
    return np.logaddexp(log_miss, log_hits)


def mixture_log_likelihood_ratio(log_ratio, mu_pred, offsets) -> np.ndarray:
    r"""Track-level log-likelihood ratio of every pair, the mixture over modes (K,).

    :math:`\log \sum_j c_j \ell_{ij}` with :math:`\ell_{ij}` = exp(``log_ratio``) and
    :math:`c_j` = ``mu_pred`` (N, M) of the pair's track: the
    ``log_likelihood_ratio`` that ``tracker.association.associate`` takes for an IMM
    track (IMM-JIPDA, Musicki & Suvorova 2008).
    """
    log_ratio, owner, N = _pair_log_ratios(log_ratio, offsets)
    c = _in("mu_pred", mu_pred, (N, log_ratio.shape[1]))
    with np.errstate(divide="ignore"):
        return np.logaddexp.reduce(np.log(c)[owner] + log_ratio, axis=1)


def mode_association(log_ratio, mu_pred, offsets, beta, beta_none):
    r"""Split a track-level association among the modes: mode likelihoods and PDA weights.

    Parameters
    ----------
    log_ratio : array_like, shape (K, M)
        log(N(nu_ij; 0, S_j)/lambda) (:func:`pair_log_likelihood_ratios`).
    mu_pred : array_like, shape (N, M)
        Predicted mode probabilities :math:`c_j`.
    offsets : array_like of int, shape (N + 1,)
    beta, beta_none : array_like, shapes (K,) and (N,)
        Track-level association probabilities (``tracker.association.associate`` fed
        with :func:`mixture_log_likelihood_ratio`, or PDA), beta_none + sum beta = 1.

    Returns
    -------
    log_likelihood : ndarray, shape (N, M)
        :math:`\log\tilde\Lambda_j`, for :func:`mode_probabilities`.
    beta_mode : ndarray, shape (K, M)
        Association probabilities conditioned on mode j, for the mode-matched
        ``kalman.pda_update`` (each mode's column with ``beta_none_mode``).
    beta_none_mode : ndarray, shape (N, M)

    Notes
    -----
    With :math:`\ell_i = \sum_j c_j \ell_{ij}` the track's mixture ratio, the joint
    posterior of "detection i is the target's" and "mode j" is
    :math:`\beta_i\, c_j \ell_{ij}/\ell_i`, and of "none is" and mode j is
    :math:`\beta_0 c_j` (a miss says nothing of the mode). Summing over the
    detections gives :math:`\mu_j \propto c_j \tilde\Lambda_j` with

    .. math:: \tilde\Lambda_j = \beta_0 + \sum_i \beta_i\, \ell_{ij} / \ell_i, \quad
              \beta_{i|j} = \beta_i\, (\ell_{ij}/\ell_i) / \tilde\Lambda_j, \quad
              \beta_{0|j} = \beta_0 / \tilde\Lambda_j

    For a single track with PDA weights
    :math:`\beta_i \propto P_D \ell_i`, :math:`\beta_0 \propto 1 - P_D P_G`,
    :math:`\tilde\Lambda_j` is :math:`\Lambda_j` of :func:`mode_likelihood` up to
    a factor of the track, so both give the same mode probabilities.
    """
    return split_association(log_ratio, mixture_log_likelihood_ratio(log_ratio, mu_pred, offsets),
                             offsets, beta, beta_none)


def split_association(log_ratio, log_mix, offsets, beta, beta_none):
    """:func:`mode_association` given the pairs' mixture ratios log_mix (K,) (NumPy)."""
    log_ratio, owner, N = _pair_log_ratios(log_ratio, offsets)
    K, M = log_ratio.shape
    beta = _in("beta", beta, (K,))
    beta_none = _in("beta_none", beta_none, (N,))
    # l_ij / l_i; a pair no mode can explain has l_i = 0 and takes no share
    share = np.where(np.isfinite(log_mix)[:, None],
                     np.exp(log_ratio - np.where(np.isfinite(log_mix), log_mix, 0.0)[:, None]),
                     0.0)
    weighted = beta[:, None] * share
    lam = np.repeat(beta_none[:, None], M, axis=1)
    np.add.at(lam, owner, weighted)
    safe = np.where(lam > 0, lam, 1.0)
    with np.errstate(divide="ignore"):
        log_likelihood = np.log(lam)
    return (log_likelihood, np.where(lam[owner] > 0, weighted / safe[owner], 0.0),
            np.where(lam > 0, beta_none[:, None] / safe, 1.0))


def from_config(config) -> ImmModel:
    """The tracker's modes from a ``TrackerConfig`` (``config.imm``; one CV mode when off)."""
    c = config.imm
    if not c.enabled:
        noise = config.process_noise
        return ImmModel(modes=(ConstantVelocity(noise.horizontal, noise.vertical),),
                            names=("cv",), mean_sojourn_s=(math.inf,))
    omega = math.radians(c.turn_rate_deg_s)
    # a target leaving straight flight turns more often than it climbs or dives;
    # any manoeuvre mostly ends in straight flight
    switch = np.array([[0.0, 0.4, 0.4, 0.2], [0.8, 0.0, 0.1, 0.1], [0.8, 0.1, 0.0, 0.1],
                       [0.8, 0.1, 0.1, 0.0]])
    tau = np.array([c.straight_sojourn_s, c.turn_sojourn_s, c.turn_sojourn_s,
                    c.vertical_sojourn_s])
    return ImmModel(
        modes=(ConstantVelocity(c.straight.horizontal, c.straight.vertical),
               CoordinatedTurn(c.turn.horizontal, c.turn.vertical, turn_rate=omega),
               CoordinatedTurn(c.turn.horizontal, c.turn.vertical, turn_rate=-omega),
               ConstantVelocity(c.vertical.horizontal, c.vertical.vertical)),
        names=("cv", "turn_right", "turn_left", "vertical"),
        mean_sojourn_s=tuple(tau), switch=tuple(map(tuple, switch)),
        probability_floor=c.probability_floor)
