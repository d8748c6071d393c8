"""The ``airtrack`` command: argument parsing and the wiring of every subcommand.

This package is the composition root (DESIGN.md, "The house"): the one place
in ``tracker`` that may import ``sims``, and only in the commands that
simulate. Bad input ends a command with one line
``airtrack: PATH:LINE: FIELD: PROBLEM`` on stderr and exit status 2;
argparse's usage errors keep argparse's form and status 2.
"""
from __future__ import annotations

import argparse
import os
import sys

from .. import __version__
from ..errors import InputError
from . import info, plot, run, simulate, track
from .info import summarise

__all__ = ["build_parser", "main", "summarise"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="airtrack",
        description="Air-surveillance tracking and sensor fusion: radar and satellite "
                    "detections in, a fused air picture and off-course impact warnings out.")
    parser.add_argument("--version", action="version", version=f"airtrack {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for command in (run, simulate, track, plot, info):
        command.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except InputError as e:
        print(f"airtrack: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader of our stdout left (`airtrack info x | head`): not an error.
        # Point stdout at devnull so the interpreter's final flush stays quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
