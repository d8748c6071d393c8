"""GOSPA on hand-computed cases."""
import numpy as np
import pytest

from tracker.metrics import gospa


def test_gospa_hand_cases():
    c = 2000.0
    # one truth, one track 300 m away: sqrt(300^2) = 300
    g = gospa([[0, 0, 0]], [[300, 0, 0]], c=c)
    assert g.distance == pytest.approx(300.0) and (g.missed, g.false) == (0, 0)
    # plus a false track: sqrt(300^2 + c^2/2)
    g = gospa([[0, 0, 0]], [[300, 0, 0], [1e5, 0, 0]], c=c)
    assert g.distance == pytest.approx(np.sqrt(300 ** 2 + c ** 2 / 2)) and g.false == 1
    # a pair farther than c is a miss and a false track, not a match
    g = gospa([[0, 0, 0]], [[2500, 0, 0]], c=c)
    assert (g.missed, g.false, len(g.pairs)) == (1, 1, 0)
    assert g.distance == pytest.approx(c)
    # nothing tracked: every truth is a miss
    g = gospa([[0, 0, 0], [1, 1, 1]], np.empty((0, 3)), c=c)
    assert g.distance == pytest.approx(np.sqrt(2 * c ** 2 / 2)) and g.missed == 2


def test_gospa_assigns_optimally():
    truth = np.array([[0.0, 0, 0], [1000.0, 0, 0]])
    tracks = np.array([[900.0, 0, 0], [50.0, 0, 0]])     # greedy nearest-first would still
    g = gospa(truth, tracks)                               # pair truth 0 with track 1
    assert sorted(map(tuple, g.pairs.tolist())) == [(0, 1), (1, 0)]
    assert g.distance == pytest.approx(np.sqrt(50 ** 2 + 100 ** 2))


# ---------------------------------------------------------------- the run scorer

import math

from tracker import frames
from tracker.recording import Truth
from tracker.scoring import RunScorer

T0 = 1.4442e9
LAT, LON = math.radians(36.0), math.radians(45.0)


def _truth(t, oid="M1", kind="cruise_missile", north_m=0.0, seen=("r",)):
    return Truth(t=t, id=oid, kind=kind, lat_rad=LAT + north_m / 6.37e6, lon_rad=LON,
                 alt_m=100.0, vel_enu=(0.0, 0.0, 0.0), seen_by=seen)


def _track(t, tid, status="confirmed", north_m=0.0):
    return {"t": t, "id": tid, "status": status,
            "lat": math.degrees(LAT + north_m / 6.37e6), "lon": math.degrees(LON), "alt": 100.0,
            "vel_enu": [0.0, 0.0, 0.0]}


def test_scorer_coverage_counts_only_seen_samples_matched_by_confirmed_tracks():
    s = RunScorer()
    for k in range(10):
        t = T0 + k
        s.add_truth(_truth(t, seen=("r",) if k < 8 else ()))          # 8 seen samples
        s.add_truth(_truth(t, oid="A1", kind="aircraft", north_m=50e3))
        # matched at 0-3 by a tentative track (does not count), 4-9 by a confirmed one
        s.add_track(_track(t, "T1", "tentative" if k < 4 else ("coasting" if k > 6 else
                                                                "confirmed"), north_m=300.0))
    m = s.score()
    assert m["missile_samples_covered"] == 8
    assert m["missile_coverage_tracked"] == pytest.approx(4 / 8)       # samples 4..7
    assert m["ids_per_missile"] == 1.0 and m["false_tracks_over_30s"] == 0


def test_scorer_false_track_is_a_run_of_more_than_30_s_unmatched_while_confirmed():
    s = RunScorer()
    for k in range(100):
        t = T0 + k
        s.add_truth(_truth(t))
        s.add_track(_track(t, "T1"))                                     # on the missile
        # T2: 10 km away, confirmed for 31 s (30 s from first to last sample: not false)
        if k <= 30:
            s.add_track(_track(t, "T2", north_m=10e3))
        # T3: 20 km away, 25 s confirmed, 10 s tentative, 25 s confirmed: the runs reset
        elif k <= 90:
            s.add_track(_track(t, "T3", "tentative" if 55 < k <= 65 else "confirmed",
                               north_m=20e3))
        if k == 31:
            s.add_track(_track(t, "T2", "deleted", north_m=10e3))
        if k == 91:
            s.add_track(_track(t, "T3", "deleted", north_m=20e3))
    m = s.score()
    assert m["false_tracks_over_30s"] == 0 and m["longest_unmatched_confirmed_s"] == 30.0
    s.add_truth(_truth(T0 + 100))
    s.add_track(_track(T0 + 100, "T1"))
    for k in range(101, 140):                                            # T4: 38 s
        s.add_truth(_truth(T0 + k))
        s.add_track(_track(T0 + k, "T1"))
        s.add_track(_track(T0 + k, "T4", north_m=5e3))
    assert s.score()["false_tracks_over_30s"] == 1


def test_scorer_counts_distinct_ids_per_missile_matched_at_least_once():
    s = RunScorer()
    for k in range(20):
        t = T0 + k
        s.add_truth(_truth(t, "M1"))
        s.add_truth(_truth(t, "M2", north_m=30e3))                       # never matched
        s.add_track(_track(t, "T1" if k < 10 else "T2"))
        if k == 10:
            s.add_track(_track(t, "T1", "deleted"))
    m = s.score()
    assert m["missiles_tracked"] == 1 and m["ids_per_missile"] == 2.0


def test_two_tracks_on_two_missiles_passing_each_other_are_not_an_identity_change():
    # M1 and M2 fly 300 m apart, M2 overtaking; each track follows its own missile with a
    # 200 m error toward the other, so at the pass GOSPA's own assignment swaps them.
    # The CLEAR MOT rule keeps each track on its missile: one id each; GOSPA's count: two
    s = RunScorer()
    for k in range(60):
        t = T0 + k
        m1, m2 = 0.0, -600.0 + 20.0 * k               # M2 passes M1 at k = 30
        s.add_truth(_truth(t, "M1", north_m=m1))
        s.add_truth(_truth(t, "M2", north_m=m2))
        toward = 1.0 if m2 > m1 else -1.0
        s.add_track(_track(t, "T1", north_m=m1 + 200.0 * toward))
        s.add_track(_track(t, "T2", north_m=m2 - 200.0 * toward))
    m = s.score()
    assert m["ids_per_missile"] == 1.0
    assert m["ids_per_missile_gospa"] == 2.0


def test_a_track_that_really_leaves_its_missile_for_another_is_an_identity_change():
    # T1 follows M1, then jumps to M2 3 km away (M2's own track ends): M2 has two ids
    s = RunScorer()
    for k in range(40):
        t = T0 + k
        s.add_truth(_truth(t, "M1"))
        s.add_truth(_truth(t, "M2", north_m=3000.0))
        s.add_track(_track(t, "T1", north_m=0.0 if k < 20 else 3000.0))
        if k < 20:
            s.add_track(_track(t, "T2", north_m=3000.0))
        elif k == 20:
            s.add_track(_track(t, "T2", "deleted", north_m=3000.0))
    m = s.score()
    assert m["missile_track_ids"]["M2"].keys() == {"T1", "T2"}
    assert m["missile_track_ids"]["M1"].keys() == {"T1"}
