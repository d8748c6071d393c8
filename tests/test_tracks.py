"""The track table's record of which sensor detected each track, and when."""
import numpy as np

from tracker.tracks import TrackTable


def _tracks(table, n, t, sensor):
    return table.add(np.zeros((n, 6)), np.tile(np.eye(6), (n, 1, 1)), t, np.full(n, 0.5), sensor)


def test_detected_since_gives_sorted_ids_within_the_period():
    table = TrackTable(capacity=2, n_sensors=3, sensor_ids=["r2", "pos", "aew"])
    a, b = _tracks(table, 2, 10.0, "r2")
    table.t_detected[a, table.sensor_column("aew")] = 14.0
    table.t_detected[b, table.sensor_column("pos")] = 9.0
    c, = _tracks(table, 1, 12.0, "pos")           # grows the table past its capacity
    keys, sensors = table.detected_since(np.array([a, b, c]), 15.0, 5.0)
    # t - t_detected <= period: r2 at 10 s counts at 15 s, pos at 9 s does not
    assert [sensors[k] for k in keys] == [("aew", "r2"), ("r2",), ("pos",)]
    keys, sensors = table.detected_since(np.array([a, b, c]), 30.0, 5.0)
    assert [sensors[k] for k in keys] == [(), (), ()]


def test_an_unknown_sensor_adds_a_column_and_many_sensors_still_work():
    table = TrackTable(n_sensors=1)
    row, = _tracks(table, 1, 3.0, "r")
    assert table.sensor_ids == ["r"] and table.t_detected.shape[1] == 1
    ids = [f"s{k:03d}" for k in range(70)]       # past the 62 bits of a key
    table = TrackTable(sensor_ids=ids[::-1])
    rows = _tracks(table, 3, 5.0, "s069")
    table.t_detected[rows[1], table.sensor_column("s001")] = 4.0
    keys, sensors = table.detected_since(rows, 6.0, 5.0)
    assert [sensors[k] for k in keys] == [("s069",), ("s001", "s069"), ("s069",)]


def test_pool_detections_keeps_the_newer_segments_times():
    table = TrackTable(sensor_ids=["a", "b"])
    old, new = _tracks(table, 2, 1.0, "a")
    table.t_detected[old] = [1.0, 2.0]
    table.t_detected[new] = [5.0, -np.inf]
    table.pool_detections(new, old)
    assert table.t_detected[new].tolist() == [5.0, 2.0]
