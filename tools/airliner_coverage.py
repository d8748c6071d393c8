"""Airliner coverage of a run, scored exactly as ``summary.json`` scores missiles.

``tracker.scoring.RunScorer`` reports ``missile_coverage_tracked`` and
``ids_per_missile`` for truth of kind ``cruise_missile`` only. This tool
replays a recording's truth and a run's ``tracks.jsonl`` through the same
scorer with the kinds swapped (airliners scored as "the" kind, missiles kept
in the GOSPA assignment under another name), so the airliner figures come from
the same matching rules (GOSPA c = 2 km, CLEAR MOT identities). It also
counts confirmed records of tracks that follow an airliner but are classed
``cruise_missile`` (SCENARIO.md: airliners must never be reported as missiles).

    python tools/airliner_coverage.py RUN/recording.jsonl.gz RUN/tracks.jsonl
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import replace

from tracker.recording import RecordingReader, Truth
from tracker.scoring import CONFIRMED_STATUSES, RunScorer

SWAP = {"aircraft": "cruise_missile", "cruise_missile": "missile (not scored)"}


def score(recording: str, tracks: str) -> dict:
    scorer = RunScorer()
    with RecordingReader(recording) as reader:
        for record in reader:
            if isinstance(record, Truth):
                scorer.add_truth(replace(record, kind=SWAP.get(record.kind, record.kind)))
    classes: dict[str, Counter] = {}
    with open(tracks, encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record.get("type") != "track":
                continue
            scorer.add_track(record)
            if record["status"] in CONFIRMED_STATUSES:
                classes.setdefault(record["id"], Counter())[record["class"]] += 1
    m = scorer.score()
    following = {i for ids in m["missile_track_ids"].values() for i in ids}
    as_missile = sorted(i for i in following if classes.get(i, {}).get("cruise_missile"))
    return {"airliner_samples_covered": m["missile_samples_covered"],
            "airliner_coverage_tracked": m["missile_coverage_tracked"],
            "airliners_tracked": m["missiles_tracked"],
            "ids_per_airliner": m["ids_per_missile"],
            "airliner_tracks_classed_missile": as_missile,
            "airliner_track_records_classed_missile":
                sum(classes[i]["cruise_missile"] for i in as_missile)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="airliner_coverage", description=__doc__.split("\n")[0])
    parser.add_argument("recording", help="the recording the run tracked (its truth)")
    parser.add_argument("tracks", help="the run's tracks.jsonl")
    args = parser.parse_args(argv)
    json.dump(score(args.recording, args.tracks), sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
