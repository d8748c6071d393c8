"""``airtrack plot REC --out map.png``: a map picture of a recording."""
from __future__ import annotations

import argparse

from ..errors import InputError


def add_parser(commands) -> None:
    plot = commands.add_parser(
        "plot", help="draw a map of a recording",
        description="Draw the theatre of a recording: country borders, the expected "
                    "target areas and corridor, sensor sites and coverage, truth paths "
                    "(missiles and airliners), failures and impacts.")
    plot.add_argument("recording", metavar="REC", help="the recording file")
    plot.add_argument("--out", required=True, metavar="FILE",
                      help="the picture to write (PNG; the suffix picks the format)")
    plot.add_argument("--title", help="the title (default: the scenario name)")
    plot.add_argument("--tracks", metavar="DIR",
                      help="also draw the confirmed tracks of a run (DIR/tracks.jsonl)")
    plot.add_argument("--truth-step", type=float, default=10.0, metavar="S",
                      help="keep one truth point per object every S seconds (default 10)")
    plot.set_defaults(run=run_plot)


def run_plot(args: argparse.Namespace) -> int:
    from .. import plot

    if not args.truth_step > 0:
        raise InputError(f"expected a positive number of seconds, got {args.truth_step}",
                         field="--truth-step")
    content = plot.collect(args.recording, truth_stride_s=args.truth_step)
    tracks = plot.collect_tracks(args.tracks) if args.tracks else None
    try:
        plot.draw(content, args.out, title=args.title, tracks=tracks)
    except (OSError, ValueError) as e:     # unwritable path, unknown picture format
        raise InputError(str(e), path=args.out) from None
    print(f"wrote {args.out}")
    return 0
