"""What a sensor reports: the `Sensor` description and the `Scan` of one time.

Everything the tracker learns from the world arrives as a `Scan` (DESIGN.md,
"Data flow"). External formats carry degrees; a `Scan` carries SI units and
radians, converted once where the data enters (`tracker.recording`).

Detection columns, by sensor kind (``DETECTION_COLUMNS``):

* ``radar``: range (m), azimuth (rad, clockwise from true north, [0, 2 pi)),
  elevation (rad, above the local horizontal at the sensor) and, when the
  radar reports it, range-rate (m/s, positive when the range opens);
* ``los``: azimuth (rad), elevation (rad);
* ``position``: geodetic latitude (rad), longitude (rad), altitude above the
  WGS-84 ellipsoid (m).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

SENSOR_KINDS = ("radar", "los", "position")

#: external detection fields of each kind, in column order (rr_mps is optional)
DETECTION_FIELDS: Mapping[str, tuple[str, ...]] = {
    "radar": ("range_m", "az_deg", "el_deg", "rr_mps"),
    "los": ("az_deg", "el_deg"),
    "position": ("lat", "lon", "alt"),
}

#: external sigma fields of each kind (one standard deviation per axis)
SIGMA_FIELDS: Mapping[str, tuple[str, ...]] = {
    "radar": ("range_m", "az_deg", "el_deg", "rr_mps"),
    "los": ("az_deg", "el_deg"),
    "position": ("h_m", "v_m"),
}


@dataclass(frozen=True)
class Site:
    """Where a sensor is at one time: geodetic position and, optionally, velocity."""

    lat_rad: float
    lon_rad: float
    alt_m: float                                  #: above the WGS-84 ellipsoid
    vel_enu: np.ndarray | None = None             #: (3,) m/s in the site's own ENU frame


@dataclass(frozen=True)
class Sector:
    """The part of a sensor's coverage one scan covered (DESIGN.md ``sector``).

    Azimuth runs clockwise from ``az_rad[0]`` to ``az_rad[1]`` inclusive, through
    north when ``az_rad[1] < az_rad[0]``.
    """

    az_rad: tuple[float, float]
    range_m: tuple[float, float] | None = None


@dataclass(frozen=True)
class Sensor:
    """One sensor of a recording's header.

    ``sigma`` holds one standard deviation per axis in SI units and radians,
    keyed by the internal names ``range``, ``az``, ``el``, ``rr`` (radar),
    ``az``, ``el`` (los) or ``h``, ``v`` (position). ``clutter_density`` is in
    internal units too: false detections per m·rad·rad·(m/s) for a radar that
    reports range-rate (per m·rad·rad without it), per rad² for los, per m³
    for position. ``None`` means the recording did not say.
    """

    id: str
    kind: str
    site: Site | None                             #: None: moving (radar, los) or position
    sigma: Mapping[str, float]
    pd: float | None = None
    clutter_density: float | None = None
    range_max_m: float | None = None
    period_s: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)   #: unknown fields, kept

    @property
    def moving(self) -> bool:
        return self.kind != "position" and self.site is None


@dataclass(frozen=True)
class Scan:
    """One sensor's report for one time.

    ``detections`` has shape (n_detections, n_columns) with the columns of
    ``DETECTION_COLUMNS[kind]`` (a radar's range-rate column only when it
    reports range-rate). A scan without detections still reports misses.
    """

    t: float                                      #: UTC seconds since the Unix epoch
    sensor: str
    kind: str
    detections: np.ndarray                        #: (n_det, m) float64, SI and radians
    site: Site | None = None                      #: a moving sensor's site at ``t``
    sector: Sector | None = None
    detection_ids: tuple[str | None, ...] | None = None
    line: int | None = None                       #: where it was read, for messages

    @property
    def has_range_rate(self) -> bool:
        return self.kind == "radar" and self.detections.shape[1] == 4

    def __len__(self) -> int:
        return self.detections.shape[0]


DETECTION_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "radar": ("range", "az", "el", "rr"),
    "los": ("az", "el"),
    "position": ("lat", "lon", "alt"),
}
