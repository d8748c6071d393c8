"""Track initiation, confirmation and deletion, all on existence probability.

A detection that no track claims starts a tentative track: a radar detection
gives a position with its covariance (the polar-to-Cartesian Jacobian of its
range, azimuth and elevation noise), and its range-rate, when reported,
fixes the radial velocity; a wide prior covers the rest of the velocity. A
geolocated position gives a position. A line of sight alone never starts a
track: it has no range. The tracker's JIPDA existence then confirms a track
(existence above ``confirm_existence``) or deletes it (below
``delete_existence``, or when its position is too uncertain to be of use).
"""
from __future__ import annotations

import numpy as np

from . import frames, surface
from .config import TrackerConfig
from .models import geodetic_up, horizontal_vertical
from .scan import Scan, Sensor, Site
from .tracks import CONFIRMED, LOST, TENTATIVE, TrackTable


def _site_of(scan: Scan, sensor: Sensor) -> Site:
    return scan.site if scan.site is not None else sensor.site


def radar_states(scan: Scan, sensor: Sensor, rows: np.ndarray,
                 config: TrackerConfig) -> tuple[np.ndarray, np.ndarray]:
    """ECEF states (n, 6) and covariances (n, 6, 6) from radar detections ``rows``.

    Position: p = p_site + R_enu' r [sin az cos el, cos az cos el, sin el], its
    covariance J diag(sigma_r^2, sigma_az^2, sigma_el^2) J' with J the Jacobian
    of that map. Velocity: the prior N(0, diag(s_h^2, s_h^2, s_v^2)) in the
    target's ENU frame, updated with the range-rate rr = u . (v - v_site) as a
    scalar linear measurement when the radar reports it (Bar-Shalom, Li &
    Kirubarajan 2001, sec. 5.2: a Kalman update of the prior).
    """
    z = scan.detections[rows]
    site = _site_of(scan, sensor)
    site_ecef = frames.geodetic_to_ecef(site.lat_rad, site.lon_rad, site.alt_m)
    R_site = frames.enu_rotation(site.lat_rad, site.lon_rad)           # rows: E, N, U
    r, az, el = z[:, 0], z[:, 1], z[:, 2]
    ce, se, ca, sa = np.cos(el), np.sin(el), np.cos(az), np.sin(az)
    u_enu = np.stack([sa * ce, ca * ce, se], axis=1)                   # line of sight
    pos = site_ecef + (r[:, None] * u_enu) @ R_site
    # d(e, n, u) / d(r, az, el)
    J = np.empty((len(rows), 3, 3))
    J[:, :, 0] = u_enu
    J[:, :, 1] = np.stack([r * ca * ce, -r * sa * ce, np.zeros_like(r)], axis=1)
    J[:, :, 2] = np.stack([-r * sa * se, -r * ca * se, r * ce], axis=1)
    sig = sensor.sigma
    noise = np.diag([sig["range"] ** 2, sig["az"] ** 2, sig["el"] ** 2])
    cov_enu = J @ noise @ J.transpose(0, 2, 1)
    cov_pos = R_site.T @ cov_enu @ R_site

    lat, lon, _ = frames.ecef_to_geodetic(pos)
    R_tgt = frames.enu_rotation(lat, lon)                              # (n, 3, 3)
    ini = config.initiation
    prior = np.diag([ini.velocity_sigma_h_mps ** 2, ini.velocity_sigma_h_mps ** 2,
                     ini.velocity_sigma_v_mps ** 2])
    cov_vel = R_tgt.transpose(0, 2, 1) @ prior @ R_tgt
    vel = np.zeros((len(rows), 3))
    if scan.has_range_rate:
        u = u_enu @ R_site                                             # ECEF line of sight
        v_site = np.zeros(3) if site.vel_enu is None else np.asarray(site.vel_enu) @ R_site
        innovation = z[:, 3] + u @ v_site                              # rr + u.v_site - u.0
        Pu = np.einsum("nij,nj->ni", cov_vel, u)
        s = np.einsum("ni,ni->n", u, Pu) + sig["rr"] ** 2
        gain = Pu / s[:, None]
        vel = gain * innovation[:, None]
        cov_vel = cov_vel - gain[:, :, None] * Pu[:, None, :]
    return _stack(pos, vel, cov_pos, cov_vel)


def position_states(scan: Scan, sensor: Sensor, rows: np.ndarray,
                    config: TrackerConfig) -> tuple[np.ndarray, np.ndarray]:
    """ECEF states and covariances from geolocated detections ``rows``.

    Both blocks are level-and-vertical in the detection's ENU frame, so each is
    :math:`h I + (v - h) u u^T` with ``u`` the geodetic up (``horizontal_vertical``):
    the position noise (sigma_h, sigma_v) and the velocity prior.
    """
    z = scan.detections[rows]
    up = geodetic_up(z[:, 0], z[:, 1])
    ini = config.initiation
    x = np.zeros((len(rows), 6))
    x[:, :3] = frames.geodetic_to_ecef(z[:, 0], z[:, 1], z[:, 2])
    P = np.zeros((len(rows), 6, 6))
    P[:, :3, :3] = horizontal_vertical(sensor.sigma["h"] ** 2, sensor.sigma["v"] ** 2, up)
    P[:, 3:, 3:] = horizontal_vertical(ini.velocity_sigma_h_mps ** 2,
                                       ini.velocity_sigma_v_mps ** 2, up)
    return x, P


def _stack(pos, vel, cov_pos, cov_vel) -> tuple[np.ndarray, np.ndarray]:
    n = pos.shape[0]
    x = np.ascontiguousarray(np.hstack([pos, vel]))
    P = np.zeros((n, 6, 6))
    P[:, :3, :3] = cov_pos
    P[:, 3:, 3:] = cov_vel
    return x, 0.5 * (P + P.transpose(0, 2, 1))


def initiate(table: TrackTable, scan: Scan, sensor: Sensor, rows: np.ndarray,
             config: TrackerConfig) -> np.ndarray:
    """Tentative tracks from the unclaimed detections ``rows`` of ``scan``; their table rows."""
    if rows.size == 0 or sensor.kind == "los":
        return np.empty(0, dtype=np.intp)
    maker = radar_states if sensor.kind == "radar" else position_states
    x, P = maker(scan, sensor, rows, config)
    ok = np.isfinite(x).all(axis=1) & np.isfinite(P).all(axis=(1, 2))
    return table.add(x[ok], P[ok], scan.t, np.full(int(ok.sum()), config.initiation.existence),
                     scan.sensor, config.detection.visible_prior)


#: flat indices, in a row-major 6 x 6 covariance, of the diagonals of its three blocks
_POSITION_DIAGONAL = np.array([0, 7, 14])
_CROSS_DIAGONAL = np.array([3, 10, 17])
_VELOCITY_DIAGONAL = np.array([21, 28, 35])


def manage(table: TrackTable, config: TrackerConfig, t: float,
           moved: tuple[np.ndarray, ...] | None = None
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Confirm, lose and delete on existence at time ``t``.

    ``moved`` (arrays of rows; None: all) are the tracks whose state changed since
    the last call: only they can have come down or gone bad.

    Returns the rows newly confirmed, the rows newly lost (confirmed tracks
    gone for want of detections, kept by ``tracker.relink``) and the rows to
    delete: tentative tracks gone, tracks underground or broken, and lost
    tracks that waited ``relink.max_gap_s``.
    """
    rows = table.active_rows()
    r = table.existence[rows]
    # predicted to t: a track outside every coverage is not predicted by any scan, but it
    # is lost when its uncertainty says so, not when a radar sees its target again
    dt = np.maximum(t - table.t_state[rows], 0.0)
    flat = table.P.reshape(-1, 36)
    q = config.process_noise
    # traces of the position block, the position-velocity block and the velocity block
    position_var = flat[rows[:, None], _POSITION_DIAGONAL].sum(axis=1) \
        + 2.0 * dt * flat[rows[:, None], _CROSS_DIAGONAL].sum(axis=1) \
        + dt ** 2 * flat[rows[:, None], _VELOCITY_DIAGONAL].sum(axis=1) \
        + dt ** 3 / 3.0 * (2.0 * q.horizontal + q.vertical)
    # existence alone can reach 1 after one detection when clutter is sparse; a second
    # makes the velocity observable before a track is reported as confirmed
    confirmed = rows[(table.status[rows] == TENTATIVE) & (r >= config.confirm_existence)
                     & (table.n_updates[rows] >= config.confirm_updates)]
    table.status[confirmed] = CONFIRMED
    # a tentative track may still be one detection with an unknown velocity, whose
    # position spreads at the initiation velocity sigma: it is given time for a second
    # detection of a target seen one scan in three (tracker.config.Initiation)
    limit = np.where(table.status[rows] == TENTATIVE, config.initiation.max_position_sigma_m,
                     config.max_position_sigma_m)
    gone = (r < config.delete_existence) | ~(position_var <= limit ** 2)
    broken = np.zeros(rows.size, dtype=bool)
    if moved is None:
        check = np.arange(rows.size)
    else:
        mask = np.zeros(table.capacity, dtype=bool)
        for part in moved:
            mask[part] = True
        check = np.flatnonzero(mask[rows])
    if check.size:
        # a point at least h farther than a from the centre is at least h above the
        # ellipsoid (|x| <= |p| + h <= a + h): only the others need their geodetic height
        floor = max(config.min_target_altitude_m, config.min_altitude_m)
        high = np.linalg.norm(table.x[rows[check], :3], axis=1) - frames.WGS84_A >= floor
        check = check[~high]
    if check.size:
        x, P = table.x[rows[check]], table.P[rows[check]]
        altitude = frames.ecef_to_geodetic(x[:, :3])[2]
        # an air target is above the surface: a track whose height lies impact_sigmas of
        # its own height sigma (sigma_h^2 = u' P_pos u, u the geocentric up) below it
        # came down
        sigma_h = surface.height_sigma(x[:, :3], P[:, :3, :3])
        came_down = altitude < config.min_target_altitude_m - config.impact_sigmas * sigma_h
        broken[check] = came_down | ~np.isfinite(x).all(axis=1)
        # far below the surface but not surely so (a low target's track coasting on a
        # noisy climb rate near a radar's horizon): gone, and a confirmed one is lost
        gone[check] |= ~(altitude >= config.min_altitude_m)
    # an impact is one way for a target to stop existing: a flash's impact probability
    # (tracker.flashes) cannot outlive the detections that later show the target flying
    table.impact[rows] = np.minimum(table.impact[rows], 1.0 - r)
    keep = config.relink.max_gap_s > 0
    # a target seen to come down is not waited for
    lost = rows[gone & ~broken & (table.status[rows] == CONFIRMED)
                & (table.impact[rows] < 0.5)] if keep \
        else np.empty(0, dtype=np.intp)
    table.status[lost] = LOST
    table.t_lost[lost] = t
    # over its gap a lost target is predicted in cruise (tracker.relink) from its last
    # detection: while a track coasts its IMM modes turn both ways, and their mixture
    # slows down (a 250 m/s missile coasted 60 s comes out at ~205 m/s) and spreads
    if lost.size:
        table.x[lost], table.P[lost] = table.x_fix[lost], table.P_fix[lost]
        table.t_state[lost] = table.t_update[lost]
    waiting = table.lost_rows()
    expired = waiting[t - table.t_lost[waiting] > config.relink.max_gap_s]
    dead = rows[(gone | broken) & (table.status[rows] != LOST)]
    return confirmed, lost, np.union1d(dead, expired) if expired.size else dead
