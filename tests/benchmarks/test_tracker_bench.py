"""The whole tracker per scan on the scaling data, outputs written, at N = 10 ... 10,000.

Run with timings::

    pytest tests/benchmarks/test_tracker_bench.py --benchmark-enable --benchmark-json=b.json

One round is one ``Tracker.submit`` of the next scan of ``scaling_data`` (one
position sensor every 5 s, Pd 0.9, 100 m noise, 10 clutter detections a scan)
after a warm-up in which every target's track has confirmed. ``submit``
processes the scan before it (the reorder buffer holds a scan for
``out_of_order_lag_s``), so each round is exactly one scan through every stage,
and every TRACK record it emits is encoded (``tracker.output.encode``) and
written to a file, as ``airtrack track`` does. Each benchmark's
``extra_info`` holds the milliseconds per scan of each engine stage
(``counts.stage_seconds``; ``output`` includes building, encoding and writing
the records), the memory the tracker holds (tracemalloc after the warm-up) and
the scans' GOSPA (scored from the track table between rounds, untimed).

Memory (tracemalloc, during the warm-up) is measured at every N in benchmark
runs and at N <= 1,000 in the normal suite. In the normal suite
(``--benchmark-disable``) each runs one scan after the warm-up and checks
the result: about N confirmed tracks, few misses, no false tracks to speak
of, and a small GOSPA per target. Timings are never
asserted.
"""
import tracemalloc

import numpy as np
import pytest

import scaling_data
from tracker.config import Imm, TrackerConfig
from tracker.engine import Tracker
from tracker.output import encode

#: N -> (warm-up scans, timed rounds with --benchmark-enable)
SIZES = {10: (8, 60), 100: (8, 60), 1_000: (8, 40), 10_000: (7, 8)}


class Output:
    """The run's ``emit``, as ``airtrack track``'s: encode and write every record."""

    def __init__(self, file):
        self.write = file.write
        self.records = 0

    def __call__(self, record: dict) -> None:
        self.write(encode(record))
        self.records += 1


@pytest.mark.parametrize("imm", [True, False], ids=["imm", "cv"])
@pytest.mark.parametrize("N", list(SIZES))
def test_tracker_scan(benchmark, tmp_path, N, imm):
    benchmark.group = f"tracker per scan N={N}"
    warm, rounds = SIZES[N]
    rounds = 1 if benchmark.disabled else rounds
    data = scaling_data.make(N, warm + rounds + 1, seed=N)
    scans = iter(data.scans)

    with open(tmp_path / "tracks.jsonl", "wb") as file:
        # tracemalloc makes the 10,000-target warm-up 10x slower: measured in benchmark runs only
        measure_memory = N <= 1_000 or not benchmark.disabled
        if measure_memory:
            tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        output = Output(file)
        tracker = Tracker({data.sensor.id: data.sensor}, TrackerConfig(imm=Imm(enabled=imm)),
                          output)
        for _ in range(warm):
            tracker.submit(next(scans))
        held, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        confirmed = scaling_data.ConfirmedPositions(tracker)
        stages_before = dict(tracker.counts.stage_seconds)
        scans_before = tracker.counts.scans

        benchmark.pedantic(lambda: tracker.submit(next(scans)), setup=confirmed, rounds=rounds,
                           iterations=1)
        confirmed()

    processed = tracker.counts.scans - scans_before
    assert processed == rounds
    stages = {k: 1e3 * (v - stages_before.get(k, 0.0)) / processed
              for k, v in tracker.counts.stage_seconds.items()}
    first = warm - 1                       # the first scan processed in the timed rounds
    score = scaling_data.mean_gospa(data, lambda k: confirmed.at(data.scans[k].t),
                                    range(first, first + processed))
    benchmark.extra_info.update({
        "stage_ms_per_scan": {k: round(v, 3) for k, v in sorted(stages.items())},
        "stages_total_ms": round(sum(stages.values()), 3),
        "memory_held_bytes": held - before, "memory_peak_bytes": peak - before,
        "memory_bytes_per_target": round((held - before) / N),
        "records_per_scan": round(output.records / tracker.counts.scans),
        **{k: round(v, 2) for k, v in score.items()}})

    # the warm-up confirmed (nearly) every target and nothing else
    assert abs(score["confirmed"] - N) <= max(2, 0.03 * N)
    assert score["missed"] <= max(1, 0.02 * N) and score["false"] <= max(1, 0.02 * N)
    # 100 m noise per axis, 5 s scans: a track is ~100 m off; a miss alone would cost 1.4 km
    assert score["per_target_m"] < 300.0
    assert np.isfinite(tracker.tracks.x[tracker.tracks.rows()]).all()
    # memory linear in N: a few kilobytes per track, plus a fixed part
    if measure_memory:
        assert held - before < 2e6 + 5_000 * N
