"""Issue 6's quality bars on a world the tracker was not tuned on: aew-only, shortened.

The first 1,200 s of ``aew-only`` (docs/scenario.md): one airborne radar is the
only radar, 24 missiles and the airliners of three airways. Measured on the
code of 2026-12-02 (third session): missile coverage 0.8434, 1.00 ids per
missile, 11 false tracks (seven 2-3 km off their target in height: one
radar's 0.5 deg of elevation; four across track while coasting), airliner coverage 0.934, missile RMSE 535 m
against the best single sensor's 925 m, no airliner ever called a missile.
The bars that hold are asserted; the two that do not yet are strict xfails,
so meeting one turns the suite red until its xfail is removed.
"""
import json

import pytest

from tracker.cli import main

SHORT_S = 1200.0


@pytest.fixture(scope="module")
def summary(tmp_path_factory):
    folder = tmp_path_factory.mktemp("aew")
    recording = folder / "aew.jsonl.gz"
    assert main(["simulate", "aew-only", "--out", str(recording), "--duration", str(SHORT_S),
                 "--quiet"]) == 0
    assert main(["track", str(recording), "--out", str(folder / "out"), "--quiet"]) == 0
    return json.loads((folder / "out" / "summary.json").read_text())


def test_the_bars_that_hold_on_the_shortened_aew_only(summary):
    m = summary["metrics"]
    assert m["missiles_tracked"] >= 20
    assert m["ids_per_missile"] <= 1.2                              # measured 1.00
    assert m["classification"]["aircraft_tracks_called_missile"] == {}
    assert m["classification"]["confusion"]["aircraft"].get("cruise_missile", 0) == 0
    assert m["missile_position_rmse_m"] < m["missile_best_sensor_rms_m"]   # 535 < 925 m
    # not yet the bars, but no step back from what was measured
    assert m["missile_coverage_tracked"] >= 0.83                    # measured 0.8434
    assert m["aircraft_coverage_tracked"] >= 0.92                   # measured 0.934
    assert m["false_tracks_over_30s"] <= 13                         # measured 11


@pytest.mark.xfail(strict=True, reason="0.8434: far sea-skimmers at a single-look Pd of "
                   "0.1-0.5 from the one radar (docs/scenario.md)")
def test_missile_coverage_bar_on_the_shortened_aew_only(summary):
    assert summary["metrics"]["missile_coverage_tracked"] >= 0.97


@pytest.mark.xfail(strict=True, reason="11: seven 2-3 km off their target in height (one "
                   "radar's 0.5 deg of elevation), four 2-4 km across track while coasting")
def test_no_false_tracks_on_the_shortened_aew_only(summary):
    assert summary["metrics"]["false_tracks_over_30s"] == 0
