"""Parse and check the ``scan`` lines of a recording into `tracker.scan.Scan`.

Scans are most of a recording, so their detections take a fast path: one
``itemgetter`` pass pulls the fields out of every detection, one set of the
value types rejects non-numbers (``bool`` included), and NumPy checks the
bounds of ``validate.BOUNDS`` on the whole array at once. When anything is
wrong the slow path walks the detections one by one with the scalar checks
of `tracker.validate`, which find the first bad field and name it; the fast
path only decides that something is wrong, never what.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from typing import Any, Mapping

import numpy as np

from . import validate as v
from .scan import DETECTION_FIELDS, Scan, Sector, Sensor, Site

_NUMBER_TYPES = frozenset((float, int))
_ID_TYPES = frozenset((str, type(None)))
_ALL_FIELDS = frozenset(chain.from_iterable(DETECTION_FIELDS.values()))
_BIG = float(np.finfo(np.float64).max)


@dataclass(frozen=True)
class _Layout:
    """The detection fields of one sensor kind (radar with or without rr_mps)."""

    kind: str
    fields: tuple[str, ...]
    foreign: frozenset[str]               #: fields of other kinds (and rr_mps when not reported)
    low: np.ndarray                       #: closed bounds of validate.BOUNDS, finite:
    high: np.ndarray                      #: inf fails them, so no isfinite pass is needed
    degree_columns: slice

    @classmethod
    def of(cls, kind: str, fields: tuple[str, ...]) -> "_Layout":
        low, high = [], []
        for name in fields:
            lo, hi, hi_open = v.BOUNDS[name]
            low.append(max(lo, -_BIG))
            high.append(np.nextafter(hi, -np.inf) if hi_open else min(hi, _BIG))
        return cls(kind, fields, _ALL_FIELDS - set(fields), np.array(low), np.array(high),
                   slice(0, 2) if kind != "radar" else slice(1, 3))

    def getter(self):
        return itemgetter(*self.fields)


_LAYOUTS = {
    ("radar", True): _Layout.of("radar", DETECTION_FIELDS["radar"]),
    ("radar", False): _Layout.of("radar", DETECTION_FIELDS["radar"][:3]),
    ("los", False): _Layout.of("los", DETECTION_FIELDS["los"]),
    ("position", False): _Layout.of("position", DETECTION_FIELDS["position"]),
}
_GETTERS = {key: layout.getter() for key, layout in _LAYOUTS.items()}


class ScanParser:
    """Turns checked scan objects into `Scan`s; remembers each radar's range-rate use.

    A radar reports ``rr_mps`` in all of its detections or in none (DESIGN.md);
    the first scan of a radar with detections settles which, and later scans
    must agree.
    """

    def __init__(self, sensors: Mapping[str, Sensor]):
        self.sensors = sensors
        self._range_rate: dict[str, tuple[bool, int]] = {}   # sensor -> (reports rr, line)

    def parse(self, record: dict, line: int) -> Scan:
        t = v.timestamp(v.get(record, "t", "t"), "t")
        sensor_id = v.get(record, "sensor", "sensor")
        sensor = self.sensors.get(sensor_id) if type(sensor_id) is str else None
        if sensor is None:
            v.fail("sensor", f"unknown sensor {v.shown(sensor_id)} (not in the header)")
        detections = v.get(record, "detections", "detections")
        if type(detections) is not list:
            v.fail("detections", f"expected an array, got {v.shown(detections)}")
        range_rate = self._reports_range_rate(sensor, detections, line)

        site = None
        if "site" in record:
            if not sensor.moving:
                where = "in the header" if sensor.kind != "position" else "none"
                v.fail("site", f"sensor {v.shown(sensor.id)} is not moving (its site: {where})")
            site = parse_site(record["site"])
        elif sensor.moving:
            v.fail("site", f"missing: sensor {v.shown(sensor.id)} is moving (no site in the header)")
        # an empty scan carries no range-rate to interpret, so it needs no velocity
        if range_rate and detections and sensor.moving and site.vel_enu is None:
            v.fail("site.vel_enu", "missing: a moving radar that reports rr_mps gives its velocity")

        sector = None
        if record.get("sector") is not None:
            sector = _sector(record["sector"], sensor)

        values, ids = _detections(detections, sensor.kind, range_rate)
        return Scan(t=t, sensor=sensor.id, kind=sensor.kind, detections=values, site=site,
                    sector=sector, detection_ids=ids, line=line)

    def _reports_range_rate(self, sensor: Sensor, detections: list, line: int) -> bool:
        if sensor.kind != "radar":
            return False
        known = self._range_rate.get(sensor.id)
        if not detections:
            return known[0] if known else "rr" in sensor.sigma
        first = v.obj(detections[0], "detections[0]")
        reports = "rr_mps" in first
        if known is None:
            if reports and "rr" not in sensor.sigma:
                v.fail("detections[0].rr_mps",
                       f"sensor {v.shown(sensor.id)} has no sigma.rr_mps in the header")
            self._range_rate[sensor.id] = (reports, line)
        elif known[0] != reports:
            v.fail("detections[0].rr_mps",
                   ("missing: " if known[0] else "not expected: ")
                   + f"this radar {'reported' if known[0] else 'did not report'} "
                   + f"rr_mps on line {known[1]}")
        return reports


def parse_site(value: Any, where: str = "site", with_velocity: bool = True) -> Site:
    """A geodetic site ``{"lat", "lon", "alt", "vel_enu"?}`` (a header's fixed site has no velocity)."""
    site = v.obj(value, where)
    lat = v.external(v.get(site, "lat", f"{where}.lat"), f"{where}.lat", "lat")
    lon = v.external(v.get(site, "lon", f"{where}.lon"), f"{where}.lon", "lon")
    alt = v.finite(v.get(site, "alt", f"{where}.alt"), f"{where}.alt")
    vel = site.get("vel_enu")
    if vel is not None:
        if not with_velocity:
            v.fail(f"{where}.vel_enu", "a fixed site has no velocity")
        vel = np.array(v.vector(vel, f"{where}.vel_enu", 3))
    return Site(math.radians(lat), math.radians(lon), alt, vel)


def _sector(value: Any, sensor: Sensor) -> Sector:
    sector = v.obj(value, "sector")
    if sensor.kind == "position":
        v.fail("sector", "a position sensor has no azimuth sector")
    az = v.array(v.get(sector, "az_deg", "sector.az_deg"), "sector.az_deg", 2)
    az_rad = tuple(math.radians(v.external(a, f"sector.az_deg[{i}]", "az_deg"))
                   for i, a in enumerate(az))
    range_m = sector.get("range_m")
    if range_m is not None:
        if sensor.kind != "radar":
            v.fail("sector.range_m", "only a radar measures range")
        lo, hi = (v.non_negative(r, f"sector.range_m[{i}]")
                  for i, r in enumerate(v.array(range_m, "sector.range_m", 2)))
        if hi < lo:
            v.fail("sector.range_m", f"expected [min, max] with min <= max, got {v.shown(range_m)}")
        range_m = (lo, hi)
    return Sector(az_rad=az_rad, range_m=range_m)


def _detections(detections: list, kind: str, range_rate: bool):
    """The detections as a float64 array in SI units and radians, and their ids."""
    key = (kind, range_rate)
    layout = _LAYOUTS[key]
    if not detections:
        return np.empty((0, len(layout.fields))), None
    values, names = _fast(detections, layout, _GETTERS[key])
    if values is None:
        _find_error(detections, layout)
        raise AssertionError("the fast detection check failed where the slow one passed")
    ids = None
    if "id" in names:
        ids = tuple(d.get("id") for d in detections)
        if not set(map(type, ids)) <= _ID_TYPES:
            _find_error(detections, layout)
    values[:, layout.degree_columns] = np.radians(values[:, layout.degree_columns])
    return values, ids


def _fast(detections: list, layout: _Layout, getter):
    """The checked (n, m) array of external values and the set of field names used,
    or (None, None) when something is wrong."""
    failed = None, None
    try:
        rows = list(map(getter, detections))
    except (KeyError, TypeError):
        return failed                      # a missing field, or a detection that is no object
    if not set(map(type, chain.from_iterable(rows))) <= _NUMBER_TYPES:
        return failed
    names = set().union(*detections)
    if not layout.foreign.isdisjoint(names):
        return failed
    try:
        values = np.array(rows, dtype=np.float64)
    except OverflowError:                  # an integer beyond float range
        return failed
    if not ((values >= layout.low) & (values <= layout.high)).all():
        return failed
    return values, names


def _find_error(detections: list, layout: _Layout) -> None:
    """Raise the error of the first bad detection field."""
    for i, det in enumerate(detections):
        where = f"detections[{i}]"
        det = v.obj(det, where)
        for name in layout.fields:
            if name not in det:
                note = " (this radar reports rr_mps in its other detections)" \
                    if name == "rr_mps" else ""
                v.fail(f"{where}.{name}", f"missing{note}")
            v.external(det[name], f"{where}.{name}", name)
        for name in det:
            if name in layout.foreign:
                problem = ("not expected: this radar does not report rr_mps in its other "
                           "detections") if name == "rr_mps" and layout.kind == "radar" \
                    else f"not a field of a {layout.kind} detection"
                v.fail(f"{where}.{name}", problem)
        det_id = det.get("id")
        if det_id is not None and type(det_id) is not str:
            v.fail(f"{where}.id", f"expected a string, got {v.shown(det_id)}")
