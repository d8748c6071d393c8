"""WGS-84 geodetic, Earth-centred Earth-fixed (ECEF) and local ENU frames.

Every function works on NumPy arrays of points at once (no Python loop per
point); the geodetic <-> ECEF conversions are pymap3d's, called with
``deg=False``. Inside airtrack, angles are radians and lengths metres.

Conventions (DESIGN.md, "Units"):

* geodetic latitude and longitude on WGS-84, altitude above the ellipsoid;
* ENU is the local east-north-up frame at a point, "up" along the ellipsoid
  normal; :func:`enu_rotation` gives the (..., 3, 3) matrix ``R`` whose rows
  are the east, north and up unit vectors in ECEF, so ``v_enu = R @ v_ecef``
  and ``v_ecef = R.T @ v_enu``;
* azimuth is clockwise from true north in [0, 2 pi), elevation is above the
  local horizontal plane at the sensor, in [-pi/2, pi/2].
"""
from __future__ import annotations

import numpy as np
import pymap3d

from . import _frames

#: the WGS-84 ellipsoid as pymap3d describes it
WGS84 = pymap3d.Ellipsoid.from_name("wgs84")
WGS84_A = WGS84.semimajor_axis                      #: m, equatorial radius a
WGS84_B = WGS84.semiminor_axis                      #: m, polar radius b
WGS84_E2 = 1.0 - (WGS84_B / WGS84_A) ** 2           #: first eccentricity squared
#: m, the IUGG mean Earth radius R1 = (2a + b) / 3, used by the horizon formula
EARTH_MEAN_RADIUS = 6_371_008.8

# Three fixed-point steps after pymap3d's closed form bring the round trip to
# 4e-9 m at the surface and 3e-8 m at geostationary height (measured on 1e5
# random points); pymap3d alone is 80 m off at geostationary height.
_INVERSE_STEPS = 5      # Bowring steps in ecef_to_geodetic (docstring)
TWO_PI = 2.0 * np.pi


def _float(v) -> np.ndarray:
    return np.asarray(v, dtype=np.float64)


def _points(xyz, name: str = "xyz") -> np.ndarray:
    xyz = _float(xyz)
    if xyz.ndim == 0 or xyz.shape[-1] != 3:
        raise ValueError(f"{name} has shape {xyz.shape}, expected (..., 3)")
    return xyz


def wrap_two_pi(angle) -> np.ndarray:
    """Angles (rad) mapped into [0, 2 pi)."""
    wrapped = np.mod(_float(angle), TWO_PI)
    # np.mod of a tiny negative angle rounds up to exactly 2 pi
    return np.where(wrapped >= TWO_PI, 0.0, wrapped)


def wrap_pi(angle) -> np.ndarray:
    """Angles (rad) mapped into (-pi, pi]."""
    return np.pi - np.mod(np.pi - _float(angle), TWO_PI)


def geodetic_to_ecef(lat, lon, alt) -> np.ndarray:
    """ECEF position of geodetic points; exact at any altitude.

    Parameters
    ----------
    lat, lon : array_like
        Geodetic latitude and longitude (rad), broadcast together.
    alt : array_like
        Altitude above the WGS-84 ellipsoid (m).

    Returns
    -------
    ndarray, shape (..., 3)
        ECEF x, y, z (m).

    Notes
    -----
    .. math:: x = (N + h)\\cos\\varphi\\cos\\lambda,\\;
              y = (N + h)\\cos\\varphi\\sin\\lambda,\\;
              z = (N (1 - e^2) + h)\\sin\\varphi,\\;
              N = a / \\sqrt{1 - e^2 \\sin^2\\varphi}
    """
    lat, lon, alt = np.broadcast_arrays(_float(lat), _float(lon), _float(alt))
    x, y, z = pymap3d.geodetic2ecef(lat, lon, alt, ell=WGS84, deg=False)
    return np.stack([x, y, z], axis=-1)


def ecef_to_geodetic(xyz) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Geodetic latitude, longitude and altitude of ECEF points, exact at any height.

    Bowring's fixed-point iteration ([1]_) from the latitude the point would
    have at height 0. Each step shrinks the error by about e^2 N / (N + h), so
    five steps make the inverse exact (round trip below a micrometre) from the
    surface to beyond geostationary height, in one compiled loop: far
    faster than pymap3d's closed form (You 2000), which also drifts far above
    100 km (about 80 m at geostationary height). Points closer than a few
    hundred kilometres to the Earth's centre are outside its domain.

    Parameters
    ----------
    xyz : array_like, shape (..., 3)
        ECEF position (m).

    Returns
    -------
    lat : ndarray, shape (...)
        Geodetic latitude (rad), in [-pi/2, pi/2].
    lon : ndarray, shape (...)
        Longitude (rad), in (-pi, pi].
    alt : ndarray, shape (...)
        Altitude above the WGS-84 ellipsoid (m).

    Notes
    -----
    With :math:`p = \\sqrt{x^2 + y^2}`, each step is

    .. math:: h = p\\cos\\varphi + z\\sin\\varphi - a\\sqrt{1 - e^2\\sin^2\\varphi},\\quad
              \\varphi \\leftarrow \\operatorname{atan2}\\big(z,\\; p\\,(1 - e^2 N/(N + h))\\big)

    References
    ----------
    .. [1] B. R. Bowring, "Transformation from spatial to geographical
       coordinates", Survey Review 23(181), 1976.
    """
    xyz = _points(xyz)
    shape = xyz.shape[:-1]
    flat = np.ascontiguousarray(xyz.reshape(-1, 3))
    lat, lon, alt = (np.empty(flat.shape[0]) for _ in range(3))
    # one compiled loop over the points (src_cython/frames.pyx; reference.ecef_to_geodetic
    # is its NumPy twin): the tracker converts every track several times a scan
    _frames.ecef_to_geodetic(flat, WGS84_A, WGS84_E2, _INVERSE_STEPS, lat, lon, alt)
    return lat.reshape(shape), lon.reshape(shape), alt.reshape(shape)


def ecef_to_up(xyz) -> np.ndarray:
    """Unit geodetic up (..., 3), ECEF, at ECEF points (..., 3): the last row of
    :func:`enu_rotation` at :func:`ecef_to_geodetic`'s latitude and longitude.

    The same Bowring iteration, but the up is taken from its last (q, z) and from
    (x, y) / p directly (src_cython/frames.pyx): no atan2, sine or cosine.
    """
    xyz = _points(xyz)
    flat = np.ascontiguousarray(xyz.reshape(-1, 3))
    up = np.empty_like(flat)
    _frames.ecef_to_up(flat, WGS84_A, WGS84_E2, _INVERSE_STEPS, up)
    return up.reshape(xyz.shape)


def principal_radii(lat, alt=0.0) -> tuple[np.ndarray, np.ndarray]:
    """Meridian and prime-vertical radii of curvature, plus altitude.

    Parameters
    ----------
    lat : array_like
        Geodetic latitude (rad).
    alt : array_like
        Altitude above the ellipsoid (m), added to both radii.

    Returns
    -------
    meridian, prime_vertical : ndarray
        :math:`M + h` and :math:`N + h` (m): a northward step ``dn`` moves the
        latitude by ``dn / (M + h)``, an eastward step ``de`` the longitude by
        ``de / ((N + h) cos lat)``.

    Notes
    -----
    .. math:: N = \\frac{a}{\\sqrt{1 - e^2\\sin^2\\varphi}},\\quad
              M = \\frac{a (1 - e^2)}{(1 - e^2\\sin^2\\varphi)^{3/2}}
    """
    w2 = 1.0 - WGS84_E2 * np.sin(_float(lat)) ** 2
    prime_vertical = WGS84_A / np.sqrt(w2)
    meridian = prime_vertical * (1.0 - WGS84_E2) / w2
    return meridian + alt, prime_vertical + alt


def enu_rotation(lat, lon) -> np.ndarray:
    """Rotation from ECEF to the local east-north-up frame at (lat, lon).

    Parameters
    ----------
    lat, lon : array_like
        Geodetic latitude and longitude (rad), broadcast together.

    Returns
    -------
    ndarray, shape (..., 3, 3)
        ``R`` whose rows are the east, north and up unit vectors in ECEF, so
        ``v_enu = R @ v_ecef``. Orthonormal with determinant +1.
    """
    lat, lon = np.broadcast_arrays(_float(lat), _float(lon))
    sin_lat, cos_lat = np.sin(lat), np.cos(lat)
    sin_lon, cos_lon = np.sin(lon), np.cos(lon)
    rot = np.empty(lat.shape + (3, 3))
    rot[..., 0, 0], rot[..., 0, 1], rot[..., 0, 2] = -sin_lon, cos_lon, 0.0
    rot[..., 1, 0] = -sin_lat * cos_lon
    rot[..., 1, 1] = -sin_lat * sin_lon
    rot[..., 1, 2] = cos_lat
    rot[..., 2, 0] = cos_lat * cos_lon
    rot[..., 2, 1] = cos_lat * sin_lon
    rot[..., 2, 2] = sin_lat
    return rot


def ecef_to_enu_vector(v_ecef, lat, lon) -> np.ndarray:
    """Vectors (..., 3) in ECEF rotated into the ENU frame at (lat, lon) (rad)."""
    return np.einsum("...ij,...j->...i", enu_rotation(lat, lon), _points(v_ecef, "v_ecef"))


def enu_to_ecef_vector(v_enu, lat, lon) -> np.ndarray:
    """Vectors (..., 3) in the ENU frame at (lat, lon) (rad) rotated into ECEF."""
    return np.einsum("...ji,...j->...i", enu_rotation(lat, lon), _points(v_enu, "v_enu"))


def ecef_to_enu(xyz, lat0, lon0, alt0) -> np.ndarray:
    """ENU position (m, shape (..., 3)) of ECEF points relative to a site.

    The site is at geodetic (lat0, lon0) (rad), alt0 (m); site arguments
    broadcast against the points.
    """
    offset = _points(xyz) - geodetic_to_ecef(lat0, lon0, alt0)
    return ecef_to_enu_vector(offset, lat0, lon0)


def enu_to_aer(enu) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Azimuth, elevation and range of ENU vectors (..., 3).

    Returns
    -------
    az : ndarray
        Clockwise from north (rad), in [0, 2 pi): ``atan2(e, n)``.
    el : ndarray
        Above the local horizontal (rad): ``atan2(u, hypot(e, n))``.
    range : ndarray
        Slant range (m).
    """
    enu = _points(enu, "enu")
    east, north, up = enu[..., 0], enu[..., 1], enu[..., 2]
    horizontal = np.hypot(east, north)
    return (wrap_two_pi(np.arctan2(east, north)), np.arctan2(up, horizontal),
            np.hypot(horizontal, up))


def ecef_to_aer(xyz, lat0, lon0, alt0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Azimuth (rad, [0, 2 pi)), elevation (rad) and range (m) of ECEF points
    seen from the site at geodetic (lat0, lon0) (rad), alt0 (m)."""
    return enu_to_aer(ecef_to_enu(xyz, lat0, lon0, alt0))


def aer_to_ecef(az, el, rng, lat0, lon0, alt0) -> np.ndarray:
    """ECEF position (..., 3) of the point at azimuth, elevation (rad) and
    range (m) from the site at geodetic (lat0, lon0) (rad), alt0 (m)."""
    az, el, rng = np.broadcast_arrays(_float(az), _float(el), _float(rng))
    horizontal = rng * np.cos(el)
    enu = np.stack([horizontal * np.sin(az), horizontal * np.cos(az), rng * np.sin(el)], -1)
    return geodetic_to_ecef(lat0, lon0, alt0) + enu_to_ecef_vector(enu, lat0, lon0)


def radar_horizon_range(h_sensor_m, h_target_m, k: float = 4.0 / 3.0) -> np.ndarray:
    """Radio horizon: the longest range at which a target is above the horizon.

    Parameters
    ----------
    h_sensor_m, h_target_m : array_like
        Antenna and target heights above the ground (m), >= 0.
    k : float
        Effective Earth-radius factor; 4/3 models standard atmospheric
        refraction.

    Returns
    -------
    ndarray
        Range (m).

    Notes
    -----
    A smooth sphere of effective radius :math:`k R`, with :math:`R` the IUGG
    mean Earth radius (6,371,008.8 m), as in [1]_:

    .. math:: d = \\sqrt{2 k R h_1} + \\sqrt{2 k R h_2}

    For a 20 m antenna and a 50 m target this is 47.6 km (SCENARIO.md).

    References
    ----------
    .. [1] M. I. Skolnik (ed.), Radar Handbook, 3rd ed., McGraw-Hill, 2008,
       chapter "Radar Propagation" (the 4/3-Earth model).
    """
    h1, h2 = _float(h_sensor_m), _float(h_target_m)
    if not k > 0.0:
        raise ValueError(f"k={k} must be > 0")
    if np.any(h1 < 0.0) or np.any(h2 < 0.0):
        raise ValueError("h_sensor_m and h_target_m must be >= 0")
    effective_radius = k * EARTH_MEAN_RADIUS
    return np.sqrt(2.0 * effective_radius * h1) + np.sqrt(2.0 * effective_radius * h2)
