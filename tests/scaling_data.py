"""Synthetic scaling data for the whole-tracker benchmarks and their tests (issue 5, "Performance").

N targets fly nearly-constant-velocity at about 10 km altitude in a 1,000 km x
1,000 km box centred on the theatre (35 N, 50 E): random headings, ground speeds
of 200-250 m/s, and a small random horizontal acceleration (0.3 m/s^2 per axis,
held over each scan interval) so the motion is "nearly" constant velocity. They
fly along the ellipsoid at their own altitude, so in ECEF, where the tracker
works, their paths curve by about 0.01 m/s^2: far below the tracker's process
noise.

One position sensor (kind ``position``) reports every 5 s: each target with
probability 0.9, with 100 m of Gaussian noise on each axis (sigma h and v of
100 m: the benchmarks' one exception to the realism floors of the simulator),
plus 10 clutter detections a scan drawn uniformly in the box (0-20 km of
altitude). Everything comes as the tracker takes it, ``tracker.scan.Scan``
objects in internal units (latitude and longitude in radians) and a matching
``Sensor`` whose header carries ``pd`` and ``clutter_density``, with the truth
for scoring. The same seed gives the same data.

Because sigma h = sigma v, the noise is isotropic: 100 m on each ECEF axis too,
which lets a Cartesian tracker (the Stone Soup comparison) take the very same
detections as ECEF positions with covariance 100^2 I.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tracker import frames
from tracker.metrics import gospa
from tracker.scan import Scan, Sensor
from tracker.tracks import CONFIRMED

T0 = 1.4442e9                          #: time of the first scan (UTC s, October 2015)
CENTRE_LAT = math.radians(35.0)
CENTRE_LON = math.radians(50.0)
BOX_M = 1_000_000.0                    #: side of the box, east and north
ALTITUDE_M = 10_000.0                  #: targets fly at ALTITUDE_M +- ALTITUDE_SPREAD_M
ALTITUDE_SPREAD_M = 1_000.0
CLUTTER_ALT_M = (0.0, 20_000.0)        #: clutter altitudes (the box's vertical extent)
SPEED_MPS = (200.0, 250.0)
ACCELERATION_SIGMA = 0.3               #: m/s^2 per horizontal axis, held over one interval
PERIOD_S = 5.0
PD = 0.9
SIGMA_M = 100.0
CLUTTER_PER_SCAN = 10
#: false detections per m^3: CLUTTER_PER_SCAN over the box's volume
CLUTTER_DENSITY = CLUTTER_PER_SCAN / (BOX_M * BOX_M * (CLUTTER_ALT_M[1] - CLUTTER_ALT_M[0]))
SENSOR_ID = "geo"


def sensor() -> Sensor:
    """The position sensor of the scaling data (header values in internal units)."""
    return Sensor(id=SENSOR_ID, kind="position", site=None,
                  sigma={"h": SIGMA_M, "v": SIGMA_M}, pd=PD,
                  clutter_density=CLUTTER_DENSITY, period_s=PERIOD_S)


@dataclass(frozen=True)
class ScalingData:
    """Scans of the scaling world and the truth at each scan time."""

    sensor: Sensor
    scans: list[Scan]
    truth: list[np.ndarray]        #: per scan, (N, 3) ECEF positions of every target (m)
    origin: list[np.ndarray]       #: per scan, each detection's target index, -1 for clutter

    @property
    def n_targets(self) -> int:
        return self.truth[0].shape[0]


def _box_to_geodetic(east, north):
    """Box offsets (m) from the centre to latitude and longitude (rad) (local tangent map)."""
    meridian, prime_vertical = frames.principal_radii(CENTRE_LAT, 0.0)
    return (CENTRE_LAT + north / meridian,
            CENTRE_LON + east / (prime_vertical * math.cos(CENTRE_LAT)))


def _uniform_in_box(rng: np.random.Generator, n: int):
    return _box_to_geodetic(rng.uniform(-BOX_M / 2, BOX_M / 2, n),
                            rng.uniform(-BOX_M / 2, BOX_M / 2, n))


def make(n_targets: int, n_scans: int, seed: int = 0) -> ScalingData:
    """``n_scans`` scans (every PERIOD_S from T0) of ``n_targets`` targets, from ``seed``."""
    rng = np.random.default_rng(seed)
    lat, lon = _uniform_in_box(rng, n_targets)
    alt = ALTITUDE_M + rng.uniform(-ALTITUDE_SPREAD_M, ALTITUDE_SPREAD_M, n_targets)
    heading = rng.uniform(0.0, 2 * math.pi, n_targets)
    speed = rng.uniform(*SPEED_MPS, n_targets)
    east, north = speed * np.sin(heading), speed * np.cos(heading)
    scans, truth, origin = [], [], []
    for k in range(n_scans):
        if k:                                     # fly one interval, midpoint rule
            accel = rng.normal(0.0, ACCELERATION_SIGMA, (2, n_targets))
            half_e, half_n = east + 0.5 * PERIOD_S * accel[0], north + 0.5 * PERIOD_S * accel[1]
            meridian, _ = frames.principal_radii(lat, alt)
            lat_mid = lat + 0.5 * PERIOD_S * half_n / meridian
            meridian, prime_vertical = frames.principal_radii(lat_mid, alt)
            lat = lat + PERIOD_S * half_n / meridian
            lon = lon + PERIOD_S * half_e / (prime_vertical * np.cos(lat_mid))
            east, north = east + PERIOD_S * accel[0], north + PERIOD_S * accel[1]
        position = frames.geodetic_to_ecef(lat, lon, alt)
        truth.append(position)
        seen = np.flatnonzero(rng.random(n_targets) < PD)
        measured = position[seen] + rng.normal(0.0, SIGMA_M, (seen.size, 3))
        clutter_lat, clutter_lon = _uniform_in_box(rng, CLUTTER_PER_SCAN)
        clutter_alt = rng.uniform(*CLUTTER_ALT_M, CLUTTER_PER_SCAN)
        z = np.concatenate([np.stack(frames.ecef_to_geodetic(measured), axis=1),
                            np.stack([clutter_lat, clutter_lon, clutter_alt], axis=1)])
        who = np.concatenate([seen, np.full(CLUTTER_PER_SCAN, -1)])
        order = rng.permutation(len(z))           # a sensor reports in no particular order
        scans.append(Scan(t=T0 + k * PERIOD_S, sensor=SENSOR_ID, kind="position",
                          detections=np.ascontiguousarray(z[order])))
        origin.append(who[order])
    return ScalingData(sensor=sensor(), scans=scans, truth=truth, origin=origin)


def detections_ecef(scan: Scan) -> np.ndarray:
    """A scan's geodetic detections as ECEF positions (n, 3) (m)."""
    z = scan.detections
    return np.reshape(frames.geodetic_to_ecef(z[:, 0], z[:, 1], z[:, 2]), (-1, 3))


class ConfirmedPositions:
    """Confirmed tracks' ECEF positions after each processed scan, read from the track table.

    Call it after each ``Tracker.submit`` (untimed: in the benchmarks, as
    pedantic's ``setup``); ``at(t)`` gives the (n, 3) positions at scan time t.
    Kept as arrays, not TRACK records: holding thousands of record dicts a
    scan would make Python's cyclic garbage collector walk them all inside the
    timed rounds. A confirmed track is reported as ``confirmed`` or
    ``coasting``, which evaluation counts alike.
    """

    def __init__(self, tracker):
        self.table = tracker.tracks
        self.by_time: dict[float, np.ndarray] = {}

    def __call__(self) -> None:
        table = self.table
        rows = table.rows()
        rows = rows[table.status[rows] == CONFIRMED]
        if rows.size:
            t = table.t_state[rows].max()        # the scan just processed covers them all
            self.by_time[t] = table.x[rows[table.t_state[rows] == t], :3].copy()

    def at(self, t: float) -> np.ndarray:
        return self.by_time.get(t, np.empty((0, 3)))


def gospa_by_parts(truth: np.ndarray, tracks: np.ndarray, c: float = 2000.0, p: float = 2.0):
    """``tracker.metrics.gospa`` of (n, 3) and (m, 3) positions, one connected part at a time.

    With alpha = 2 a pair c or more apart costs as much as leaving both
    unassigned, so the optimal assignment never pairs points of different
    connected components of the "closer than c" graph, and GOSPA^p is the sum
    of the parts' (the same code, exactly, without the dense n x m assignment
    that 10,000 targets would need). Returns (distance, missed, false).
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    n, m = len(truth), len(tracks)
    if n == 0 or m == 0:
        g = gospa(truth, tracks, c=c, p=p)
        return g.distance, g.missed, g.false
    pairs = cKDTree(truth).query_ball_tree(cKDTree(tracks), r=c)
    rows = np.repeat(np.arange(n), [len(x) for x in pairs])
    cols = n + np.fromiter((j for x in pairs for j in x), dtype=np.intp, count=rows.size)
    graph = coo_matrix((np.ones(rows.size), (rows, cols)), shape=(n + m, n + m))
    _, label = connected_components(graph, directed=False)
    total, missed, false = 0.0, 0, 0
    order = np.argsort(label, kind="stable")
    bounds = np.flatnonzero(np.diff(label[order])) + 1
    for part in np.split(order, bounds):
        g = gospa(truth[part[part < n]], tracks[part[part >= n] - n], c=c, p=p)
        total += g.distance ** p
        missed += g.missed
        false += g.false
    return total ** (1.0 / p), missed, false


def mean_gospa(data: ScalingData, track_positions, scans, c: float = 2000.0) -> dict:
    """Mean GOSPA (c = 2 km, p = 2, alpha = 2) of confirmed tracks over ``scans`` of ``data``.

    ``track_positions(k)`` gives the confirmed tracks' ECEF positions (m, 3) at
    scan k, and ``scans`` the scan indices to score. Returns the mean GOSPA
    distance (m), the mean per target (distance / sqrt(N): with p = 2 the
    root-mean-square share of each target, a miss or false track counting
    c / sqrt(2)), the mean numbers of confirmed tracks, missed targets and false
    tracks, and the number of scans scored.
    """
    distance, confirmed, missed, false = [], [], [], []
    for k in scans:
        tracks = track_positions(k)
        d, n_missed, n_false = gospa_by_parts(data.truth[k], tracks, c=c)
        distance.append(d)
        confirmed.append(len(tracks))
        missed.append(n_missed)
        false.append(n_false)
    mean = float(np.mean(distance))
    return {"gospa_m": mean, "per_target_m": mean / math.sqrt(data.n_targets),
            "confirmed": float(np.mean(confirmed)), "missed": float(np.mean(missed)),
            "false": float(np.mean(false)), "scans": len(distance)}
