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
from .models import POSITION_OBSERVATION, horizontal_vertical, local_up, measurement_model
from .scan import Scan, Sensor


@dataclass
class ScanMeasurement:
    """A scan's detections and the covered tracks' predicted measurements."""

    z: np.ndarray                 #: (n_det, m) detections in the measurement space
    z_hat: np.ndarray             #: (n_trk, m) predicted measurements
    H: np.ndarray                 #: (n_trk, m, 6) Jacobians at the predicted states
    R: np.ndarray                 #: (n_trk, m, m) measurement noise
    S: np.ndarray | None          #: (n_trk, m, m) innovation covariance H P H' + R, if asked
    angle_columns: tuple[int, ...]  #: columns whose differences wrap at +-pi


def measure(scan: Scan, sensor: Sensor, x: np.ndarray, P: np.ndarray,
            innovation_covariance: bool = True) -> ScanMeasurement:
    """Predicted measurements of tracks (x (n, 6), P (n, 6, 6)) for one scan (S if asked)."""
    n = x.shape[0]
    if sensor.kind == "position":
        # the detections' ECEF positions (GeodeticPosition.ecef_detections, whose
        # covariances the tracks' R below replaces)
        z = scan.detections.reshape(-1, 3)
        z = frames.geodetic_to_ecef(z[:, 0], z[:, 1], z[:, 2]).reshape(-1, 3)
        # R' diag(sigma_h^2, sigma_h^2, sigma_v^2) R, R the ENU rotation at each track
        R = horizontal_vertical(sensor.sigma["h"] ** 2, sensor.sigma["v"] ** 2, local_up(x))
        H = np.ascontiguousarray(np.broadcast_to(POSITION_OBSERVATION, (n, 3, 6)))
        # H P H' with H = [I 0] is P's position block, exactly: no (n, 3, 6) products
        S = P[:, :3, :3] + R if innovation_covariance else None
        return ScanMeasurement(z=np.ascontiguousarray(z, dtype=np.float64),
                               z_hat=np.ascontiguousarray(x[:, :3]), H=H, R=R,
                               S=None if S is None else 0.5 * (S + S.transpose(0, 2, 1)),
                               angle_columns=())
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
    S = None
    if innovation_covariance:
        S = H @ P @ H.transpose(0, 2, 1) + R
        S = np.ascontiguousarray(0.5 * (S + S.transpose(0, 2, 1)))
    return ScanMeasurement(z=np.ascontiguousarray(z, dtype=np.float64),
                           z_hat=np.ascontiguousarray(z_hat, dtype=np.float64),
                           H=H, R=R, S=S, angle_columns=angles)
