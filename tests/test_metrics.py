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
