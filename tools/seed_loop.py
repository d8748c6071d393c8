"""Simulate and track one scenario over many seeds; the quality figures per seed and in all.

    python tools/seed_loop.py caspian-2015 --seeds 20 --out seeds/ [--duration S] [--jobs 2]

Each seed is ``airtrack simulate SCENARIO --seed K`` then ``airtrack track``, in
its own directory under ``--out`` (kept: the records and summary.json are the
evidence). One line per seed, then the totals: missile coverage, ids per
missile, false tracks over 30 s, aircraft coverage, GOSPA, and the count the
issues ask for over seeds: airliner tracks ever classified ``cruise_missile``.
``--json FILE`` writes every seed's figures. The seeds are the scenario's own
plus 1, 2, ... (``--first-seed`` to start elsewhere).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

SCENARIOS = Path(__file__).resolve().parent.parent / "sims" / "scenarios"


def scenario_seed(name: str) -> int:
    path = Path(name) if Path(name).is_file() else SCENARIOS / f"{name}.yaml"
    return int(yaml.safe_load(path.read_text())["seed"])


def one_seed(scenario: str, seed: int, out: Path, duration: float | None) -> dict:
    """Simulate and track one seed; its summary's figures."""
    out.mkdir(parents=True, exist_ok=True)
    recording = out / "recording.jsonl.gz"
    simulate = ["airtrack", "simulate", scenario, "--seed", str(seed), "--out", str(recording),
                "--quiet"]
    if duration is not None:
        simulate += ["--duration", str(duration)]
    subprocess.run(simulate, check=True)
    subprocess.run(["airtrack", "track", str(recording), "--out", str(out / "run"), "--quiet"],
                   check=True)
    summary = json.loads((out / "run" / "summary.json").read_text())
    m = summary["metrics"]
    return {"seed": seed,
            "missile_coverage_tracked": m["missile_coverage_tracked"],
            "ids_per_missile": m["ids_per_missile"],
            "false_tracks_over_30s": m["false_tracks_over_30s"],
            "aircraft_coverage_tracked": m["aircraft_coverage_tracked"],
            "aircraft_tracks_called_missile": len(m["classification"]
                                                  ["aircraft_tracks_called_missile"]),
            "gospa_mean_m": m["gospa_mean_m"],
            "track_s": summary["timing_s"]["total"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="seed_loop", description=__doc__.split("\n")[0])
    parser.add_argument("scenario")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=None,
                        help="the first seed (default: the scenario's own)")
    parser.add_argument("--duration", type=float, default=None)
    parser.add_argument("--jobs", type=int, default=1, help="seeds run at once")
    parser.add_argument("--out", required=True)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    first = scenario_seed(args.scenario) if args.first_seed is None else args.first_seed
    seeds = range(first, first + args.seeds)
    out = Path(args.out)
    keys = ("missile_coverage_tracked", "ids_per_missile", "false_tracks_over_30s",
            "aircraft_coverage_tracked", "aircraft_tracks_called_missile", "gospa_mean_m")
    print("| seed | " + " | ".join(keys) + " |", flush=True)
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(
            lambda s: one_seed(args.scenario, s, out / f"seed-{s}", args.duration), seeds))
    for r in results:
        print(f"| {r['seed']} | " + " | ".join(f"{r[k]:.4g}" for k in keys) + " |")
    print(f"| all {len(results)} | "
          f"{min(r['missile_coverage_tracked'] for r in results):.4g} (min) | "
          f"{max(r['ids_per_missile'] for r in results):.4g} (max) | "
          f"{sum(r['false_tracks_over_30s'] for r in results)} (sum) | "
          f"{min(r['aircraft_coverage_tracked'] for r in results):.4g} (min) | "
          f"{sum(r['aircraft_tracks_called_missile'] for r in results)} (sum) | "
          f"{sum(r['gospa_mean_m'] for r in results) / len(results):.4g} (mean) |")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
