"""``airtrack plot``: a picture of a recording."""
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
