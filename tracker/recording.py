"""Read and write recordings: the JSON Lines format of DESIGN.md ("Recording").

A recording is one header line, then scans, truth and events, one JSON object
a line, optionally gzip-compressed. `RecordingReader` streams it line by line
(never the whole file in memory), checks every field it uses and yields
`tracker.scan.Scan`, `Truth` and `Event` records in SI units and radians; the
first malformed line ends the reading with one `InputError` located by file,
line and field. `RecordingWriter` writes the same format back, in degrees.
The format as implemented, with every rule, is in docs/formats.md.
"""
from __future__ import annotations

import codecs
import gzip
import heapq
import io
import json
import math
import os
import zlib
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Iterator, Mapping

import numpy as np

from . import validate as v
from .errors import InputError
from .recording_scan import ScanParser, parse_site
from .scan import DETECTION_FIELDS, SENSOR_KINDS, SIGMA_FIELDS, Scan, Sensor, Site

FORMAT = "airtrack-recording"
VERSION = 1
SURFACE_MODELS = ("ellipsoid",)        # named terrain models join this list when shipped
EVENT_KINDS = ("launch", "failure", "impact")

#: how far behind a sensor's latest scan time a duplicate (sensor, t) is still
#: detected; older scans are past any sensible out-of-order lag of the tracker
DUPLICATE_WINDOW_S = 3600.0
#: the longest line the reader takes, newline included: a scan of a million
#: detections fits; a file with no line breaks (or a gzip bomb) does not fill memory
MAX_LINE_BYTES = 128 * 1024 * 1024

_GZIP_MAGIC = b"\x1f\x8b"
_DEG2 = (180.0 / math.pi) ** 2        # per deg² -> per rad²
_HEADER_KEYS = frozenset(("format", "version", "sensors", "surface", "scenario", "expect"))
_SENSOR_KEYS = frozenset(("id", "kind", "site", "sigma", "pd", "clutter_density",
                          "range_max_m", "period_s"))
_TRUTH_KEYS = frozenset(("type", "t", "id", "kind", "lat", "lon", "alt", "vel_enu", "seen_by"))
_EVENT_KEYS = frozenset(("type", "t", "id", "event", "lat", "lon"))
#: internal sigma name -> (external name, factor from external to internal)
_SIGMA_NAMES = {
    "range_m": ("range", 1.0), "az_deg": ("az", math.pi / 180.0),
    "el_deg": ("el", math.pi / 180.0), "rr_mps": ("rr", 1.0),
    "h_m": ("h", 1.0), "v_m": ("v", 1.0),
}
_OPTIONAL_SIGMA = {"radar": ("rr_mps",)}       # a radar without range-rate has no rr sigma


@dataclass(frozen=True)
class Header:
    """Line 1 of a recording: the sensors and the world they report on."""

    sensors: Mapping[str, Sensor]                 #: by id, in header order
    surface: Mapping[str, Any] = field(default_factory=lambda: {"model": "ellipsoid"})
    scenario: Mapping[str, Any] | None = None
    expect: Any = None                            #: GeoJSON FeatureCollection, as parsed
    extra: Mapping[str, Any] = field(default_factory=dict)   #: unknown fields, kept
    format: str = FORMAT
    version: int = VERSION


@dataclass(frozen=True)
class Truth:
    """Simulated ground truth of one object at one time (evaluation only)."""

    t: float
    id: str
    kind: str                                     #: TRACK class name, e.g. cruise_missile
    lat_rad: float
    lon_rad: float
    alt_m: float
    vel_enu: tuple[float, float, float]           #: m/s in the object's local ENU frame
    seen_by: tuple[str, ...] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Event:
    """A simulated truth event: launch, failure or impact."""

    t: float
    id: str
    event: str
    lat_rad: float
    lon_rad: float
    extra: Mapping[str, Any] = field(default_factory=dict)   #: e.g. alt, cause: kept as read
    line: int | None = field(default=None, compare=False)


@dataclass
class ReadCounts:
    """What a reader has seen so far (``RecordingReader.counts``)."""

    lines: int = 0
    scans: int = 0
    detections: int = 0
    truth: int = 0
    events: int = 0
    out_of_order: int = 0       #: scans earlier than a scan already read
    duplicates: int = 0         #: scans repeating a (sensor, t) already read
    skipped: dict[str, int] = field(default_factory=dict)   #: unknown type -> lines


def _reject_constant(token: str):
    raise ValueError(f"{token} is not JSON (RFC 8259)")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def _open_input(path: str):
    """The file as a binary stream, decompressed when it starts with the gzip magic."""
    try:
        raw = open(path, "rb")
    except FileNotFoundError:
        raise InputError("no such file", path=path) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a recording", path=path) from None
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror or e}", path=path) from None
    if raw.peek(2)[:2] == _GZIP_MAGIC:
        raw.close()
        return gzip.open(path, "rb")
    return raw


class RecordingReader:
    """Stream the records of a recording, checked, one line at a time.

    Opening reads and checks the header (``reader.header``); iterating yields
    `Scan`, `Truth` and `Event` records in file order. ``reader.counts``
    (`ReadCounts`) grows as records are read. Out-of-order and duplicate scans
    are passed on and counted; lines of an unknown ``type`` are skipped and
    counted. The first malformed line raises `InputError`
    (``path:line: field: problem``); a truncated or corrupt gzip stream raises
    it after every complete line before the damage was delivered.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.jsonl`` or ``.jsonl.gz`` file (gzip is recognised by its magic
        bytes, whatever the name).
    duplicate_window_s : float
        Duplicates are detected among each sensor's scans no more than this
        far behind its latest scan time, which bounds the memory the check
        needs to the scans of one window.
    max_line_bytes : int
        A longer line is malformed; this bounds the memory of one line.
    """

    def __init__(self, path: str | os.PathLike, *, duplicate_window_s: float = DUPLICATE_WINDOW_S,
                 max_line_bytes: int = MAX_LINE_BYTES):
        self.path = os.fspath(path)
        self.counts = ReadCounts()
        self.line = 0
        self._window = float(duplicate_window_s)
        self._max_line = int(max_line_bytes)
        self._latest_t = -math.inf
        self._recent: dict[str, tuple[set[float], list[float], list[float]]] = {}
        self._file = _open_input(self.path)
        self._lines = self._raw_lines()
        try:
            self.header = self._read_header()
        except BaseException:
            self.close()
            raise
        self._scans = ScanParser(self.header.sensors)

    def __enter__(self) -> "RecordingReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()

    def __iter__(self) -> Iterator[Scan | Truth | Event]:
        for raw in self._lines:
            try:
                record = self._parse(raw)
            except InputError as e:
                raise e.located(path=self.path, line=self.line) from None
            if record is not None:
                yield record

    def _raw_lines(self) -> Iterator[bytes]:
        readline, limit = self._file.readline, self._max_line
        try:
            for raw in iter(partial(readline, limit), b""):
                self.line += 1
                self.counts.lines = self.line
                if len(raw) == limit and raw[-1:] != b"\n":
                    raise InputError(f"line longer than {limit} bytes", path=self.path,
                                     line=self.line)
                yield raw
        except EOFError:
            raise InputError(f"truncated gzip file after line {self.line}", path=self.path) from None
        except (gzip.BadGzipFile, zlib.error) as e:
            raise InputError(f"corrupt gzip data after line {self.line}: {e}",
                             path=self.path) from None

    def _read_header(self) -> Header:
        raw = next(self._lines, None)
        if raw is None:
            raise InputError("empty file: line 1 must be the recording header", path=self.path)
        if raw.startswith(codecs.BOM_UTF8):      # RFC 8259 sec. 8.1: a parser may ignore it
            raw = raw[len(codecs.BOM_UTF8):]
        try:
            return _parse_header(_decode(raw))
        except InputError as e:
            raise e.located(path=self.path, line=1) from None

    def _parse(self, raw: bytes) -> Scan | Truth | Event | None:
        record = _decode(raw)
        if record is None:
            return None
        kind = record.get("type")
        if kind == "scan":
            scan = self._scans.parse(record, self.line)
            self._count_scan(scan)
            return scan
        if kind == "truth":
            self.counts.truth += 1
            return _parse_truth(record, self.header.sensors, self.line)
        if kind == "event":
            self.counts.events += 1
            return _parse_event(record, self.line)
        if kind is None:
            v.fail("type", "missing")
        if type(kind) is not str:
            v.fail("type", f"expected a string, got {v.shown(kind)}")
        self.counts.skipped[kind] = self.counts.skipped.get(kind, 0) + 1
        return None

    def _count_scan(self, scan: Scan) -> None:
        counts = self.counts
        counts.scans += 1
        counts.detections += len(scan)
        t = scan.t
        if t < self._latest_t:
            counts.out_of_order += 1
        else:
            self._latest_t = t
        # Per sensor: the times of the window (set) and a min-heap to prune them.
        times, heap, latest = self._recent.setdefault(scan.sensor, (set(), [], [-math.inf]))
        if t in times:
            counts.duplicates += 1
            return
        if t > latest[0]:
            latest[0] = t
        horizon = latest[0] - self._window
        if t < horizon:
            return
        times.add(t)
        heapq.heappush(heap, t)
        while heap[0] < horizon:
            times.discard(heapq.heappop(heap))


def _decode(raw: bytes) -> dict | None:
    """One line as a JSON object (None for a blank line)."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        v.fail(None, f"not UTF-8 text (byte {e.start})")
    if not line.strip():
        return None
    try:
        value = _DECODER.decode(line)
    except RecursionError:
        v.fail(None, "invalid JSON: nested too deeply")
    except json.JSONDecodeError as e:
        # a column of this line: json's own "line 2 column 1" counts the line break
        column = min(e.pos, len(line.rstrip("\r\n"))) + 1
        v.fail(None, f"invalid JSON: {e.msg} at column {column}")
    except ValueError as e:                  # NaN, Infinity, an integer of 4,300+ digits
        v.fail(None, f"invalid JSON: {e}")
    if type(value) is not dict:
        v.fail(None, f"expected a JSON object, got {v.shown(value)}")
    return value


def _extra(record: dict, known: frozenset) -> dict:
    return {k: x for k, x in record.items() if k not in known}


def _parse_header(record: dict | None) -> Header:
    if record is None:
        v.fail(None, "line 1 must be the recording header, got a blank line")
    fmt = record.get("format")
    if fmt is None:
        got = f'a "{record["type"]}" record' if type(record.get("type")) is str else "no format"
        v.fail("format", f"missing: line 1 must be the recording header, got {got}")
    if fmt != FORMAT:
        v.fail("format", f'expected "{FORMAT}", got {v.shown(fmt)}')
    version = v.get(record, "version", "version")
    if type(version) is not int or version != VERSION:
        v.fail("version", f"expected {VERSION} (the version this airtrack reads), got {v.shown(version)}")
    sensors: dict[str, Sensor] = {}
    for i, item in enumerate(v.array(v.get(record, "sensors", "sensors"), "sensors")):
        sensor = _parse_sensor(item, f"sensors[{i}]")
        if sensor.id in sensors:
            v.fail(f"sensors[{i}].id", f"duplicate sensor id {v.shown(sensor.id)}")
        sensors[sensor.id] = sensor
    surface = v.obj(record.get("surface", {"model": "ellipsoid"}), "surface")
    model = v.get(surface, "model", "surface.model")
    if model not in SURFACE_MODELS:
        v.fail("surface.model", f"unknown surface model {v.shown(model)}; this airtrack ships: "
               + ", ".join(SURFACE_MODELS))
    scenario = record.get("scenario")
    if scenario is not None:
        v.obj(scenario, "scenario")
    return Header(sensors=sensors, surface=surface, scenario=scenario,
                  expect=record.get("expect"), extra=_extra(record, _HEADER_KEYS))


def _parse_sensor(value: Any, where: str) -> Sensor:
    record = v.obj(value, where)
    sensor_id = v.text(v.get(record, "id", f"{where}.id"), f"{where}.id")
    kind = v.get(record, "kind", f"{where}.kind")
    if kind not in SENSOR_KINDS:
        v.fail(f"{where}.kind", f"expected one of {', '.join(SENSOR_KINDS)}, got {v.shown(kind)}")
    site = None
    if "site" in record:
        if kind == "position":
            v.fail(f"{where}.site", "a position sensor reports geodetic positions and has no site")
        site = parse_site(record["site"], f"{where}.site", with_velocity=False)
    given = v.obj(v.get(record, "sigma", f"{where}.sigma"), f"{where}.sigma")
    sigma = {}
    for name in SIGMA_FIELDS[kind]:
        path = f"{where}.sigma.{name}"
        if name not in given:
            if name in _OPTIONAL_SIGMA.get(kind, ()):
                continue
            v.fail(path, "missing")
        internal, factor = _SIGMA_NAMES[name]
        sigma[internal] = v.positive(given[name], path) * factor
        if not 0.0 < sigma[internal] * sigma[internal] < math.inf:    # R holds the variance
            v.fail(path, f"out of range: its variance is not a positive finite float, "
                   f"got {v.shown(given[name])}")
    foreign = set(given) - set(SIGMA_FIELDS[kind]) & set(_SIGMA_NAMES)
    if foreign:
        v.fail(f"{where}.sigma.{sorted(foreign)[0]}", f"not a sigma of a {kind} sensor")
    optional = {}
    for name, check in (("pd", v.probability), ("clutter_density", v.non_negative),
                        ("range_max_m", v.positive), ("period_s", v.positive)):
        if record.get(name) is not None:
            optional[name] = check(record[name], f"{where}.{name}")
    if "clutter_density" in optional and kind != "position":
        optional["clutter_density"] *= _DEG2          # two angle axes, per deg -> per rad
        if optional["clutter_density"] == math.inf:
            v.fail(f"{where}.clutter_density", "out of range: too large once per rad² "
                   f"instead of per deg², got {v.shown(record['clutter_density'])}")
    return Sensor(id=sensor_id, kind=kind, site=site, sigma=sigma,
                  extra=_extra(record, _SENSOR_KEYS), **optional)


def _parse_truth(record: dict, sensors: Mapping[str, Sensor], line: int) -> Truth:
    seen_by = record.get("seen_by")
    if seen_by is not None:
        for i, sensor in enumerate(v.array(seen_by, "seen_by")):
            if type(sensor) is not str or sensor not in sensors:     # a list is not hashable
                v.fail(f"seen_by[{i}]", f"unknown sensor {v.shown(sensor)} (not in the header)")
        seen_by = tuple(seen_by)
    return Truth(
        t=v.timestamp(v.get(record, "t", "t"), "t"),
        id=v.text(v.get(record, "id", "id"), "id"),
        kind=v.text(v.get(record, "kind", "kind"), "kind"),
        lat_rad=math.radians(v.external(v.get(record, "lat", "lat"), "lat", "lat")),
        lon_rad=math.radians(v.external(v.get(record, "lon", "lon"), "lon", "lon")),
        alt_m=v.finite(v.get(record, "alt", "alt"), "alt"),
        vel_enu=v.vector(v.get(record, "vel_enu", "vel_enu"), "vel_enu", 3),
        seen_by=seen_by, extra=_extra(record, _TRUTH_KEYS), line=line)


def _parse_event(record: dict, line: int) -> Event:
    t = v.timestamp(v.get(record, "t", "t"), "t")
    event_id = v.text(v.get(record, "id", "id"), "id")
    event = v.get(record, "event", "event")
    if event not in EVENT_KINDS:
        v.fail("event", f"expected one of {', '.join(EVENT_KINDS)}, got {v.shown(event)}")
    lat = v.external(v.get(record, "lat", "lat"), "lat", "lat")
    lon = v.external(v.get(record, "lon", "lon"), "lon", "lon")
    return Event(t=t, id=event_id, event=event, lat_rad=math.radians(lat),
                 lon_rad=math.radians(lon), extra=_extra(record, _EVENT_KEYS), line=line)


# ---------------------------------------------------------------- writing

def _deg_az(rad) -> np.ndarray:
    """Radians to degrees in [0, 360), the external azimuth range."""
    deg = np.mod(np.degrees(rad), 360.0)
    deg[deg >= 360.0] = 0.0            # mod of a tiny negative rounds up to 360
    return deg


def _site_json(site: Site) -> dict:
    out = {"lat": math.degrees(site.lat_rad), "lon": math.degrees(site.lon_rad), "alt": site.alt_m}
    if site.vel_enu is not None:
        out["vel_enu"] = [float(x) for x in site.vel_enu]
    return out


def sensor_json(sensor: Sensor) -> dict:
    """A sensor as its header JSON object: external names and units (degrees)."""
    out: dict[str, Any] = {"id": sensor.id, "kind": sensor.kind}
    if sensor.site is not None:
        out["site"] = _site_json(sensor.site)
    out["sigma"] = {name: sensor.sigma[_SIGMA_NAMES[name][0]] / _SIGMA_NAMES[name][1]
                    for name in SIGMA_FIELDS[sensor.kind] if _SIGMA_NAMES[name][0] in sensor.sigma}
    for name in ("pd", "clutter_density", "range_max_m", "period_s"):
        value = getattr(sensor, name)
        if value is not None:
            out[name] = value / _DEG2 if name == "clutter_density" and sensor.kind != "position" \
                else value
    out.update(sensor.extra)
    return out


def _header_json(header: Header) -> dict:
    out: dict[str, Any] = {"format": header.format, "version": header.version,
                           "sensors": [sensor_json(s) for s in header.sensors.values()],
                           "surface": dict(header.surface)}
    if header.scenario is not None:
        out["scenario"] = header.scenario
    if header.expect is not None:
        out["expect"] = header.expect
    out.update(header.extra)
    return out


def _scan_json(scan: Scan) -> dict:
    out: dict[str, Any] = {"type": "scan", "t": scan.t, "sensor": scan.sensor}
    if scan.site is not None:
        out["site"] = _site_json(scan.site)
    if scan.sector is not None:
        sector: dict[str, Any] = {"az_deg": _deg_az(np.array(scan.sector.az_rad)).tolist()}
        if scan.sector.range_m is not None:
            sector["range_m"] = [float(x) for x in scan.sector.range_m]
        out["sector"] = sector
    columns = np.array(scan.detections, dtype=np.float64)
    names = DETECTION_FIELDS[scan.kind][:columns.shape[1]]
    if scan.kind == "position":
        columns[:, :2] = np.degrees(columns[:, :2])
    else:
        az = 1 if scan.kind == "radar" else 0
        columns[:, az] = _deg_az(columns[:, az])
        columns[:, az + 1] = np.degrees(columns[:, az + 1])
    detections = [dict(zip(names, row)) for row in columns.tolist()]
    if scan.detection_ids is not None:
        for det, det_id in zip(detections, scan.detection_ids):
            if det_id is not None:
                det["id"] = det_id
    out["detections"] = detections
    return out


def _truth_json(truth: Truth) -> dict:
    out = {"type": "truth", "t": truth.t, "id": truth.id, "kind": truth.kind,
           "lat": math.degrees(truth.lat_rad), "lon": math.degrees(truth.lon_rad),
           "alt": truth.alt_m, "vel_enu": [float(x) for x in truth.vel_enu]}
    if truth.seen_by is not None:
        out["seen_by"] = list(truth.seen_by)
    out.update(truth.extra)
    return out


def _event_json(event: Event) -> dict:
    out = {"type": "event", "t": event.t, "id": event.id, "event": event.event,
           "lat": math.degrees(event.lat_rad), "lon": math.degrees(event.lon_rad)}
    out.update(event.extra)
    return out


class RecordingWriter:
    """Write a recording: the header first, then scans, truth and events.

    A path ending in ``.gz`` is gzip-compressed with a zero timestamp and no
    file name in the gzip header, so the same records give the same bytes.
    Output is strict JSON (a NaN raises ``ValueError``); angles are written
    in degrees, azimuths wrapped into [0, 360).
    """

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        self._raw = open(self.path, "wb")
        if self.path.endswith(".gz"):
            self._file = gzip.GzipFile(filename="", fileobj=self._raw, mode="wb", mtime=0)
        else:
            self._file = self._raw
        self._text = io.TextIOWrapper(self._file, encoding="utf-8", newline="\n")
        self._header_written = False

    def __enter__(self) -> "RecordingWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._text.close()              # closes the gzip stream, which leaves _raw open
        self._raw.close()

    def _line(self, obj: dict) -> None:
        self._text.write(json.dumps(obj, allow_nan=False, separators=(",", ":")))
        self._text.write("\n")

    def write_header(self, header: Header) -> None:
        if self._header_written:
            raise ValueError("the header is written once, first")
        self._line(_header_json(header))
        self._header_written = True

    def write(self, record: Scan | Truth | Event) -> None:
        if not self._header_written:
            raise ValueError("write the header first")
        if isinstance(record, Scan):
            self._line(_scan_json(record))
        elif isinstance(record, Truth):
            self._line(_truth_json(record))
        elif isinstance(record, Event):
            self._line(_event_json(record))
        else:
            raise TypeError(f"cannot write a {type(record).__name__} to a recording")
