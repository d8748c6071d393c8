"""Air targets fly above the surface: the inequality constraint on a track's height.

An air target does not fly below the surface, but a radar's coarse elevation
lets a low target's estimate sink under it, and its vertical velocity with
it. When the constraint h(x) >= h_min is active, the mean is projected onto
h(x) = h_min in the metric of P (Simon & Chia, "Kalman filtering with state
equality constraints", IEEE TAES 38(1), 2002, eq. 11):
x <- x - P D' (D P D')^-1 (h(x) - h_min), with D = [u' 0] and u the local up.
Correlated components (the vertical velocity) move with the height; P is
kept, which is conservative.
"""
from __future__ import annotations

import numpy as np

from . import frames


def project_above_surface(x: np.ndarray, P: np.ndarray, rows: np.ndarray, floor: float) -> int:
    """Project x[rows] below height ``floor`` onto it, in place (module docstring).

    Returns how many were moved.
    """
    # h >= |x| - a (the foot of the normal is within a of the centre), so a point farther
    # than a + max(floor, 0) is above the floor: only the others need their height. Most
    # air targets below 40 deg of latitude pass, and this runs on every mode of every
    # updated track each scan
    far = (frames.WGS84_A + max(floor, 0.0)) ** 2
    rows = rows[np.einsum("ni,ni->n", x[rows, :3], x[rows, :3]) <= far]
    lat, lon, alt = frames.ecef_to_geodetic(x[rows, :3])
    low = alt < floor
    if not low.any():
        return 0
    rows = rows[low]
    u = frames.enu_rotation(lat[low], lon[low])[:, 2, :]               # (k, 3) up, ECEF
    PD = np.einsum("nij,nj->ni", P[rows, :, :3], u)                    # (k, 6)
    s = np.einsum("ni,ni->n", u, PD[:, :3])
    ok = s > 0
    x[rows[ok]] -= PD[ok] * ((alt[low][ok] - floor) / s[ok])[:, None]
    return int(ok.sum())


def height_sigma(position: np.ndarray, P_position: np.ndarray) -> np.ndarray:
    """Sigma of the height of ECEF ``position`` (n, 3) with covariance ``P_position`` (n, 3, 3).

    sigma_h^2 = u' P u, u the geocentric up (within 0.2 deg of the geodetic up).
    """
    u = position / np.linalg.norm(position, axis=1)[:, None]
    return np.sqrt(np.maximum(np.einsum("ni,nij,nj->n", u, P_position, u), 0.0))
