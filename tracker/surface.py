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

from . import frames, imm


def project_above_surface(x: np.ndarray, P: np.ndarray, rows: np.ndarray, floor: float) -> int:
    """Project x[rows] below height ``floor`` onto it, in place (module docstring).

    Returns how many were moved.
    """
    # the height is at least |x| - a (the ellipsoid lies inside the sphere of radius a):
    # only tracks nearer the centre than a + floor need the geodetic conversion
    position = x[rows, :3]
    near = np.sqrt(np.einsum("ni,ni->n", position, position)) < frames.WGS84_A + floor
    if not near.any():
        return 0
    rows = rows[near]
    lat, lon, alt = frames.ecef_to_geodetic(position[near])
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


def hold_tracks_above(table, rows: np.ndarray, floor: float, modes: bool = False) -> int:
    """Hold the estimates of table ``rows`` above ``floor`` m; how many were moved.

    With ``modes``, each IMM mode is projected and the combination recomputed
    (``tracker.imm.combine``) and projected too: the modes' mean is a chord of
    the curved surface and may sag under it.
    """
    if rows.size == 0:
        return 0
    if not modes or table.mu.shape[1] == 1:
        return project_above_surface(table.x, table.P, rows, floor)
    M = table.mu.shape[1]            # the rows' modes, in place in flat views of the table
    moved = project_above_surface(table.xm.reshape(-1, 6), table.Pm.reshape(-1, 6, 6),
                                  (M * rows[:, None] + np.arange(M)).ravel(), floor)
    if moved:
        x, P, status = imm.combine(table.mu[rows], table.xm[rows], table.Pm[rows])
        ok = status == 0
        table.x[rows[ok]], table.P[rows[ok]] = x[ok], P[ok]
        project_above_surface(table.x, table.P, rows, floor)
    return moved
