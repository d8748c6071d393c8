"""Each track's own pd (tracker.detectability): the population prior and the track's record."""
import numpy as np
import pytest

from tracker import detectability
from tracker.config import Detection
from tracker.tracks import CONFIRMED, TENTATIVE, TrackTable


def test_the_population_pd_is_the_hit_rate_of_confirmed_tracks_over_the_header_prior():
    config = Detection(population_looks=10.0, population_memory_looks=1e12)
    population = detectability.Population(2, config)
    assert population.pd(0, 0.25) == pytest.approx(0.25)          # nothing seen yet
    rng = np.random.default_rng(0)
    for _ in range(200):                                          # 200 scans of 10 looks
        hits = (rng.random(10) < 0.9).astype(float)
        population.add(0, np.ones(10), hits)
    # (H + 10 * 0.25) / (L + 10), L = 2,000 looks at pd 0.9
    assert population.pd(0, 0.25) == pytest.approx(
        (population.hits[0] + 2.5) / 2010.0) and abs(population.pd(0, 0.25) - 0.9) < 0.02
    assert population.pd(1, 0.25) == 0.25                         # per sensor


def test_only_confirmed_tracks_teach_the_population_and_a_track_leans_on_it():
    config = Detection()
    table = TrackTable(n_sensors=1)
    rows = table.add(np.zeros((2, 6)), np.tile(np.eye(6), (2, 1, 1)), 0.0, np.full(2, 0.5), "r")
    table.status[rows] = [CONFIRMED, TENTATIVE]
    population = detectability.Population(1, config)
    for _ in range(50):
        detectability.record_looks(table, rows, 0, np.array([1.0, 0.0]), np.full(2, 0.9),
                                   np.ones(2), np.ones(2), population, config)
    assert population.pd(0, 0.25) > 0.8                            # the confirmed one's hits
    pd = detectability.track_pd(table, rows, 0, 0.25, population, config)
    assert pd[0] > 0.95 and pd[1] < 0.2                             # each its own record
    # a sensor below the covering pd keeps its pd as it is
    assert detectability.track_pd(table, rows, 0, 0.05, population, config).tolist() == [0.05, 0.05]


def test_a_sensor_that_has_seen_a_track_stays_able_to_see_it_through_any_run_of_misses():
    # visible_to = 1 once the sensor has detected the target; written as v' = seen + (1 -
    # seen) v miss / (v miss + 1 - v) that fixed point is unstable in floating point (an
    # error of 1e-16 grows by 1 / miss a miss): a lost track (tracker.resume) missed for
    # 20 scans came to believe its own radar could not see it, and the other way it went
    # above 1 and then negative
    config = Detection()
    table = TrackTable(n_sensors=2)
    rows = table.add(np.zeros((1, 6)), np.eye(6)[None], 0.0, np.full(1, 1e-6), "r")
    table.visible_to[rows] = [1.0, 0.5]
    population = detectability.Population(2, config)
    rng = np.random.default_rng(0)
    for seen in rng.uniform(0.0, 1e-6, 40):        # a detection nearly never its own
        for column in (0, 1):
            detectability.record_looks(table, rows, column, np.array([seen]),
                                       np.array([0.95]), np.ones(1), np.array([1e-6]),
                                       population, config)
    assert table.visible_to[rows, 0].tolist() == [1.0]
    assert 0.0 <= table.visible_to[rows, 1][0] < 1e-3   # never seen: it learns it cannot
