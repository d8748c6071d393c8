"""airtrack against Stone Soup on the multi-sensor bundled scenario (stonesoup_multisensor.py).

The suite runs 150 s of the shortened caspian-2015 recording while the
missiles cross the Iranian coast radars: both trackers must follow the
missiles, and airtrack's GOSPA must be no worse. The longer windows of
docs/benchmarks.md run from the command line.
"""
import pytest

pytest.importorskip("stonesoup")

from stonesoup_multisensor import read_window, run_airtrack, run_stonesoup  # noqa: E402


def test_airtrack_is_no_worse_than_stonesoup_on_multisensor_data(caspian_recording):
    sensors, scans, truths = read_window(str(caspian_recording), 2150.0, 2300.0)
    assert len({s.sensor for s in scans}) >= 5 and truths
    ours = run_airtrack(sensors, scans, truths)
    theirs = run_stonesoup(sensors, scans, truths)
    for result in (ours, theirs):
        assert result["missile_coverage_tracked"] > 0.5
        assert result["aircraft_coverage_tracked"] > 0.8
    assert ours["gospa_mean_m"] <= theirs["gospa_mean_m"]
    assert ours["false_tracks_over_30s"] <= theirs["false_tracks_over_30s"]
    assert ours["missile_position_rmse_m"] <= theirs["missile_position_rmse_m"]
