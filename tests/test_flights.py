"""Flights of caspian-2015 inside the bands of SCENARIO.md, plus hand-checkable cases."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import shapely
from numpy.testing import assert_allclose, assert_array_equal
from scipy.integrate import quad
from scipy.spatial import cKDTree
from shapely.geometry import shape

from sims.flights import simulate_flights
from sims.scenario import Flight, Place, load_scenario
from tracker import frames, geography

DEG = math.pi / 180.0


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("caspian-2015")


@pytest.fixture(scope="module")
def traj(scenario):
    return simulate_flights(scenario)


def missiles(traj):
    return np.flatnonzero(traj.kinds == "cruise_missile")


def airliners(traj):
    return np.flatnonzero(traj.kinds == "aircraft")


def speed(traj):
    return np.linalg.norm(traj.vel_enu, axis=-1)


def cruise_window(traj, scenario, f):
    """Samples of missile f after its climb-out and before its pop-up or failure."""
    flight = next(x for x in scenario.flights if x.id == traj.ids[f])
    begin = traj.launch_t[f] + flight.profile.boost_s + 60.0
    end = traj.end_t[f] - 90.0
    if flight.failure is not None:
        end = min(end, traj.launch_t[f] + flight.failure.after_s)
    return traj.alive[f] & (traj.t >= begin) & (traj.t <= end)


def test_26_missile_truths_from_4_launch_points(traj):
    ids = {truth.id for truth in traj.truth_records(60.0) if truth.kind == "cruise_missile"}
    assert len(ids) == 26
    launches = [e for e in traj.events if e.event == "launch"]
    assert len(launches) == 26
    assert len({(round(e.lat_rad, 9), round(e.lon_rad, 9)) for e in launches}) == 4
    assert len(airliners(traj)) >= 20


def test_truth_records_are_time_ordered_and_leave_seen_by(traj):
    records = list(traj.truth_records(10.0))
    times = [r.t for r in records]
    assert times == sorted(times) and times[0] == traj.t[0]
    assert all(r.seen_by is None for r in records)
    r = records[len(records) // 2]
    f = traj.ids.index(r.id)
    j = int(round((r.t - traj.t[0]) / (traj.t[1] - traj.t[0])))
    assert (r.lat_rad, r.lon_rad, r.alt_m) == (traj.lat[f, j], traj.lon[f, j], traj.alt[f, j])


def test_cruise_heights_by_surface(traj, scenario):
    checked_sea = checked_land = 0
    for f in missiles(traj):
        w = cruise_window(traj, scenario, f)
        lat, lon, alt = traj.lat[f, w], traj.lon[f, w], traj.alt[f, w]
        land = geography.is_land(lat, lon)
        assert np.all((alt[land] >= 50.0) & (alt[land] <= 150.0)), traj.ids[f]
        # over water 10-30 m, except while climbing for the coast just ahead (lookahead)
        ve, vn = traj.vel_enu[f, w, 0], traj.vel_enu[f, w, 1]
        heading = np.arctan2(ve, vn)
        meridian, prime = frames.principal_radii(lat)
        ahead_lat = lat + 5000.0 * np.cos(heading) / meridian
        ahead_lon = lon + 5000.0 * np.sin(heading) / (prime * np.cos(lat))
        coast_ahead = geography.is_land(ahead_lat, ahead_lon)
        sea = ~land & ~coast_ahead
        assert np.all((alt[sea] >= 10.0) & (alt[sea] <= 30.0)), traj.ids[f]
        checked_sea += sea.sum()
        checked_land += land.sum()
    assert checked_sea > 26 * 1000 and checked_land > 22 * 2000     # the checks saw the flights


def test_cruise_speeds(traj, scenario):
    for f in missiles(traj):
        v = speed(traj)[f, cruise_window(traj, scenario, f)]
        assert v.size > 1000
        assert np.all((v >= 240.0) & (v <= 270.0)), traj.ids[f]


def impacts(traj):
    return {e.id: e for e in traj.events if e.event == "impact"}


def test_failures_impact_in_iran_and_the_rest_on_target(traj, scenario):
    areas = [shape(x["geometry"]) for x in scenario.expect["features"]
             if x["properties"]["role"] == "target_area"]
    hits = impacts(traj)
    assert len(hits) == 26
    failed = {f.id for f in scenario.flights if f.failure}
    for flight in scenario.flights:
        e = hits[flight.id]
        if flight.id in failed:
            assert e.extra["cause"] == flight.failure.mode
            assert geography.country_at(e.lat_rad, e.lon_rad) == "Iran", flight.id
            continue
        assert e.extra["cause"] == "target"
        a = frames.geodetic_to_ecef(e.lat_rad, e.lon_rad, 0.0)
        b = frames.geodetic_to_ecef(flight.target.lat, flight.target.lon, 0.0)
        assert np.linalg.norm(a - b) < 1000.0, flight.id
        point = shapely.Point(math.degrees(e.lon_rad), math.degrees(e.lat_rad))
        assert any(area.contains(point) for area in areas), flight.id
    assert len(failed) == 4


def test_failure_modes_look_like_their_names(traj, scenario):
    failures = {f.id: f.failure for f in scenario.flights if f.failure}
    for fid, failure in failures.items():
        f = traj.ids.index(fid)
        t_fail = traj.launch_t[f] + failure.after_s
        after = traj.alive[f] & (traj.t >= t_fail)
        alt = traj.alt[f, after]
        if failure.mode == "engine":          # zoom climb well above cruise, then a glide down
            assert alt.max() > 1000.0 and traj.end_t[f] - t_fail > 60.0
            assert speed(traj)[f, after][-1] < 150.0
        elif failure.mode == "guidance":      # straight into the ground within seconds
            assert traj.end_t[f] - t_fail < 15.0 and alt.max() <= alt[0] + 1e-6
        else:                                 # drift: off the corridor, then down
            corridor = next(shape(x["geometry"]) for x in scenario.expect["features"]
                            if x["properties"]["role"] == "corridor")
            e = impacts(traj)[fid]
            point = shapely.Point(math.degrees(e.lon_rad), math.degrees(e.lat_rad))
            assert not corridor.contains(point)
            assert traj.end_t[f] - t_fail == pytest.approx(failure.crash_after_s, abs=15.0)


def test_airliners_stay_in_their_band(traj):
    a = airliners(traj)
    alive = traj.alive[a]
    assert alive.sum() > 10000
    assert traj.alt[a][alive].min() >= 9000.0 and traj.alt[a][alive].max() <= 12000.0
    v = speed(traj)[a][alive]
    assert v.min() >= 220.0 and v.max() <= 260.0


def test_an_airliner_crosses_a_missile_path_within_ten_minutes(traj):
    every = 20                                             # 10 s
    ground = frames.geodetic_to_ecef(traj.lat[:, ::every], traj.lon[:, ::every], 0.0)
    times = np.broadcast_to(traj.t[::every], traj.alive[:, ::every].shape)
    alive = traj.alive[:, ::every]
    m, a = missiles(traj), airliners(traj)
    tree = cKDTree(ground[a][alive[a]])
    air_t = times[a][alive[a]]
    close = tree.query_ball_point(ground[m][alive[m]], 20000.0)
    missile_t = times[m][alive[m]]
    assert any(abs(missile_t[i] - air_t[j]) <= 600.0 for i, js in enumerate(close) for j in js)


def test_turn_rate_is_bounded(traj, scenario):
    ve, vn = traj.vel_enu[..., 0], traj.vel_enu[..., 1]
    heading = np.unwrap(np.arctan2(ve, vn), axis=1)
    dt = traj.t[1] - traj.t[0]
    rate = np.abs(np.diff(heading, axis=1)) / dt
    moving = traj.alive[:, 1:] & traj.alive[:, :-1] & (np.hypot(ve, vn)[:, 1:] > 50.0)
    limit = np.where(traj.kinds == "cruise_missile",
                     max(f.profile.turn_rate_deg_s for f in scenario.flights), 1.5) * DEG
    assert np.all(rate[moving] <= np.broadcast_to(limit[:, None], rate.shape)[moving] * 1.001)
    assert rate[moving].max() > 0.9 * limit.min()          # and the flights do turn


def test_dives_pull_in_at_a_bounded_vertical_acceleration(traj):
    from sims.flights import DIVE_ACCEL_MPS2, TERMINAL_ACCEL_MPS2
    vz = traj.vel_enu[..., 2]
    dt = traj.t[1] - traj.t[0]
    # samples where a missile pulls down (vertical speed falling), alive at both ends
    pull = -np.diff(vz, axis=1) / dt
    flying = traj.alive[:, 1:] & traj.alive[:, :-1]
    m = missiles(traj)
    # the booster's climb-out and level-off are not dives; look after the first minute
    late = traj.t[1:] > traj.launch_t[:, None] + 60.0
    steep = pull[m][(flying & late)[m]]
    assert steep.max() <= max(DIVE_ACCEL_MPS2, TERMINAL_ACCEL_MPS2) * 1.001, steep.max() / 9.81
    assert steep.max() > 0.5 * DIVE_ACCEL_MPS2                  # and the missiles do dive


def test_same_seed_same_flights_other_seed_other_traffic(scenario):
    end = scenario.start + 1200.0
    one, two = simulate_flights(scenario, end=end), simulate_flights(scenario, end=end)
    assert one.ids == two.ids
    for name in ("t", "pos", "vel", "alive", "boosting", "lat", "lon", "alt"):
        assert_array_equal(getattr(one, name), getattr(two, name))
    other = simulate_flights(scenario, scenario.seed + 1, end=end)
    m = missiles(one)
    assert_array_equal(one.pos[m], other.pos[m])                     # missiles draw nothing
    common = sorted(set(one.ids[i] for i in airliners(one)) & set(other.ids))
    assert len(common) > 10
    first = [one.alt[one.ids.index(x)].max() for x in common]
    second = [other.alt[other.ids.index(x)].max() for x in common]
    assert first != second                                           # levels drawn anew


def test_boosting_flag_and_at(traj):
    m = missiles(traj)
    boost_samples = traj.boosting[m].sum(axis=1) * (traj.t[1] - traj.t[0])
    assert np.all((boost_samples >= 9.0) & (boost_samples <= 10.5))
    assert not traj.boosting[airliners(traj)].any()
    j = 4000
    pos, vel, alive, boosting = traj.at(traj.t[j] + 0.25)
    assert_allclose(pos, 0.5 * (traj.pos[:, j] + traj.pos[:, j + 1]))
    assert_array_equal(alive, traj.alive[:, j] & traj.alive[:, j + 1])
    assert np.isfinite(traj.pos).all() and np.isfinite(traj.vel).all()
    # velocity agrees with the motion of the position
    f = airliners(traj)[0]
    live = np.flatnonzero(traj.alive[f, :-1] & traj.alive[f, 1:])[100]
    step = (traj.pos[f, live + 1] - traj.pos[f, live]) / (traj.t[1] - traj.t[0])
    assert np.linalg.norm(step - traj.vel[f, live]) < 0.5


def test_northbound_airliner_covers_the_meridian_arc(scenario):
    """Due north at 240 m/s for 1000 s at 10 km: latitude from the meridian arc integral."""
    lat0, lon0, h = 33.0 * DEG, 44.0 * DEG, 10000.0
    flight = Flight(id="north", kind="aircraft", launch_t=scenario.start,
                    origin=Place(lat0, lon0), waypoints=(Place(40.0 * DEG, lon0),),
                    speed_mps=240.0, alt_sea_m=h, alt_land_m=h, rcs_m2=40.0)
    short = dataclasses.replace(scenario, duration_s=1000.0)
    traj = simulate_flights(short, flights=[flight])

    def arc(lat):            # ground track length along the meridian at height h
        return quad(lambda x: frames.principal_radii(x, h)[0], lat0, lat)[0]

    lat_end = traj.lat[0, -1]
    assert arc(lat_end) == pytest.approx(240.0 * 1000.0, abs=0.5)
    assert_allclose(traj.lon[0], lon0, atol=1e-12)
    assert_allclose(traj.alt[0], h)


def test_a_long_leg_is_flown_as_a_geodesic(scenario):
    """Clairaut: along a geodesic of the ellipsoid N cos(lat) sin(heading) is constant."""
    flight = Flight(id="diagonal", kind="aircraft", launch_t=scenario.start,
                    origin=Place(33.0 * DEG, 40.0 * DEG), waypoints=(Place(39.0 * DEG, 50.0 * DEG),),
                    speed_mps=250.0, alt_sea_m=0.0, alt_land_m=0.0, rcs_m2=40.0)
    traj = simulate_flights(dataclasses.replace(scenario, duration_s=4000.0), flights=[flight])
    live = np.flatnonzero(traj.alive[0])[10:]                     # 1,000 km of the leg
    lat = traj.lat[0, live]
    heading = np.arctan2(traj.vel_enu[0, live, 0], traj.vel_enu[0, live, 1])
    clairaut = frames.principal_radii(lat)[1] * np.cos(lat) * np.sin(heading)
    assert np.ptp(clairaut) / clairaut.mean() < 2e-5
    # the heading itself turns by degrees on this leg: the constant is not trivially so
    assert np.ptp(heading) > 2.0 * DEG


def test_a_flight_across_the_antimeridian_keeps_its_longitude_in_range(scenario):
    """Longitude wraps into (-pi, pi]; the path itself has no jump."""
    flight = Flight(id="east", kind="aircraft", launch_t=scenario.start,
                    origin=Place(55.0 * DEG, 179.5 * DEG), waypoints=(Place(55.0 * DEG, -179.0 * DEG),),
                    speed_mps=240.0, alt_sea_m=10000.0, alt_land_m=10000.0, rcs_m2=40.0)
    short = dataclasses.replace(scenario, duration_s=600.0, land_mask="sea")
    traj = simulate_flights(short, flights=[flight])
    live = traj.alive[0]
    assert np.all(np.abs(traj.lon[0]) <= math.pi)
    assert traj.lon[0, live].min() < -3.13 and traj.lon[0, live].max() > 3.13
    step = np.linalg.norm(np.diff(traj.pos[0, live], axis=0), axis=1)
    assert_allclose(step, 240.0 * (traj.t[1] - traj.t[0]), rtol=1e-3)
    records = list(traj.truth_records(0.75))                   # interpolated across the wrap
    assert all(abs(r.lon_rad) <= math.pi and abs(abs(r.lon_rad) - math.pi) < 0.02 for r in records)


def test_the_scenario_land_mask_sets_the_cruise_height(scenario):
    """``land_mask: sea`` keeps a missile at its sea height over Iran."""
    missile = scenario.flights[0]
    end = missile.launch_t + 2000.0
    default = simulate_flights(scenario, end=end, flights=[missile])
    sea = simulate_flights(dataclasses.replace(scenario, land_mask="sea"), end=end,
                           flights=[missile])
    over_land = geography.is_land(default.lat[0], default.lon[0]) & default.alive[0]
    late = default.t > missile.launch_t + 1700.0
    assert np.all(np.abs(default.alt[0, over_land & late] - missile.alt_land_m) < 5.0)
    assert np.all(np.abs(sea.alt[0, sea.alive[0] & late] - missile.alt_sea_m) < 5.0)
