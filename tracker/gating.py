r"""Gating: which tracks a scan covers, and which of its detections each track may own.

Three calls per scan, each over all tracks at once (``docs/gating.md`` has
the rules and the proofs):

1. :func:`coverage` - the tracks the scan could have seen (range limit,
   radio horizon or line of sight, the scan's ``sector``); the engine leaves
   the others alone, neither updated nor penalised;
2. :func:`candidates` - the coarse stage: detections as points, searched within
   a radius per track derived from its innovation covariance S, so that no pair
   the fine stage would accept is lost, and no tracks x detections work is done:
   a k-d tree (``scipy.spatial.cKDTree``), or for scans of up to ``SWEEP_PAIRS``
   tracks x detections the compiled sweep ``_gating.sweep_pairs`` (detections
   sorted along one axis, each track reading only its slab), one call where the
   tree costs a few;
3. :func:`fine_gate` - the compiled Mahalanobis test of the candidate pairs
   (``src_cython/gating.pyx``, GIL released), returning the accepted pairs
   grouped by track: the layout ``tracker.kalman.pda_update`` takes.

:func:`gate` runs 2 and 3. Everything is in the sensor's measurement space
in internal units: radar ``[range, az, el(, rr)]`` (m, rad, rad, m/s), line
of sight ``[az, el]`` (rad), geolocated position as ECEF metres (the
engine converts with ``models.GeodeticPosition.ecef_detections``; H = [I 0]).
Azimuth differences wrap into (-pi, pi] (:func:`angle_columns`).
"""
from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.spatial import cKDTree
from scipy.stats import chi2

from . import _gating, frames
from .kalman import STATUS_INVALID_INPUT, STATUS_NOT_PD, STATUS_OK
from .scan import Scan, Sector, Sensor

KINDS = ("radar", "los", "position")
#: measurement sizes each sensor kind gates in
MEASUREMENT_DIMS = {"radar": (3, 4), "los": (2,), "position": (3,)}
#: columns holding an azimuth, whose differences wrap at +-pi (elevation never wraps)
ANGLE_COLUMNS = {"radar": (1,), "los": (0,), "position": ()}

STATUS_SKIPPED = 4      #: not gated: left out by ``active`` (outside the scan's coverage)
STATUS_NAMES = {STATUS_OK: "ok", STATUS_INVALID_INPUT: "invalid input",
                STATUS_NOT_PD: "innovation covariance not positive definite",
                STATUS_SKIPPED: "not gated (outside coverage)"}

# Floating-point slack on every coarse radius (relative, and absolute per unit of the
# points' magnitude): the bound is exact in real arithmetic, the points are not.
_RADIUS_RELATIVE_SLACK = 1e-9
_RADIUS_ABSOLUTE_SLACK = 1e-9
# A line of sight may graze the ellipsoid by this much of its scaled radius (~3 mm).
_LIMB_TOLERANCE = 1e-9


# ------------------------------------------------------------------------ coverage


def _pair(value: Any, field: str, unit: float = 1.0) -> tuple[float, float]:
    if not (isinstance(value, (list, tuple)) and len(value) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                    and math.isfinite(v) for v in value)):
        raise ValueError(f"{field}: expected [low, high], two finite numbers, got {value!r}")
    low, high = (float(v) * unit for v in value)
    return low, high


@dataclass(frozen=True)
class CoverageLimits:
    """A sensor's fixed coverage limits, read once from its header entry.

    The header's ``range_max_m``, and two optional header extras written by
    the simulator (``docs/sensors.md``) and honoured when present: a radar's
    elevation band ``el_band_deg`` and a position feed's ``region``.
    """

    range_max_m: float | None = None                       #: slant range limit (m)
    el_band_rad: tuple[float, float] | None = None         #: radar elevation band (rad)
    region_lat_rad: tuple[float, float] | None = None      #: position feed latitudes
    region_lon_rad: tuple[float, float] | None = None      #: east from [0] to [1]

    @classmethod
    def from_sensor(cls, sensor: Sensor) -> "CoverageLimits":
        """Limits of ``sensor``; ValueError naming the field when an extra is malformed."""
        where = f"sensor {sensor.id!r}"
        range_max = sensor.range_max_m if sensor.kind != "position" else None
        el_band = lat = lon = None
        if sensor.kind == "radar" and sensor.extra.get("el_band_deg") is not None:
            el_band = _pair(sensor.extra["el_band_deg"], f"{where}: el_band_deg", math.pi / 180)
            if el_band[0] > el_band[1]:
                raise ValueError(f"{where}: el_band_deg: low > high")
        if sensor.kind == "position" and sensor.extra.get("region") is not None:
            region = sensor.extra["region"]
            if not isinstance(region, dict):
                raise ValueError(f"{where}: region: expected {{lat: [..], lon: [..]}}")
            lat = _pair(region.get("lat"), f"{where}: region.lat", math.pi / 180)
            lon = _pair(region.get("lon"), f"{where}: region.lon", math.pi / 180)
        return cls(range_max, el_band, lat, lon)


def in_sector(az, rng, sector: Sector, az_margin=0.0) -> np.ndarray:
    """Whether azimuths ``az`` (rad) and slant ranges ``rng`` (m) lie inside ``sector``.

    Azimuth from ``sector.az_rad[0]`` clockwise to ``[1]``, both ends included,
    through north when ``[1] < [0]``; range within ``sector.range_m`` when it has one.
    ``az_margin`` (rad, scalar or per point) widens the sector on both sides.
    """
    start, end = sector.az_rad
    margin = np.minimum(np.asarray(az_margin, dtype=np.float64), np.pi)
    width = frames.wrap_two_pi(end - start)
    offset = frames.wrap_two_pi(np.asarray(az) - start + margin)
    inside = (offset <= width + 2.0 * margin) | (width + 2.0 * margin >= frames.TWO_PI)
    if sector.range_m is not None:
        inside &= (rng >= sector.range_m[0]) & (rng <= sector.range_m[1])
    return inside


def line_of_sight_clear(site_ecef, points) -> np.ndarray:
    r"""Whether the straight line from ``site_ecef`` (3,) to each point (N, 3) misses the Earth.

    Scaling ECEF by (1/a, 1/a, 1/b) maps the WGS-84 ellipsoid to the unit
    sphere and segments to segments; the line is clear when its point closest
    to the centre is one of its ends (a point just below the surface does not
    hide itself) or lies outside the sphere.
    """
    scale = np.array([1.0 / frames.WGS84_A, 1.0 / frames.WGS84_A, 1.0 / frames.WGS84_B])
    start = np.asarray(site_ecef, dtype=np.float64) * scale
    step = np.asarray(points, dtype=np.float64) * scale - start
    length2 = np.einsum("ni,ni->n", step, step)
    t = -(step @ start) / np.where(length2 > 0.0, length2, 1.0)
    closest = start + np.clip(t, 0.0, 1.0)[:, None] * step
    return (t <= 0.0) | (t >= 1.0) | (np.einsum("ni,ni->n", closest, closest)
                                      >= 1.0 - _LIMB_TOLERANCE)


def coverage(scan: Scan, sensor: Sensor, track_positions,
             limits: CoverageLimits | None = None, az_margin=0.0) -> np.ndarray:
    """Which tracks the scan could have seen (docs/gating.md, "Coverage").

    Parameters
    ----------
    scan, sensor : tracker.scan.Scan, tracker.scan.Sensor
        The scan and its sensor's header entry; a moving sensor's site is the scan's.
    track_positions : array_like, shape (N, 3)
        Tracks' ECEF positions (m) at the scan time.
    limits : CoverageLimits, optional
        ``CoverageLimits.from_sensor(sensor)``, read once per sensor by a caller
        that gates many scans; read here when not given.
    az_margin : float or array_like, shape (N,), optional
        Widens the scan's sector by this much azimuth (rad) on each side, per
        track: a track predicted just outside a sector may still own one of its
        detections (the engine updates such tracks but does not count a miss).

    Returns
    -------
    ndarray of bool, shape (N,)
        radar: slant range <= ``range_max_m``, <= the 4/3-Earth radio horizon of
        the antenna and track heights (``frames.radar_horizon_range``, heights
        above the ellipsoid, negative taken as 0), elevation in ``el_band_deg``;
        line of sight: the line misses the Earth, range <= ``range_max_m``;
        both: inside the scan's ``sector``. Position: inside the header's
        ``region`` when it has one, else every track.
    """
    p = np.asarray(track_positions, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 3:
        raise ValueError(f"track_positions has shape {p.shape}, expected (n_tracks, 3)")
    limits = CoverageLimits.from_sensor(sensor) if limits is None else limits
    covered = np.isfinite(p).all(axis=1)
    if sensor.kind == "position":
        if limits.region_lat_rad is not None and p.shape[0]:
            lat, lon, _ = frames.ecef_to_geodetic(p)
            (lat0, lat1), (lon0, lon1) = limits.region_lat_rad, limits.region_lon_rad
            east = frames.wrap_two_pi(lon - lon0)
            covered &= (lat >= lat0) & (lat <= lat1) & (
                (east <= frames.wrap_two_pi(lon1 - lon0)) | (lon1 - lon0 >= frames.TWO_PI))
        return covered
    site = scan.site if scan.site is not None else sensor.site
    if site is None:
        raise ValueError(f"sensor {sensor.id!r} is moving: the scan carries no site")
    site_ecef = frames.geodetic_to_ecef(site.lat_rad, site.lon_rad, site.alt_m)
    enu = (p - site_ecef) @ frames.enu_rotation(site.lat_rad, site.lon_rad).T
    az, el, rng = frames.enu_to_aer(enu)
    if limits.range_max_m is not None:
        covered &= rng <= limits.range_max_m
    if limits.el_band_rad is not None:
        covered &= (el >= limits.el_band_rad[0]) & (el <= limits.el_band_rad[1])
    if scan.sector is not None:
        covered &= in_sector(az, rng, scan.sector, az_margin)
    rows = np.flatnonzero(covered)        # the costlier tests only where they still matter
    if sensor.kind == "radar":
        alt = frames.ecef_to_geodetic(p[rows])[2]
        horizon = frames.radar_horizon_range(max(site.alt_m, 0.0), np.maximum(alt, 0.0))
        covered[rows] = rng[rows] <= horizon
    else:
        covered[rows] = line_of_sight_clear(site_ecef, p[rows])
    return covered


# ------------------------------------------------------------------------- gating


@functools.lru_cache(maxsize=64)
def gate_threshold(gate_probability: float, m: int) -> float:
    """Squared Mahalanobis gate: the chi-square quantile of ``gate_probability``, m dof."""
    if not 0.0 < gate_probability < 1.0:
        raise ValueError(f"gate_probability={gate_probability} must lie in (0, 1)")
    return float(chi2.ppf(gate_probability, m))


def angle_columns(kind: str, m: int) -> np.ndarray:
    """(m,) uint8 flags, 1 on the columns whose differences wrap into (-pi, pi]."""
    _check_kind(kind, m)
    flags = np.zeros(m, dtype=np.uint8)
    flags[list(ANGLE_COLUMNS[kind])] = 1
    return flags


def _check_kind(kind: str, m: int) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r} must be one of {KINDS}")
    if m not in MEASUREMENT_DIMS[kind]:
        raise ValueError(f"a {kind} measurement has {MEASUREMENT_DIMS[kind]} columns, got {m}")


def _checked(kind, z_hat, S, z, active):
    """The arrays of one gating call, checked once where they enter."""
    z_hat = np.ascontiguousarray(z_hat, dtype=np.float64)
    if z_hat.ndim != 2:
        raise ValueError(f"z_hat has shape {z_hat.shape}, expected (n_tracks, m)")
    N, m = z_hat.shape
    _check_kind(kind, m)
    S = np.ascontiguousarray(S, dtype=np.float64)
    if S.shape != (N, m, m):
        raise ValueError(f"S has shape {S.shape}, expected {(N, m, m)}")
    z = np.ascontiguousarray(z, dtype=np.float64).reshape(-1, m) if np.size(z) == 0 else \
        np.ascontiguousarray(z, dtype=np.float64)
    if z.ndim != 2 or z.shape[1] != m:
        raise ValueError(f"z has shape {z.shape}, expected (n_detections, {m})")
    if not np.isfinite(z).all():
        raise ValueError(f"detection rows {np.flatnonzero(~np.isfinite(z).all(1))} not finite")
    active = np.ones(N, dtype=bool) if active is None else np.asarray(active)
    if active.shape != (N,) or active.dtype != bool:
        raise ValueError(f"active must be a bool array of shape ({N},)")
    return z_hat, S, z, np.ascontiguousarray(active)


@dataclass(frozen=True)
class Candidates:
    """Coarse-stage pairs, grouped by track: track i may own ``detection[offsets[i]:offsets[i+1]]``."""

    offsets: np.ndarray          #: (N + 1,) intp
    detection: np.ndarray        #: (C,) intp, ascending within each track


@dataclass(frozen=True)
class Gated:
    """The accepted (track, detection) pairs of a scan, sorted by track then detection.

    Track i owns rows ``offsets[i]:offsets[i + 1]`` of every per-pair array:
    ``innovations`` and ``offsets`` go straight into ``tracker.kalman.pda_update``.
    """

    track: np.ndarray            #: (K,) intp, row of z_hat
    detection: np.ndarray        #: (K,) intp, row of z
    d2: np.ndarray               #: (K,) squared Mahalanobis distance nu' S^-1 nu
    log_likelihood: np.ndarray   #: (K,) log N(nu; 0, S), in the units of z (rad, m, m/s)
    innovations: np.ndarray      #: (K, m) nu = z - z_hat, azimuth wrapped into (-pi, pi]
    offsets: np.ndarray          #: (N + 1,) intp
    status: np.ndarray           #: (N,) int8, ``STATUS_*`` per track
    n_candidates: int            #: pairs the coarse stage proposed

    def __len__(self) -> int:
        return self.track.shape[0]


def measurement_points(kind: str, values: np.ndarray) -> np.ndarray:
    """Points (n, 3) for the coarse stage's k-d tree, in one Euclidean frame per scan.

    radar: ``range * u(az, el)``, the point in the site's ENU frame (m);
    los: the unit direction ``u(az, el)`` in that frame; position: the ECEF point.
    ``u(az, el) = (cos el sin az, cos el cos az, sin el)``.
    """
    if kind == "position":
        return np.ascontiguousarray(values[:, :3])
    az, el = (values[:, 1], values[:, 2]) if kind == "radar" else (values[:, 0], values[:, 1])
    cos_el = np.cos(el)
    u = np.stack([cos_el * np.sin(az), cos_el * np.cos(az), np.sin(el)], axis=1)
    return u * values[:, :1] if kind == "radar" else u


def _largest_abs_row_sum(S: np.ndarray) -> np.ndarray:
    """max_i sum_j |S_ij| per matrix (N,): Gershgorin's bound on the largest eigenvalue.
    The row sums are one matrix product of the flattened |S| (N, m^2) with a 0/1
    (m^2, m) matrix: NumPy reduces a length-3 inner axis ten times slower, and a
    column-by-column sum costs two dozen calls at a hundred tracks."""
    m = S.shape[1]
    rows = np.abs(S.reshape(S.shape[0], m * m)) @ _row_summer(m)
    return functools.reduce(np.maximum, (rows[:, i] for i in range(m)))


@functools.cache
def _row_summer(m: int) -> np.ndarray:
    return np.kron(np.eye(m), np.ones((m, 1)))


def _largest_finite(values: np.ndarray) -> float:
    """The largest finite |value| (0 if none): the magnitude the slack is relative to."""
    return float(np.abs(values[np.isfinite(values)]).max(initial=0.0))


@np.errstate(invalid="ignore")
def coarse_radii(kind: str, z_hat: np.ndarray, S: np.ndarray, threshold: float) -> np.ndarray:
    r"""Per-track radius (N,) around the track's point that holds every detection the
    fine gate can accept (docs/gating.md, "Coarse stage", for the proof).

    With :math:`a_j = \sqrt{\gamma S_{jj}}`, the largest :math:`|\nu_j|` inside
    :math:`\nu^T S^{-1} \nu \le \gamma`, and :math:`c` the largest :math:`|\cos el|`
    over the elevations within :math:`a_{el}` of the track's: radar
    :math:`a_0 + |\hat r| \min(2, c\, a_1 + a_2)`, los :math:`\min(2, c\, a_0 + a_1)`, position
    :math:`\sqrt{\gamma \min(\operatorname{tr} S, \max_i \sum_j |S_{ij}|)}`.
    NaN where S has a negative or non-finite diagonal (the fine stage flags the track).
    """
    m = S.shape[1]
    diag = [S[:, j, j] for j in range(m)]
    if kind == "position":
        bound = np.sqrt(threshold * np.minimum(sum(diag), _largest_abs_row_sum(S)))
        scale = _largest_finite(z_hat)
    else:
        az, el = (1, 2) if kind == "radar" else (0, 1)
        a = [np.sqrt(threshold * d) for d in diag]
        # detections' elevations lie within a_el of the track's: the azimuth step is an
        # arc of length |cos el| |d az| at most max |cos| over that band (c above)
        low = np.maximum(np.abs(z_hat[:, el]) - a[el], 0.0)
        high = np.abs(z_hat[:, el]) + a[el]
        c = np.where(high >= np.pi, 1.0, np.maximum(np.cos(low), -np.cos(np.minimum(high, np.pi))))
        angle = np.minimum(2.0, c * a[az] + a[el])           # chord <= arc <= this
        if kind == "radar":
            bound = a[0] + np.abs(z_hat[:, 0]) * angle
            scale = _largest_finite(z_hat[:, 0])
        else:
            bound, scale = angle, 1.0
    return bound * (1.0 + _RADIUS_RELATIVE_SLACK) + _RADIUS_ABSOLUTE_SLACK * (1.0 + scale)


#: neighbours asked of the k-d tree per track; a track with this many inside its
#: radius asks again for all of them (a ball query), so the number only sets speed
NEAREST = 4
#: scans of at most this many tracks x detections take the compiled sweep
#: (``_gating.sweep_pairs``) instead of the k-d tree: one call, no tree to build, and
#: even if every detection fell in every track's slab, a few milliseconds at most
SWEEP_PAIRS = 1 << 22


def _candidates(kind, z_hat, S, z, threshold, active) -> Candidates:
    return _search(kind, measurement_points(kind, z_hat), coarse_radii(kind, z_hat, S, threshold),
                   z, active)


def _search(kind, track_points, radius, z, active) -> Candidates:
    """Detections within ``radius`` of each track's point: the coarse stage's search."""
    N, n_det = track_points.shape[0], z.shape[0]
    searched = active & np.isfinite(radius) & np.isfinite(track_points).all(axis=1)
    rows = np.flatnonzero(searched)
    if n_det == 0 or rows.size == 0:
        return Candidates(np.zeros(N + 1, dtype=np.intp), np.empty(0, dtype=np.intp))
    points = measurement_points(kind, z)
    if N * n_det <= SWEEP_PAIRS:
        return _swept(points, track_points, radius, searched)
    tree = cKDTree(points, balanced_tree=False, compact_nodes=False)
    k = min(NEAREST, n_det)
    owners, found = [], []
    # the k nearest detections up to one bound per octave of radius, so that a few
    # tracks with a wide gate (new ones) do not widen the search of all the others
    octave = np.ceil(np.log2(radius[rows]))
    for level in np.unique(octave):
        group = rows[octave == level]
        bound = np.nextafter(radius[group].max(), np.inf)
        dist, idx = tree.query(track_points[group], k=k, distance_upper_bound=bound)
        dist, idx = dist.reshape(-1, k), idx.reshape(-1, k)
        inside = dist <= radius[group, None]
        idx = np.sort(np.where(inside, idx, n_det), axis=1)  # by detection; misses last
        crowded = inside[:, -1]                  # k inside: there may be more
        keep = ~crowded[:, None] & (idx < n_det)
        owners.append(np.broadcast_to(group[:, None], idx.shape)[keep])
        found.append(idx[keep])
        if crowded.any():
            near = tree.query_ball_point(track_points[group[crowded]], radius[group[crowded]],
                                         return_sorted=True)
            counts = np.fromiter(map(len, near), dtype=np.intp, count=len(near))
            owners.append(np.repeat(group[crowded], counts))
            found.append(np.fromiter(itertools.chain.from_iterable(near), dtype=np.intp,
                                     count=int(counts.sum())))
    owner = np.concatenate(owners)
    order = np.argsort(owner, kind="stable")       # each track's run is already sorted
    offsets = np.zeros(N + 1, dtype=np.intp)
    np.cumsum(np.bincount(owner, minlength=N), out=offsets[1:])
    return Candidates(offsets, np.ascontiguousarray(np.concatenate(found)[order], dtype=np.intp))


def _swept(points, track_points, radius, searched) -> Candidates:
    """The coarse stage by the compiled sweep along the detections' widest axis."""
    N = track_points.shape[0]
    axis = int(np.argmax(np.ptp(points, axis=0)))
    by_key = np.argsort(points[:, axis], kind="stable")
    offsets = np.empty(N + 1, dtype=np.intp)
    detection = np.empty(4 * N + 16, dtype=np.intp)         # most tracks have a few
    args = (np.ascontiguousarray(points), by_key, axis, np.ascontiguousarray(track_points),
            radius, searched.view(np.uint8), offsets)
    C = _gating.sweep_pairs(*args, detection)
    if C > detection.shape[0]:
        detection = np.empty(C, dtype=np.intp)
        _gating.sweep_pairs(*args, detection)
    return Candidates(offsets, detection[:C])


def gate_union(kind: str, z_hat, S, z, gate_probability: float, owner, z_hat_extra,
               S_extra) -> Gated:
    """:func:`gate` of N tracks whose gates also hold other ellipsoids' (IMM modes).

    Row k of ``z_hat_extra``/``S_extra`` is another prediction of track
    ``owner[k]`` (sorted); a pair is accepted when it is inside the gate of the
    track's own prediction or of any of its extra ones. One coarse search per
    track covers them all: its radius reaches the farthest extra gate (the
    distance between the predictions' points plus that gate's radius, by the
    triangle inequality), and the fine test then runs on each prediction. The
    returned pairs are those of :func:`gate` (d2, log-likelihood, innovation about
    ``z_hat`` and ``S``), so a pair from an extra gate may have d2 above the threshold.
    """
    z_hat, S, z, active = _checked(kind, z_hat, S, z, None)
    z_hat_extra, S_extra, _, extra_active = _checked(kind, z_hat_extra, S_extra, z, None)
    owner = np.ascontiguousarray(owner, dtype=np.intp)
    if owner.shape != (z_hat_extra.shape[0],) or (np.diff(owner) < 0).any():
        raise ValueError("owner must be one sorted track row per extra prediction")
    threshold = gate_threshold(float(gate_probability), z_hat.shape[1])
    points = measurement_points(kind, z_hat)
    radius = coarse_radii(kind, z_hat, S, threshold)
    reach = np.linalg.norm(measurement_points(kind, z_hat_extra) - points[owner], axis=1) \
        + coarse_radii(kind, z_hat_extra, S_extra, threshold)
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]]) if owner.size else owner
    if owner.size:                              # a NaN (bad extra) leaves the track's own
        radius[owner[starts]] = np.fmax(radius[owner[starts]], np.fmax.reduceat(reach, starts))
    candidates = _search(kind, points, radius, z, active)
    # every candidate's d2 under the track's own prediction and under each extra one
    # (threshold inf: nothing dropped, so the pairs stay in candidate order)
    own = _fine(kind, z_hat, S, z, candidates, np.inf, active)
    counts = np.diff(candidates.offsets)[owner]
    offsets = np.zeros(owner.size + 1, dtype=np.intp)
    np.cumsum(counts, out=offsets[1:])
    which = np.repeat(candidates.offsets[owner] - offsets[:-1], counts) + np.arange(offsets[-1])
    extra = _fine(kind, z_hat_extra, S_extra, z,
                  Candidates(offsets, candidates.detection[which]), np.inf, extra_active)
    C = candidates.detection.size
    if len(own) != C or len(extra) != which.size:      # a bad S dropped some pairs
        n_det = max(z.shape[0], 1)
        own_key = own.track * n_det + own.detection
        accepted = np.concatenate([own_key[own.d2 <= threshold],
                                   (owner[extra.track] * n_det + extra.detection)[
                                       extra.d2 <= threshold]])
        rows = np.flatnonzero(np.isin(own_key, accepted))
    else:
        keep = own.d2 <= threshold
        keep[which[extra.d2 <= threshold]] = True
        rows = np.flatnonzero(keep)
    track = own.track[rows]
    offsets = np.zeros(z_hat.shape[0] + 1, dtype=np.intp)
    np.cumsum(np.bincount(track, minlength=z_hat.shape[0]), out=offsets[1:])
    return Gated(track, own.detection[rows], own.d2[rows], own.log_likelihood[rows],
                 own.innovations[rows], offsets, own.status, C)


def _fine(kind, z_hat, S, z, candidates: Candidates, threshold, active) -> Gated:
    N, m = z_hat.shape
    C = candidates.detection.shape[0]
    offsets = np.empty(N + 1, dtype=np.intp)
    track, detection = np.empty(C, dtype=np.intp), np.empty(C, dtype=np.intp)
    d2, log_likelihood, innovations = np.empty(C), np.empty(C), np.empty((C, m))
    status = np.empty(N, dtype=np.int8)
    K = _gating.gate_pairs(z_hat, S, z, angle_columns(kind, m), candidates.offsets,
                           candidates.detection, active.view(np.uint8), float(threshold),
                           offsets, track, detection, d2, log_likelihood, innovations, status)
    return Gated(track[:K], detection[:K], d2[:K], log_likelihood[:K], innovations[:K],
                 offsets, status, C)


def candidates(kind: str, z_hat, S, z, threshold: float, active=None) -> Candidates:
    """The coarse stage alone: pairs within each track's :func:`coarse_radii` radius.

    Arguments as :func:`gate`, with the squared-distance ``threshold`` itself.
    """
    z_hat, S, z, active = _checked(kind, z_hat, S, z, active)
    return _candidates(kind, z_hat, S, z, float(threshold), active)


def fine_gate(kind: str, z_hat, S, z, pairs: Candidates, threshold: float,
              active=None) -> Gated:
    """The fine stage alone: the compiled Mahalanobis test of ``pairs``."""
    z_hat, S, z, active = _checked(kind, z_hat, S, z, active)
    offsets = np.ascontiguousarray(pairs.offsets, dtype=np.intp)
    detection = np.ascontiguousarray(pairs.detection, dtype=np.intp)
    C = detection.shape[0]
    if (offsets.shape != (z_hat.shape[0] + 1,) or offsets[0] != 0 or offsets[-1] != C
            or (np.diff(offsets) < 0).any()):
        raise ValueError(f"pairs.offsets must rise from 0 to {C}, shape ({z_hat.shape[0] + 1},)")
    if C and not (0 <= detection.min() and detection.max() < z.shape[0]):
        raise ValueError(f"pairs.detection must index the {z.shape[0]} detections")
    return _fine(kind, z_hat, S, z, Candidates(offsets, detection), float(threshold), active)


def gate(kind: str, z_hat, S, z, gate_probability: float, active=None) -> Gated:
    r"""Track/detection pairs inside each track's gate: coarse k-d tree, then Mahalanobis.

    Parameters
    ----------
    kind : {"radar", "los", "position"}
        The sensor kind, which fixes the angle columns and the coarse stage's points.
    z_hat : array_like, shape (N, m)
        Predicted measurements: radar [range, az, el(, rr)] (m, rad, rad, m/s),
        los [az, el] (rad), position ECEF [x, y, z] (m).
    S : array_like, shape (N, m, m)
        Innovation covariances H P H' + R (symmetric part used).
    z : array_like, shape (n_det, m)
        Detections in the same space; must be finite.
    gate_probability : float
        Probability that the true detection falls inside the gate: the threshold
        is its chi-square quantile with m degrees of freedom (:func:`gate_threshold`).
    active : array_like of bool, shape (N,), optional
        Tracks to gate (the :func:`coverage` mask); the others get STATUS_SKIPPED.

    Returns
    -------
    Gated
        Accepted pairs (d2 <= threshold) with d2, log-likelihood and innovation,
        sorted by track then detection, CSR ``offsets``, and a status per track
        (``STATUS_INVALID_INPUT`` for a non-finite z_hat or S, ``STATUS_NOT_PD``
        when S is not positive definite: such a track gets no pairs).

    Notes
    -----
    .. math:: \nu = z - \hat z,\quad d^2 = \nu^T S^{-1} \nu \le \gamma,\quad
              \log \mathcal{N}(\nu; 0, S) = -\tfrac{1}{2}\big(d^2 + m \log 2\pi
              + \log\det S\big)

    The validation gate of the PDA filter (Y. Bar-Shalom, F. Daum, J. Huang,
    "The probabilistic data association filter", IEEE Control Systems Magazine
    29(6), 2009); the coarse stage never drops a pair the fine test accepts
    (docs/gating.md).
    """
    z_hat, S, z, active = _checked(kind, z_hat, S, z, active)
    threshold = gate_threshold(float(gate_probability), z_hat.shape[1])
    return _fine(kind, z_hat, S, z, _candidates(kind, z_hat, S, z, threshold, active),
                 threshold, active)
