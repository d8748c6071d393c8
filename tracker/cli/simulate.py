"""``airtrack simulate [SCENARIO] --out REC.jsonl.gz``: a scenario's world as a recording.

One of the commands that import ``sims`` (DESIGN.md rule 1): the import is
inside the command, so the other commands never load the simulator.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from dataclasses import replace

from ..errors import InputError
from ..recording import RecordingWriter, Truth
from ..scan import Scan

DEFAULT_SCENARIO = "caspian-2015"


def add_world_arguments(parser) -> None:
    """SCENARIO, --seed and --duration: what ``simulate`` and ``run`` both take."""
    parser.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO, metavar="SCENARIO",
                        help=f"a bundled scenario name or a scenario file "
                             f"(default {DEFAULT_SCENARIO})")
    parser.add_argument("--seed", type=int, help="random seed (default: the scenario's)")
    parser.add_argument("--duration", type=float, metavar="S",
                        help="simulate only the first S seconds of the scenario")


def add_parser(commands) -> None:
    simulate = commands.add_parser(
        "simulate", help="simulate a scenario into a recording",
        description="Fly a scenario's missiles and airliners past its sensors and write "
                    "the recording (header, time-ordered scans, truth and events). The same "
                    "seed gives the same bytes.")
    add_world_arguments(simulate)
    simulate.add_argument("--out", required=True, metavar="REC",
                          help="the recording to write (.jsonl, or .jsonl.gz for gzip)")
    simulate.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    simulate.set_defaults(run=run_simulate)


def run_simulate(args: argparse.Namespace) -> int:
    from sims.scenario import load_scenario
    from sims.world import simulate
    from tqdm import tqdm

    if args.duration is not None and not args.duration > 0:
        raise InputError(f"expected a positive number of seconds, got {args.duration}",
                         field="--duration")
    started = time.perf_counter()
    scenario = load_scenario(args.scenario)
    header, records = simulate(scenario, seed=args.seed, duration_s=args.duration)
    t0, t1 = scenario.start, header.scenario["end"]
    scans, detections, false_alarms = Counter(), Counter(), Counter()
    n_truth = n_events = 0
    bar = tqdm(total=round(t1 - t0), unit="s", desc=f"simulate {scenario.name}",
               disable=args.quiet or not sys.stderr.isatty(), leave=False)
    try:
        with RecordingWriter(args.out) as writer:
            writer.write_header(header)
            shown = t0
            for record in records:
                if isinstance(record, Scan):
                    scans[record.sensor] += 1
                    detections[record.sensor] += len(record)
                    if record.detection_ids is not None:
                        false_alarms[record.sensor] += sum(i is None for i in record.detection_ids)
                        # the simulator labels each detection with its truth object; a
                        # recording carries what a real sensor reports, so not that
                        record = replace(record, detection_ids=None)
                elif isinstance(record, Truth):
                    n_truth += 1
                else:
                    n_events += 1
                writer.write(record)
                if record.t - shown >= 1.0:
                    bar.update(round(record.t - shown))
                    shown = record.t
    except OSError as e:                      # unwritable path, full disk
        raise InputError(e.strerror or str(e), path=args.out) from None
    finally:
        bar.close()
    elapsed = time.perf_counter() - started
    if not args.quiet:
        total, clutter = sum(detections.values()), sum(false_alarms.values())
        print(f"wrote {args.out}: {scenario.name}, seed {header.scenario['seed']}, "
              f"{t1 - t0:.0f} s of scenario time in {elapsed:.1f} s")
        for sensor in header.sensors:
            print(f"  {sensor}: {scans[sensor]} scans, {detections[sensor]} detections "
                  f"({false_alarms[sensor]} false)")
        print(f"  {sum(scans.values())} scans, {total} detections, clutter fraction "
              f"{clutter / total if total else 0.0:.3f}; {n_truth} truth records, "
              f"{n_events} events")
    return 0
