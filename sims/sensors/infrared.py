r"""Geostationary infrared sensor: lines of sight to boosters and impact flashes.

Every ``period_s`` the satellite reports the azimuth and elevation (in its own
ENU frame, elevations near -90 deg) of what it sees on the Earth below:

* a flight that is ``boosting``, with probability ``pd_booster``;
* a flight that is alive and not boosting (a cruising missile or an
  airliner), with probability ``pd_cruise`` (default 0: a small turbojet is
  not seen from geostationary orbit);
* an impact flash at each ``impact`` event's point (its ``alt`` if the event
  carries one, else 0 m, the ellipsoid), with probability ``pd_flash`` on
  every scan in ``[t_impact, t_impact + flash_duration_s)``.

An object is visible only above the satellite's horizon: the satellite must
lie above the local horizontal plane at the object,
:math:`(p_{sat} - p)\cdot \hat u(p) > 0`. Detections carry independent
Gaussian noise of ``sigma.az_deg`` and ``sigma.el_deg``.

Realism floor (SCENARIO.md): the line of sight is known no better than
``LOS_FLOOR_DEG``. An elevation error is an angle across the line of sight as
it stands, but an azimuth error moves the line of sight by only
:math:`\sigma_{az}\cos(el)`, and seen from geostationary orbit
:math:`|el|` is 81 to 90 deg: an azimuth sigma of 0.0004 deg looking at
36 N 45 E from 0 N 57 E is 0.000045 deg, 30 m on the ground. So
:meth:`InfraredSatellite.check_floor` checks :math:`\sigma_{az}\cos(el)` at
the points the scenario's missiles fly through (``sims.world``).

False alarms: Poisson with mean ``false_alarms_per_scan`` per scan, uniform
in the sensor's measurement box: azimuth over [0, 360) and elevation from
-90 deg up to the Earth's limb, :math:`-\pi/2 + \arcsin(a / |p_{sat}|)`
(8.7 deg from nadir at geostationary height, :math:`a` the equatorial radius).
The header's clutter density is that mean over the box's area in rad².
"""
from __future__ import annotations

import math
from typing import Iterator

import numpy as np

from tracker import frames
from tracker.scan import Scan, Sensor, Site

from . import truth
from tracker.errors import InputError

from .radar import BLOCK, COVERAGE_PD
from .spec import FLOOR_SOURCE, SpecReader, site_geodetic
from .scanning import per_scan, periodic_times

#: deg, the finest line of sight a scenario may give a satellite (SCENARIO.md)
LOS_FLOOR_DEG = 0.0003


class InfraredSatellite:
    """A geostationary (or any fixed-site) infrared line-of-sight sensor."""

    kind = "los"

    def __init__(self, sensor_id: str, site: Site, period_s: float, sigma_az: float,
                 sigma_el: float, pd_booster: float, pd_flash: float, pd_cruise: float = 0.0,
                 flash_duration_s: float = 4.0, false_alarms_per_scan: float = 0.05,
                 phase_s: float = 0.0):
        self.id, self.site, self.period_s, self.phase_s = sensor_id, site, period_s, phase_s
        self.sigma = np.array([sigma_az, sigma_el])
        self.pd_booster, self.pd_flash, self.pd_cruise = pd_booster, pd_flash, pd_cruise
        self.flash_duration_s = flash_duration_s
        self.false_alarms_per_scan = false_alarms_per_scan
        self._pos = frames.geodetic_to_ecef(site.lat_rad, site.lon_rad, site.alt_m)
        self._rotation = frames.enu_rotation(site.lat_rad, site.lon_rad)
        limb = math.asin(min(1.0, frames.WGS84_A / float(np.linalg.norm(self._pos))))
        self.el_band = (-0.5 * math.pi, -0.5 * math.pi + limb)

    @property
    def description(self) -> Sensor:
        area = 2.0 * math.pi * (self.el_band[1] - self.el_band[0])
        return Sensor(id=self.id, kind="los", site=self.site,
                      sigma={"az": float(self.sigma[0]), "el": float(self.sigma[1])},
                      # DESIGN.md: pd is that of a typical target inside coverage; for an
                      # infrared satellite an air target is a cruising one, not a booster
                      pd=self.pd_cruise, clutter_density=self.false_alarms_per_scan / area,
                      period_s=self.period_s,
                      extra={"pd_booster": self.pd_booster, "pd_flash": self.pd_flash,
                             "flash_duration_s": self.flash_duration_s})

    def _visible(self, pos) -> np.ndarray:
        """(...,) bool: the satellite is above the local horizontal at each point (..., 3)."""
        lat, lon, _ = frames.ecef_to_geodetic(pos)
        up = frames.enu_rotation(lat, lon)[..., 2, :]
        return np.einsum("...i,...i->...", self._pos - pos, up) > 0.0

    def _angles(self, pos) -> tuple[np.ndarray, np.ndarray]:
        az, el, _ = frames.enu_to_aer((pos - self._pos) @ self._rotation.T)
        return az, el

    def check_floor(self, lat, lon, field: str) -> None:
        """Raise `InputError` when the azimuth sigma, as an angle across the line of
        sight to any visible ground point (lat, lon rad), is below ``LOS_FLOOR_DEG``.

        ``field`` is the sensor's field path; the error names its ``sigma.az_deg``.
        """
        ground = frames.geodetic_to_ecef(np.atleast_1d(lat), np.atleast_1d(lon),
                                         0.0).reshape(-1, 3)
        visible = self._visible(ground)
        if not visible.any():
            return
        _, el = self._angles(ground[visible])
        cos_el = float(np.cos(el).min())
        across = math.degrees(self.sigma[0]) * cos_el
        if across < LOS_FLOOR_DEG:
            raise InputError(
                f"{math.degrees(self.sigma[0]):g} deg of azimuth at elevation "
                f"{-math.degrees(math.acos(cos_el)):.1f} deg is {across:.2g} deg across the line "
                f"of sight, below the realism floor {LOS_FLOOR_DEG:g} {FLOOR_SOURCE}; give at "
                f"least {LOS_FLOOR_DEG / cos_el:.2g}", field=f"{field}.sigma.az_deg")

    def coverage(self, pos, t, rcs_m2=None, boosting=None, kinds=None) -> np.ndarray:
        """Objects (N, 3 ECEF), assumed alive, seen with Pd >= 0.1 at ``t`` (flashes aside)."""
        pos = np.asarray(pos, dtype=np.float64).reshape(-1, 3)
        boosting = np.zeros(pos.shape[0], bool) if boosting is None else np.asarray(boosting, bool)
        pd = np.where(boosting, self.pd_booster, self.pd_cruise)
        return self._visible(pos) & (pd >= COVERAGE_PD)

    def scans(self, traj, t_start: float, t_end: float, rng: np.random.Generator) -> Iterator[Scan]:
        """Line-of-sight scans every ``period_s`` over [t_start, t_end] (module docstring)."""
        times = periodic_times(t_start, t_end, self.period_s, self.phase_s)
        impacts = [e for e in traj.events if e.event == "impact"]
        flash_t = np.array([e.t for e in impacts], dtype=np.float64)
        flash_pos = frames.geodetic_to_ecef(
            np.array([e.lat_rad for e in impacts]), np.array([e.lon_rad for e in impacts]),
            np.array([float(e.extra.get("alt", 0.0)) for e in impacts])).reshape(-1, 3)
        names = np.array(list(traj.ids) + [e.id for e in impacts] + [None], dtype=object)
        flash_visible = self._visible(flash_pos)
        for begin in range(0, times.size, BLOCK):
            yield from self._scan_block(traj, times[begin:begin + BLOCK], flash_t, flash_pos,
                                        flash_visible, names, rng)

    def _scan_block(self, traj, times, flash_t, flash_pos, flash_visible, names, rng):
        state = truth.sample(traj, times)
        n_flights = state.alive.shape[1]
        pd = np.where(state.boosting, self.pd_booster, self.pd_cruise) * state.alive
        seen = (rng.random(pd.shape) < pd)
        seen[seen] = self._visible(state.pos[seen])            # only the candidates' geometry
        flashing = ((times[:, None] >= flash_t) & (times[:, None] < flash_t + self.flash_duration_s)
                    & flash_visible)
        flash_seen = flashing & (rng.random(flashing.shape) < self.pd_flash)
        scan_t, flight = np.nonzero(seen)
        scan_f, flash = np.nonzero(flash_seen)
        az, el = self._angles(np.concatenate([state.pos[scan_t, flight], flash_pos[flash]]))
        measured = np.stack([az, el], 1) + rng.standard_normal((az.size, 2)) * self.sigma
        counts = rng.poisson(self.false_alarms_per_scan, size=times.size)
        scan_c = np.repeat(np.arange(times.size), counts)
        clutter = np.stack([rng.uniform(0.0, 2.0 * math.pi, scan_c.size),
                            rng.uniform(*self.el_band, scan_c.size)], 1)
        rows = np.concatenate([measured, clutter])
        rows[:, 0] = frames.wrap_two_pi(rows[:, 0])
        rows[:, 1] = np.clip(rows[:, 1], -0.5 * math.pi, 0.5 * math.pi)
        labels = np.concatenate([flight, n_flights + flash, np.full(scan_c.size, -1)])
        scan_of = np.concatenate([scan_t, scan_f, scan_c])
        for k, (detections, ids) in enumerate(per_scan(rows, labels, scan_of, times.size, names,
                                                       rng)):
            yield Scan(t=float(times[k]), sensor=self.id, kind="los", detections=detections,
                       detection_ids=ids)

    @classmethod
    def from_spec(cls, reader: SpecReader) -> "InfraredSatellite":
        """Build from a scenario's ``infrared_satellite`` dict (docs/sensors.md)."""
        sensor_id = reader.text("id")
        lat, lon, alt = site_geodetic(reader.child("site"), alt_at_least=0.0)
        sig = reader.child("sigma")
        sigma_az = math.radians(sig.number("az_deg", above=0.0, floor=LOS_FLOOR_DEG))
        sigma_el = math.radians(sig.number("el_deg", above=0.0, floor=LOS_FLOOR_DEG))
        sig.finish()
        return cls(sensor_id, Site(lat, lon, alt), reader.number("period_s", above=0.0),
                   sigma_az, sigma_el, pd_booster=reader.probability("pd_booster"),
                   pd_flash=reader.probability("pd_flash"),
                   pd_cruise=reader.probability("pd_cruise", 0.0),
                   flash_duration_s=reader.number("flash_duration_s", 4.0, above=0.0),
                   false_alarms_per_scan=reader.number("false_alarms_per_scan", 0.05,
                                                       at_least=0.0),
                   phase_s=reader.number("phase_s", 0.0))
