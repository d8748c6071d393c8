"""Random but well-posed Kalman inputs, shared by the kernel tests and benchmarks.

Covariances are built from random rotations and eigenvalues in a bounded
range, so their condition number stays below ``cond``: filterpy inverts S and
the kernels solve with it, and the two only agree to a tolerance that grows
with the conditioning (STYLE.md, "Tests").
"""
import numpy as np

EARTH_RADIUS_M = 6.371e6


def spd(rng, N, k, scale=1.0, cond=1e3):
    """N symmetric positive-definite k x k matrices with eigenvalues in [scale/cond, scale]."""
    Qr, _ = np.linalg.qr(rng.normal(size=(N, k, k)))
    eig = scale * np.exp(rng.uniform(-np.log(cond), 0.0, size=(N, k)))
    A = (Qr * eig[:, None, :]) @ Qr.transpose(0, 2, 1)
    return np.ascontiguousarray(0.5 * (A + A.transpose(0, 2, 1)))   # exactly symmetric


def ecef_states(rng, N):
    """ECEF states on a sphere near the Earth's surface with airliner-like speeds."""
    u = rng.normal(size=(N, 3))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    pos = u * (EARTH_RADIUS_M + rng.uniform(0, 12e3, size=(N, 1)))
    vel = rng.normal(scale=150.0, size=(N, 3))
    return np.ascontiguousarray(np.hstack([pos, vel]))


def cv_transition(dt):
    """(N, 6, 6) constant-velocity transition for per-track dt."""
    F = np.tile(np.eye(6), (len(dt), 1, 1))
    F[:, 0:3, 3:6] = dt[:, None, None] * np.eye(3)
    return F


def cv_process_noise(dt, accel_psd):
    """(N, 6, 6) continuous white-noise-acceleration Q for per-track dt and ECEF PSD."""
    d = dt[:, None, None]
    return np.block([[d**3 / 3 * accel_psd, d**2 / 2 * accel_psd],
                     [d**2 / 2 * accel_psd, d * accel_psd]])


def position_tracks(rng, N):
    """A CV predict + position update problem of N tracks: (x, P, F, Q, z, R, H)."""
    x = ecef_states(rng, N)
    P = spd(rng, N, 6, scale=1e4, cond=1e3)
    dt = rng.uniform(1.0, 12.0, size=N)
    accel_psd = spd(rng, N, 3, scale=1.0, cond=100.0)
    F = cv_transition(dt)
    Q = cv_process_noise(dt, accel_psd)
    H = np.tile(np.hstack([np.eye(3), np.zeros((3, 3))]), (N, 1, 1))
    R = np.tile(np.eye(3) * 100.0**2, (N, 1, 1))              # 100 m position noise
    z = x[:, :3] + dt[:, None] * x[:, 3:] + rng.normal(scale=100.0, size=(N, 3))
    return x, P, F, Q, z, R, H
