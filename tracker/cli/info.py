"""``airtrack info REC``: validate a recording and summarise it."""
from __future__ import annotations

import argparse
import json
from collections import Counter
from datetime import datetime, timezone

from ..recording import Event, RecordingReader, Truth, sensor_json
from ..scan import Scan, Sensor


def add_parser(commands) -> None:
    info = commands.add_parser(
        "info", help="validate a recording and summarise it",
        description="Read a whole recording (.jsonl or .jsonl.gz), check every line, and "
                    "print its sensors, time span and counts. A malformed line ends it "
                    "with one error line and exit status 2.")
    info.add_argument("recording", metavar="REC", help="the recording file")
    info.add_argument("--json", action="store_true", help="print the summary as JSON")
    info.set_defaults(run=run_info)


def summarise(path: str) -> dict:
    """Read and check a whole recording; its sensors, time span and counts as JSON values."""
    scans, detections = Counter(), Counter()
    truth_ids: dict[str, set[str]] = {}
    events = Counter()
    first = last = None
    with RecordingReader(path) as reader:
        for record in reader:
            t = record.t
            first = t if first is None or t < first else first
            last = t if last is None or t > last else last
            if isinstance(record, Scan):
                scans[record.sensor] += 1
                detections[record.sensor] += len(record)
            elif isinstance(record, Truth):
                truth_ids.setdefault(record.kind, set()).add(record.id)
            elif isinstance(record, Event):
                events[record.event] += 1
        header, counts = reader.header, reader.counts
    return {
        "path": path,
        "format": header.format, "version": header.version,
        "surface": header.surface.get("model"),
        "scenario": (header.scenario or {}).get("name"),
        "sensors": [dict(_sensor_summary(s), scans=scans[s.id], detections=detections[s.id])
                    for s in header.sensors.values()],
        "time": None if first is None else {
            "first": first, "last": last, "span_s": last - first,
            "first_utc": _utc(first), "last_utc": _utc(last)},
        "lines": counts.lines,
        "scans": counts.scans, "detections": counts.detections,
        "truth_records": counts.truth,
        "truth_objects": {kind: len(ids) for kind, ids in sorted(truth_ids.items())},
        "events": dict(sorted(events.items())),
        "out_of_order_scans": counts.out_of_order,
        "duplicate_scans": counts.duplicates,
        "skipped_unknown_types": dict(sorted(counts.skipped.items())),
    }


def _utc(t: float) -> str:
    return datetime.fromtimestamp(t, tz=timezone.utc).isoformat(timespec="milliseconds") \
        .replace("+00:00", "Z")


def _sensor_summary(sensor: Sensor) -> dict:
    """A sensor as its header describes it (degrees), and how it is mounted."""
    mount = "moving" if sensor.moving else "fixed" if sensor.site else "no site"
    summary = {"mount": mount, **sensor_json(sensor)}
    summary["mount"] = mount            # over an unknown header field of that name
    return summary


def _format_summary(s: dict) -> str:
    lines = [f"{s['path']}: {s['format']} version {s['version']}, surface {s['surface']}"
             + (f", scenario {s['scenario']}" if s["scenario"] else "")]
    lines.append(f"sensors ({len(s['sensors'])}):")
    for sensor in s["sensors"]:
        where = sensor["mount"]
        if "site" in sensor:
            site = sensor["site"]
            where += f" at {site['lat']:.4f}, {site['lon']:.4f}, {site['alt']:.0f} m"
        sigma = " ".join(f"{k}={x:.4g}" for k, x in sensor["sigma"].items())
        options = " ".join(f"{k}={sensor[k]:.4g}" for k in
                           ("pd", "clutter_density", "range_max_m", "period_s") if k in sensor)
        lines.append(f"  {sensor['id']}: {sensor['kind']}, {where}; sigma {sigma}"
                     + (f"; {options}" if options else ""))
        lines.append(f"    {sensor['scans']} scans, {sensor['detections']} detections")
    time = s["time"]
    if time is None:
        lines.append("time: no records")
    else:
        lines.append(f"time: {time['first_utc']} to {time['last_utc']} ({time['span_s']:.3f} s; "
                     f"t = {time['first']:.3f} to {time['last']:.3f})")
    lines.append(f"scans: {s['scans']}, detections: {s['detections']}")
    objects = ", ".join(f"{n} {kind}" for kind, n in s["truth_objects"].items()) or "none"
    lines.append(f"truth: {s['truth_records']} records of {sum(s['truth_objects'].values())} "
                 f"objects ({objects})")
    events = ", ".join(f"{n} {kind}" for kind, n in s["events"].items()) or "none"
    lines.append(f"events: {sum(s['events'].values())} ({events})")
    lines.append(f"out-of-order scans: {s['out_of_order_scans']}, "
                 f"duplicate scans: {s['duplicate_scans']}")
    skipped = s["skipped_unknown_types"]
    lines.append(f"skipped unknown types: {sum(skipped.values())}"
                 + (" (" + ", ".join(f"{n} {kind}" for kind, n in skipped.items()) + ")"
                    if skipped else ""))
    return "\n".join(lines)


def run_info(args: argparse.Namespace) -> int:
    summary = summarise(args.recording)
    if args.json:
        print(json.dumps(summary, indent=2, allow_nan=False))
    else:
        # JSON may spell a lone surrogate, "\ud800", which UTF-8 cannot encode
        print(_format_summary(summary).encode("utf-8", "backslashreplace").decode("utf-8"))
    return 0

