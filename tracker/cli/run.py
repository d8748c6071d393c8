"""``airtrack run [SCENARIO] --out DIR``: simulate a scenario, record it, and track it.

The README's main job. It writes ``DIR/recording.jsonl.gz`` (the simulated
world, as ``airtrack simulate`` would) and then tracks it into
``DIR/tracks.jsonl`` and ``DIR/summary.json`` (as ``airtrack track`` would).
Publishing on the live stream joins this command with the stream issue.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import InputError
from .simulate import add_world_arguments, run_simulate
from .track import run_track


def add_parser(commands) -> None:
    run = commands.add_parser(
        "run", help="simulate a scenario, record it and track it",
        description="Simulate a scenario (default: the bundled caspian-2015) into "
                    "DIR/recording.jsonl.gz, then track it into DIR/tracks.jsonl and "
                    "DIR/summary.json.")
    add_world_arguments(run)
    run.add_argument("--out", default="run", metavar="DIR",
                     help="the output folder (default ./run; created if missing)")
    run.add_argument("--config", metavar="FILE", help="tracker settings (YAML) over defaults")
    run.add_argument("--quiet", action="store_true", help="no progress bars or summaries")
    run.set_defaults(run=run_run)


def run_run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(e.strerror or str(e), path=str(out)) from None
    recording = str(out / "recording.jsonl.gz")
    status = run_simulate(argparse.Namespace(
        scenario=args.scenario, out=recording, seed=args.seed, duration=args.duration,
        quiet=args.quiet))
    if status:
        return status
    return run_track(argparse.Namespace(recording=recording, out=str(out), config=args.config,
                                        quiet=args.quiet))
