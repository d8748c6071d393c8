"""The ``airtrack`` command: help, version, ``info``, and the one-line error contract."""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
import sys
from pathlib import Path

import pytest

import tracker
from tracker.cli import main

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tracker" / "data" / "sample.jsonl.gz"
HEADER = {"format": "airtrack-recording", "version": 1, "sensors": [
    {"id": "r", "kind": "radar", "site": {"lat": 36.9, "lon": 50.6, "alt": 20},
     "sigma": {"range_m": 60, "az_deg": 0.15, "el_deg": 0.3}}]}


def write(path, lines):
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
    return path


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_help_lists_info(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--help"])
    out = capsys.readouterr().out
    assert stop.value.code == 0
    assert out.startswith("usage: airtrack") and "info" in out and "--version" in out


def test_info_help(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["info", "--help"])
    assert stop.value.code == 0
    assert "REC" in capsys.readouterr().out


def test_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"airtrack {tracker.__version__}"


@pytest.mark.parametrize("argv", [[], ["info"], ["frobnicate"], ["info", "a", "b"]])
def test_usage_errors_keep_argparse_form(capsys, argv):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    assert capsys.readouterr().err.startswith("usage: airtrack")


def test_info_on_the_sample(capsys):
    status, out, err = run(capsys, "info", str(SAMPLE))
    assert (status, err) == (0, "")
    assert "scenario sample-caspian" in out
    assert "sensors (5):" in out
    assert "  gr-ramsar: radar, fixed at 36.9200, 50.6400, 20 m; sigma range_m=60 az_deg=0.15 " \
           "el_deg=0.3 rr_mps=1.5; pd=0.9" in out
    assert "  aew-1: radar, moving;" in out and "  pos-geo: position, no site;" in out
    assert "    30 scans, " in out and "    150 scans, " in out
    assert "time: 2015-10-07T09:00:00.000Z to 2015-10-07T09:05:00.000Z (300.000 s;" in out
    assert "scans: 390, detections: 464" in out
    assert "truth: 405 records of 3 objects (1 aircraft, 2 cruise_missile)" in out
    assert "events: 4 (1 failure, 1 impact, 2 launch)" in out
    assert "out-of-order scans: 0, duplicate scans: 0" in out
    assert "skipped unknown types: 0" in out


def test_info_json(capsys):
    status, out, _ = run(capsys, "info", "--json", str(SAMPLE))
    summary = json.loads(out)
    assert status == 0
    assert [s["id"] for s in summary["sensors"]] == ["gr-ramsar", "sr-anzali", "aew-1",
                                                     "sat-geo", "pos-geo"]
    assert sum(s["scans"] for s in summary["sensors"]) == summary["scans"] == 390
    assert summary["truth_objects"] == {"aircraft": 1, "cruise_missile": 2}
    assert summary["time"]["span_s"] == 300.0
    assert summary["sensors"][0]["sigma"]["az_deg"] == pytest.approx(0.15)


def test_info_counts_out_of_order_duplicates_and_unknown_types(tmp_path, capsys):
    scan = {"type": "scan", "sensor": "r", "detections": []}
    path = write(tmp_path / "r.jsonl", [HEADER, {**scan, "t": 5.0}, {**scan, "t": 3.0},
                                        {**scan, "t": 5.0}, {"type": "note"}])
    status, out, _ = run(capsys, "info", str(path))
    assert status == 0
    assert "out-of-order scans: 1, duplicate scans: 1" in out
    assert "skipped unknown types: 1 (1 note)" in out


def test_bad_input_is_one_line_and_status_2(tmp_path, capsys):
    path = write(tmp_path / "bad.jsonl", [
        HEADER, {"type": "scan", "t": 1.0, "sensor": "r", "detections": [
            {"range_m": 1e3, "az_deg": 1.0, "el_deg": 1.0},
            {"range_m": 1e3, "az_deg": "abc", "el_deg": 1.0}]}])
    status, out, err = run(capsys, "info", str(path))
    assert status == 2 and out == ""
    assert err == f'airtrack: {path}:2: detections[1].az_deg: expected a finite number, got "abc"\n'


def test_missing_file(capsys):
    status, _, err = run(capsys, "info", "nofile.jsonl")
    assert (status, err) == (2, "airtrack: nofile.jsonl: no such file\n")


# The subprocess runs the airtrack this interpreter imports (the installed package, with
# its compiled kernels), from a folder that does not hold the source tree.
NEUTRAL_CWD = tempfile.gettempdir()


def _airtrack(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "tracker.cli", *args], capture_output=True,
                          cwd=NEUTRAL_CWD, **kwargs)


def test_subprocess_errors_have_no_traceback(tmp_path):
    ok = _airtrack("info", str(SAMPLE))
    assert ok.returncode == 0 and b"scans: 390" in ok.stdout
    path = write(tmp_path / "bad.jsonl", [HEADER, "{not json"])
    bad = _airtrack("info", str(path))
    assert bad.returncode == 2 and b"Traceback" not in bad.stderr
    assert bad.stderr.decode().count("\n") == 1
    assert bad.stderr.decode().startswith(f"airtrack: {path}:2: invalid JSON: ")


def test_closed_pipe_is_quiet(tmp_path):
    many = {**HEADER, "sensors": [{**HEADER["sensors"][0], "id": f"r{i}"} for i in range(3000)]}
    path = write(tmp_path / "many.jsonl", [many])
    proc = subprocess.Popen([sys.executable, "-m", "tracker.cli", "info", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=NEUTRAL_CWD)
    first = proc.stdout.readline()              # like `| head -1`
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 0
    assert first.startswith(str(path).encode()) and err == b""


def test_unknown_sensor_field_named_mount_does_not_replace_the_mount(tmp_path, capsys):
    sensor = {**HEADER["sensors"][0], "mount": 5}
    path = write(tmp_path / "m.jsonl", [{**HEADER, "sensors": [sensor]}])
    status, out, err = run(capsys, "info", str(path))
    assert (status, err) == (0, "")
    assert "  r: radar, fixed at 36.9000, 50.6000, 20 m; sigma " in out


def test_lone_surrogate_in_an_id_is_printed_escaped(tmp_path):
    # valid JSON ("\ud800"), but not encodable as UTF-8: printing it must not crash
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps({**HEADER, "sensors": [{**HEADER["sensors"][0], "id": "\ud800"}]})
                    + "\n")
    done = _airtrack("info", str(path))
    assert (done.returncode, done.stderr) == (0, b"")
    assert b"  \\ud800: radar, fixed" in done.stdout
    as_json = _airtrack("info", "--json", str(path))
    assert json.loads(as_json.stdout)["sensors"][0]["id"] == "\ud800"


@pytest.mark.parametrize("t", [1e300, -1e300])
def test_time_no_clock_can_show_is_bad_input(tmp_path, t):
    scans = [{"type": "scan", "t": 0.0, "sensor": "r", "detections": []},
             {"type": "scan", "t": t, "sensor": "r", "detections": []}]
    path = write(tmp_path / "t.jsonl", [HEADER] + scans)
    done = _airtrack("info", "--json", str(path))
    assert done.returncode == 2 and b"Traceback" not in done.stderr
    assert done.stderr.decode() == (f"airtrack: {path}:3: t: expected UTC seconds since the "
                                    f"Unix epoch in years 1 to 9999, got {t:g}\n")


def test_extreme_accepted_values_still_give_strict_json(tmp_path, capsys):
    earliest, latest = -62_135_596_800.0, 253_402_300_799.0
    sensor = {**HEADER["sensors"][0], "clutter_density": 1e300 / 3283.0}
    scans = [{"type": "scan", "t": t, "sensor": "r", "detections": []} for t in (earliest, latest)]
    path = write(tmp_path / "x.jsonl", [{**HEADER, "sensors": [sensor]}] + scans)
    status, out, err = run(capsys, "info", "--json", str(path))
    assert (status, err) == (0, "")
    summary = json.loads(out)
    assert summary["time"]["first_utc"] == "0001-01-01T00:00:00.000Z"
    assert summary["time"]["last_utc"] == "9999-12-31T23:59:59.000Z"
    assert summary["time"]["span_s"] == latest - earliest
