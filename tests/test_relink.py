"""Lost tracks give their id back (tracker.relink) and cooperative-only feeds (visible_to)."""
import math

import numpy as np
import pytest

from tracker import frames
from tracker.config import Relink, TrackerConfig
from tracker.engine import Tracker
from tracker.models import Radar
from tracker.scan import Scan, Sensor, Site

T0 = 1.4442e9
SIGMA = {"range": 60.0, "az": math.radians(0.15), "el": math.radians(0.3), "rr": 1.5}
WEST = Site(lat_rad=math.radians(36.0), lon_rad=math.radians(45.0), alt_m=30.0)
EAST = Site(lat_rad=math.radians(36.0), lon_rad=math.radians(47.5), alt_m=30.0)


def radar(name, site, range_m=60e3):
    return Sensor(id=name, kind="radar", site=site, sigma=SIGMA, pd=0.9,
                  clutter_density=3e-9, range_max_m=range_m, period_s=10.0)


def eastbound(t):
    """An airliner at 9 km flying east at 250 m/s along 36 N, over the west radar at T0."""
    lat, lon = WEST.lat_rad, WEST.lon_rad
    start = np.ravel(frames.geodetic_to_ecef(lat, lon, 9000.0))
    vel = 250.0 * frames.enu_rotation(lat, lon)[0]
    p = start + (t - T0) * vel
    lat, lon, _ = frames.ecef_to_geodetic(p[None])
    p = np.ravel(frames.geodetic_to_ecef(lat, lon, 9000.0))
    east = frames.enu_rotation(lat[0], lon[0])[0]
    return np.concatenate([p, 250.0 * east])


def radar_scans(sensors, times, rng, truth=eastbound):
    for t in times:
        for k, sensor in enumerate(sensors):
            x = truth(t)
            z = []
            if x is None:                     # the target is gone
                x = np.full(6, np.inf)
            rng_m = np.linalg.norm(x[:3] - np.ravel(frames.geodetic_to_ecef(
                sensor.site.lat_rad, sensor.site.lon_rad, sensor.site.alt_m)))
            if rng_m < sensor.range_max_m and rng.random() < 0.95:
                z_true = Radar(site=sensor.site).h(x[None])[0]
                z.append(z_true + rng.normal(0, [60.0, SIGMA["az"], SIGMA["el"], 1.5]))
            yield Scan(t=t + 0.1 * k, sensor=sensor.id, kind="radar",
                       detections=np.array(z, dtype=float).reshape(-1, 4))


def run(config, seed=0):
    sensors = {"w": radar("w", WEST), "e": radar("e", EAST)}
    records = []
    tracker = Tracker(sensors, config, records.append)
    for scan in radar_scans(list(sensors.values()), T0 + 10.0 * np.arange(95),
                            np.random.default_rng(seed)):
        tracker.submit(scan)
    tracker.finish()
    return tracker, records


def test_a_target_crossing_a_gap_between_radars_keeps_its_id():
    # 60 km of each radar's coverage, 225 km apart: 105 km (420 s) that nobody sees, too
    # long to coast (max_position_sigma_m); the track is lost and its id given back
    tracker, records = run(TrackerConfig())
    confirmed = [r for r in records if r["status"] in ("confirmed", "coasting")]
    (track_id,) = {r["id"] for r in confirmed}
    assert tracker.counts.tracks_lost == 1 and tracker.counts.tracks_relinked == 1
    assert confirmed[0]["t"] < T0 + 100.0 and confirmed[-1]["t"] > T0 + 800.0
    assert "e" in tracker.tracks.sensors[tracker.tracks.rows()[0]] if len(tracker.tracks) else True
    # while lost, the track is reported as tentative, never as a target
    lost = [r for r in records if r["id"] == track_id and r["status"] == "tentative"
            and r["t"] > T0 + 100.0]
    assert lost and all(T0 + 240.0 < r["t"] < T0 + 800.0 for r in lost)
    # the new track's own id ends with a deleted record the moment it takes the old one
    other = {r["id"] for r in records} - {track_id}
    assert other and all([r for r in records if r["id"] == i][-1]["status"] == "deleted"
                         for i in other)


def test_without_relinking_the_target_comes_back_under_a_new_id():
    tracker, records = run(TrackerConfig(relink=Relink(max_gap_s=0.0)))
    confirmed = {r["id"] for r in records if r["status"] in ("confirmed", "coasting")}
    assert len(confirmed) == 2 and tracker.counts.tracks_relinked == 0


def test_a_cooperative_only_feed_does_not_erase_a_new_missile_track():
    # A position feed (pd 0.9 in its header) that reports only airliners covers a
    # missile that one radar sees: with visible_prior 1 the feed's first miss takes a
    # tentative track from 0.2 to 0.02 (deleted) before the radar's second look; with
    # the default 0.5 the track lives, is confirmed, and learns the feed cannot see it.
    site = WEST
    feed = Sensor(id="feed", kind="position", site=None, sigma={"h": 300.0, "v": 150.0},
                  pd=0.9, clutter_density=1e-17, period_s=10.0)
    sensors = {"w": radar("w", site, 250e3), "feed": feed}

    def scans(rng):
        for t in T0 + 10.0 * np.arange(20):
            yield from radar_scans([sensors["w"]], [t], rng)
            yield Scan(t=t + 5.0, sensor="feed", kind="position", detections=np.empty((0, 3)))

    for prior, tracked in ((0.5, True), (1.0, False)):
        config = TrackerConfig()
        config = config.__class__(**{**config.__dict__, "detection": config.detection.__class__(
            **{**config.detection.__dict__, "visible_prior": prior})})
        records = []
        tracker = Tracker(sensors, config, records.append)
        for scan in scans(np.random.default_rng(3)):
            tracker.submit(scan)
        if tracked:
            row = tracker.tracks.rows()[0]
            assert tracker.tracks.visible_to[row, 1] < 0.01      # learned: the feed is blind
        tracker.finish()
        assert any(r["status"] == "confirmed" for r in records) == tracked


def test_a_flash_where_a_confirmed_track_is_ends_it_and_nowhere_else():
    # an infrared satellite (pd 0 for air targets) sees an impact flash: the track whose
    # predicted position it falls on came down; a flash 200 km away changes nothing
    from tracker.models import LineOfSight
    sat_site = Site(lat_rad=0.0, lon_rad=math.radians(45.0), alt_m=35_786e3)
    sat = Sensor(id="sat", kind="los", site=sat_site,
                 sigma={"az": math.radians(0.004), "el": math.radians(0.0004)}, pd=0.0,
                 clutter_density=1e-5, period_s=2.0)
    sensors = {"w": radar("w", WEST, 250e3), "sat": sat}

    def run_with(flash_at):
        records = []
        tracker = Tracker(sensors, TrackerConfig(), records.append)
        rng = np.random.default_rng(5)
        for scan in radar_scans([sensors["w"]], T0 + 10.0 * np.arange(10), rng):
            tracker.submit(scan)
        t = T0 + 95.0
        z = LineOfSight(site=sat_site).h(flash_at(t)[None])
        tracker.submit(Scan(t=t, sensor="sat", kind="los", detections=z))
        tracker._release(math.inf)
        return tracker, records

    hit, records = run_with(eastbound)
    # deleted at the flash, not kept as lost for re-linking
    assert hit.counts.impacts_observed == 1 and len(hit.tracks) == 0
    assert hit.counts.tracks_lost == 0
    assert records[-1]["status"] == "deleted" and records[-1]["t"] == T0 + 95.0
    far, _ = run_with(lambda t: eastbound(t + 800.0))             # 200 km further east
    row = far.tracks.rows()[0]
    assert far.counts.impacts_observed == 0 and far.tracks.existence[row] > 0.9
    assert far.tracks.impact[row] == 0.0


# ------------------------------------------------- bias-compensated track-segment association

from tracker.relink import Relinker
from tracker.tracks import CONFIRMED, LOST, TrackTable

ORIGIN = np.ravel(frames.geodetic_to_ecef(math.radians(36.0), math.radians(45.0), 100.0))
ENU = frames.enu_rotation(math.radians(36.0), math.radians(45.0))      # rows: east, north, up
TURN = math.radians(8.0)


def column_state(k, t, spacing_s=15.0, speed=250.0, waypoint_m=20e3, slower=0.9):
    """Target k of a column flying east, spacing_s behind target k - 1; 20 km along, at a
    waypoint, each turns left by 8 deg and slows by 10 %: where it is at t (s after T0)
    and its velocity, ECEF. (A speed change the default cruise noise, which holds the
    speed, finds unlikely: the tests of the choosing rules use isotropic noise.)"""
    s = speed * (t - spacing_s * k)
    if s <= waypoint_m:
        p, v = np.array([s, 0.0, 0.0]), np.array([speed, 0.0, 0.0])
    else:
        heading = np.array([math.cos(TURN), math.sin(TURN), 0.0])
        p = np.array([waypoint_m, 0.0, 0.0]) + slower * (s - waypoint_m) * heading
        v = slower * speed * heading
    return np.concatenate([ORIGIN + ENU.T @ p, ENU.T @ v])


def add_track(table, x, t, sigma_p, sigma_v, status, rng):
    P = np.diag([sigma_p ** 2] * 3 + [sigma_v ** 2] * 3)
    noisy = x + rng.normal(0.0, [sigma_p] * 3 + [sigma_v] * 3)
    (row,) = table.add(noisy[None], P[None], T0 + t, np.array([0.99]), "r")
    table.status[row] = status
    return row


def relink_column(relinker, order, rng, state=column_state):
    """Four targets lost as they pass the origin; after a gap in which they all turned
    (``state``: where target k is at t), they come back in ``order``, each 15 s after the
    one before. Returns, per new track, the column index of the lost id it took."""
    table = TrackTable(n_sensors=1)
    lost = [add_track(table, state(k, 15.0 * k), 15.0 * k, 80.0, 0.5, LOST, rng)
            for k in range(4)]
    for k, row in enumerate(lost):
        table.t_lost[row] = T0 + 15.0 * k + 60.0
    column_of = {table.ids[row]: k for k, row in enumerate(lost)}
    took = {}
    for n, k in enumerate(order):
        t = 400.0 + 15.0 * n
        new = add_track(table, state(k, t), t, 150.0, 8.0, CONFIRMED, rng)
        for a, old in relinker.pairs(table, np.array([new]), table.lost_rows(), T0 + t):
            relinker.remember(table, old, T0 + t, table.ids[old])
            table.ids[a] = table.ids[old]
            table.remove(np.array([old]))
            took[k] = column_of[table.ids[a]]
    return took


def test_a_column_that_turned_in_a_gap_is_relinked_member_by_member_against_the_first():
    # After 400 s every prediction is 8 km ahead (two spacings) and 10 km to the side of
    # its target: the plain gates take in the whole column and cannot tell its members
    # apart (likelihoods within 100 of one another), so with the column-order rule the
    # first back takes the earliest lost id; the others are predicted with its measured
    # offset, so the third target, back before the second, takes its own id
    relinker = Relinker.from_config(Relink(tie_likelihood_ratio=100.0, speed_noise=10.0))
    assert relink_column(relinker, [0, 2, 1, 3], np.random.default_rng(1)) == \
        {0: 0, 2: 2, 1: 1, 3: 3}
    # without references (no lag allowed) the third target takes the second's id
    plain = Relinker.from_config(Relink(reference_max_lag_s=0.0, tie_likelihood_ratio=100.0,
                                        speed_noise=10.0))
    took = relink_column(plain, [0, 2, 1, 3], np.random.default_rng(1))
    assert took[0] == 0 and took[2] == 1


def test_a_lost_track_far_less_likely_than_the_others_is_not_first_in_line():
    # the column's lead glided down in the gap: its track, lost early and predicted far
    # off, is the earliest lost but the least likely by a factor far above
    # tie_likelihood_ratio, so the first target back takes the second lost id
    rng = np.random.default_rng(3)
    relinker = Relinker.from_config(Relink(tie_likelihood_ratio=100.0, speed_noise=10.0))
    table = TrackTable(n_sensors=1)
    crashed = column_state(0, 0.0)
    crashed[3:] *= 0.45                                  # 115 m/s when it was lost
    rows = [add_track(table, crashed, 0.0, 80.0, 0.5, LOST, rng)]
    rows += [add_track(table, column_state(k, 15.0 * k), 15.0 * k, 80.0, 0.5, LOST, rng)
             for k in (1, 2)]
    for k, row in enumerate(rows):
        table.t_lost[row] = T0 + 15.0 * k + 60.0
    new = add_track(table, column_state(1, 415.0), 415.0, 150.0, 8.0, CONFIRMED, rng)
    assert relinker.pairs(table, np.array([new]), table.lost_rows(), T0 + 415.0) == \
        [(new, rows[1])]


def test_a_referenced_lost_track_is_not_given_to_a_target_outside_its_referenced_gate():
    # a new track 10 km off the column's path takes no id once a reference says where
    # each lost member is, though it lies inside every plain gate
    rng = np.random.default_rng(2)
    relinker = Relinker.from_config(Relink(tie_likelihood_ratio=100.0, speed_noise=10.0))
    table = TrackTable(n_sensors=1)
    lost = [add_track(table, column_state(k, 15.0 * k), 15.0 * k, 80.0, 0.5, LOST, rng)
            for k in range(2)]
    first = add_track(table, column_state(0, 400.0), 400.0, 150.0, 8.0, CONFIRMED, rng)
    ((a, old),) = relinker.pairs(table, np.array([first]), table.lost_rows(), T0 + 400.0)
    assert old == lost[0]
    relinker.remember(table, old, T0 + 400.0, table.ids[old])
    table.ids[a] = table.ids[old]
    table.remove(np.array([old]))
    stray = column_state(1, 415.0)
    stray[:3] += ENU.T @ np.array([0.0, 10e3, 0.0])
    b = add_track(table, stray, 415.0, 150.0, 8.0, CONFIRMED, rng)
    assert relinker.pairs(table, np.array([b]), table.lost_rows(), T0 + 415.0) == []
    # the real second target does take it
    c = add_track(table, column_state(1, 415.0), 415.0, 150.0, 8.0, CONFIRMED, rng)
    assert relinker.pairs(table, np.array([c]), table.lost_rows(), T0 + 415.0) == \
        [(c, lost[1])]



def test_cruise_noise_holds_the_speed_and_lets_the_heading_go():
    from tracker.relink import cruise_psd
    x = eastbound(T0)[None]
    A = cruise_psd(x, 0.1, 10.0, 0.5)[0]
    east, north, up = ENU
    assert east @ A @ east == pytest.approx(0.1)            # along the flight: speed
    assert north @ A @ north == pytest.approx(10.0)         # across it: turns
    assert up @ A @ up == pytest.approx(0.5)
    assert np.allclose(A, A.T) and np.all(np.linalg.eigvalsh(A) > 0)
    # hovering: no direction of flight, turn noise both ways
    still = x.copy()
    still[0, 3:] = 0.0
    B = cruise_psd(still, 0.1, 10.0, 0.5)[0]
    assert east @ B @ east == pytest.approx(10.0) and north @ B @ north == pytest.approx(10.0)



DOGLEG = math.radians(16.0)


def dogleg_state(k, t, spacing_s=15.0, speed=250.0):
    """Target k of a column flying east at a held speed, spacing_s behind target k - 1;
    20 km along it steps aside and back (20 km at +16 deg, 20 km at -16 deg) and flies
    east again on its old line: a path 1.56 km longer than its chord (turn_shortfall's
    mean after 400 s), so its straight-line prediction is that far ahead of it, closer
    to half the spacing (3.75 km) than to nothing. ECEF state at t (s after T0)."""
    s = speed * (t - spacing_s * k)
    legs = [(20e3, 0.0), (20e3, DOGLEG), (20e3, -DOGLEG), (np.inf, 0.0)]
    p = np.zeros(3)
    for length, heading in legs:
        step = min(s, length)
        direction = np.array([math.cos(heading), math.sin(heading), 0.0])
        p = p + step * direction
        s -= step
        if s <= 0.0:
            break
    return np.concatenate([ORIGIN + ENU.T @ p, ENU.T @ (speed * direction)])


def test_the_mean_turn_shortfall_is_that_of_a_target_whose_heading_wanders():
    # a target at 250 m/s whose heading is Brownian with variance q t / v^2 (q = 10):
    # after 400 s its chord is 1.56 km short of the 100 km it flew (Monte Carlo, 4000
    # paths), sd 1.80 km; turn_shortfall's closed form says 1.58 and 1.85 km
    from tracker.relink import turn_shortfall
    x = np.concatenate([ORIGIN, 250.0 * ENU[0]])[None]
    dx, dP = turn_shortfall(x, np.array([400.0]), 10.0)
    along = ENU[0]
    assert dx[0, :3] @ along == pytest.approx(-1583.0, abs=2.0)
    assert dx[0, 3:] @ along == pytest.approx(-7.87, abs=0.01)
    assert math.sqrt(along @ dP[0, :3, :3] @ along) == pytest.approx(1848.0, abs=2.0)
    rng = np.random.default_rng(0)
    heading = np.cumsum(rng.normal(0.0, math.sqrt(10.0 / 250.0 ** 2), (4000, 400)), axis=1)
    short = 250.0 * 400.0 - (250.0 * np.cos(heading)).sum(axis=1)
    assert -dx[0, :3] @ along == pytest.approx(short.mean(), rel=0.05)
    assert math.sqrt(along @ dP[0, :3, :3] @ along) == pytest.approx(short.std(), rel=0.05)
    # no horizontal speed, no shortfall
    still = np.concatenate([ORIGIN, np.zeros(3)])[None]
    dx, dP = turn_shortfall(still, np.array([400.0]), 10.0)
    assert not dx.any() and not dP.any()


def ids_right(order, seeds=range(20)):
    """How many targets of ``order`` took their own id, over ``seeds``, and of how many."""
    right = 0
    for seed in seeds:
        took = relink_column(Relinker.from_config(Relink()), order, np.random.default_rng(seed),
                             state=dogleg_state)
        right += sum(took.get(k) == k for k in order)
    return right, len(order) * len(seeds)


@pytest.mark.parametrize("order", [[0, 1, 2, 3], [1, 0, 3, 2], [1, 2, 3]])
def test_a_column_that_stepped_aside_in_a_gap_gets_its_ids_back(order, monkeypatch):
    # in order, out of order, and without its head (crashed in the gap): predicted with
    # the turn shortfall, 3 targets in 4 take their own id (60 of 80 for four back; the
    # rest: the new tracks' own noise, 8 m/s); straight-line predictions, 1.56 km ahead
    # of their targets, give the one behind its neighbour's id far more often (44, 48
    # and 36 right)
    right, n = ids_right(order)
    assert right >= 0.75 * n
    import tracker.relink as relink
    monkeypatch.setattr(relink, "turn_shortfall",
                        lambda x, dt, q: (np.zeros_like(x), np.zeros((len(x), 6, 6))))
    plain, _ = ids_right(order)
    assert plain <= 0.625 * n and plain < right - 0.1 * n
