"""`airtrack run`: simulate, record and track in one command."""
import json

from tracker.cli import main


def test_run_simulates_records_and_tracks(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "--out", str(out), "--duration", "300", "--quiet"]) == 0
    assert {p.name for p in out.iterdir()} == {"recording.jsonl.gz", "tracks.jsonl",
                                               "summary.json"}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["input"]["scenario"]["name"] == "caspian-2015"
    assert summary["input"]["path"] == str(out / "recording.jsonl.gz")
    assert summary["counts"]["scans_processed"] > 1000 and "metrics" in summary
    assert main(["run", "no-such-scenario", "--out", str(out)]) == 2
    assert "no-such-scenario" in capsys.readouterr().err
