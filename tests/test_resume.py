"""Lost tracks take part in association again (tracker.resume): the first detection back
resumes them under their own id; clutter in an old lost track's gate does not."""
import math

import numpy as np
import pytest

from tracker import frames
from tracker.config import Relink, TrackerConfig
from tracker.engine import Tracker
from tracker.models import Radar
from tracker.scan import Scan, Sensor, Site

from test_relink import SIGMA, T0, WEST, eastbound, radar, radar_scans

#: 150 km east of WEST: with 60 km of coverage each, 30 km (120 s at 250 m/s) that nobody
#: sees, longer than a track coasts (max_position_sigma_m, ~70 s)
EAST = Site(lat_rad=WEST.lat_rad, lon_rad=WEST.lon_rad + 150e3 / (
    frames.EARTH_MEAN_RADIUS * math.cos(WEST.lat_rad)), alt_m=30.0)


#: the mechanism on (off by default): lost tracks whose gate is within 20 km take part
RESUME = Relink(resume_max_position_sigma_m=20e3)


def track(config, scans, sensors):
    records = []
    tracker = Tracker(sensors, config, records.append)
    for scan in scans:
        tracker.submit(scan)
    tracker.finish()
    return tracker, records


def crossing(config, seed):
    sensors = {"w": radar("w", WEST), "e": radar("e", EAST)}
    scans = radar_scans(list(sensors.values()), T0 + 10.0 * np.arange(60),
                        np.random.default_rng(seed))
    return track(config, scans, sensors)


def back_in_coverage(records, sensor="e"):
    """Time of the first record that names a detection by ``sensor``."""
    return min(r["t"] for r in records if sensor in r["sensors"])


@pytest.mark.parametrize("seed", range(4))
def test_a_target_back_from_a_gap_is_confirmed_under_its_old_id_at_its_first_detection(seed):
    tracker, records = crossing(TrackerConfig(relink=RESUME), seed)
    reported = [r for r in records if r["status"] in ("confirmed", "coasting")]
    (track_id,) = {r["id"] for r in reported}           # one id, before and after the gap
    assert tracker.counts.tracks_lost == 1
    assert tracker.counts.tracks_resumed == 1 and tracker.counts.tracks_relinked == 0
    back = back_in_coverage(records)
    first = [r for r in records if r["t"] == back and "e" in r["sensors"]]
    assert [(r["id"], r["status"]) for r in first] == [(track_id, "confirmed")]
    # no track was started on the target's detections: the lost track claimed them
    assert {r["id"] for r in records if r["t"] >= back} == {track_id}
    # while it was lost it was reported as tentative, never as a target
    gap = [r["t"] for r in records if r["id"] == track_id and r["status"] == "tentative"
           and r["t"] > T0 + 100.0]
    assert gap and all(T0 + 240.0 < t < back for t in gap)


def test_without_resuming_the_target_waits_for_a_new_track_and_a_relink():
    config = TrackerConfig()                             # the default: off
    tracker, records = crossing(config, 0)
    assert tracker.counts.tracks_resumed == 0 and tracker.counts.tracks_relinked == 1
    back = back_in_coverage(records)
    (track_id,) = {r["id"] for r in records if r["status"] in ("confirmed", "coasting")}
    reported = [r["t"] for r in records if r["id"] == track_id and r["t"] >= back
                and r["status"] == "confirmed"]
    assert min(reported) >= back + 10.0                 # a revisit later, at least


def vanishing(t):
    """``eastbound`` until T0 + 150 s, then gone (its flight ends in mid-air)."""
    return eastbound(t) if t < T0 + 150.0 else None


def clutter_scans(sensor, rng, density, box, n_scans, clutter_from):
    """The airliner until it vanishes; from ``clutter_from`` on, clutter uniform at
    ``density`` (per m rad^2 m/s) in a box ``box`` (half-widths) around where it would be."""
    model = Radar(site=sensor.site)
    half = np.array(box)
    for t in T0 + 10.0 * np.arange(n_scans):
        (scan,) = radar_scans([sensor], [t], rng, truth=vanishing)
        if t >= clutter_from:
            z = model.h(eastbound(t)[None])[0] + rng.uniform(-1.0, 1.0, (rng.poisson(
                density * np.prod(2.0 * half)), 4)) * half
            scan = Scan(t=t, sensor=sensor.id, kind="radar", detections=np.vstack(
                [scan.detections, z[(z[:, 0] > 0.0) & (z[:, 0] < sensor.range_max_m)]]))
        yield scan


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("max_sigma_m", [20e3, 1e6])
def test_clutter_over_an_old_lost_track_never_confirms_it(seed, max_sigma_m):
    # The airliner vanishes inside the radar's coverage: its track misses and is lost,
    # and its cruise prediction goes on east for 12 minutes, its gate growing to ~30 km,
    # over dense clutter from 2.5 minutes on (75 false detections a scan, a few in its
    # gate). A detection raises a lost track's existence only by its likelihood ratio
    # against the clutter density: the odds r / (1 - r) are a martingale under clutter
    # alone, and from a lost track's small existence they do not reach
    # confirm_existence's, however large its gate (1e6: every lost track takes part). With
    # a fixed prior existence of 0.5 instead, seed 0 with 1e6 resumes it on clutter
    density = 2e-5
    sensor = Sensor(id="w", kind="radar", site=WEST, sigma=SIGMA, pd=0.9,
                    clutter_density=density, range_max_m=250e3, period_s=10.0)
    config = TrackerConfig(relink=Relink(resume_max_position_sigma_m=max_sigma_m))
    tracker, records = track(config, clutter_scans(
        sensor, np.random.default_rng(seed), density, (10e3, 0.25, 0.05, 100.0), 90,
        T0 + 300.0), {"w": sensor})
    first = next(r["id"] for r in records if r["status"] == "confirmed")
    assert next(r["t"] for r in records if r["status"] == "confirmed") < T0 + 150.0
    assert tracker.counts.tracks_lost >= 1
    assert not [r for r in records if r["id"] == first and r["t"] > T0 + 200.0
                and r["status"] in ("confirmed", "coasting")]


def test_lost_tracks_whose_gates_share_a_detection_leave_it_to_a_new_track():
    # three covered tracks: two lost ones (0, 1) both gating detection 5, an active one (2)
    # gating it too; a third lost one (3) alone on detection 7. Only track 3 may resume:
    # a column's lost members share one prediction error, and their likelihoods would
    # give the first detection back the wrong id
    from tracker import resume
    offsets = np.array([0, 1, 3, 4, 5])
    detection = np.array([5, 5, 6, 5, 7])
    lost = np.array([True, True, False, True])
    existence = np.array([0.95, 0.95, 0.99, 0.95])
    beta_none = np.array([0.05, 0.05, 0.5, 0.05])
    resumed, shared = resume.resumes(lost, existence, beta_none, offsets, detection, 8,
                                     TrackerConfig(relink=RESUME))
    assert resumed.tolist() == [False, False, False, True]
    assert shared.tolist() == [True, True, False, False]
    # a lost track that is gone (existence below delete_existence) does not count
    existence[1] = 0.01
    resumed, shared = resume.resumes(lost, existence, beta_none, offsets, detection, 8,
                                     TrackerConfig(relink=RESUME))
    assert resumed.tolist() == [True, False, False, True]
    # nor does one whose detection is not surely its own, or not surely there
    resumed, _ = resume.resumes(lost, np.array([0.85, 0.01, 0.99, 0.95]),
                                np.array([0.05, 0.05, 0.5, 0.2]), offsets, detection, 8,
                                TrackerConfig(relink=RESUME))
    assert resumed.tolist() == [False, False, False, False]
