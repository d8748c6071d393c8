"""`airtrack track` on the shortened bundled scenario (once per session)."""
import json
from collections import defaultdict

import pytest

from tracker.cli import main


@pytest.fixture(scope="module")
def run(caspian_recording, tmp_path_factory):
    out = tmp_path_factory.mktemp("track")
    assert main(["track", str(caspian_recording), "--out", str(out), "--quiet"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    records = [json.loads(line) for line in (out / "tracks.jsonl").read_text().splitlines()]
    return summary, records


def test_summary_has_counts_timing_provenance_and_metrics(run):
    summary, records = run
    counts = summary["counts"]
    assert counts["scans_processed"] == counts["scans_read"] > 10_000
    assert counts["track_records"] == len(records)
    assert counts["tracks_confirmed"] > 20 and counts["kernel_failures"] == {}
    assert len(summary["input"]["sha256"]) == 64
    assert summary["config"]["gate_probability"] == 0.999
    assert summary["timing_s"]["ms_per_scan"] > 0 and "associate" in summary["timing_s"]
    m = summary["metrics"]
    assert m["gospa"] == {"c_m": 2000.0, "p": 2.0, "alpha": 2}
    assert 0.0 < m["missile_coverage_tracked"] <= 1.0 and m["missiles_tracked"] >= 5


def test_track_records_follow_the_contract(run):
    _, records = run
    by_id = defaultdict(list)
    for r in records:
        assert r["status"] in ("tentative", "confirmed", "coasting", "deleted")
        assert -90 <= r["lat"] <= 90 and -180 <= r["lon"] <= 180
        assert len(r["vel_enu"]) == 3 and len(r["cov_pos_enu"]) == 3
        assert 0.0 <= r["existence"] <= 1.0
        assert r["class"] in ("cruise_missile", "aircraft", "unknown")
        assert 0.0 <= r["class_probability"] <= 1.0
        assert r["t_update"] <= r["t"] + 1e-6
        by_id[r["id"]].append(r)
    for track in by_id.values():
        assert track[-1]["status"] == "deleted"               # every track is closed
        assert sum(r["status"] == "deleted" for r in track) == 1
        times = [r["t"] for r in track]
        assert times == sorted(times)
        # a record at least every output period (5 s) while the track lives, within a scan
        gaps = [b - a for a, b in zip(times, times[1:])]
        assert max(gaps, default=0.0) < 5.0 + 2.0


def test_track_bad_input(tmp_path, capsys):
    assert main(["track", str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "o")]) == 2
    assert "no such file" in capsys.readouterr().err.lower()
    bad = tmp_path / "bad.yaml"
    bad.write_text("gate_probability: 7\n")
    assert main(["track", str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "o"),
                 "--config", str(bad)]) == 2
    assert f"{bad}: gate_probability:" in capsys.readouterr().err


def test_quality_bars_on_the_shortened_scenario(run):
    # issue 5's bars on the first 2,400 s of caspian-2015 (docs/tracker.md, "Quality")
    m = run[0]["metrics"]
    assert m["false_tracks_over_30s"] == 0
    assert m["ids_per_missile"] <= 1.5
    assert m["missile_coverage_tracked"] >= 0.89          # measured 0.9011


def test_missile_coverage_reaches_the_issue_5_bar(run):
    # measured 0.9011 (0.8996 before tentative tracks waited for their second detection
    # and confirmed tracks gated with their modes' gates); the rest are mostly boosters
    # seen only by the infrared satellite, which starts no track
    assert run[0]["metrics"]["missile_coverage_tracked"] >= 0.90


def test_classification_on_the_shortened_scenario(run):
    # issue 6: no airliner ever called a missile; a low, fast track does not wait minutes
    summary, records = run
    c = summary["metrics"]["classification"]
    assert c["aircraft_tracks_called_missile"] == {}
    assert c["confusion"]["aircraft"].get("cruise_missile", 0) == 0
    delays = c["missile_seconds_to_class"]
    assert len(delays) >= 10 and all(d is not None and d <= 30.0 for d in delays.values())
    matched = c["confusion"]["cruise_missile"]
    assert matched.get("cruise_missile", 0) >= 0.97 * sum(matched.values())
    # the evidence: each confirmed track's class changes with the kinematics behind them
    changes = summary["classification"]["changes"]
    assert summary["classification"]["tracks_by_class"]["cruise_missile"] >= 10
    first = next(v[0] for v in changes.values() if v[-1]["class"] == "cruise_missile")
    assert first["height_m"] < 3000 and first["speed_mps"] > 150
