"""``airtrack track REC --out DIR [--config FILE]``: a recording through the tracker, fast.

Writes ``DIR/tracks.jsonl`` (every TRACK record, DESIGN.md "Outputs of a
run") and ``DIR/summary.json`` (counts, time per stage, provenance and, when
the recording carries truth, the quality figures of ``tracker.scoring``).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

from .. import __version__
from ..config import load_config
from ..engine import Tracker
from ..errors import InputError
from ..kalman import KERNELS
from ..output import encode
from ..recording import RecordingReader, Truth
from ..scan import Scan
from ..scoring import RunScorer


def add_parser(commands) -> None:
    track = commands.add_parser(
        "track", help="track a recording as fast as possible",
        description="Run the tracker over a recording and write tracks.jsonl and "
                    "summary.json into DIR (created if missing; files in it are replaced).")
    track.add_argument("recording", metavar="REC", help="the recording file")
    track.add_argument("--out", required=True, metavar="DIR", help="the output folder")
    track.add_argument("--config", metavar="FILE", help="tracker settings (YAML) over defaults")
    track.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    track.set_defaults(run=run_track)


def file_hash(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def run_track(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    config = load_config(args.config)
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        tracks_file = open(out / "tracks.jsonl", "wb")
    except OSError as e:
        raise InputError(e.strerror or str(e), path=str(out)) from None
    started = time.perf_counter()
    scorer = None
    write = tracks_file.write
    n_records = 0

    def emit(record: dict) -> None:
        nonlocal n_records
        write(encode(record))                 # strict JSON, one line (tracker.output)
        scorer.add_track(record)
        n_records += 1

    with RecordingReader(args.recording) as reader, tracks_file:
        header = reader.header
        tracker = Tracker(header.sensors, config, emit)
        scorer = RunScorer(sensors=header.sensors)
        bar = tqdm(unit=" scans", desc="track", disable=args.quiet or not sys.stderr.isatty(),
                   leave=False, mininterval=0.5)
        for record in reader:
            if isinstance(record, Scan):
                tracker.submit(record)
                if record.site is not None:
                    scorer.add_site(record.sensor, record.t, record.site)
                bar.update(1)
            elif isinstance(record, Truth):
                scorer.add_truth(record)
        tracker.finish()
        bar.close()
        counts = reader.counts
    elapsed = time.perf_counter() - started
    c = tracker.counts
    summary = {
        "airtrack": __version__, "kernels": KERNELS,
        "input": {"path": args.recording, "sha256": file_hash(args.recording),
                  "scenario": header.scenario},
        "config": config.as_json(),
        "counts": {
            "scans_read": counts.scans, "scans_processed": c.scans,
            "scans_late_rejected": c.scans_late_rejected, "scans_duplicate": c.scans_duplicate,
            "detections": c.detections, "track_records": n_records,
            "tracks_started": c.tracks_started, "tracks_confirmed": c.tracks_confirmed,
            "tracks_deleted": c.tracks_deleted, "tracks_lost": c.tracks_lost,
            "tracks_relinked": c.tracks_relinked, "tracks_resumed": c.tracks_resumed,
            "tracks_merged": c.tracks_merged,
            "impacts_observed": c.impacts_observed,
            "clusters_exact": c.clusters_exact, "clusters_approximate": c.clusters_approximate,
            "kernel_failures": dict(c.kernel_failures),
        },
        # every confirmed track's class changes, with the kinematics behind each
        "classification": tracker.class_history.summary(),
        "clutter": tracker.clutter.summary(),
        "timing_s": {"total": elapsed, "ms_per_scan": 1e3 * elapsed / max(c.scans, 1),
                     **{k: round(v, 6) for k, v in sorted(c.stage_seconds.items())}},
    }
    if scorer.has_truth:
        summary["metrics"] = scorer.score()
    (out / "summary.json").write_text(json.dumps(summary, indent=2, allow_nan=False) + "\n")
    if not args.quiet:
        print(f"tracked {args.recording}: {c.scans} scans in {elapsed:.1f} s "
              f"({summary['timing_s']['ms_per_scan']:.2f} ms/scan); {c.tracks_confirmed} "
              f"tracks confirmed, {n_records} records -> {out}")
        if "metrics" in summary:
            m = summary["metrics"]
            print(f"  missiles covered and tracked: {m['missile_coverage_tracked']:.3f}, "
                  f"ids per missile: {m['ids_per_missile']:.2f}, "
                  f"false tracks > 30 s: {m['false_tracks_over_30s']}, "
                  f"mean GOSPA: {m['gospa_mean_m']:.0f} m")
            called = m["classification"]["aircraft_tracks_called_missile"]
            delays = [d for d in m["classification"]["missile_seconds_to_class"].values()
                      if d is not None]
            print(f"  aircraft covered and tracked: {m['aircraft_coverage_tracked']:.3f}, "
                  f"aircraft tracks called missile: {len(called)}, missiles classified: "
                  f"{len(delays)} of {len(m['classification']['missile_seconds_to_class'])}"
                  + (f" (median {np.median(delays):.0f} s after first tracked)" if delays
                     else ""))
    return 0
