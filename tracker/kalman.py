r"""Kalman filtering of many tracks at once: the checked entry to the compiled kernels.

Each function checks its inputs once, allocates the outputs, and calls one
compiled kernel for all tracks, with the GIL released inside. The kernels are
built twice on x86-64: ``tracker._kalman`` runs anywhere, ``tracker._kalman_fma``
needs AVX2 and FMA; the fastest this processor runs is chosen at import
(``KERNELS``), or the one ``AIRTRACK_KERNELS`` names. ``x`` and ``P`` are updated in place. Per-track failures never raise:
the returned ``status`` says which tracks were left unchanged and why.

State and covariance are float64 (at the ECEF radius, 6.4e6 m, float32 values
are 0.5 m apart).
"""
from __future__ import annotations

import importlib
import os

import numpy as np


def _cpu_has(*features: str) -> bool:
    """Whether NumPy's run-time CPU detection reports every feature."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:                       # NumPy < 2
        try:
            from numpy.core._multiarray_umath import __cpu_features__
        except ImportError:
            return False
    return all(__cpu_features__.get(f, False) for f in features)


def available_builds() -> list[str]:
    """The builds of the kernels this machine can run, fastest first."""
    builds = []
    if _cpu_has("AVX2", "FMA3"):
        try:
            importlib.import_module("tracker._kalman_fma")
            builds.append("_kalman_fma")
        except ImportError:                   # not an x86-64 build
            pass
    return builds + ["_kalman"]


#: Environment variable naming the build to use (``_kalman`` forces the
#: portable one); by default the fastest this processor runs.
KERNELS_ENV = "AIRTRACK_KERNELS"


def _select() -> str:
    wanted = os.environ.get(KERNELS_ENV)
    builds = available_builds()
    if wanted:
        if wanted not in builds:
            raise ImportError(f"{KERNELS_ENV}={wanted!r}: this machine runs only {builds}")
        return wanted
    return builds[0]


KERNELS = _select()                            #: the build in use, e.g. "_kalman_fma"
_kalman = importlib.import_module(f"tracker.{KERNELS}")

MAX_STATE = 9           #: largest state dimension the kernels take (src_cython/_linalg.pxd MAXN)
MAX_MEASUREMENT = 6     #: largest measurement dimension (MAXM)

STATUS_OK = 0            #: updated
STATUS_INVALID_INPUT = 1  #: NaN/inf in the track's inputs, or a negative time step: unchanged
STATUS_NOT_PD = 2        #: innovation covariance not positive definite: unchanged
STATUS_OVERFLOW = 3      #: the result was not finite: unchanged
STATUS_NAMES = {STATUS_OK: "ok", STATUS_INVALID_INPUT: "invalid input",
                STATUS_NOT_PD: "innovation covariance not positive definite",
                STATUS_OVERFLOW: "overflow"}


def _inout(name: str, a: np.ndarray, shape: tuple) -> np.ndarray:
    """An in-place argument must already be C-contiguous float64 of the right shape."""
    if not (isinstance(a, np.ndarray) and a.dtype == np.float64 and a.flags.c_contiguous
            and a.flags.writeable):
        raise TypeError(f"{name} must be a writeable C-contiguous float64 array")
    if a.shape != shape:
        raise ValueError(f"{name} has shape {a.shape}, expected {shape}")
    return a


def _in(name: str, a, shape: tuple) -> np.ndarray:
    a = np.ascontiguousarray(a, dtype=np.float64)
    if a.shape != shape:
        raise ValueError(f"{name} has shape {a.shape}, expected {shape}")
    return a


def _state(x: np.ndarray, P: np.ndarray) -> tuple[int, int]:
    if not isinstance(x, np.ndarray) or x.ndim != 2:
        raise ValueError("x must have shape (n_tracks, n_state)")
    N, n = x.shape
    if not 1 <= n <= MAX_STATE:
        raise ValueError(f"state dimension {n} outside 1..{MAX_STATE}")
    _inout("x", x, (N, n))
    _inout("P", P, (N, n, n))
    return N, n


def _measurement(H, R, N: int, n: int) -> tuple[np.ndarray, np.ndarray, int]:
    H = np.ascontiguousarray(H, dtype=np.float64)
    if H.ndim != 3 or H.shape[0] != N or H.shape[2] != n:
        raise ValueError(f"H has shape {H.shape}, expected ({N}, m, {n})")
    m = H.shape[1]
    if not 1 <= m <= MAX_MEASUREMENT:
        raise ValueError(f"measurement dimension {m} outside 1..{MAX_MEASUREMENT}")
    return H, _in("R", R, (N, m, m)), m


def predict(x: np.ndarray, P: np.ndarray, F, Q) -> np.ndarray:
    r"""Predict every track with its own transition and process noise.

    Parameters
    ----------
    x : ndarray, shape (N, n), float64, C-contiguous
        States, updated in place.
    P : ndarray, shape (N, n, n), float64, C-contiguous
        Covariances, updated in place.
    F, Q : array_like, shape (N, n, n)
        Each track's transition matrix and process noise over its own time step.

    Returns
    -------
    status : ndarray, shape (N,), int8
        ``STATUS_*`` per track; a track whose status is not ``STATUS_OK`` is unchanged.

    Notes
    -----
    .. math:: x^- = F x, \quad P^- = F P F^T + Q

    Y. Bar-Shalom, X. R. Li, T. Kirubarajan, *Estimation with Applications to
    Tracking and Navigation*, Wiley 2001, eq. 5.2.3-3 and 5.2.3-5.
    """
    N, n = _state(x, P)
    status = np.empty(N, dtype=np.int8)
    _kalman.predict(x, P, _in("F", F, (N, n, n)), _in("Q", Q, (N, n, n)), status)
    return status


def predict_cv(x: np.ndarray, P: np.ndarray, dt, accel_psd) -> np.ndarray:
    r"""Nearly-constant-velocity prediction of ECEF tracks, each over its own time step.

    Parameters
    ----------
    x : ndarray, shape (N, 6)
        ECEF states [x, y, z, vx, vy, vz] (m, m/s), updated in place.
    P : ndarray, shape (N, 6, 6)
        Symmetric covariances, updated in place; only the upper triangle is read.
    dt : array_like, shape (N,)
        Time step of each track (s, >= 0): tracks were last updated at different times.
    accel_psd : array_like, shape (N, 3, 3)
        Power spectral density of the white acceleration noise in ECEF (m^2/s^3),
        shaped in each track's local ENU frame
        (``tracker.models.ConstantVelocity.acceleration_psd``).

    Returns
    -------
    status : ndarray, shape (N,), int8

    Notes
    -----
    .. math:: F = \begin{bmatrix} I & \Delta t\, I \\ 0 & I \end{bmatrix}, \quad
              Q = \begin{bmatrix} \tfrac{\Delta t^3}{3} A & \tfrac{\Delta t^2}{2} A \\
                                  \tfrac{\Delta t^2}{2} A & \Delta t\, A \end{bmatrix}

    Bar-Shalom, Li & Kirubarajan (2001), eq. 6.2.2-12 (continuous white-noise
    acceleration), with the scalar intensity replaced by the 3x3 ECEF PSD.
    """
    N, n = _state(x, P)
    if n != 6:
        raise ValueError(f"predict_cv needs the 6-state ECEF model, got n = {n}")
    status = np.empty(N, dtype=np.int8)
    _kalman.predict_cv(x, P, _in("dt", dt, (N,)), _in("accel_psd", accel_psd, (N, 3, 3)), status)
    return status


def update(x: np.ndarray, P: np.ndarray, H, R, innovation):
    r"""Kalman or extended Kalman update of every track with one measurement each.

    Parameters
    ----------
    x, P : ndarray, shapes (N, n) and (N, n, n)
        Predicted states and covariances, updated in place.
    H : array_like, shape (N, m, n)
        Measurement matrix, or the Jacobian of h at the predicted state (EKF).
    R : array_like, shape (N, m, m)
        Measurement noise covariance.
    innovation : array_like, shape (N, m)
        z - h(x), with angles already wrapped by the measurement model.

    Returns
    -------
    S : ndarray, shape (N, m, m)
        Innovation covariance (zeros where status is not ok).
    nis : ndarray, shape (N,)
        Normalised innovation squared y' S^-1 y (-1 where status is not ok).
    status : ndarray, shape (N,), int8

    Notes
    -----
    .. math:: S = H P H^T + R,\quad K = P H^T S^{-1},\quad x^+ = x + K y,\quad
              P^+ = (I - K H) P (I - K H)^T + K R K^T

    The Joseph form keeps P symmetric positive definite whatever the round-off
    in K. K is formed by an LDL' solve, never an inverse. Bar-Shalom, Li &
    Kirubarajan (2001), eq. 5.2.3-9 to 5.2.3-18.
    """
    return _one_measurement(_kalman.update, x, P, H, R, innovation, "innovation")


def kf_update(x: np.ndarray, P: np.ndarray, z, R, H):
    """Linear Kalman update: ``update`` with the innovation y = z - H x formed per track.

    The argument order follows filterpy's ``update(z, R, H)``; returns (S, nis, status).
    """
    return _one_measurement(_kalman.kf_update, x, P, H, R, z, "z")


def _one_measurement(kernel, x, P, H, R, values, name: str):
    """Check, allocate S, NIS and status, and run ``update`` or ``kf_update``."""
    N, n = _state(x, P)
    H, R, m = _measurement(H, R, N, n)
    S = np.empty((N, m, m))
    nis = np.empty(N)
    status = np.empty(N, dtype=np.int8)
    kernel(x, P, H, R, _in(name, values, (N, m)), S, nis, status)
    return S, nis, status


def pda_update(x: np.ndarray, P: np.ndarray, H, R, innovations, beta, beta_none, offsets):
    r"""Probabilistic data association update: each track folds in all its gated detections.

    Parameters
    ----------
    x, P : ndarray, shapes (N, n) and (N, n, n)
        Predicted states and covariances, updated in place.
    H, R : array_like, shapes (N, m, n) and (N, m, m)
        Measurement matrix (Jacobian at the predicted state) and noise of each track.
    innovations : array_like, shape (K, m)
        z_i - h(x) for every gated (track, detection) pair, grouped by track.
    beta : array_like, shape (K,)
        Association probability of each pair (the detection is the track's).
    beta_none : array_like, shape (N,)
        Probability that none of the track's detections is the target
        (``beta_none + sum(beta of the track) == 1``).
    offsets : array_like of int, shape (N + 1,)
        Track i owns pairs ``offsets[i]:offsets[i + 1]``; ``offsets[0] == 0``,
        ``offsets[N] == K``, non-decreasing.

    Returns
    -------
    S : ndarray, shape (N, m, m)
    status : ndarray, shape (N,), int8

    Notes
    -----
    .. math:: \nu = \sum_i \beta_i \nu_i, \quad x^+ = x + K \nu, \quad
              P^+ = \beta_0 P + (1-\beta_0) P^c
                    + K \big(\textstyle\sum_i \beta_i \nu_i \nu_i^T - \nu\nu^T\big) K^T

    with :math:`P^c` the Joseph-form covariance of a single update; the last
    term is the spread of the innovations. Y. Bar-Shalom, F. Daum, J. Huang,
    "The probabilistic data association filter", IEEE Control Systems Magazine
    29(6), 2009, eq. 33-41.
    """
    N, n = _state(x, P)
    H, R, m = _measurement(H, R, N, n)
    innovations = np.ascontiguousarray(innovations, dtype=np.float64).reshape(-1, m)
    K = innovations.shape[0]
    offsets = np.ascontiguousarray(offsets, dtype=np.intp)
    if offsets.shape != (N + 1,) or offsets[0] != 0 or offsets[-1] != K \
            or (np.diff(offsets) < 0).any():
        raise ValueError(f"offsets must be non-decreasing, shape ({N + 1},), from 0 to {K}")
    S = np.empty((N, m, m))
    status = np.empty(N, dtype=np.int8)
    _kalman.pda_update(x, P, H, R, innovations, _in("beta", beta, (K,)),
                       _in("beta_none", beta_none, (N,)), offsets, S, status)
    return S, status
