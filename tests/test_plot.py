"""``airtrack plot``: a picture of a recording."""
import json
from pathlib import Path

import numpy as np

from tracker import plot
from tracker.cli import main

SAMPLE = Path(__file__).resolve().parents[1] / "tracker" / "data" / "sample.jsonl.gz"


def test_collect_keeps_paths_events_and_moving_sites():
    content = plot.collect(str(SAMPLE), truth_stride_s=10.0)
    assert sorted(content.kinds.values()) == ["aircraft", "cruise_missile", "cruise_missile"]
    assert sorted(e.event for e in content.events) == ["failure", "impact", "launch", "launch"]
    # one point per 10 s over the 300 s sample (an object alive throughout has ~31)
    assert max(len(p) for p in content.paths.values()) in range(25, 32)
    assert list(content.moving_sites) == ["aew-1"]
    lon, lat = np.asarray(content.moving_sites["aew-1"]).T
    assert (35 < lat).all() and (lat < 39).all() and (48 < lon).all() and (lon < 54).all()


def test_plot_writes_a_png(tmp_path, capsys):
    out = tmp_path / "map.png"
    assert main(["plot", str(SAMPLE), "--out", str(out)]) == 0
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    assert f"wrote {out}" in capsys.readouterr().out


def test_plot_bad_input_is_one_line_and_status_2(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"format": "something-else"}\n')
    assert main(["plot", str(bad), "--out", str(tmp_path / "m.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"airtrack: {bad}:1: format:") and err.count("\n") == 1
    assert main(["plot", str(SAMPLE), "--out", str(tmp_path / "no" / "m.png")]) == 2
    assert "No such file or directory" in capsys.readouterr().err
    assert main(["plot", str(SAMPLE), "--out", str(tmp_path / "m.png"), "--truth-step", "0"]) == 2


def test_plot_draws_a_runs_confirmed_tracks(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    records = [{"type": "track", "t": t, "id": "T1", "status": status, "lat": 37.2 + 0.01 * t,
                "lon": 50.8, "alt": 50.0} for t, status in
               [(0, "tentative"), (5, "confirmed"), (10, "coasting"), (15, "deleted")]]
    (run / "tracks.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    paths = plot.collect_tracks(str(run))
    assert list(paths) == ["T1"]
    assert np.allclose(paths["T1"], [(50.8, 37.25), (50.8, 37.3)])   # confirmed, coasting only
    assert main(["plot", str(SAMPLE), "--out", str(tmp_path / "m.png"), "--tracks", str(run)]) == 0
    (run / "tracks.jsonl").write_text('{"status": "confirmed"}\n')
    assert main(["plot", str(SAMPLE), "--out", str(tmp_path / "m.png"), "--tracks", str(run)]) == 2
    assert f"{run / 'tracks.jsonl'}:1: not a TRACK record" in capsys.readouterr().err
