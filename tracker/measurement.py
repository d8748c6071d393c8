"""One scan in the tracker's terms: detections, predicted measurements, H, R and S.

For every sensor kind this gives the arrays the gating, association and PDA
kernels take, for the tracks a scan covers:

* radar and line of sight: the sensor's own measurement space (range,
  azimuth, elevation, range-rate; or azimuth, elevation), EKF Jacobians from
  ``tracker.models``, azimuth innovations wrapped to (-pi, pi];
* geolocated position: ECEF metres, so the measurement is linear (H = [I 0])
  and S is well conditioned; R is the reported ENU noise rotated to ECEF at
  each track's position (``models.GeodeticPosition.ecef_detections``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import frames
from .models import POSITION_OBSERVATION, GeodeticPosition, measurement_model
from .scan import Scan, Sensor


@dataclass
class ScanMeasurement:
    """A scan's detections and the covered tracks' predicted measurements."""

    z: np.ndarray                 #: (n_det, m) detections in the measurement space
    z_hat: np.ndarray             #: (n_trk, m) predicted measurements
    H: np.ndarray                 #: (n_trk, m, 6) Jacobians at the predicted states
    R: np.ndarray                 #: (n_trk, m, m) measurement noise
    S: np.ndarray                 #: (n_trk, m, m) innovation covariance H P H' + R
    angle_columns: tuple[int, ...]  #: columns whose differences wrap at +-pi


def measure(scan: Scan, sensor: Sensor, x: np.ndarray, P: np.ndarray) -> ScanMeasurement:
    """Predicted measurements of tracks (x (n, 6), P (n, 6, 6)) for one scan."""
    n = x.shape[0]
    if sensor.kind == "position":
        model = GeodeticPosition(sigma_h=sensor.sigma["h"], sigma_v=sensor.sigma["v"])
        z = model.ecef_detections(scan.detections)[0] if len(scan) else np.empty((0, 3))
        lat, lon, _ = frames.ecef_to_geodetic(x[:, :3]) if n else (np.empty(0),) * 3
        rot = frames.enu_rotation(lat, lon)                                  # (n, 3, 3)
        noise = np.diag([sensor.sigma["h"] ** 2, sensor.sigma["h"] ** 2, sensor.sigma["v"] ** 2])
        R = rot.transpose(0, 2, 1) @ noise @ rot
        H = np.broadcast_to(POSITION_OBSERVATION, (n, 3, 6))
        z_hat = x[:, :3]
        angles: tuple[int, ...] = ()
    else:
        model = measurement_model(sensor, scan.site, range_rate=scan.has_range_rate
                                  if sensor.kind == "radar" else None)
        z = scan.detections
        m = model.dim
        z_hat = model.h(x) if n else np.empty((0, m))
        H = model.jacobian(x) if n else np.empty((0, m, 6))
        R = np.broadcast_to(model.noise(), (n, m, m))
        angles = (1,) if sensor.kind == "radar" else (0,)
    H = np.ascontiguousarray(H, dtype=np.float64)
    R = np.ascontiguousarray(R, dtype=np.float64)
    S = H @ P @ H.transpose(0, 2, 1) + R
    S = 0.5 * (S + S.transpose(0, 2, 1))
    return ScanMeasurement(z=np.ascontiguousarray(z, dtype=np.float64),
                           z_hat=np.ascontiguousarray(z_hat, dtype=np.float64),
                           H=H, R=R, S=np.ascontiguousarray(S), angle_columns=angles)
