r"""Clutter density estimated online, per sensor and per cell of a coarse clutter map.

A recording may leave out a sensor's ``clutter_density`` (DESIGN.md); a fixed
guess per kind (``sensor_defaults``) is then off by whatever the sensor's
false-alarm rate and coverage make it, and JIPDA's likelihood ratios
N(nu; 0, S) / lambda with it. This module learns lambda from the scans, in
the measurement space the tracker uses (SI and radians: per m·rad²·(m/s) for a
radar with range-rate, per m·rad² without, per rad² for a line of sight, per
m³ for a position feed).

The counts are the detections no confirmed track claims: detection j counts
w_j = 1 - sum_i q_ij over the confirmed tracks i (JIPDA's marginals, ``claimed``
of ``tracker.association`` restricted to confirmed tracks). Detections that
start or feed tentative tracks count: most such tracks are clutter and die.

Each sensor's measurement volume is cut into cells c of volume V_c (a radar:
rings of range times sectors of azimuth, over the elevation band and the
range-rate span; a position feed: its region in latitude and longitude, over
an altitude band; a line of sight: one cell, its field of view). A scan
exposes fraction f_c of cell c (a radar's ``sector``) and brings n_c = sum of
w_j over its detections in c. False detections are a Poisson process of
density lambda_c, so n_c ~ Poisson(lambda_c f_c V_c), and the conjugate
Gamma posterior with exponential forgetting (a discounted Poisson-Gamma
filter [1]_; the "classic" clutter map of [2]_ with Bayesian weights) is

.. math:: a_c \leftarrow \gamma_c a_c + n_c, \quad
          b_c \leftarrow \gamma_c b_c + f_c V_c, \quad
          \gamma_c = (1 - 1/M)^{f_c}

with M = ``memory_looks``: a whole look at a cell fades by 1 - 1/M. The
sensor-wide estimate pools the cells, with a prior of ``prior_looks`` (a)
whole-volume looks at lambda_0 (the header's density, else
``sensor_defaults``), kept at its weight rather than faded (as the per-track
pd of ``tracker.engine``), so its pull is at most a / (M + a):

.. math:: \bar\lambda = \frac{\sum_c a_c + a \lambda_0 V}{\sum_c b_c + a V}

and each cell shrinks to it with a prior of ``map_prior_looks`` (kappa) looks
at the cell (a hierarchical Gamma-Poisson, the empirical-Bayes estimate of
each cell), floored at ``map_floor`` (phi) of the mean:

.. math:: \lambda_c = \max\Big(\frac{a_c + \kappa \bar\lambda V_c}{b_c + \kappa V_c},
          \ \phi \bar\lambda\Big)

A detection's clutter density is its cell's lambda_c, taken before the scan
it belongs to is counted. All of it is a few NumPy calls a scan.

References
----------
.. [1] A. C. Harvey, C. Fernandes, "Time series models for count or
   qualitative observations", J. Business & Economic Statistics 7(4), 1989
   (the Poisson-Gamma model with a discount factor).
.. [2] D. Musicki, S. Suvorova, M. Morelande, B. Moran, "Clutter map and
   target tracking", FUSION 2005.
"""
from __future__ import annotations

import math
from typing import Mapping

import numpy as np

from . import frames
from .config import Clutter, TrackerConfig
from .gating import CoverageLimits
from .scan import Scan, Sensor

_DEG2 = (180.0 / math.pi) ** 2        # per rad² -> per deg² (two angle axes)


def claimed_by(offsets: np.ndarray, detection: np.ndarray, beta: np.ndarray,
               existence: np.ndarray, tracks: np.ndarray, n_detections: int) -> np.ndarray:
    """Probability that one of ``tracks`` (a mask over N tracks) claims each detection.

    sum_i q_ij over those tracks, with q_ij = beta_ij r_i' (JIPDA's joint
    marginal: ``associate``'s beta is conditional on the track existing).
    """
    owner = np.repeat(np.arange(offsets.size - 1), np.diff(offsets))
    weights = beta * existence[owner] * tracks[owner]
    return np.bincount(detection, weights=weights, minlength=n_detections)


def ellipsoid_zone_area(lat_low, lat_high, lon_span) -> np.ndarray:
    r"""Area (m²) of WGS-84 between two latitudes (rad) over ``lon_span`` (rad) of longitude.

    :math:`A = \Delta\lambda\, \frac{b^2}{2} [q(\varphi_2) - q(\varphi_1)]`,
    :math:`q(\varphi) = \frac{\sin\varphi}{1 - e^2 \sin^2\varphi}
    + \frac{1}{2e} \ln\frac{1 + e \sin\varphi}{1 - e \sin\varphi}`
    (the authalic-latitude form; with e -> 0 it is R² Δλ (sin φ2 - sin φ1)).
    """
    e = math.sqrt(frames.WGS84_E2)

    def q(lat):
        s = np.sin(lat)
        return s / (1.0 - e * e * s * s) + np.log((1.0 + e * s) / (1.0 - e * s)) / (2.0 * e)

    return lon_span * 0.5 * frames.WGS84_B ** 2 * (q(lat_high) - q(lat_low))


def _overlap(start, width, low, high) -> np.ndarray:
    """Length of [start, start + width] inside [low, high] (arrays broadcast)."""
    return np.clip(np.minimum(start + width, high) - np.maximum(start, low), 0.0, None)


class _Radar:
    """Range rings x azimuth sectors over the elevation band and range-rate span."""

    def __init__(self, sensor: Sensor, limits: CoverageLimits, cfg: Clutter, range_rate: bool):
        self.range_max = sensor.range_max_m or cfg.radar_range_max_m
        el = limits.el_band_rad or (math.radians(cfg.radar_el_min_deg),
                                    math.radians(cfg.radar_el_max_deg))
        rr_max = sensor.extra.get("clutter_rr_max_mps")
        span = (2.0 * float(rr_max) if isinstance(rr_max, (int, float)) and rr_max > 0
                else cfg.range_rate_span_mps) if range_rate else 1.0
        self.shape = (cfg.radar_range_cells, cfg.radar_azimuth_cells)
        self.d_range = self.range_max / self.shape[0]
        self.d_az = frames.TWO_PI / self.shape[1]
        volume = self.d_range * self.d_az * (el[1] - el[0]) * span
        self.cell_volume = np.full(self.shape[0] * self.shape[1], volume)

    def cells(self, scan: Scan) -> np.ndarray:
        z = scan.detections
        ring = np.clip((z[:, 0] // self.d_range).astype(np.intp), 0, self.shape[0] - 1)
        sector = (z[:, 1] // self.d_az).astype(np.intp) % self.shape[1]
        return ring * self.shape[1] + sector

    def exposure(self, scan: Scan) -> np.ndarray:
        """Fraction of each cell the scan covered: its sector's azimuths and ranges."""
        n_ring, n_az = self.shape
        if scan.sector is None:
            return np.ones(n_ring * n_az)
        start, end = scan.sector.az_rad
        width = frames.wrap_two_pi(end - start)
        # cells' azimuths from the sector's start; a cell may straddle 2 pi
        offset = frames.wrap_two_pi(self.d_az * np.arange(n_az) - start)
        az = (_overlap(offset, self.d_az, 0.0, width)
              + _overlap(offset, self.d_az, frames.TWO_PI, frames.TWO_PI + width)) / self.d_az
        low, high = (0.0, self.range_max) if scan.sector.range_m is None else scan.sector.range_m
        ring = _overlap(self.d_range * np.arange(n_ring), self.d_range, low, high) / self.d_range
        return np.outer(ring, az).ravel()


class _LineOfSight:
    """One cell: azimuth all round, elevation from the nadir to the Earth's limb seen from
    the site (a down-looking sensor, as the infrared satellite), or the header's
    ``el_band_deg``."""

    def __init__(self, sensor: Sensor):
        self.sensor, self.shape = sensor, (1,)
        band = sensor.extra.get("el_band_deg")
        ok = isinstance(band, (list, tuple)) and len(band) == 2 and all(
            isinstance(v, (int, float)) for v in band) and band[0] < band[1]
        self.band = (math.radians(band[0]), math.radians(band[1])) if ok else None
        self.cell_volume = np.ones(1)

    def cells(self, scan: Scan) -> np.ndarray:
        return np.zeros(len(scan), dtype=np.intp)

    def exposure(self, scan: Scan) -> np.ndarray:
        band = self.band
        if band is None:
            site = scan.site if scan.site is not None else self.sensor.site
            centre = np.linalg.norm(frames.geodetic_to_ecef(site.lat_rad, site.lon_rad,
                                                            site.alt_m))
            band = (-0.5 * math.pi, -0.5 * math.pi + math.asin(min(frames.WGS84_A / centre, 1.0)))
        self.cell_volume = np.array([frames.TWO_PI * (band[1] - band[0])])
        return np.ones(1)


class _Position:
    """The feed's region in latitude x longitude cells over an altitude band; without a
    region, one cell: the bounding box of the reports seen so far."""

    def __init__(self, limits: CoverageLimits, cfg: Clutter):
        self.alt_span = cfg.position_alt_max_m - cfg.position_alt_min_m
        self.region = limits.region_lat_rad is not None and limits.region_lon_rad is not None
        if self.region:
            (lat0, lat1), (lon0, lon1) = limits.region_lat_rad, limits.region_lon_rad
            n = cfg.position_cells
            self.shape, self.lat0, self.lon0 = (n, n), lat0, lon0
            self.d_lat, self.d_lon = (lat1 - lat0) / n, float(frames.wrap_two_pi(lon1 - lon0)) / n
            edges = lat0 + self.d_lat * np.arange(n + 1)
            band = ellipsoid_zone_area(edges[:-1], edges[1:], self.d_lon) * self.alt_span
            self.cell_volume = np.repeat(band, n)
        else:
            self.shape, self.box = (1,), None
            self.cell_volume = np.zeros(1)

    def cells(self, scan: Scan) -> np.ndarray:
        if not self.region:
            return np.zeros(len(scan), dtype=np.intp)
        z, (n, _) = scan.detections, self.shape
        row = np.clip(((z[:, 0] - self.lat0) // self.d_lat).astype(np.intp), 0, n - 1)
        col = np.clip((frames.wrap_two_pi(z[:, 1] - self.lon0) // self.d_lon).astype(np.intp),
                      0, n - 1)
        return row * n + col

    def exposure(self, scan: Scan) -> np.ndarray:
        if not self.region and len(scan):
            z = scan.detections[:, :2]         # (lat, lon); a feed off the antimeridian
            low, high = z.min(axis=0), z.max(axis=0)
            if self.box is not None:
                low, high = np.minimum(low, self.box[0]), np.maximum(high, self.box[1])
            self.box = (low, high)
            self.cell_volume = np.atleast_1d(ellipsoid_zone_area(
                low[0], high[0], high[1] - low[1]) * self.alt_span)
        return np.ones(self.cell_volume.size)


class SensorClutter:
    """One sensor's clutter map and its Gamma statistics (module docstring)."""

    def __init__(self, geometry, prior_density: float, cfg: Clutter):
        self.geometry, self.prior_density, self.cfg = geometry, prior_density, cfg
        n = geometry.cell_volume.size
        self.counts, self.exposed = np.zeros(n), np.zeros(n)      # a_c, b_c
        self.scans, self.counted = 0, 0.0
        self.cell_density = np.full(n, prior_density)

    @property
    def density(self) -> float:
        """The sensor-wide estimate lambda-bar (internal units)."""
        prior = self.cfg.prior_looks * self.geometry.cell_volume.sum()
        if prior <= 0.0:
            return self.prior_density
        return float((self.counts.sum() + prior * self.prior_density)
                     / (self.exposed.sum() + prior))

    def update(self, scan: Scan, clutter_weight: np.ndarray) -> None:
        """Count one scan's detections, each weighted by its probability of being clutter."""
        geometry, cfg = self.geometry, self.cfg
        exposure = geometry.exposure(scan)                         # f_c
        counts = np.bincount(geometry.cells(scan), weights=clutter_weight,
                             minlength=exposure.size)              # n_c
        fade = (1.0 - 1.0 / cfg.memory_looks) ** exposure          # gamma_c
        self.counts = fade * self.counts + counts
        self.exposed = fade * self.exposed + exposure * geometry.cell_volume
        self.scans += 1
        self.counted += float(counts.sum())
        mean = self.density
        prior = cfg.map_prior_looks * geometry.cell_volume
        with np.errstate(invalid="ignore", divide="ignore"):
            cell = (self.counts + prior * mean) / (self.exposed + prior)
        self.cell_density = np.maximum(np.where(np.isfinite(cell), cell, mean),
                                       cfg.map_floor * mean)


class ClutterEstimator:
    """Every sensor's clutter density: its header's, or estimated (module docstring).

    ``density(scan, sensor, given)`` is the density at each of the scan's
    detections, ``given`` being what the header (else ``sensor_defaults``)
    says; ``update`` counts the scan once the tracks have claimed what they
    could.
    """

    def __init__(self, sensors: Mapping[str, Sensor], config: TrackerConfig):
        self.sensors, self.config = sensors, config
        self.maps: dict[str, SensorClutter] = {}
        self.used: dict[str, float] = {}            # a sensor's fixed density, when not estimated
        self._limits = {sid: CoverageLimits.from_sensor(s) for sid, s in sensors.items()}

    def estimates(self, sensor: Sensor) -> bool:
        """Whether ``sensor``'s density is estimated (else its header's or the default)."""
        c = self.config.clutter
        return c.enabled and (sensor.clutter_density is None or not c.header_wins)

    def density(self, scan: Scan, sensor: Sensor, given: float) -> np.ndarray:
        """Clutter density at each detection of ``scan`` (n_det,), internal units."""
        if not self.estimates(sensor):
            self.used[sensor.id] = given
            return np.full(len(scan), given)
        clutter_map = self.maps.get(sensor.id)
        if clutter_map is None:
            clutter_map = self.maps[sensor.id] = SensorClutter(
                self._geometry(scan, sensor), given, self.config.clutter)
        return clutter_map.cell_density[clutter_map.geometry.cells(scan)]

    def update(self, scan: Scan, sensor: Sensor, claimed_by_confirmed: np.ndarray) -> None:
        """Count the scan's detections no confirmed track claims (1 - sum_i q_ij each)."""
        clutter_map = self.maps.get(sensor.id)
        if clutter_map is not None:
            clutter_map.update(scan, np.clip(1.0 - claimed_by_confirmed, 0.0, 1.0))

    def _geometry(self, scan: Scan, sensor: Sensor):
        cfg, limits = self.config.clutter, self._limits[sensor.id]
        if sensor.kind == "radar":
            return _Radar(sensor, limits, cfg, scan.has_range_rate)
        if sensor.kind == "los":
            return _LineOfSight(sensor)
        return _Position(limits, cfg)

    def summary(self) -> dict:
        """Per sensor, for summary.json: the density used at the end (the recording's units:
        per m·deg²·(m/s), m·deg², deg² or m³) and where it came from."""
        out = {}
        for sid, sensor in self.sensors.items():
            to_recording = 1.0 if sensor.kind == "position" else 1.0 / _DEG2
            clutter_map = self.maps.get(sid)
            if clutter_map is None:
                if sid in self.used:
                    source = "header" if sensor.clutter_density is not None else "default"
                    out[sid] = {"source": source, "clutter_density": self.used[sid] * to_recording}
                continue
            cells = clutter_map.cell_density
            out[sid] = {
                "source": "estimated",
                "clutter_density": clutter_map.density * to_recording,
                "prior": clutter_map.prior_density * to_recording,
                "header": None if sensor.clutter_density is None
                else sensor.clutter_density * to_recording,
                "scans": clutter_map.scans, "detections_counted": round(clutter_map.counted, 3),
                "map_cells": int(cells.size),
                "map_max_over_mean": float(cells.max() / clutter_map.density),
            }
        return out
