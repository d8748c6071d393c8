r"""Airborne early-warning radar on a racetrack orbit.

The radar physics, sector scanning and false alarms are those of
:mod:`sims.sensors.radar`; only the antenna moves. Its range-rate is relative
to the moving radar, and every scan carries the radar's ``site`` at the
scan time with ``vel_enu``, its velocity in its own ENU frame (DESIGN.md).
The radio horizon comes from its altitude: about 390 km for a radar at
9,000 m plus 29 km for a target at 50 m. Sectors are fixed in true azimuth
(the aircraft's heading does not turn them).

The orbit (two straight legs joined by semicircles, flown clockwise seen from
above) is laid out in the tangent plane at its centre: ``x`` along
``heading_deg``, ``y`` to its right. Leg 1 runs from :math:`(-L/2, -W/2)` to
:math:`(L/2, -W/2)`, the first turn is centred at :math:`(L/2, 0)` with
radius :math:`W/2`, leg 2 runs back at :math:`y = W/2`, and the second turn
closes the loop; the perimeter is :math:`2L + \pi W`. The orbit is timed in
absolute UTC, so that scans and coverage agree whatever window is simulated:
the aircraft is at the start of leg 1 at ``t = phase_s`` (UTC s, default 0)
and every ``perimeter / speed_mps`` seconds before and after. A plane offset
:math:`(e, n)` becomes geodetic with the radii of curvature at the centre,
:math:`\varphi = \varphi_0 + n/(M_0+h)`, :math:`\lambda = \lambda_0 + e/((N_0+h)\cos\varphi_0)`,
at the constant altitude :math:`h`; the velocity written into the scans is the
time derivative of that geodetic path, expressed in the aircraft's own ENU
frame (horizontal, within 1 % of ``speed_mps`` for a 100 km orbit).
"""
from __future__ import annotations

import math

import numpy as np

from tracker import frames
from tracker.scan import Site

from .radar import RadarConfig, SiteStates, SurveillanceRadar, read_radar_config
from .spec import SpecReader


class Racetrack:
    """A racetrack orbit: centre, altitude, leg length, width, heading, speed (module docstring)."""

    def __init__(self, lat_rad: float, lon_rad: float, alt_m: float, length_m: float,
                 width_m: float, heading_rad: float, speed_mps: float, t0: float = 0.0):
        self.lat0, self.lon0, self.alt = lat_rad, lon_rad, alt_m
        self.length, self.radius, self.speed, self.t0 = length_m, width_m / 2.0, speed_mps, t0
        self.perimeter = 2.0 * length_m + math.pi * width_m
        # unit vectors of the orbit's x (forward) and y (right) axes in (east, north)
        self.forward = np.array([math.sin(heading_rad), math.cos(heading_rad)])
        self.right = np.array([math.cos(heading_rad), -math.sin(heading_rad)])
        meridian, prime_vertical = frames.principal_radii(lat_rad, alt_m)
        self._scale = np.array([1.0 / (prime_vertical * math.cos(lat_rad)), 1.0 / meridian])

    def plane(self, times) -> tuple[np.ndarray, np.ndarray]:
        """Position (K, 2) m and velocity (K, 2) m/s in the orbit frame (x forward, y right)."""
        s = np.mod(self.speed * (np.asarray(times, dtype=np.float64) - self.t0), self.perimeter)
        half_l, r = self.length / 2.0, self.radius
        turn = math.pi * r
        pos = np.empty(s.shape + (2,))
        direction = np.empty(s.shape + (2,))
        leg1 = s < self.length
        turn1 = (s >= self.length) & (s < self.length + turn)
        leg2 = (s >= self.length + turn) & (s < 2.0 * self.length + turn)
        turn2 = s >= 2.0 * self.length + turn
        pos[leg1] = np.stack([-half_l + s[leg1], np.full(leg1.sum(), -r)], -1)
        direction[leg1] = (1.0, 0.0)
        phi = (s[turn1] - self.length) / r                    # centre (L/2, 0)
        pos[turn1] = np.stack([half_l + r * np.sin(phi), -r * np.cos(phi)], -1)
        direction[turn1] = np.stack([np.cos(phi), np.sin(phi)], -1)
        u = s[leg2] - self.length - turn
        pos[leg2] = np.stack([half_l - u, np.full(leg2.sum(), r)], -1)
        direction[leg2] = (-1.0, 0.0)
        phi = (s[turn2] - 2.0 * self.length - turn) / r       # centre (-L/2, 0)
        pos[turn2] = np.stack([-half_l - r * np.sin(phi), r * np.cos(phi)], -1)
        direction[turn2] = np.stack([-np.cos(phi), -np.sin(phi)], -1)
        return pos, self.speed * direction

    def states(self, times) -> SiteStates:
        """The aircraft's geodetic position, ECEF position and velocity at ``times`` (K,)."""
        xy, vxy = self.plane(np.atleast_1d(times))
        offset_en = xy[:, :1] * self.forward + xy[:, 1:] * self.right       # (K, 2) east, north
        rate_en = vxy[:, :1] * self.forward + vxy[:, 1:] * self.right
        lon = frames.wrap_pi(self.lon0 + offset_en[:, 0] * self._scale[0])   # antimeridian
        lat = self.lat0 + offset_en[:, 1] * self._scale[1]
        # d(lat)/dt and d(lon)/dt of the path, turned into metres per second at the aircraft
        meridian, prime_vertical = frames.principal_radii(lat, self.alt)
        vel_enu = np.stack([rate_en[:, 0] * self._scale[0] * prime_vertical * np.cos(lat),
                            rate_en[:, 1] * self._scale[1] * meridian,
                            np.zeros(lat.size)], axis=1)
        alt = np.full(lat.size, self.alt)
        return SiteStates(pos=frames.geodetic_to_ecef(lat, lon, alt),
                          vel=frames.enu_to_ecef_vector(vel_enu, lat, lon),
                          lat=lat, lon=lon, alt=alt, vel_enu=vel_enu)


class AirborneRadar(SurveillanceRadar):
    """An early-warning radar flying a :class:`Racetrack` (module docstring)."""

    def __init__(self, sensor_id: str, config: RadarConfig, orbit: Racetrack):
        super().__init__(sensor_id, config)
        self.orbit = orbit

    def site_states(self, times) -> SiteStates:
        return self.orbit.states(times)

    def _scan_site(self, site: SiteStates, k: int) -> Site:
        return Site(float(site.lat[k]), float(site.lon[k]), float(site.alt[k]),
                    vel_enu=site.vel_enu[k].copy())

    def _header_extra(self) -> dict:
        o = self.orbit
        return {"orbit": {"lat": math.degrees(o.lat0), "lon": math.degrees(o.lon0), "alt": o.alt}}

    @classmethod
    def from_spec(cls, reader: SpecReader) -> "AirborneRadar":
        """Build from a scenario's ``airborne_radar`` dict (docs/sensors.md)."""
        sensor_id = reader.text("id")
        o = reader.child("orbit")
        lat = math.radians(o.number("lat", at_least=-90.0, at_most=90.0))
        lon = math.radians(o.number("lon", at_least=-180.0, at_most=180.0))
        orbit = Racetrack(lat, lon, o.number("alt", above=0.0),
                          o.number("length_m", at_least=0.0), o.number("width_m", above=0.0),
                          math.radians(o.number("heading_deg", at_least=0.0, at_most=360.0)),
                          o.number("speed_mps", above=0.0), t0=o.number("phase_s", 0.0))
        o.finish()
        config = read_radar_config(reader, az_floor_deg=0.2, el_band_deg=(-30.0, 20.0))
        return cls(sensor_id, config, orbit)
