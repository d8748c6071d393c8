r"""Rotating 3-D surveillance radars: the ground radar, and the engine the airborne one shares.

A radar rotates clockwise once per ``period_s`` and reports sector by sector:
the circle is cut into ``sectors`` equal azimuth sectors, and each sector is
one :class:`tracker.scan.Scan` stamped with the time the beam points at the
sector's centre. The rotation is timed in absolute UTC, so that any window of
a run has the same scan times: the beam points at ``start_az_deg``, the start
of sector 0, at ``t = phase_s`` (UTC s, default 0) and every ``period_s`` from
it. Every target and false alarm of a sector is evaluated at that same
instant, so a detection is never stamped away from the time it describes (the
spread of true times within a sector, ``period_s / sectors``, is not
modelled).

A flight is in coverage when it is alive, within ``range_max_m``, within the
4/3-Earth radio horizon of the antenna and target heights
(:func:`tracker.frames.radar_horizon_range`; heights above the WGS-84
ellipsoid, the default ground) and within the elevation band
``[el_min_deg, el_max_deg]``. It is detected in the sector scan that holds
its azimuth with the radar-equation probability of
:mod:`sims.sensors.radar_equation`, drawn independently each scan (Swerling
1: the cross-section decorrelates scan to scan). A detection is the true
range, azimuth, elevation (geometric, in the site's ENU frame) and range-rate
(positive opening, relative to the radar's own velocity) plus independent
Gaussian noise of the configured sigmas.

False alarms: Poisson with mean ``false_alarms_per_rotation / sectors`` per
sector scan, uniform over the sector's measurement volume: range in
``[0, range_max_m]``, azimuth in the sector, elevation in the elevation band,
range-rate in ``[-clutter_rr_max_mps, clutter_rr_max_mps]``. The header's
clutter density is therefore

.. math:: \lambda = \frac{N_{fa}}{R_{max}\cdot 2\pi\cdot(e_{max} - e_{min})
          \cdot 2\dot r_{max}} \quad [\text{per m rad rad (m/s)}]

The elevation band reaches below 0 (default -1 deg for a ground radar): under
4/3-Earth refraction a low target near the horizon is seen a few tenths of a
degree below the geometric horizontal, and it belongs in the measured volume.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from tracker import frames
from tracker.scan import Scan, Sector, Sensor, Site

from . import truth
from .radar_equation import SWERLING_CASES, RadarDetection
from .scanning import per_scan
from .spec import FLOOR_SOURCE, SpecReader, site_geodetic

#: detection probability from which an object counts as seen (DESIGN.md ``seen_by``)
COVERAGE_PD = 0.1
#: scan times per block of vectorised work (memory ~ block x flights x 100 bytes)
BLOCK = 512


@dataclass(frozen=True)
class RadarConfig:
    """The scanning, accuracy and detection parameters of one radar (internal units)."""

    period_s: float                      #: s, one full rotation
    sectors: int                         #: sector scans per rotation
    range_max_m: float                   #: m, instrumented range
    sigma: dict                          #: range (m), az, el (rad), rr (m/s) or no rr
    detection: RadarDetection
    false_alarms_per_rotation: float     #: mean false alarms over one full rotation
    el_band_rad: tuple[float, float]     #: rad, elevation coverage and clutter band
    clutter_rr_max_mps: float            #: m/s, false-alarm range-rates in [-x, x]
    start_az_rad: float = 0.0            #: rad, where sector 0 starts
    phase_s: float = 0.0                 #: UTC s at which a rotation starts at start_az_rad

    @property
    def has_range_rate(self) -> bool:
        return "rr" in self.sigma

    @property
    def sector_width(self) -> float:
        return 2.0 * math.pi / self.sectors

    def measurement_volume(self) -> float:
        """Volume of one rotation in m rad rad (m/s) (m rad rad without range-rate)."""
        volume = self.range_max_m * 2.0 * math.pi * (self.el_band_rad[1] - self.el_band_rad[0])
        return volume * (2.0 * self.clutter_rr_max_mps if self.has_range_rate else 1.0)

    def clutter_density(self) -> float:
        """False alarms per unit measurement volume (internal units, module docstring)."""
        return self.false_alarms_per_rotation / self.measurement_volume()

    def sigma_vector(self) -> np.ndarray:
        keys = ("range", "az", "el", "rr") if self.has_range_rate else ("range", "az", "el")
        return np.array([self.sigma[k] for k in keys])


def read_radar_config(reader: SpecReader, *, az_floor_deg: float,
                      el_band_deg: tuple[float, float]) -> RadarConfig:
    """The radar fields shared by ground and airborne radars, checked against the floors.

    Floors (SCENARIO.md): sigma range >= 50 m, az >= ``az_floor_deg``, el >= 0.2
    deg, range-rate >= 1 m/s; period 5 to 12 s; a 1 m^2 target's Pd falls to
    0.5 inside ``range_max_m``; at least one false alarm per rotation.
    """
    period = reader.number("period_s", above=0.0)
    if not 5.0 <= period <= 12.0:
        reader.fail("period_s", f"{period:g} is outside the realism band [5, 12] s {FLOOR_SOURCE}")
    sectors = reader.integer("sectors", 16, at_least=1)
    range_max = reader.number("range_max_m", above=0.0)
    sig = reader.child("sigma")
    sigma = {"range": sig.number("range_m", above=0.0, floor=50.0),
             "az": math.radians(sig.number("az_deg", above=0.0, floor=az_floor_deg)),
             "el": math.radians(sig.number("el_deg", above=0.0, floor=0.2))}
    if sig.has("rr_mps"):
        sigma["rr"] = sig.number("rr_mps", above=0.0, floor=1.0)
    sig.finish()
    detection = RadarDetection(
        r50_m=reader.number("r50_m", above=0.0),
        rcs_ref_m2=reader.number("rcs_ref_m2", 1.0, above=0.0),
        swerling=reader.integer("swerling", 1, choices=sorted(SWERLING_CASES)),
        pfa=reader.number("pfa", 1e-6, above=0.0, at_most=1e-2))
    r50_one = detection.r50_m * (1.0 / detection.rcs_ref_m2) ** 0.25
    if not r50_one < range_max:
        reader.fail("r50_m", f"a 1 m^2 target keeps Pd >= 0.5 out to {r50_one:.0f} m, beyond "
                    f"range_max_m {range_max:.0f}: the realism floor wants Pd to fall to 0.5 "
                    f"inside the range limit {FLOOR_SOURCE}")
    false_alarms = reader.number("false_alarms_per_rotation", at_least=0.0)
    if false_alarms < 1.0:
        reader.fail("false_alarms_per_rotation",
                    f"{false_alarms:g} is below the realism floor 1 {FLOOR_SOURCE}")
    el_min = reader.number("el_min_deg", el_band_deg[0], at_least=-90.0)
    el_max = reader.number("el_max_deg", el_band_deg[1], at_most=90.0)
    if not el_min < el_max:
        reader.fail("el_max_deg", f"{el_max:g} must be > el_min_deg {el_min:g}")
    return RadarConfig(
        period_s=period, sectors=sectors, range_max_m=range_max, sigma=sigma,
        detection=detection, false_alarms_per_rotation=false_alarms,
        el_band_rad=(math.radians(el_min), math.radians(el_max)),
        clutter_rr_max_mps=reader.number("clutter_rr_max_mps", 350.0, above=0.0),
        start_az_rad=math.radians(reader.number("start_az_deg", 0.0, at_least=0.0,
                                                at_most=360.0)) % (2.0 * math.pi),
        phase_s=reader.number("phase_s", 0.0))


@dataclass(frozen=True)
class SiteStates:
    """Where the antenna is at K times."""

    pos: np.ndarray      #: (K, 3) ECEF m
    vel: np.ndarray      #: (K, 3) ECEF m/s
    lat: np.ndarray      #: (K,) rad
    lon: np.ndarray      #: (K,) rad
    alt: np.ndarray      #: (K,) m above the ellipsoid
    vel_enu: np.ndarray  #: (K, 3) m/s in the site's own ENU frame


def polar_geometry(site: SiteStates, pos, vel):
    """Range, azimuth, elevation and range-rate of targets (K, F, 3) from the sites (K).

    Range-rate :math:`\\dot\\rho = d\\cdot(v - v_s)/|d|`, positive when opening,
    as :class:`tracker.models.Radar` predicts it.
    """
    d = pos - site.pos[:, None, :]
    enu = np.einsum("kij,kfj->kfi", frames.enu_rotation(site.lat, site.lon), d)
    az, el, rng = frames.enu_to_aer(enu)
    rr = np.einsum("kfi,kfi->kf", d, vel - site.vel[:, None, :]) / np.maximum(rng, 1e-9)
    return rng, az, el, rr


class SurveillanceRadar:
    """A rotating radar reporting sector scans; subclasses say where the antenna is."""

    kind = "radar"

    def __init__(self, sensor_id: str, config: RadarConfig):
        self.id = sensor_id
        self.config = config

    # -- what subclasses provide
    def site_states(self, times) -> SiteStates:
        raise NotImplementedError

    def _scan_site(self, site: SiteStates, k: int) -> Site | None:
        """The ``site`` a scan carries (moving radars only)."""
        return None

    def _header_site(self) -> Site | None:
        return None

    def _header_extra(self) -> dict:
        return {}

    # -- shared
    @property
    def description(self) -> Sensor:
        cfg = self.config
        extra = {"sectors": cfg.sectors, "r50_m": cfg.detection.r50_m,
                 "rcs_ref_m2": cfg.detection.rcs_ref_m2, "swerling": cfg.detection.swerling,
                 "pfa": cfg.detection.pfa,
                 "el_band_deg": [round(math.degrees(e), 9) for e in cfg.el_band_rad]}
        if cfg.has_range_rate:
            extra["clutter_rr_max_mps"] = cfg.clutter_rr_max_mps
        extra.update(self._header_extra())
        return Sensor(id=self.id, kind="radar", site=self._header_site(), sigma=dict(cfg.sigma),
                      pd=cfg.detection.mean_pd_over_disc(cfg.range_max_m, cfg.detection.rcs_ref_m2),
                      clutter_density=cfg.clutter_density(), range_max_m=cfg.range_max_m,
                      period_s=cfg.period_s, extra=extra)

    def _covered(self, site: SiteStates, rng, el, target_alt) -> np.ndarray:
        """Range limit, radio horizon and elevation band, (K, F) bool."""
        cfg = self.config
        horizon = frames.radar_horizon_range(np.maximum(site.alt, 0.0)[:, None],
                                             np.maximum(target_alt, 0.0))
        return ((rng <= cfg.range_max_m) & (rng <= horizon)
                & (el >= cfg.el_band_rad[0]) & (el <= cfg.el_band_rad[1]))

    def coverage(self, pos, t, rcs_m2, boosting=None, kinds=None) -> np.ndarray:
        """Objects (N, 3 ECEF) inside coverage with Pd >= 0.1 at ``t`` (DESIGN.md ``seen_by``)."""
        pos = np.asarray(pos, dtype=np.float64).reshape(1, -1, 3)
        site = self.site_states(np.array([float(t)]))
        rng, _, el, _ = polar_geometry(site, pos, np.zeros_like(pos))
        pd = self.config.detection.detection_probability(rng, np.asarray(rcs_m2)[None, :])
        alt = frames.ecef_to_geodetic(pos)[2]
        return (self._covered(site, rng, el, alt) & (pd >= COVERAGE_PD))[0]

    def scan_times(self, t_start: float, t_end: float) -> np.ndarray:
        """Centre times of the sector scans in [t_start, t_end] and their sector indices."""
        cfg = self.config
        dwell = cfg.period_s / cfg.sectors
        # sector scan n is centred at phase_s + (n + 1/2) dwell, n counted from phase_s
        first = math.ceil((t_start - cfg.phase_s) / dwell - 0.5)
        last = math.floor((t_end - cfg.phase_s) / dwell - 0.5)
        n = np.arange(first, max(last + 1, first), dtype=np.int64)
        return cfg.phase_s + (n + 0.5) * dwell, np.mod(n, cfg.sectors)

    def scans(self, traj, t_start: float, t_end: float, rng: np.random.Generator) -> Iterator[Scan]:
        """Sector scans in time order over [t_start, t_end] (module docstring)."""
        times, sectors = self.scan_times(t_start, t_end)
        for begin in range(0, times.size, BLOCK):
            block = slice(begin, begin + BLOCK)
            yield from self._scan_block(traj, times[block], sectors[block], rng)

    def _scan_block(self, traj, times, sector, rng) -> Iterator[Scan]:
        cfg = self.config
        width = cfg.sector_width
        sector_from = frames.wrap_two_pi(cfg.start_az_rad + sector * width)
        state = truth.sample(traj, times)
        site = self.site_states(times)
        rng_m, az, el, rr = polar_geometry(site, state.pos, state.vel)
        in_sector = frames.wrap_two_pi(az - sector_from[:, None]) < width
        visible = (state.alive & in_sector
                   & self._covered(site, rng_m, el, state.altitude()))
        pd = cfg.detection.detection_probability(rng_m, np.asarray(traj.rcs_m2)[None, :])
        detected = visible & (rng.random(visible.shape) < pd)
        scan_of_target, flight = np.nonzero(detected)
        columns = [rng_m, az, el, rr] if cfg.has_range_rate else [rng_m, az, el]
        sigma = cfg.sigma_vector()
        measured = (np.stack([c[detected] for c in columns], axis=1)
                    + rng.standard_normal((flight.size, sigma.size)) * sigma)
        # false alarms, uniform over each sector's measurement volume
        counts = rng.poisson(cfg.false_alarms_per_rotation / cfg.sectors, size=times.size)
        scan_of_clutter = np.repeat(np.arange(times.size), counts)
        n = scan_of_clutter.size
        clutter = [rng.uniform(0.0, cfg.range_max_m, n),
                   sector_from[scan_of_clutter] + rng.uniform(0.0, width, n),
                   rng.uniform(*cfg.el_band_rad, n)]
        if cfg.has_range_rate:
            clutter.append(rng.uniform(-cfg.clutter_rr_max_mps, cfg.clutter_rr_max_mps, n))
        rows = np.concatenate([measured, np.stack(clutter, axis=1)])
        rows[:, 0] = np.abs(rows[:, 0])                        # a range is never negative
        rows[:, 1] = frames.wrap_two_pi(rows[:, 1])
        rows[:, 2] = np.clip(rows[:, 2], -0.5 * math.pi, 0.5 * math.pi)
        labels = np.concatenate([flight, np.full(n, -1)])
        scan_of = np.concatenate([scan_of_target, scan_of_clutter])
        names = np.array(list(traj.ids) + [None], dtype=object)
        sector_to = frames.wrap_two_pi(sector_from + width)
        for k, (detections, ids) in enumerate(per_scan(rows, labels, scan_of, times.size, names,
                                                       rng)):
            yield Scan(t=float(times[k]), sensor=self.id, kind="radar", detections=detections,
                       site=self._scan_site(site, k),
                       sector=None if cfg.sectors == 1 else Sector(
                           az_rad=(float(sector_from[k]), float(sector_to[k]))),
                       detection_ids=ids)


class GroundRadar(SurveillanceRadar):
    """A ground-based rotating 3-D surveillance radar at a fixed site."""

    def __init__(self, sensor_id: str, config: RadarConfig, lat_rad: float, lon_rad: float,
                 alt_m: float):
        super().__init__(sensor_id, config)
        self.site = Site(lat_rad, lon_rad, alt_m)
        self._pos = frames.geodetic_to_ecef(lat_rad, lon_rad, alt_m)

    def site_states(self, times) -> SiteStates:
        k = np.atleast_1d(times).size
        return SiteStates(pos=np.broadcast_to(self._pos, (k, 3)), vel=np.zeros((k, 3)),
                          lat=np.full(k, self.site.lat_rad), lon=np.full(k, self.site.lon_rad),
                          alt=np.full(k, self.site.alt_m), vel_enu=np.zeros((k, 3)))

    def _header_site(self) -> Site:
        return self.site

    @classmethod
    def from_spec(cls, reader: SpecReader) -> "GroundRadar":
        """Build from a scenario's ``ground_radar`` dict (docs/sensors.md)."""
        sensor_id = reader.text("id")
        lat, lon, alt = site_geodetic(reader.child("site"))
        if alt < 0.0:
            reader.fail("site.alt", f"{alt:g} m: the antenna must be above the ground (>= 0)")
        config = read_radar_config(reader, az_floor_deg=0.1, el_band_deg=(-1.0, 45.0))
        return cls(sensor_id, config, lat, lon, alt)
