"""Motion and measurement models of the ECEF track state.

The state of every track is ECEF ``[x, y, z, vx, vy, vz]`` (m, m/s), float64,
batched as ``x`` of shape (N, 6). Models produce batched arrays for the
compiled kernels (``tracker._core``): transition matrices ``F`` (N, 6, 6),
process noise ``Q`` (N, 6, 6) or the acceleration spectral density that
``predict_cv`` takes (N, 3, 3), predicted measurements (N, m) and Jacobians
(N, m, 6). Conventions and equations are collected in ``docs/models.md``.

Motion models: :class:`ConstantVelocity`, :class:`CoordinatedTurn`.
Measurement models: :class:`Radar`, :class:`LineOfSight`,
:class:`GeodeticPosition`; :func:`measurement_model` builds one from a
:class:`tracker.scan.Sensor`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from . import frames
from .scan import Sensor, Site

STATE_DIM = 6
#: H of an ECEF position detection: z = [I 0] x (see GeodeticPosition.ecef_detections)
POSITION_OBSERVATION = np.hstack([np.eye(3), np.zeros((3, 3))])
_I3 = np.eye(3)
# Below |omega dt| = 1e-2 the turn integrals use their series: the closed forms
# cancel there, and the truncated series terms are below 1e-16 relative.
_SERIES_BELOW = 1e-2
# Horizontal distance (m) below which the azimuth gradient is evaluated as if
# the target were 1 micrometre off the vertical, so it stays finite.
_MIN_HORIZONTAL_M = 1e-6


def _states(x) -> np.ndarray:
    x = np.ascontiguousarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != STATE_DIM:
        raise ValueError(f"x has shape {x.shape}, expected (n_tracks, {STATE_DIM})")
    return x


def _time_steps(dt, n: int | None) -> np.ndarray:
    dt = np.asarray(dt, dtype=np.float64)
    if dt.ndim > 1 or (n is not None and dt.ndim == 1 and dt.shape[0] != n):
        raise ValueError(f"dt has shape {dt.shape}, expected () or ({n},)")
    if not (np.isfinite(dt).all() and (dt >= 0.0).all()):
        raise ValueError("dt must be finite and >= 0 s")
    return np.broadcast_to(dt, (n if n is not None else dt.size,)).astype(np.float64)


def _check_nonnegative(name: str, value: float) -> None:
    if not (np.isfinite(value) and value >= 0.0):
        raise ValueError(f"{name}={value} must be a finite number >= 0")


def _check_sigma(name: str, value: float) -> None:
    if not (np.isfinite(value) and value > 0.0):
        raise ValueError(f"{name}={value} must be a finite number > 0")


def cross_matrix(u) -> np.ndarray:
    """Cross-product matrices K (..., 3, 3) of vectors u (..., 3): ``K @ v = u x v``."""
    u = np.asarray(u, dtype=np.float64)
    k = np.zeros(u.shape[:-1] + (3, 3))
    k[..., 0, 1], k[..., 0, 2] = -u[..., 2], u[..., 1]
    k[..., 1, 0], k[..., 1, 2] = u[..., 2], -u[..., 0]
    k[..., 2, 0], k[..., 2, 1] = -u[..., 1], u[..., 0]
    return k


def local_up(x) -> np.ndarray:
    """Unit geodetic up (N, 3), ECEF, at each state's position (x (N, 6) or (N, 3))."""
    return np.ascontiguousarray(frames.ecef_to_geodetic_enu(np.asarray(x)[:, :3])[3][:, 2, :])


def geodetic_up(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Unit geodetic up (n, 3), ECEF, at latitudes and longitudes (n,) (rad)."""
    cos_lat = np.cos(lat)
    return np.stack([cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)], 1)


def horizontal_vertical(horizontal: float, vertical: float, up: np.ndarray) -> np.ndarray:
    r"""ECEF matrices (N, 3, 3) that are ``horizontal`` along east and north and
    ``vertical`` along the local ``up`` (N, 3): :math:`R^T \operatorname{diag}(h, h, v) R`.

    The rows of the ENU rotation ``R`` are orthonormal, so :math:`e e^T + n n^T =
    I - u u^T` and the product is :math:`h I + (v - h)\, u u^T`: the up vector alone,
    not the whole rotation, and an exactly symmetric, C-contiguous result.
    """
    matrices = (vertical - horizontal) * (up[:, :, None] * up[:, None, :])
    matrices += horizontal * _I3
    return matrices


def _local_rotation(x: np.ndarray) -> np.ndarray:
    """ENU rotations (N, 3, 3) at the geodetic position of each track."""
    lat, lon, _ = frames.ecef_to_geodetic(x[:, :3])
    return frames.enu_rotation(lat, lon)


# --------------------------------------------------------------------------- motion


@dataclass(frozen=True)
class _EnuWhiteAcceleration:
    """Continuous white-noise acceleration, shaped in each track's local ENU frame."""

    #: m^2/s^3, acceleration spectral density along east and along north
    q_horizontal: float = 1.0
    #: m^2/s^3, acceleration spectral density along up (air traffic holds height)
    q_vertical: float = 0.1

    def __post_init__(self):
        _check_nonnegative("q_horizontal", self.q_horizontal)
        _check_nonnegative("q_vertical", self.q_vertical)

    def acceleration_psd(self, x, up=None) -> np.ndarray:
        r"""ECEF acceleration spectral density at each track's position.

        Parameters
        ----------
        x : ndarray, shape (N, 6)
            ECEF states (m, m/s).

        Returns
        -------
        ndarray, shape (N, 3, 3)
            :math:`A = R^T \operatorname{diag}(q_h, q_h, q_v) R` (m^2/s^3), with
            ``R`` the ENU rotation at the track; the ``accel_psd`` argument of
            ``predict_cv``.

        Notes
        -----
        :math:`A = q_h I + (q_v - q_h)\, u u^T`, with ``u`` the local up
        (:func:`horizontal_vertical`).
        """
        if up is None:                  # ``up`` (N, 3): the local up, when the caller has it
            up = local_up(_states(x))
        # C-contiguous, as predict_cv requires
        return horizontal_vertical(self.q_horizontal, self.q_vertical, up)

    def process_noise(self, x, dt, up=None) -> np.ndarray:
        r"""Process noise Q (N, 6, 6) over per-track steps ``dt`` (s, (N,) or scalar).

        Notes
        -----
        The discretised continuous white-noise acceleration model, section
        6.2.2 of [1]_, with the ECEF density ``A`` of :meth:`acceleration_psd`:

        .. math:: Q = \begin{bmatrix} \tfrac{T^3}{3} A & \tfrac{T^2}{2} A \\
                      \tfrac{T^2}{2} A & T A \end{bmatrix}

        The same Q serves the coordinated turn (the usual approximation, which
        ignores the rotation of the noise during the step).

        References
        ----------
        .. [1] Y. Bar-Shalom, X. R. Li, T. Kirubarajan, Estimation with
           Applications to Tracking and Navigation, Wiley, 2001.
        """
        x = _states(x)
        dt = _time_steps(dt, x.shape[0])[:, None, None]
        psd = self.acceleration_psd(x, up)
        q = np.empty((x.shape[0], STATE_DIM, STATE_DIM))
        q[:, :3, :3] = dt ** 3 / 3.0 * psd
        q[:, :3, 3:] = q[:, 3:, :3] = dt ** 2 / 2.0 * psd
        q[:, 3:, 3:] = dt * psd
        return q


@dataclass(frozen=True)
class ConstantVelocity(_EnuWhiteAcceleration):
    r"""Nearly-constant velocity in ECEF, process noise shaped in local ENU.

    Over a step :math:`T` the position advances by :math:`T v`; the velocity
    wanders as white acceleration noise whose intensity is set in each
    track's ENU frame (``q_horizontal`` east and north, ``q_vertical`` up) and
    rotated to ECEF (:meth:`acceleration_psd`). :math:`\sqrt{q T}` is the
    order of the velocity change over :math:`T` (Bar-Shalom et al. 2001,
    sec. 6.2.2), e.g. 3 m/s over 10 s for the default ``q_horizontal``.
    """

    def transition(self, dt, x=None, up=None) -> np.ndarray:
        r"""Transition matrices F (N, 6, 6) for per-track steps ``dt`` (s).

        ``F = [[I, T I], [0, I]]``. ``x`` (N, 6) is accepted and only sets N,
        so that every motion model is called as ``model.transition(dt, x)``.
        """
        n = None if x is None else _states(x).shape[0]
        dt = _time_steps(dt, n)
        f = np.broadcast_to(np.eye(STATE_DIM), (dt.shape[0], STATE_DIM, STATE_DIM)).copy()
        axis = np.arange(3)
        f[:, axis, axis + 3] = dt[:, None]
        return f


@dataclass(frozen=True)
class CoordinatedTurn(_EnuWhiteAcceleration):
    r"""Horizontal turn at a known rate about each track's local up axis.

    Sign: a positive ``turn_rate`` turns right, clockwise seen from above (as
    in ATC); a track heading east with a positive rate turns south. The
    velocity turns by :math:`\theta = -\omega T` about the up unit vector
    :math:`u` (Rodrigues, :math:`K` the cross-product matrix of :math:`u`):

    .. math:: R(\theta) = I + \sin\theta\, K + (1 - \cos\theta) K^2

    and the position advances by :math:`\int_0^T R(-\omega t)\,dt\; v`:

    .. math:: F = \begin{bmatrix} I & T I - \frac{1 - \cos\omega T}{\omega} K
              + \big(T - \frac{\sin \omega T}{\omega}\big) K^2 \\
              0 & R(-\omega T) \end{bmatrix}

    which tends to the constant-velocity F as :math:`\omega \to 0` (series
    below :math:`|\omega T| = 10^{-2}`). The up vector is taken at the start
    of the step (it turns by 1.6e-4 rad per km travelled). Speed is kept;
    the vertical velocity component is untouched. Process noise as
    :class:`ConstantVelocity` ([1]_, chapter 11).

    References
    ----------
    .. [1] Y. Bar-Shalom, X. R. Li, T. Kirubarajan, Estimation with
       Applications to Tracking and Navigation, Wiley, 2001.
    """

    #: rad/s, > 0 turns right (clockwise seen from above); a float, or (N,) per track.
    #: Default: a standard-rate turn, 3 deg/s.
    turn_rate: float | np.ndarray = float(np.radians(3.0))

    def __post_init__(self):
        super().__post_init__()
        rate = np.asarray(self.turn_rate, dtype=np.float64)
        if rate.ndim > 1 or not np.isfinite(rate).all():
            raise ValueError(f"turn_rate={self.turn_rate} must be a finite float or (N,) array")

    def transition(self, dt, x, up=None) -> np.ndarray:
        """Transition matrices F (N, 6, 6) for steps ``dt`` (s) of the tracks ``x`` (N, 6)."""
        x = _states(x)
        n = x.shape[0]
        dt = _time_steps(dt, n)
        rate = np.asarray(self.turn_rate, dtype=np.float64)
        if rate.ndim == 1 and rate.shape[0] != n:
            raise ValueError(f"turn_rate has shape {rate.shape}, expected () or ({n},)")
        rate = np.broadcast_to(rate, (n,))
        k = cross_matrix(local_up(x) if up is None else up)    # about each track's up axis
        k2 = k @ k
        wt = rate * dt
        small = np.abs(wt) < _SERIES_BELOW
        safe_rate = np.where(small, 1.0, rate)
        # a = (1 - cos wT)/w, b = T - sin(wT)/w; the series avoid 0/0 and cancellation
        a = np.where(small, dt * wt / 2.0 * (1.0 - wt ** 2 / 12.0 + wt ** 4 / 360.0),
                     2.0 * np.sin(wt / 2.0) ** 2 / safe_rate)
        b = np.where(small, dt * wt ** 2 / 6.0 * (1.0 - wt ** 2 / 20.0 + wt ** 4 / 840.0),
                     dt - np.sin(wt) / safe_rate)
        f = np.zeros((n, STATE_DIM, STATE_DIM))
        f[:, :3, :3] = _I3
        # theta = -wT: sin(theta) = -sin(wT), 1 - cos(theta) = 2 sin^2(wT/2)
        f[:, :3, 3:] = dt[:, None, None] * _I3 - a[:, None, None] * k + b[:, None, None] * k2
        f[:, 3:, 3:] = (_I3 - np.sin(wt)[:, None, None] * k
                        + (2.0 * np.sin(wt / 2.0) ** 2)[:, None, None] * k2)
        return f


# ---------------------------------------------------------------------- measurement


def _site_frame(site: Site) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ECEF position, ECEF velocity and ENU rotation (3, 3) of a sensor site."""
    if not isinstance(site, Site):
        raise ValueError(f"site={site!r} must be a tracker.scan.Site")
    position = frames.geodetic_to_ecef(site.lat_rad, site.lon_rad, site.alt_m)
    rotation = frames.enu_rotation(site.lat_rad, site.lon_rad)
    velocity = np.zeros(3)
    if site.vel_enu is not None:
        vel_enu = np.asarray(site.vel_enu, dtype=np.float64)
        if vel_enu.shape != (3,) or not np.isfinite(vel_enu).all():
            raise ValueError(f"site.vel_enu={site.vel_enu!r} must be 3 finite numbers (m/s)")
        velocity = rotation.T @ vel_enu
    return position, velocity, rotation


def _wrap_columns(residual: np.ndarray, columns: tuple[int, ...]) -> np.ndarray:
    residual = np.array(residual, dtype=np.float64)
    for col in columns:
        residual[..., col] = frames.wrap_pi(residual[..., col])
    return residual


@dataclass(frozen=True)
class _SiteMeasurement:
    """Angles (and range) of targets seen from one sensor site, in the site's ENU frame."""

    site: Site                          #: where the sensor is at the scan time
    _position: np.ndarray = field(init=False, repr=False, compare=False)
    _velocity: np.ndarray = field(init=False, repr=False, compare=False)
    _rotation: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        for name, value in zip(("_position", "_velocity", "_rotation"), _site_frame(self.site)):
            object.__setattr__(self, name, value)

    @property
    def site_ecef(self) -> tuple[np.ndarray, np.ndarray]:
        """The site's ECEF position (m) and velocity (m/s), each (3,)."""
        return self._position.copy(), self._velocity.copy()

    def _geometry(self, x: np.ndarray):
        """Relative position d (ECEF), its ENU form, horizontal and slant range."""
        d = x[:, :3] - self._position
        enu = d @ self._rotation.T
        horizontal = np.hypot(enu[:, 0], enu[:, 1])
        return d, enu, horizontal, np.hypot(horizontal, enu[:, 2])

    def _angle_rows(self, enu, horizontal, rng) -> tuple[np.ndarray, np.ndarray]:
        r"""Gradients (N, 3) of azimuth and elevation w.r.t. ECEF target position.

        With :math:`s = \sqrt{e^2 + n^2}`, :math:`\rho = |d|`:
        :math:`\nabla_{enu} az = (n, -e, 0)/s^2`,
        :math:`\nabla_{enu} el = (-u e / s, -u n / s, s)/\rho^2`, rotated to
        ECEF by ``grad_ecef = grad_enu @ R``.
        """
        east, north, up = enu[:, 0], enu[:, 1], enu[:, 2]
        s = np.maximum(horizontal, _MIN_HORIZONTAL_M)
        rho2 = np.maximum(rng, _MIN_HORIZONTAL_M) ** 2
        zero = np.zeros_like(east)
        d_az = np.stack([north, -east, zero], axis=1) / s[:, None] ** 2
        d_el = np.stack([-up * east / s, -up * north / s, s], axis=1) / rho2[:, None]
        return d_az @ self._rotation, d_el @ self._rotation

    def residual(self, z, z_hat) -> np.ndarray:
        """z - z_hat (..., m), azimuth wrapped into (-pi, pi]."""
        return _wrap_columns(np.asarray(z, dtype=np.float64) - z_hat, (self._az_column,))


@dataclass(frozen=True)
class LineOfSight(_SiteMeasurement):
    r"""Azimuth and elevation of a target seen from a (possibly moving) site.

    ``z = [az, el]`` (rad) in the site's ENU frame: azimuth clockwise from
    north in [0, 2 pi), elevation above the local horizontal at the site.
    Satellites are sites too: from geostationary height (35,786 km) the
    elevations of targets on Earth are near -pi/2, and the azimuth becomes
    singular at the nadir as it does at the zenith for a ground sensor.
    Only the site's position enters; its velocity does not.
    """

    sigma_az: float = float(np.radians(0.0003))   #: rad, one standard deviation
    sigma_el: float = float(np.radians(0.0003))   #: rad, one standard deviation
    dim: ClassVar[int] = 2
    _az_column: ClassVar[int] = 0

    def __post_init__(self):
        super().__post_init__()
        _check_sigma("sigma_az", self.sigma_az)
        _check_sigma("sigma_el", self.sigma_el)

    def h(self, x) -> np.ndarray:
        """Predicted [az, el] (N, 2) (rad) of ECEF states x (N, 6)."""
        _, enu, horizontal, _ = self._geometry(_states(x))
        return np.stack([frames.wrap_two_pi(np.arctan2(enu[:, 0], enu[:, 1])),
                         np.arctan2(enu[:, 2], horizontal)], axis=1)

    def jacobian(self, x) -> np.ndarray:
        """Analytic d[az, el]/dx (N, 2, 6) (rad/m); velocity columns are 0."""
        x = _states(x)
        _, enu, horizontal, rng = self._geometry(x)
        jac = np.zeros((x.shape[0], 2, STATE_DIM))
        jac[:, 0, :3], jac[:, 1, :3] = self._angle_rows(enu, horizontal, rng)
        return jac

    def noise(self) -> np.ndarray:
        """Measurement covariance R (2, 2) (rad^2)."""
        return np.diag([self.sigma_az ** 2, self.sigma_el ** 2])


@dataclass(frozen=True)
class Radar(_SiteMeasurement):
    r"""Range, azimuth, elevation and optionally range-rate from a radar site.

    ``z = [range, az, el(, rr)]`` (m, rad, rad, m/s). With the relative
    position :math:`d = p - p_s` and velocity :math:`w = v - v_s` (the site's
    velocity, given in its ENU frame, rotated to ECEF):

    .. math:: \rho = |d|,\quad \dot\rho = \frac{d \cdot w}{\rho},\quad
              \frac{\partial\dot\rho}{\partial p} = \frac{w - \dot\rho\, d/\rho}{\rho},
              \quad \frac{\partial\dot\rho}{\partial v} = \frac{d}{\rho}

    Range-rate is positive when the range opens. Azimuth and elevation as
    :class:`LineOfSight`.
    """

    sigma_range: float = 50.0                      #: m, one standard deviation
    sigma_az: float = float(np.radians(0.1))       #: rad, one standard deviation
    sigma_el: float = float(np.radians(0.2))       #: rad, one standard deviation
    #: m/s, one standard deviation; None: the radar does not report range-rate
    sigma_rr: float | None = 1.0
    _az_column: ClassVar[int] = 1

    def __post_init__(self):
        super().__post_init__()
        _check_sigma("sigma_range", self.sigma_range)
        _check_sigma("sigma_az", self.sigma_az)
        _check_sigma("sigma_el", self.sigma_el)
        if self.sigma_rr is not None:
            _check_sigma("sigma_rr", self.sigma_rr)

    @property
    def dim(self) -> int:
        """Measurement size m: 4 with range-rate, else 3."""
        return 3 if self.sigma_rr is None else 4

    def h(self, x) -> np.ndarray:
        """Predicted [range, az, el(, rr)] (N, m) of ECEF states x (N, 6)."""
        x = _states(x)
        d, enu, horizontal, rng = self._geometry(x)
        columns = [rng, frames.wrap_two_pi(np.arctan2(enu[:, 0], enu[:, 1])),
                   np.arctan2(enu[:, 2], horizontal)]
        if self.sigma_rr is not None:
            # a target at the site itself has rr = 0 (not 0/0), as the Jacobian assumes
            columns.append(np.einsum("ni,ni->n", d, x[:, 3:] - self._velocity)
                           / np.maximum(rng, _MIN_HORIZONTAL_M))
        return np.stack(columns, axis=1)

    def jacobian(self, x) -> np.ndarray:
        """Analytic dh/dx (N, m, 6)."""
        x = _states(x)
        d, enu, horizontal, rng = self._geometry(x)
        jac = np.zeros((x.shape[0], self.dim, STATE_DIM))
        line = d / np.maximum(rng, _MIN_HORIZONTAL_M)[:, None]     # unit line of sight
        jac[:, 0, :3] = line
        jac[:, 1, :3], jac[:, 2, :3] = self._angle_rows(enu, horizontal, rng)
        if self.sigma_rr is not None:
            w = x[:, 3:] - self._velocity
            rate = np.einsum("ni,ni->n", line, w)
            jac[:, 3, :3] = (w - rate[:, None] * line) / np.maximum(rng, _MIN_HORIZONTAL_M)[:, None]
            jac[:, 3, 3:] = line
        return jac

    def noise(self) -> np.ndarray:
        """Measurement covariance R (m, m) (m^2, rad^2, rad^2, m^2/s^2)."""
        sigmas = [self.sigma_range, self.sigma_az, self.sigma_el]
        if self.sigma_rr is not None:
            sigmas.append(self.sigma_rr)
        return np.diag(np.square(sigmas))


@dataclass(frozen=True)
class GeodeticPosition:
    r"""Geolocated reports: geodetic latitude, longitude (rad) and altitude (m).

    ``z = h(x) = [lat, lon, alt]``, with the analytic Jacobian

    .. math:: d\varphi = \frac{dn}{M + h},\quad d\lambda = \frac{de}{(N + h)\cos\varphi},
              \quad dh = du

    (``e, n, u`` the target's own ENU frame, rotated to ECEF; ``M``, ``N``
    the meridian and prime-vertical radii, :func:`tracker.frames.principal_radii`).
    This form mixes radians and metres, so its innovation covariance S is
    badly scaled (1e-10 against 1e4), and longitude is singular at the poles.
    The tracker uses the equivalent linear form instead:
    :meth:`ecef_detections` turns detections into ECEF positions with their
    covariance rotated from the ENU sigmas, observed through
    ``H = POSITION_OBSERVATION = [I 0]``.
    """

    sigma_h: float = 200.0   #: m, one standard deviation along each horizontal axis
    sigma_v: float = 200.0   #: m, one standard deviation vertically
    dim: ClassVar[int] = 3

    def __post_init__(self):
        _check_sigma("sigma_h", self.sigma_h)
        _check_sigma("sigma_v", self.sigma_v)

    def h(self, x) -> np.ndarray:
        """Predicted [lat, lon, alt] (N, 3) (rad, rad, m) of ECEF states x (N, 6)."""
        return np.stack(frames.ecef_to_geodetic(_states(x)[:, :3]), axis=1)

    def jacobian(self, x) -> np.ndarray:
        """Analytic d[lat, lon, alt]/dx (N, 3, 6); velocity columns are 0."""
        x = _states(x)
        lat, lon, alt = frames.ecef_to_geodetic(x[:, :3])
        rot = frames.enu_rotation(lat, lon)
        meridian, prime_vertical = frames.principal_radii(lat, alt)
        jac = np.zeros((x.shape[0], 3, STATE_DIM))
        jac[:, 0, :3] = rot[:, 1, :] / meridian[:, None]
        jac[:, 1, :3] = rot[:, 0, :] / (prime_vertical * np.cos(lat))[:, None]
        jac[:, 2, :3] = rot[:, 2, :]
        return jac

    def residual(self, z, z_hat) -> np.ndarray:
        """z - z_hat (..., 3), longitude wrapped into (-pi, pi] (the antimeridian)."""
        return _wrap_columns(np.asarray(z, dtype=np.float64) - z_hat, (1,))

    def noise(self, z) -> np.ndarray:
        """Covariance (n, 3, 3) of geodetic detections z (n, 3) in (rad^2, rad^2, m^2)."""
        z = np.asarray(z, dtype=np.float64).reshape(-1, 3)
        meridian, prime_vertical = frames.principal_radii(z[:, 0], z[:, 2])
        variances = np.stack([(self.sigma_h / meridian) ** 2,
                              (self.sigma_h / (prime_vertical * np.cos(z[:, 0]))) ** 2,
                              np.full(z.shape[0], self.sigma_v ** 2)], axis=1)
        return variances[:, :, None] * np.eye(3)

    def ecef_detections(self, z) -> tuple[np.ndarray, np.ndarray]:
        r"""Geodetic detections as ECEF positions with ECEF covariances.

        Parameters
        ----------
        z : ndarray, shape (n, 3)
            Latitude, longitude (rad), altitude (m).

        Returns
        -------
        positions : ndarray, shape (n, 3)
            ECEF (m), observed through ``POSITION_OBSERVATION``.
        covariances : ndarray, shape (n, 3, 3)
            :math:`R^T \operatorname{diag}(\sigma_h^2, \sigma_h^2, \sigma_v^2) R` (m^2),
            ``R`` the ENU rotation at each detection.
        """
        z = np.asarray(z, dtype=np.float64).reshape(-1, 3)
        covariances = horizontal_vertical(self.sigma_h ** 2, self.sigma_v ** 2,
                                          geodetic_up(z[:, 0], z[:, 1]))
        return frames.geodetic_to_ecef(z[:, 0], z[:, 1], z[:, 2]), covariances


def measurement_model(sensor: Sensor, site: Site | None = None, *,
                      range_rate: bool | None = None):
    """The measurement model of a sensor, at one scan.

    Parameters
    ----------
    sensor : tracker.scan.Sensor
        Kind and sigmas (internal units: m, rad, m/s).
    site : tracker.scan.Site, optional
        The scan's site; required for a moving sensor (with ``vel_enu`` for
        a moving radar's range-rate), and wins over the sensor's fixed site
        when given.
    range_rate : bool, optional
        Radar only: whether detections carry range-rate (``Scan.has_range_rate``).
        Default: when the sensor has an ``rr`` sigma.

    Returns
    -------
    Radar, LineOfSight or GeodeticPosition
    """
    sigma = sensor.sigma

    def sig(key: str) -> float:
        if key not in sigma:
            raise ValueError(f"sensor {sensor.id!r}: sigma.{key} is missing")
        return float(sigma[key])

    if sensor.kind == "position":
        return GeodeticPosition(sigma_h=sig("h"), sigma_v=sig("v"))
    if sensor.kind not in ("radar", "los"):
        raise ValueError(f"sensor {sensor.id!r}: unknown kind {sensor.kind!r}")
    site = site if site is not None else sensor.site
    if site is None:
        raise ValueError(f"sensor {sensor.id!r} is moving: site is required")
    if sensor.kind == "los":
        return LineOfSight(site, sigma_az=sig("az"), sigma_el=sig("el"))
    if range_rate is None:
        range_rate = "rr" in sigma
    if range_rate and sensor.moving and site.vel_enu is None:
        # a still site would be assumed, and every range-rate off by the radar's own speed
        raise ValueError(f"sensor {sensor.id!r} is moving and reports range-rate: "
                         "site.vel_enu is required")
    return Radar(site, sigma_range=sig("range"), sigma_az=sig("az"), sigma_el=sig("el"),
                 sigma_rr=sig("rr") if range_rate else None)
