"""A map of a recording: borders, expectations, sensors, truth paths, failures and impacts.

``airtrack plot REC --out map.png`` draws with matplotlib on an equirectangular
(plate carrée) map whose aspect is corrected at the theatre's mid-latitude,
which keeps shapes right to a few per cent across a 1,500 km theatre.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from . import frames
from .recording import Event, Header, RecordingReader, Truth
from .scan import Scan

#: how truth of each kind is drawn: (colour, line width, label)
KIND_STYLE = {
    "cruise_missile": ("#c0392b", 1.2, "cruise missile (truth)"),
    "aircraft": ("#2e86c1", 0.8, "airliner (truth)"),
}
OTHER_STYLE = ("#7f8c8d", 0.8, "other (truth)")
SENSOR_COLOURS = {"radar": "#1e8449", "los": "#8e44ad", "position": "#b9770e"}


@dataclass
class MapContent:
    """What one pass over a recording collects for the map."""

    header: Header
    paths: dict[str, list[tuple[float, float]]] = field(default_factory=lambda: defaultdict(list))
    kinds: dict[str, str] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    moving_sites: dict[str, list[tuple[float, float]]] = field(
        default_factory=lambda: defaultdict(list))
    t_first: float | None = None
    t_last: float | None = None


def collect(path: str, truth_stride_s: float = 10.0) -> MapContent:
    """Read a recording once, keeping truth every ``truth_stride_s`` per object."""
    with RecordingReader(path) as reader:
        content = MapContent(header=reader.header)
        last_kept: dict[str, float] = {}
        for record in reader:
            t = record.t
            content.t_first = t if content.t_first is None else min(content.t_first, t)
            content.t_last = t if content.t_last is None else max(content.t_last, t)
            if isinstance(record, Truth):
                if t - last_kept.get(record.id, -np.inf) >= truth_stride_s:
                    last_kept[record.id] = t
                    content.paths[record.id].append((np.degrees(record.lon_rad),
                                                     np.degrees(record.lat_rad)))
                    content.kinds[record.id] = record.kind
            elif isinstance(record, Event):
                content.events.append(record)
            elif isinstance(record, Scan) and record.site is not None:
                content.moving_sites[record.sensor].append(
                    (np.degrees(record.site.lon_rad), np.degrees(record.site.lat_rad)))
    return content


def collect_tracks(folder: str) -> dict[str, list[tuple[float, float]]]:
    """Lon/lat paths (deg) of the confirmed and coasting records in ``folder/tracks.jsonl``."""
    import json
    import os

    from .errors import InputError

    path = os.path.join(folder, "tracks.jsonl")
    paths: dict[str, list[tuple[float, float]]] = defaultdict(list)
    try:
        with open(path) as f:
            for number, line in enumerate(f, start=1):
                try:
                    record = json.loads(line)
                    if record.get("status") in ("confirmed", "coasting"):
                        paths[str(record["id"])].append((float(record["lon"]),
                                                         float(record["lat"])))
                except (ValueError, KeyError, TypeError, AttributeError) as e:
                    raise InputError(f"not a TRACK record ({e})", path=path,
                                     line=number) from None
    except OSError as e:
        raise InputError(e.strerror or str(e), path=path) from None
    return paths


def _polygon_rings(geometry: dict) -> list[np.ndarray]:
    """Exterior and interior rings of a GeoJSON Polygon or MultiPolygon, as (n, 2) lon/lat."""
    if geometry["type"] == "Polygon":
        polygons = [geometry["coordinates"]]
    elif geometry["type"] == "MultiPolygon":
        polygons = geometry["coordinates"]
    else:
        return []
    return [np.asarray(ring, dtype=float)[:, :2] for polygon in polygons for ring in polygon]


def _coverage_circle(lat_rad: float, lon_rad: float, radius_m: float, n: int = 181):
    """Lon/lat (deg) of the circle of ground range ``radius_m`` around a site (flat ENU)."""
    az = np.linspace(0.0, 2.0 * np.pi, n)
    east, north = radius_m * np.sin(az), radius_m * np.cos(az)
    m_radius, n_radius = frames.principal_radii(lat_rad)
    lat = lat_rad + north / m_radius
    lon = lon_rad + east / (n_radius * np.cos(lat_rad))
    return np.degrees(lon), np.degrees(lat)


def draw(content: MapContent, out: str, borders="bundled", title: str | None = None,
         dpi: int = 150, tracks: dict[str, list[tuple[float, float]]] | None = None) -> None:
    """Draw the map into ``out`` (PNG, or any format matplotlib infers from the suffix).

    ``borders`` is a GeoJSON FeatureCollection of country, water and disputed
    polygons; by default the bundled Natural Earth borders (``tracker.geography``).
    """
    if isinstance(borders, str) and borders == "bundled":
        from . import geography
        borders = geography.load().document
    import matplotlib
    matplotlib.use("Agg")                       # files only: no display here
    import matplotlib.pyplot as plt

    lons = [lon for path in content.paths.values() for lon, _ in path]
    lats = [lat for path in content.paths.values() for _, lat in path]
    for sensor in content.header.sensors.values():
        if sensor.site is not None and abs(sensor.site.alt_m) < 1e6:
            lons.append(np.degrees(sensor.site.lon_rad))
            lats.append(np.degrees(sensor.site.lat_rad))
    for orbit in content.moving_sites.values():
        lons.extend(lon for lon, _ in orbit)
        lats.extend(lat for _, lat in orbit)
    if not lons:
        lons, lats = [25.0, 63.0], [25.0, 52.0]
    pad = 1.0
    west, east = min(lons) - pad, max(lons) + pad
    south, north = min(lats) - pad, max(lats) + pad

    fig, ax = plt.subplots(figsize=(12, 8))
    ax.set_aspect(1.0 / np.cos(np.radians(0.5 * (south + north))))
    ax.set_facecolor("#dfeefa")
    if borders is not None:
        for feature in borders["features"]:
            water = feature["properties"].get("kind") == "water"
            for ring in _polygon_rings(feature["geometry"]):
                ax.fill(ring[:, 0], ring[:, 1], color="#dfeefa" if water else "#f4f1e8",
                        zorder=0)
                ax.plot(ring[:, 0], ring[:, 1], color="#9a9a9a", lw=0.4, zorder=1)

    expect = content.header.expect or {}
    for feature in expect.get("features", []):
        role = feature.get("properties", {}).get("role")
        colour = "#f39c12" if role == "target_area" else "#27ae60"
        for ring in _polygon_rings(feature.get("geometry", {})):
            ax.fill(ring[:, 0], ring[:, 1], color=colour, alpha=0.15 if role == "target_area"
                    else 0.08, zorder=2)
            ax.plot(ring[:, 0], ring[:, 1], color=colour, lw=1.0,
                    ls="-" if role == "target_area" else "--", zorder=2)

    for sensor in content.header.sensors.values():
        colour = SENSOR_COLOURS.get(sensor.kind, "k")
        if sensor.site is not None and abs(sensor.site.alt_m) < 1e6:
            lon, lat = np.degrees(sensor.site.lon_rad), np.degrees(sensor.site.lat_rad)
            ax.plot(lon, lat, marker="^", color=colour, ms=7, zorder=5)
            ax.annotate(sensor.id, (lon, lat), xytext=(4, 4), textcoords="offset points",
                        fontsize=7, color=colour, zorder=5)
            if sensor.range_max_m:
                cx, cy = _coverage_circle(sensor.site.lat_rad, sensor.site.lon_rad,
                                          sensor.range_max_m)
                ax.plot(cx, cy, color=colour, lw=0.6, ls=":", zorder=3)
        elif sensor.id in content.moving_sites:
            orbit = np.asarray(content.moving_sites[sensor.id])
            ax.plot(orbit[:, 0], orbit[:, 1], color=colour, lw=1.5, zorder=5,
                    label=f"{sensor.id} orbit")

    drawn_labels = set()
    for object_id, path in content.paths.items():
        colour, width, label = KIND_STYLE.get(content.kinds.get(object_id), OTHER_STYLE)
        xy = np.asarray(path)
        ax.plot(xy[:, 0], xy[:, 1], color=colour, lw=width, zorder=4,
                label=None if label in drawn_labels else label)
        drawn_labels.add(label)

    for k, path in enumerate((tracks or {}).values()):
        xy = np.asarray(path)
        ax.plot(xy[:, 0], xy[:, 1], color="#111111", lw=0.6, ls="--", zorder=5,
                label="confirmed track" if k == 0 else None)

    markers = {"launch": ("o", "#34495e", "launch"), "failure": ("x", "#000000", "failure"),
               "impact": ("*", "#e74c3c", "impact")}
    for kind, (marker, colour, label) in markers.items():
        points = [(np.degrees(e.lon_rad), np.degrees(e.lat_rad)) for e in content.events
                  if e.event == kind]
        if points:
            xy = np.asarray(points)
            ax.scatter(xy[:, 0], xy[:, 1], marker=marker, color=colour, s=30, zorder=6,
                       label=label)

    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    ax.set_xlabel("longitude (deg E)")
    ax.set_ylabel("latitude (deg N)")
    ax.grid(True, lw=0.3, color="#b0b0b0")
    ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
    scenario = content.header.scenario or {}
    ax.set_title(title or str(scenario.get("name", "airtrack recording")))
    fig.tight_layout()
    fig.savefig(out, dpi=dpi)
    plt.close(fig)
