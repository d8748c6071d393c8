"""Fusing one detection of each sensor kind shrinks the covariance where that kind measures."""
import math

import numpy as np
import pytest

from tracker import frames, kalman
from tracker.measurement import measure
from tracker.scan import Scan, Sensor, Site

LAT, LON, ALT = math.radians(36.4), math.radians(45.4), 10_000.0
RADAR_SITE = Site(lat_rad=math.radians(36.0), lon_rad=math.radians(45.0), alt_m=30.0)
GEO_SITE = Site(lat_rad=0.0, lon_rad=math.radians(57.0), alt_m=35_786e3)


def track():
    pos = np.ravel(frames.geodetic_to_ecef(LAT, LON, ALT))
    vel = np.ravel(frames.enu_to_ecef_vector(np.array([240.0, 0.0, 0.0]), LAT, LON))
    P = np.zeros((6, 6))
    P[:3, :3] = np.eye(3) * 2000.0 ** 2            # 2 km everywhere
    P[3:, 3:] = np.eye(3) * 100.0 ** 2
    return np.concatenate([pos, vel])[None], P[None]


def fuse(sensor, columns):
    """One update with a zero innovation (only P matters); P before, P after, the state."""
    x, P = track()
    scan = Scan(t=0.0, sensor=sensor.id, kind=sensor.kind, detections=np.zeros((1, columns)))
    m = measure(scan, sensor, x, P)
    y = np.zeros((1, m.H.shape[1]))
    before = P.copy()
    S, nis, status = kalman.update(x, P, m.H, m.R, y)
    assert status[0] == 0 and np.isfinite(P).all()
    return before[0], P[0], x[0]


def variance_along(P, u):
    return u @ P[:3, :3] @ u


def unit(v):
    return v / np.linalg.norm(v)


def test_radar_shrinks_range_most_and_its_range_rate_fixes_radial_speed():
    sigma = {"range": 60.0, "az": math.radians(0.15), "el": math.radians(0.3), "rr": 1.5}
    before, after, x = fuse(Sensor(id="r", kind="radar", site=RADAR_SITE, sigma=sigma), 4)
    site = np.ravel(frames.geodetic_to_ecef(RADAR_SITE.lat_rad, RADAR_SITE.lon_rad, 30.0))
    los = unit(x[:3] - site)
    assert math.sqrt(variance_along(after, los)) < 70.0                 # ~ the 60 m sigma
    cross = unit(np.cross(los, [0.0, 0.0, 1.0]))
    assert 70.0 < math.sqrt(variance_along(after, cross)) < 1000.0      # ~ r sigma_az
    assert los @ after[3:, 3:] @ los < 2.0 ** 2                         # radial speed
    assert np.all(np.linalg.eigvalsh(after) > 0)


def test_a_line_of_sight_shrinks_across_the_line_not_along_it():
    sensor = Sensor(id="s", kind="los", site=GEO_SITE,
                    sigma={"az": math.radians(0.004), "el": math.radians(0.0004)})
    before, after, x = fuse(sensor, 2)
    site = np.ravel(frames.geodetic_to_ecef(0.0, GEO_SITE.lon_rad, GEO_SITE.alt_m))
    los = unit(x[:3] - site)
    assert variance_along(after, los) > 0.95 * variance_along(before, los)   # no range
    across = unit(np.cross(los, np.cross(los, [0.0, 0.0, 1.0])))
    assert variance_along(after, across) < 0.5 * variance_along(before, across)


def test_a_geolocated_position_shrinks_every_position_axis_and_no_velocity():
    sensor = Sensor(id="p", kind="position", site=None, sigma={"h": 300.0, "v": 150.0})
    x, P = track()
    z = np.array([[LAT, LON, ALT]])
    scan = Scan(t=0.0, sensor="p", kind="position", detections=z)
    m = measure(scan, sensor, x, P)
    before = P.copy()
    kalman.update(x, P, m.H, m.R, m.z - m.z_hat)
    rot = frames.enu_rotation(LAT, LON)
    enu = rot @ P[0, :3, :3] @ rot.T
    assert np.sqrt(np.diag(enu)) == pytest.approx([300, 300, 150], rel=0.05)
    assert np.allclose(P[0, 3:, 3:], before[0, 3:, 3:])                 # velocity untouched
