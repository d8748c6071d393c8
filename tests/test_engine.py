"""The tracker end to end on small, hand-made worlds."""
import math

import numpy as np
import pytest

from tracker import frames
from tracker.config import Detection, Imm, TrackerConfig
from tracker.engine import Tracker
from tracker.models import Radar
from tracker.scan import Scan, Sector, Sensor, Site

T0 = 1.4442e9
SITE = Site(lat_rad=math.radians(36.0), lon_rad=math.radians(45.0), alt_m=30.0)
SIGMA = {"range": 60.0, "az": math.radians(0.15), "el": math.radians(0.3), "rr": 1.5}


def radar(**changes):
    fields = dict(id="r", kind="radar", site=SITE, sigma=SIGMA, pd=0.9,
                  clutter_density=3e-9, range_max_m=250e3, period_s=10.0)
    fields.update(changes)
    return Sensor(**fields)


def airliner(t):
    """An airliner 60 km north-east of the radar at 10 km, 240 m/s east: ECEF state at t."""
    lat, lon = math.radians(36.4), math.radians(45.4)
    pos0 = np.ravel(frames.geodetic_to_ecef(lat, lon, 10_000.0))
    vel = np.ravel(frames.enu_to_ecef_vector(np.array([240.0, 0.0, 0.0]), lat, lon))
    return np.concatenate([pos0 + (t - T0) * vel, vel])


def scans(times, rng, pd=1.0, clutter=0, sensor=None, truth=airliner, sector=None):
    sensor = sensor or radar()
    for t in times:
        z = []
        if rng.random() < pd and truth is not None:
            z_true = Radar(site=SITE).h(truth(t)[None])[0]
            z.append(z_true + rng.normal(0, [60.0, SIGMA["az"], SIGMA["el"], 1.5]))
        for _ in range(clutter):
            z.append([rng.uniform(1e3, 250e3), rng.uniform(0, 2 * math.pi),
                      rng.uniform(0, math.radians(30)), rng.uniform(-350, 350)])
        yield Scan(t=t, sensor=sensor.id, kind="radar", sector=sector,
                   detections=np.array(z, dtype=float).reshape(-1, 4))


def run(scan_list, config=None, sensors=None):
    records = []
    tracker = Tracker(sensors or {"r": radar()}, config or TrackerConfig(), records.append)
    for s in scan_list:
        tracker.submit(s)
    tracker.finish()
    return tracker, records


def test_a_target_seen_every_rotation_is_confirmed_once_and_followed():
    rng = np.random.default_rng(1)
    tracker, records = run(scans(T0 + 10.0 * np.arange(60), rng))
    ids = {r["id"] for r in records if r["status"] == "confirmed"}
    assert len(ids) == 1 and tracker.counts.tracks_started == 1
    last = [r for r in records if r["status"] == "confirmed"][-1]
    truth = airliner(last["t"])
    lat, lon = math.radians(last["lat"]), math.radians(last["lon"])
    pos = np.ravel(frames.geodetic_to_ecef(lat, lon, last["alt"]))
    error_enu = frames.enu_rotation(lat, lon) @ (truth[:3] - pos)
    # consistent with its own covariance (chi-square, 3 dof, 0.999) and within a km
    assert error_enu @ np.linalg.solve(np.array(last["cov_pos_enu"]), error_enu) < 16.3
    assert np.linalg.norm(error_enu) < 1000.0
    assert last["vel_enu"][0] == pytest.approx(240.0, abs=10.0)
    assert records[-1]["status"] == "deleted"
    assert all(np.isfinite(r["existence"]) for r in records)


def test_tracks_die_in_pure_clutter():
    rng = np.random.default_rng(2)
    tracker, records = run(scans(T0 + 10.0 * np.arange(30), rng, truth=None, clutter=5))
    assert tracker.counts.tracks_started > 50
    assert not any(r["status"] in ("confirmed", "coasting") for r in records)


def test_the_track_keeps_its_id_across_a_60_s_gap():
    rng = np.random.default_rng(3)
    times = np.r_[T0 + 10.0 * np.arange(20), T0 + 190.0 + 70.0 + 10.0 * np.arange(20)]
    tracker, records = run(scans(times, rng))
    confirmed = {r["id"] for r in records if r["status"] in ("confirmed", "coasting")}
    assert len(confirmed) == 1
    after = [r for r in records if r["t"] > T0 + 260.0 and r["status"] == "confirmed"]
    assert after and after[-1]["t_update"] > T0 + 400.0       # updated again after the gap
    assert tracker.counts.tracks_started == 1                  # and never replaced


def test_a_sector_that_does_not_cover_a_track_leaves_it_alone():
    rng = np.random.default_rng(4)
    first = list(scans(T0 + 10.0 * np.arange(10), rng))
    south = Sector(az_rad=(math.radians(135.0), math.radians(225.0)))   # target is north-east
    empty = [Scan(t=T0 + 95.0 + k, sensor="r", kind="radar", sector=south,
                  detections=np.empty((0, 4))) for k in range(20)]
    tracker = Tracker({"r": radar()}, TrackerConfig(), lambda r: None)
    for s in first:
        tracker.submit(s)
    row = tracker.tracks.rows()[0]
    tracker._release(math.inf)
    before = (tracker.tracks.existence[row], tracker.tracks.t_state[row])
    for s in empty:
        tracker.submit(s)
    tracker._release(math.inf)
    assert (tracker.tracks.existence[row], tracker.tracks.t_state[row]) == before


def test_late_and_duplicate_scans_are_counted():
    rng = np.random.default_rng(5)
    s = list(scans(T0 + 10.0 * np.arange(10), rng))
    config = TrackerConfig(out_of_order_lag_s=5.0)
    too_late = Scan(t=T0 + 5.0, sensor="r", kind="radar", detections=np.empty((0, 4)))
    order = s[:3] + [s[4], s[3]] + s[5:] + [s[5], too_late]  # one late within the lag,
    tracker, _ = run(order, config)                          # one duplicate, one too late
    c = tracker.counts
    assert (c.scans, c.scans_duplicate, c.scans_late_rejected) == (10, 1, 1)


def sea_skimmer(t):
    """A missile 20 m over the sea, inbound from 48 km north-east of the radar at 250 m/s."""
    site = np.ravel(frames.geodetic_to_ecef(SITE.lat_rad, SITE.lon_rad, 0.0))
    up = frames.enu_rotation(SITE.lat_rad, SITE.lon_rad)
    east, north = up[0], up[1]
    start = site + 48e3 * (east + north) / math.sqrt(2.0)
    vel = -250.0 * (east + north) / math.sqrt(2.0)
    p = start + (t - T0) * vel
    return np.concatenate([at_height(p, 20.0), vel])          # 20 m over the ellipsoid


def at_height(p, alt):
    """ECEF point p moved along the vertical to ``alt`` m above the ellipsoid."""
    lat, lon, _ = frames.ecef_to_geodetic(p[None])
    return np.ravel(frames.geodetic_to_ecef(lat, lon, alt))


def track_one(truth, n_scans, seed):
    """The tracker and its records over ``n_scans`` rotations of a target."""
    return run(scans(T0 + 10.0 * np.arange(n_scans), np.random.default_rng(seed), truth=truth))


@pytest.mark.parametrize("seed", range(6))
def test_a_sea_skimmer_keeps_one_track_inside_the_horizon(seed):
    # The radar's 0.3 deg elevation is 250 m of height at 48 km: the estimate of a target
    # at 20 m sinks below the surface, where the radio horizon (22.6 km for a 30 m antenna
    # and a target at 0 m, 41 km at 20 m) would put the target out of coverage, and its
    # next detections would start new tracks. Held above the surface and gated with its
    # height's uncertainty, the track keeps every detection.
    tracker, records = track_one(sea_skimmer, 15, seed)
    assert tracker.counts.tracks_started == 1
    assert all(r["alt"] >= -1e-6 for r in records if r["t_update"] == r["t"])


def test_a_vanished_target_stops_being_reported_within_30_s():
    # The header pd of a surveillance radar is a coverage average (~0.25 for 1 m^2), but
    # the airliner is seen every rotation: its track learns a high pd of its own, so a few
    # misses after the target is gone (landed, left the area) end its report quickly.
    rng = np.random.default_rng(7)
    sensor = radar(pd=0.25)
    seen = list(scans(T0 + 10.0 * np.arange(30), rng, sensor=sensor))
    gone = list(scans(T0 + 300.0 + 10.0 * np.arange(12), rng, sensor=sensor, truth=None))
    _, records = run(seen + gone, sensors={"r": sensor})
    reported = [r["t"] for r in records if r["status"] in ("confirmed", "coasting")]
    # two revisits at most (measured: one; 30 s when the header's pd was the prior's mean)
    assert reported and max(reported) - (T0 + 290.0) <= 20.0
    first_gone = T0 + 300.0
    assert max(reported) >= first_gone - 10.0                  # it was a track until then


def test_a_track_s_own_pd_follows_its_record():
    rng = np.random.default_rng(8)
    sensor = radar(pd=0.25)
    tracker = Tracker({"r": sensor}, TrackerConfig(), lambda r: None)
    for s in scans(T0 + 10.0 * np.arange(30), rng, sensor=sensor):
        tracker.submit(s)
    tracker._release(math.inf)
    row = tracker.tracks.rows()[0]
    pd = tracker._track_pd(np.array([row]), "r", 0.25)[0]
    # seen every rotation: its sensor's confirmed tracks (this one) are seen every
    # rotation too, so the prior's mean is near 1, not the header's 0.25, which held the
    # track's pd at 0.85
    assert 0.93 < pd < 1.0
    fixed = Tracker({"r": sensor}, TrackerConfig(detection=Detection(memory_looks=0.0)),
                    lambda r: None)
    assert fixed._track_pd(np.array([0]), "r", 0.25)[0] == 0.25   # the header's, as is


def turning(t):
    """A missile at 100 m, 45 km east of the radar, 250 m/s north, turning 60 deg
    left at 2 deg/s from T0 + 100 s (a waypoint turn, ~9 m/s^2)."""
    rot = frames.enu_rotation(SITE.lat_rad, SITE.lon_rad)
    site = np.ravel(frames.geodetic_to_ecef(SITE.lat_rad, SITE.lon_rad, 0.0))
    s, v, rate, start, turn = t - T0, 250.0, math.radians(2.0), 100.0, math.radians(60.0)
    if s <= start:
        e, n, heading = 0.0, v * s, 0.0
    else:
        tau = min(s - start, turn / rate)
        radius = v / rate
        heading = -rate * tau
        e, n = radius * (math.cos(heading) - 1.0), v * start + radius * math.sin(-heading)
        rest = s - start - tau
        e, n = e - v * math.sin(turn) * rest, n + v * math.cos(turn) * rest
    vel = v * (math.sin(heading) * rot[0] + math.cos(heading) * rot[1])
    return np.concatenate([at_height(site + (45e3 + e) * rot[0] + (n - 20e3) * rot[1], 100.0),
                           vel])


@pytest.mark.parametrize("seed", range(4))
def test_a_waypoint_turn_keeps_the_track(seed):
    # A single constant-velocity model follows a 2 deg/s turn only if its process noise
    # covers the turn's acceleration over a revisit (the IMM of issue 6 will do better)
    tracker, records = track_one(turning, 25, seed)
    assert tracker.counts.tracks_started == 1
    assert {r["id"] for r in records if r["status"] in ("confirmed", "coasting")} == {"T1"}


def far_airliner(t):
    """An airliner cruising level at 11 km, 180 km east of the radar, 230 m/s north:
    the radar's 0.3 deg of elevation is about 1 km of its height a look."""
    site = np.ravel(frames.geodetic_to_ecef(SITE.lat_rad, SITE.lon_rad, 0.0))
    enu = frames.enu_rotation(SITE.lat_rad, SITE.lon_rad)
    p = at_height(site + 180e3 * enu[0] + 230.0 * (t - T0) * enu[1], 11_000.0)
    lat, lon, _ = frames.ecef_to_geodetic(p[None])
    vel = np.ravel(frames.enu_to_ecef_vector(np.array([0.0, 230.0, 0.0]), lat, lon))
    return np.concatenate([p, vel])


def test_an_airliner_s_height_is_not_thrown_about_by_the_missile_dive_mode():
    # The vertical mode (q 3000 m^2/s^3 vertical) is for pop-ups, dives and failures; a
    # track classified aircraft barely enters it (imm.aircraft_vertical_entry), so a far
    # radar's coarse elevation is averaged instead of followed. Off (1.0), the mode's
    # share keeps the height wandering more: RMS 802 m against 674 m (4 seeds, 30
    # looks each after the first 300 s).
    times = T0 + 10.0 * np.arange(60)
    errors = {}
    for entry in (0.0, 1.0):
        config = TrackerConfig(imm=Imm(aircraft_vertical_entry=entry))
        squared = []
        for seed in range(4):
            tracker, records = run(scans(times, np.random.default_rng(seed), truth=far_airliner),
                                   config)
            late = [r for r in records if r["id"] == "T1" and r["t"] >= T0 + 300.0
                    and r["status"] == "confirmed"]
            assert len(late) >= 25 and all(r["class"] == "aircraft" for r in late)
            squared += [(r["alt"] - 11_000.0) ** 2 for r in late]
        errors[entry] = math.sqrt(np.mean(squared))
    assert errors[0.0] < 0.9 * errors[1.0], errors
    assert errors[0.0] < 750.0, errors


G = 9.80665
TURN_3G = 3.0 * G / 250.0                          # rad/s at 250 m/s: 6.7 deg/s
TURN_END = 100.0 + (math.pi / 2) / TURN_3G         # a 90 deg turn takes 13.4 s
CLIMB, DIVE = math.radians(15.0), math.radians(30.0)
TOP = 300.0 + 250.0 * math.sin(CLIMB) * 20.0       # 1,594 m after a 20 s pop-up
IMPACT = 200.0 + TOP / (250.0 * math.sin(DIVE))    # 12.8 s of dive


def attacking(t):
    """A missile at 300 m, 250 m/s: north for 100 s, a 3 g right turn to the east, east
    to 180 s, a 15 deg pop-up for 20 s, then a 30 deg dive to the ground (s since T0)."""
    s, v = t - T0, 250.0
    e1, n1 = 40e3, -30e3 + v * 100.0                 # where the turn starts
    radius = v / TURN_3G
    if s <= 100.0:
        e, n, u, heading, gamma = 40e3, -30e3 + v * s, 300.0, 0.0, 0.0
    elif s <= TURN_END:
        heading = TURN_3G * (s - 100.0)
        e, n, u, gamma = e1 + radius * (1.0 - math.cos(heading)), n1 + radius * math.sin(heading), \
            300.0, 0.0
    else:
        heading, n = math.pi / 2, n1 + radius
        e = e1 + radius + v * (min(s, 180.0) - TURN_END)
        if s <= 180.0:
            u, gamma = 300.0, 0.0
        elif s <= 200.0:
            gamma = CLIMB
            e, u = e + v * math.cos(CLIMB) * (s - 180.0), 300.0 + v * math.sin(CLIMB) * (s - 180.0)
        else:
            gamma = -DIVE
            e = e + v * math.cos(CLIMB) * 20.0 + v * math.cos(DIVE) * (s - 200.0)
            u = TOP - v * math.sin(DIVE) * (s - 200.0)
    rot = frames.enu_rotation(SITE.lat_rad, SITE.lon_rad)
    site = np.ravel(frames.geodetic_to_ecef(SITE.lat_rad, SITE.lon_rad, 0.0))
    vel = v * (math.cos(gamma) * (math.sin(heading) * rot[0] + math.cos(heading) * rot[1])
               + math.sin(gamma) * rot[2])
    return np.concatenate([at_height(site + e * rot[0] + n * rot[1], u), vel])


@pytest.mark.parametrize("seed", range(3))
def test_a_3g_turn_a_pop_up_and_a_terminal_dive_keep_one_id(seed):
    # a 5 s radar, pd 0.9, two false alarms a scan: the IMM's turn modes take the 3 g turn
    # (33 deg a revisit) and its vertical mode the pop-up and the dive, in one track
    sensor = radar(period_s=5.0)
    times = T0 + 5.0 * np.arange(int(IMPACT // 5.0) + 1)
    rng = np.random.default_rng(seed)
    tracker, records = run(scans(times, rng, pd=0.9, clutter=2, sensor=sensor, truth=attacking),
                           sensors={"r": sensor})
    followed = [r for r in records if r["status"] in ("confirmed", "coasting")]
    near = []
    for r in followed:
        lat, lon = math.radians(r["lat"]), math.radians(r["lon"])
        p = np.ravel(frames.geodetic_to_ecef(lat, lon, r["alt"]))
        near.append(np.linalg.norm(p - attacking(r["t"])[:3]) < 1500.0)
    ids = {r["id"] for r, ok in zip(followed, near) if ok}
    assert len(ids) == 1, ids                       # one id on the missile, end to end
    (track,) = ids
    mine = [r for r, ok in zip(followed, near) if ok and r["id"] == track]
    assert min(r["t"] for r in mine) <= T0 + 30.0   # confirmed within 30 s of the first look
    # followed through the turn, the pop-up and into the dive, within 1.5 km all along
    for phase in (TURN_END, 195.0, 205.0):
        assert any(abs(r["t"] - (T0 + phase)) <= 5.0 for r in mine), phase
    mine_all = [r for r in followed if r["id"] == track]
    assert sum(not ok for r, ok in zip(followed, near) if r["id"] == track) <= 2
    assert len(mine_all) >= 0.9 * len([t for t in times if t >= min(r["t"] for r in mine)])


def test_gated_on_the_combination_alone_the_3g_turn_starts_a_second_track():
    # the reason for imm.union_gate: the combination's covariance holds the turn mode's
    # by its probability only, and the turn's first detection falls outside the gate
    sensor = radar(period_s=5.0)
    times = T0 + 5.0 * np.arange(int(TURN_END // 5.0) + 5)
    config = TrackerConfig(imm=Imm(union_gate=False))
    tracker, records = run(scans(times, np.random.default_rng(0), pd=0.9, clutter=2,
                                 sensor=sensor, truth=attacking), config, {"r": sensor})
    confirmed = {r["id"] for r in records if r["status"] == "confirmed"}
    assert len(confirmed) >= 2
