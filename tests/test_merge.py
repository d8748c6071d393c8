"""Duplicate confirmed tracks on one target become one (tracker.merge)."""
import math

import numpy as np

from tracker import frames
from tracker.config import Merge, TrackerConfig
from tracker.merge import Merger
from tracker.models import ConstantVelocity
from tracker.tracks import CONFIRMED, TrackTable

ORIGIN = np.ravel(frames.geodetic_to_ecef(math.radians(36.0), math.radians(45.0), 10000.0))
EAST = frames.enu_rotation(math.radians(36.0), math.radians(45.0))[0]


def pair(offset_m=150.0, speed_difference=0.0):
    """Two confirmed tracks 150 m apart flying east at 240 m/s, the second born 30 s later."""
    table = TrackTable(n_sensors=1)
    P = np.diag([300.0 ** 2] * 3 + [10.0 ** 2] * 3)[None]
    rows = []
    for k, (dx, dv) in enumerate(((0.0, 0.0), (offset_m, speed_difference))):
        x = np.concatenate([ORIGIN + dx * EAST, (240.0 + dv) * EAST])
        (row,) = table.add(x[None], P, 30.0 * k, np.array([0.99]), "r")
        table.status[row] = CONFIRMED
        rows.append(row)
    return table, rows


def check(merger, table, rows, times, same_detection):
    """Run the check at ``times``; at each the pair names the same detection or not."""
    found = []
    for n, t in enumerate(times):
        table.t_state[rows] = t
        table.x[rows, :3] += 240.0 * EAST * (t - (times[n - 1] if n else t))
        table.last_scan[rows] = n
        table.best_detection[rows] = [4, 4] if same_detection(n) else [4, 5]
        found.append(merger.duplicates(table, t).tolist())
    return found


def merger(**settings):
    config = TrackerConfig(merge=Merge(**settings))
    return Merger.from_config(ConstantVelocity(10.0, 1.0), config.merge)


def test_a_duplicate_naming_the_same_detection_for_min_duration_is_merged_into_the_older():
    table, (older, younger) = pair()
    found = check(merger(), table, [older, younger], [40.0, 45.0, 50.0, 55.0],
                  lambda n: True)
    # first seen at 40 s, a pair for 10 s at 50 s: the younger track goes, the older stays
    assert found == [[], [], [younger], [younger]]


def test_two_targets_close_together_each_naming_its_own_detection_are_not_merged():
    # kinematically indistinguishable (150 m, same velocity, 300 m sigmas), but two targets
    # make two detections
    table, (older, younger) = pair()
    assert check(merger(), table, [older, younger], [40.0, 45.0, 50.0, 55.0, 60.0],
                 lambda n: False) == [[]] * 5


def test_a_pair_that_stops_sharing_starts_its_count_again():
    table, rows = pair()
    found = check(merger(), table, rows, [40.0, 45.0, 50.0, 55.0, 60.0, 65.0],
                  lambda n: n != 2)
    assert found == [[], [], [], [], [], [rows[1]]]


def test_tracks_with_different_velocities_are_not_merged_even_when_sharing():
    table, rows = pair(speed_difference=60.0)          # 6 sigma apart in velocity
    assert check(merger(), table, rows, [40.0, 45.0, 50.0, 55.0], lambda n: True) \
        == [[]] * 4


def test_merging_can_be_switched_off():
    table, rows = pair()
    assert check(merger(min_duration_s=-1.0), table, rows, [40.0, 50.0, 60.0],
                 lambda n: True) == [[]] * 3


def test_each_tracks_most_likely_detection_is_its_gated_one_of_largest_beta():
    from tracker.engine import _most_likely_detection
    offsets = np.array([0, 2, 2, 5])                   # track 1 gated nothing
    detection = np.array([3, 1, 0, 2, 4])
    beta = np.array([0.2, 0.7, 0.1, 0.3, 0.25])
    assert _most_likely_detection(offsets, detection, beta).tolist() == [1, -1, 2]
    assert _most_likely_detection(np.array([0, 0]), np.empty(0, dtype=int),
                                  np.empty(0)).tolist() == [-1]


def test_the_pairs_of_some_tracks_are_cut_out_with_their_offsets():
    from tracker.engine import _pairs_of
    offsets = np.array([0, 2, 2, 5, 6])
    detection = np.array([3, 1, 0, 2, 4, 7])
    beta = np.array([0.2, 0.7, 0.1, 0.3, 0.25, 0.9])
    o, d, b = _pairs_of(offsets, detection, beta, np.array([2, 0, 1]))
    assert o.tolist() == [0, 3, 5, 5] and d.tolist() == [0, 2, 4, 3, 1]
    assert b.tolist() == [0.1, 0.3, 0.25, 0.2, 0.7]
