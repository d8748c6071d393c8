r"""Geolocation feed: noisy latitude, longitude and altitude reports of listed kinds.

Every ``period_s`` the feed reports each alive flight whose kind is listed in
``kinds`` (default: every kind) and whose position lies inside ``region``
(a latitude/longitude box, degrees) with probability ``pd``. A report is the
true position moved by independent Gaussian errors of ``sigma.h_m`` east and
north and ``sigma.v_m`` up in the local ENU frame, then turned back into
latitude, longitude and altitude (through ECEF, so a report near a pole stays
a valid latitude and every longitude lies in (-180, 180]). To first order
that is :math:`\Delta\varphi = \epsilon_n / (M + h)`,
:math:`\Delta\lambda = \epsilon_e / ((N + h)\cos\varphi)` (radii of curvature
:math:`M, N`, :func:`tracker.frames.principal_radii`).

False reports: Poisson with mean ``false_alarms_per_scan`` per scan, uniform
in area over the region (:math:`\sin\varphi` uniform, which is uniform in
area on a sphere and within 1 % of it on the ellipsoid) and uniform in
altitude over ``clutter_alt_m`` (default [0, 15000] m). The header's clutter
density is that mean over the region's volume, in m⁻³: the ellipsoidal area
:math:`\Delta\lambda\int M N \cos\varphi\, d\varphi` times the altitude band.
"""
from __future__ import annotations

import math
from typing import Iterator

import numpy as np

from tracker import frames
from tracker.scan import Scan, Sensor

from . import truth
from .radar import BLOCK, COVERAGE_PD
from .spec import SpecReader
from .scanning import per_scan, periodic_times


class PositionFeed:
    """A geolocating position sensor over a region (module docstring)."""

    kind = "position"

    def __init__(self, sensor_id: str, period_s: float, sigma_h_m: float, sigma_v_m: float,
                 pd: float, lat_rad: tuple[float, float], lon_rad: tuple[float, float],
                 kinds: tuple[str, ...] | None = None, false_alarms_per_scan: float = 0.1,
                 clutter_alt_m: tuple[float, float] = (0.0, 15000.0), phase_s: float = 0.0):
        self.id, self.period_s, self.phase_s = sensor_id, period_s, phase_s
        self.sigma = np.array([sigma_h_m, sigma_h_m, sigma_v_m])    # east, north, up
        self.pd, self.lat, self.lon, self.kinds = pd, lat_rad, lon_rad, kinds
        self.false_alarms_per_scan, self.clutter_alt_m = false_alarms_per_scan, clutter_alt_m

    def region_area(self, n: int = 400) -> float:
        """Area (m²) of the region on the ellipsoid, by the midpoint rule in latitude."""
        edges = np.linspace(*self.lat, n + 1)
        lat = 0.5 * (edges[1:] + edges[:-1])
        meridian, prime_vertical = frames.principal_radii(lat)
        return float(np.sum(meridian * prime_vertical * np.cos(lat)) * (edges[1] - edges[0])
                     * (self.lon[1] - self.lon[0]))

    @property
    def description(self) -> Sensor:
        volume = self.region_area() * (self.clutter_alt_m[1] - self.clutter_alt_m[0])
        extra = {"region": {"lat": [round(math.degrees(x), 9) for x in self.lat],
                            "lon": [round(math.degrees(x), 9) for x in self.lon]}}
        if self.kinds is not None:
            extra["kinds"] = list(self.kinds)
        return Sensor(id=self.id, kind="position", site=None,
                      sigma={"h": float(self.sigma[0]), "v": float(self.sigma[2])}, pd=self.pd,
                      clutter_density=self.false_alarms_per_scan / volume,
                      period_s=self.period_s, extra=extra)

    def _reported(self, lat, lon, kinds) -> np.ndarray:
        """(..., F) bool: inside the region and of a listed kind."""
        east = frames.wrap_two_pi(lon - self.lon[0])
        inside = (lat >= self.lat[0]) & (lat <= self.lat[1]) & (east <= self.lon[1] - self.lon[0])
        if self.kinds is not None:
            if kinds is None:
                raise ValueError(f"{self.id} reports only {list(self.kinds)}: pass kinds=")
            inside &= np.isin(np.asarray(kinds), self.kinds)
        return inside

    def coverage(self, pos, t, rcs_m2=None, boosting=None, kinds=None) -> np.ndarray:
        """Objects (N, 3 ECEF), assumed alive, that the feed reports with Pd >= 0.1.

        ``kinds`` (N,) is required when the feed lists kinds.
        """
        lat, lon, _ = frames.ecef_to_geodetic(np.asarray(pos, dtype=np.float64).reshape(-1, 3))
        return self._reported(lat, lon, kinds) & (self.pd >= COVERAGE_PD)

    def scans(self, traj, t_start: float, t_end: float, rng: np.random.Generator) -> Iterator[Scan]:
        """Position reports every ``period_s`` over [t_start, t_end] (module docstring)."""
        times = periodic_times(t_start, t_end, self.period_s, self.phase_s)
        names = np.array(list(traj.ids) + [None], dtype=object)
        for begin in range(0, times.size, BLOCK):
            yield from self._scan_block(traj, times[begin:begin + BLOCK], names, rng)

    def _scan_block(self, traj, times, names, rng):
        state = truth.sample(traj, times)
        lat, lon, alt = frames.ecef_to_geodetic(state.pos)
        reported = state.alive & self._reported(lat, lon, np.asarray(traj.kinds)[None, :])
        reported &= rng.random(reported.shape) < self.pd
        scan_t, flight = np.nonzero(reported)
        error = rng.standard_normal((scan_t.size, 3)) * self.sigma       # east, north, up (m)
        # moved in the local ENU frame and back to geodetic through ECEF, so that a
        # report near a pole stays a valid latitude (over the pole, not beyond 90 deg)
        moved = state.pos[reported] + frames.enu_to_ecef_vector(error, lat[reported],
                                                                lon[reported])
        measured = np.stack(frames.ecef_to_geodetic(moved), 1).reshape(-1, 3)
        counts = rng.poisson(self.false_alarms_per_scan, size=times.size)
        scan_c = np.repeat(np.arange(times.size), counts)
        n = scan_c.size
        sin_lat = rng.uniform(math.sin(self.lat[0]), math.sin(self.lat[1]), n)
        clutter = np.stack([np.arcsin(sin_lat), rng.uniform(*self.lon, n),
                            rng.uniform(*self.clutter_alt_m, n)], 1)
        rows = np.concatenate([measured, clutter])
        rows[:, 1] = frames.wrap_pi(rows[:, 1])
        labels = np.concatenate([flight, np.full(n, -1)])
        scan_of = np.concatenate([scan_t, scan_c])
        for k, (detections, ids) in enumerate(per_scan(rows, labels, scan_of, times.size, names,
                                                       rng)):
            yield Scan(t=float(times[k]), sensor=self.id, kind="position",
                       detections=detections, detection_ids=ids)

    @classmethod
    def from_spec(cls, reader: SpecReader) -> "PositionFeed":
        """Build from a scenario's ``position`` dict (docs/sensors.md)."""
        sensor_id = reader.text("id")
        sig = reader.child("sigma")
        sigma_h = sig.number("h_m", above=0.0, floor=200.0)
        sigma_v = sig.number("v_m", above=0.0)
        sig.finish()
        region = reader.child("region")
        lat = tuple(math.radians(x) for x in region.pair("lat", at_least=-90.0, at_most=90.0))
        lon = tuple(math.radians(x) for x in region.pair("lon", at_least=-180.0, at_most=360.0))
        if lon[1] - lon[0] > 2.0 * math.pi:
            region.fail("lon", "spans more than 360 deg")
        region.finish()
        kinds = reader.raw("kinds", None)
        if kinds is not None and (not isinstance(kinds, list) or not kinds or not all(
                isinstance(k, str) and k for k in kinds)):
            reader.fail("kinds", f"expected a non-empty list of flight kinds, got {kinds!r}")
        return cls(sensor_id, reader.number("period_s", above=0.0), sigma_h, sigma_v,
                   pd=reader.probability("pd"), lat_rad=lat, lon_rad=lon,
                   kinds=None if kinds is None else tuple(kinds),
                   false_alarms_per_scan=reader.number("false_alarms_per_scan", 0.1, at_least=0.0),
                   clutter_alt_m=reader.pair("clutter_alt_m", [0.0, 15000.0]),
                   phase_s=reader.number("phase_s", 0.0))
