"""`airtrack simulate` of the whole bundled scenario: every flight, every sensor, ~2 h.

Issue 4's bar: under 60 s on one core, writing the gzip recording included.
With ``--benchmark-disable`` (the normal suite) it still runs once, and the
recording it wrote is checked.
"""
from tracker.cli import main
from tracker.cli.info import summarise


def test_simulate_whole_caspian_scenario(benchmark, tmp_path):
    benchmark.group = "airtrack simulate caspian-2015 (whole scenario)"
    out = tmp_path / "caspian.jsonl.gz"
    status = benchmark.pedantic(main, args=(["simulate", "--out", str(out), "--quiet"],),
                                rounds=1, iterations=1)
    assert status == 0
    summary = summarise(str(out))
    assert summary["events"] == {"failure": 4, "impact": 26, "launch": 26}
    assert summary["truth_objects"]["cruise_missile"] == 26
    assert summary["out_of_order_scans"] == 0 and summary["duplicate_scans"] == 0
    assert summary["scans"] > 50_000 and summary["detections"] > 30_000
    assert summary["time"]["span_s"] >= 7_000
