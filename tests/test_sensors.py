"""Simulated sensors (sims.sensors) against hand-worked physics, on small fake flights."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pytest
from scipy import integrate, stats

from sims.sensors import (AirborneRadar, GroundRadar, InfraredSatellite, PositionFeed,
                          build_sensor, single_look_pd)
from sims.sensors import truth
from sims.sensors.radar import RadarConfig
from sims.sensors.radar_equation import RadarDetection
from tracker import frames
from tracker.errors import InputError
from tracker.models import Radar
from tracker.recording import Event

T0 = 1_444_200_000.0          # 2015-10-07, the scenario's day


@dataclass
class FakeTrajectories:
    """The documented Trajectories arrays, for straight flights at constant altitude."""

    ids: list
    kinds: np.ndarray
    rcs_m2: np.ndarray
    t: np.ndarray
    pos: np.ndarray
    vel: np.ndarray
    alive: np.ndarray
    boosting: np.ndarray
    events: list = field(default_factory=list)

    def at(self, t):
        """The interface's scalar rule: linear between the two samples around t,
        alive (boosting) when at both, nothing alive outside the samples."""
        j = int(np.clip(np.searchsorted(self.t, t, side="right") - 1, 0, self.t.size - 2))
        w = float(np.clip((t - self.t[j]) / (self.t[j + 1] - self.t[j]), 0.0, 1.0))
        inside = self.t[0] <= t <= self.t[-1]
        return ((1 - w) * self.pos[:, j] + w * self.pos[:, j + 1],
                (1 - w) * self.vel[:, j] + w * self.vel[:, j + 1],
                self.alive[:, j] & self.alive[:, j + 1] & inside,
                self.boosting[:, j] & self.boosting[:, j + 1] & inside)


def flights(tracks, t, kinds=None, rcs=1.0, boosting=None) -> FakeTrajectories:
    """Flights from (lat0, lon0, lat1, lon1, alt) deg/m, linear in lat/lon over ``t``."""
    t = np.asarray(t, dtype=np.float64)
    f = len(tracks)
    pos = np.empty((f, t.size, 3))
    for i, (lat0, lon0, lat1, lon1, alt) in enumerate(tracks):
        s = (t - t[0]) / max(t[-1] - t[0], 1.0)
        pos[i] = frames.geodetic_to_ecef(np.radians(lat0 + s * (lat1 - lat0)),
                                         np.radians(lon0 + s * (lon1 - lon0)), alt)
    vel = np.gradient(pos, t, axis=1) if t.size > 1 else np.zeros_like(pos)
    return FakeTrajectories(
        ids=[f"f{i}" for i in range(f)],
        kinds=np.array(kinds if kinds is not None else ["cruise_missile"] * f),
        rcs_m2=np.broadcast_to(np.asarray(rcs, dtype=np.float64), (f,)).copy(), t=t, pos=pos,
        vel=vel, alive=np.ones((f, t.size), bool),
        boosting=np.zeros((f, t.size), bool) if boosting is None else boosting)


def point_at(site_lat, site_lon, az_deg, ground_m, alt):
    """(lat, lon) deg of the point ``ground_m`` from the site along ``az_deg``, at ``alt``."""
    xyz = frames.aer_to_ecef(np.radians(az_deg), 0.0, ground_m, np.radians(site_lat),
                             np.radians(site_lon), 0.0)
    lat, lon, _ = frames.ecef_to_geodetic(xyz)
    return float(np.degrees(lat)), float(np.degrees(lon)), alt


def stationary(points, t0, t1, **kw) -> FakeTrajectories:
    return flights([(la, lo, la, lo, alt) for la, lo, alt in points], [t0, t1], **kw)


GROUND = {"id": "gr-1", "kind": "ground_radar", "site": {"lat": 38.0, "lon": 46.0, "alt": 20},
          "period_s": 10, "sectors": 16, "range_max_m": 250000,
          "sigma": {"range_m": 60, "az_deg": 0.15, "el_deg": 0.3, "rr_mps": 1.5},
          "r50_m": 120000, "rcs_ref_m2": 1.0, "swerling": 1, "false_alarms_per_rotation": 3,
          "el_max_deg": 45}
AEW = {"id": "aew-1", "kind": "airborne_radar",
       "orbit": {"lat": 36.5, "lon": 44.0, "alt": 9000, "length_m": 100000, "width_m": 30000,
                 "heading_deg": 90, "speed_mps": 180},
       "period_s": 10, "sectors": 16, "range_max_m": 400000,
       "sigma": {"range_m": 100, "az_deg": 0.3, "el_deg": 0.5, "rr_mps": 2}, "r50_m": 200000,
       "rcs_ref_m2": 1.0, "swerling": 1, "false_alarms_per_rotation": 5}
IR = {"id": "sat-ir", "kind": "infrared_satellite", "site": {"lat": 0, "lon": 57, "alt": 35786000},
      "period_s": 2, "sigma": {"az_deg": 0.0004, "el_deg": 0.0004}, "pd_booster": 0.95,
      "pd_flash": 0.9, "pd_cruise": 0.0, "flash_duration_s": 4, "false_alarms_per_scan": 0.05}
GEO = {"id": "geo-feed", "kind": "position", "period_s": 10, "sigma": {"h_m": 300, "v_m": 150},
       "pd": 0.9, "region": {"lat": [33, 39], "lon": [40, 48]}, "kinds": ["aircraft"],
       "false_alarms_per_scan": 0.1}


def with_fields(spec, **changes):
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in spec.items()}
    for dotted, value in changes.items():
        *head, last = dotted.split("__")
        target = out
        for key in head:
            target = target[key]
        target[last] = value
    return out


def all_scans(sensor, traj, t0, t1, seed=1):
    return list(sensor.scans(traj, t0, t1, np.random.default_rng(seed)))


def labelled(scans, flight_id):
    """(t, detection row) of every detection labelled with ``flight_id``."""
    return [(s.t, s.detections[i]) for s in scans
            for i, name in enumerate(s.detection_ids) if name == flight_id]


def binomial_ok(hits, n, p, z=4.0):
    return abs(hits / n - p) <= z * math.sqrt(max(p * (1 - p), 1e-4) / n)


def test_batched_truth_sampling_follows_the_trajectories_at_rule():
    t = np.arange(T0, T0 + 50.0, 5.0)
    traj = flights([(36, 44, 37, 45, 100.0), (35, 44, 35, 46, 9000.0)], t)
    traj.alive[0, :3] = False
    traj.alive[1, 7:] = False
    traj.boosting[0, 3:5] = True
    times = np.concatenate([t, np.random.default_rng(0).uniform(T0 - 5, T0 + 55, 200)])
    batch = truth.sample(traj, times)
    for k, tk in enumerate(times):
        pos, vel, alive, boosting = traj.at(tk)
        assert batch.pos[k] == pytest.approx(pos, abs=1e-6)
        assert batch.vel[k] == pytest.approx(vel, abs=1e-9)
        assert (batch.alive[k].tolist(), batch.boosting[k].tolist()) == \
            (alive.tolist(), boosting.tolist())


# ------------------------------------------------------------------ radar equation

@pytest.mark.parametrize("swerling, density", [
    (1, lambda s, m: np.exp(-s / m) / m),                        # exponential cross-section
    (3, lambda s, m: 4.0 * s / m ** 2 * np.exp(-2.0 * s / m)),   # chi-square, 4 degrees
])
def test_swerling_pd_is_the_steady_pd_averaged_over_the_fluctuation(swerling, density):
    pfa = 1e-6
    for mean_snr in (2.0, 19.0, 60.0):
        averaged = integrate.quad(lambda s: single_look_pd(s, pfa, 0) * density(s, mean_snr),
                                  0.0, 60.0 * mean_snr, limit=400)[0]
        assert single_look_pd(mean_snr, pfa, swerling) == pytest.approx(averaged, rel=1e-6)


def test_r50_is_where_pd_is_one_half():
    for swerling in (0, 1, 3):
        det = RadarDetection(r50_m=120000.0, rcs_ref_m2=2.0, swerling=swerling)
        assert det.detection_probability(120000.0, 2.0) == pytest.approx(0.5, abs=1e-9)
        assert det.range_at(0.5, 2.0) == pytest.approx(120000.0, rel=1e-9)
    # Swerling 1, Pfa 1e-6: SNR50 = ln(1e-6)/ln(0.5) - 1 = 18.93
    assert RadarDetection(r50_m=1.0).snr_50 == pytest.approx(18.93157, abs=1e-4)


# ------------------------------------------------------------------ ground radar

def test_low_missile_is_seen_inside_the_radio_horizon_only():
    # antenna 20 m, missile 50 m: 4/3-Earth horizon 47.6 km (SCENARIO.md)
    radar = build_sensor(with_fields(GROUND, r50_m=200000.0), "sensors[0]")
    site = (38.0, 46.0)
    ranges = [30000.0, 44000.0, 51000.0, 60000.0]
    traj = stationary([point_at(*site, 30.0 + 80.0 * i, r, 50.0) for i, r in enumerate(ranges)],
                      T0, T0 + 1000.0, rcs=0.5)
    covered = radar.coverage(traj.pos[:, 0], T0, traj.rcs_m2, traj.boosting[:, 0])
    assert covered.tolist() == [True, True, False, False]
    scans = all_scans(radar, traj, T0, T0 + 1000.0)
    hits = [len(labelled(scans, f"f{i}")) for i in range(4)]
    assert hits[2] == hits[3] == 0
    assert hits[0] > 80 and hits[1] > 70            # 100 rotations, Pd 0.98 and 0.93


def test_detection_rate_falls_with_range_as_the_radar_equation_says():
    radar = build_sensor(GROUND, "sensors[0]")
    ground = [60000.0, 120000.0, 170000.0]
    points = [point_at(38.0, 46.0, 7.0 + 36.0 * j, g, 8000.0) for g in ground for j in range(10)]
    traj = stationary(points, T0, T0 + 3000.0, rcs=1.0)
    scans = all_scans(radar, traj, T0, T0 + 3000.0 - 1e-6)
    rotations = 300
    _, _, slant = frames.ecef_to_aer(traj.pos[:, 0], math.radians(38.0), math.radians(46.0), 20.0)
    snr50 = math.log(1e-6) / math.log(0.5) - 1.0
    rates = []
    for i, g in enumerate(ground):
        members = range(10 * i, 10 * i + 10)
        hits = sum(len(labelled(scans, f"f{m}")) for m in members)
        expected = np.mean([1e-6 ** (1.0 / (1.0 + snr50 * (120000.0 / slant[m]) ** 4))
                            for m in members])          # Pd = Pfa^(1/(1+SNR)), SNR ~ R^-4
        assert binomial_ok(hits, 10 * rotations, expected), (g, hits / 3000, expected)
        rates.append(hits / 3000)
    assert rates[0] > rates[1] > rates[2]


def test_false_alarms_follow_the_configured_rate_and_the_header_density():
    spec = with_fields(GROUND, false_alarms_per_rotation=4.0, clutter_rr_max_mps=300.0)
    radar = build_sensor(spec, "sensors[0]")
    rotations = 500
    scans = all_scans(radar, flights([], [T0, T0 + 1.0]), T0, T0 + rotations * 10.0 - 1e-6, seed=7)
    assert len(scans) == rotations * 16
    count = sum(len(s) for s in scans)
    mean = 4.0 * rotations
    assert abs(count - mean) <= 4.0 * math.sqrt(mean)
    # counts per sector scan are Poisson with mean 4/16 (chi-square goodness of fit)
    per_scan = np.minimum([len(s) for s in scans], 3)
    expected = stats.poisson.pmf([0, 1, 2], 0.25)
    expected = np.append(expected, 1.0 - expected.sum()) * len(scans)
    assert stats.chisquare(np.bincount(per_scan, minlength=4), expected).pvalue > 1e-3
    rows = np.concatenate([s.detections for s in scans])
    assert rows[:, 0].min() >= 0 and rows[:, 0].max() <= 250000.0
    assert np.radians(-1.0) <= rows[:, 2].min() and rows[:, 2].max() <= np.radians(45.0)
    assert np.abs(rows[:, 3]).max() <= 300.0
    for s in scans:       # every false alarm inside its own sector
        assert np.all(frames.wrap_two_pi(s.detections[:, 1] - s.sector.az_rad[0])
                      <= 2 * math.pi / 16 + 1e-12)
    volume = 250000.0 * 2 * math.pi * math.radians(46.0) * 600.0    # m rad rad (m/s)
    assert radar.description.clutter_density == pytest.approx(4.0 / volume, rel=1e-12)
    assert count / (rotations * volume) == pytest.approx(radar.description.clutter_density,
                                                          rel=4.0 / math.sqrt(mean))


def test_sector_scans_tile_the_circle_once_per_period_with_increasing_times():
    radar = build_sensor(with_fields(GROUND, sectors=12, period_s=6, start_az_deg=30.0),
                         "sensors[0]")
    scans = all_scans(radar, flights([], [T0, T0 + 1]), T0, T0 + 60.0)
    times = np.array([s.t for s in scans])
    assert np.all(np.diff(times) == pytest.approx(0.5))
    assert times[0] >= T0 and times[-1] <= T0 + 60.0
    for start in range(0, len(scans) - 12, 12):
        turn = scans[start:start + 12]
        width = [frames.wrap_two_pi(s.sector.az_rad[1] - s.sector.az_rad[0]) for s in turn]
        assert width == pytest.approx([math.radians(30.0)] * 12)
        # each sector starts where the previous ended: the union is the circle, once
        ends = [s.sector.az_rad[1] for s in turn]
        begins = [s.sector.az_rad[0] for s in turn[1:]] + [turn[0].sector.az_rad[0]]
        assert frames.wrap_pi(np.subtract(begins, ends)) == pytest.approx([0.0] * 12, abs=1e-12)
        assert scans[start + 12].sector == turn[0].sector
        assert scans[start + 12].t == pytest.approx(turn[0].t + 6.0)
    # the beam is at the start azimuth (30 deg) at t = phase_s = 0 and every period after
    first = scans[0]
    k = round(frames.wrap_two_pi(first.sector.az_rad[0] - math.radians(30.0)) / math.radians(30))
    assert math.fmod(first.t - (k + 0.5) * 0.5, 6.0) == pytest.approx(0.0, abs=1e-6)


def test_detection_noise_has_the_configured_sigmas():
    radar = build_sensor(with_fields(GROUND, r50_m=200000.0), "sensors[0]")
    traj = stationary([point_at(38.0, 46.0, 100.0, 30000.0, 3000.0)], T0, T0 + 6000.0, rcs=20.0)
    rows = np.array([row for _, row in labelled(all_scans(radar, traj, T0, T0 + 6000.0), "f0")])
    assert len(rows) > 550
    az, el, rng = frames.ecef_to_aer(traj.pos[0, 0], math.radians(38.0), math.radians(46.0), 20.0)
    error = rows - np.array([rng, az, el, 0.0])
    error[:, 1] = frames.wrap_pi(error[:, 1])
    sigma = np.array([60.0, math.radians(0.15), math.radians(0.3), 1.5])
    tolerance = 5.0 / math.sqrt(2 * len(rows))          # relative SE of a sample std
    assert np.std(error, axis=0, ddof=1) / sigma == pytest.approx(np.ones(4), abs=tolerance)
    assert np.all(np.abs(error.mean(axis=0)) / sigma <= 5.0 / math.sqrt(len(rows)))


def test_range_rate_is_negative_for_an_approaching_target():
    radar = build_sensor(with_fields(GROUND, r50_m=200000.0), "sensors[0]")
    a_far, a_near = point_at(38.0, 46.0, 45.0, 40000.0, 5000.0), point_at(38.0, 46.0, 45.0,
                                                                        20000.0, 5000.0)
    b_near, b_far = point_at(38.0, 46.0, 200.0, 20000.0, 5000.0), point_at(38.0, 46.0, 200.0,
                                                                         40000.0, 5000.0)
    traj = flights([a_far[:2] + a_near[:2] + (5000.0,), b_near[:2] + b_far[:2] + (5000.0,)],
                   np.linspace(T0, T0 + 100.0, 101), rcs=10.0)    # 200 m/s radial each
    scans = all_scans(radar, traj, T0 + 1.0, T0 + 99.0)
    coming = np.array([row[3] for _, row in labelled(scans, "f0")])
    going = np.array([row[3] for _, row in labelled(scans, "f1")])
    assert len(coming) >= 8 and len(going) >= 8
    assert np.all(coming < 0) and np.all(going > 0)
    assert np.mean(coming) == pytest.approx(-200.0, abs=10.0)
    assert np.mean(going) == pytest.approx(200.0, abs=10.0)


def test_same_seed_same_scans_and_another_seed_others():
    radar = build_sensor(GROUND, "sensors[0]")
    traj = stationary([point_at(38.0, 46.0, 10.0 * i, 80000.0, 3000.0) for i in range(30)],
                      T0, T0 + 200.0)
    a, b, c = (all_scans(radar, traj, T0, T0 + 200.0, seed) for seed in (3, 3, 4))
    assert all(np.array_equal(x.detections, y.detections) and x.t == y.t for x, y in zip(a, b))
    assert any(not np.array_equal(x.detections, y.detections) for x, y in zip(a, c))


# ------------------------------------------------------------------ airborne radar

def test_aew_scans_carry_the_moving_site_and_relative_range_rate():
    spec = with_fields(AEW, sigma={"range_m": 100, "az_deg": 0.3, "el_deg": 0.5, "rr_mps": 2})
    aew = build_sensor(spec, "sensors[1]")
    exact = AirborneRadar("aew-exact", RadarConfig(
        **{**aew.config.__dict__, "sigma": {"range": 1e-9, "az": 1e-12, "el": 1e-12, "rr": 1e-9}}),
        aew.orbit)
    points = [point_at(36.5, 44.0, 15.0 * i, 150000.0, 100.0) for i in range(24)]
    traj = flights([p[:2] + (p[0] + 0.3, p[1] - 0.2, 100.0) for p in points],
                   np.linspace(T0, T0 + 600.0, 601), rcs=30.0)
    scans = all_scans(exact, traj, T0 + 1.0, T0 + 599.0)
    checked = 0
    for scan in scans:
        assert scan.site is not None and scan.site.vel_enu.shape == (3,)
        assert np.linalg.norm(scan.site.vel_enu) == pytest.approx(180.0, rel=0.01)
        assert scan.site.vel_enu[2] == 0.0
        model = Radar(site=scan.site, sigma_rr=2.0)
        for i, name in enumerate(scan.detection_ids):
            if name is None:
                continue
            f = int(name[1:])
            state = np.array([[np.interp(scan.t, traj.t, traj.pos[f, :, j]) for j in range(3)]
                              + [np.interp(scan.t, traj.t, traj.vel[f, :, j]) for j in range(3)]])
            assert scan.detections[i] == pytest.approx(model.h(state)[0], abs=1e-6)
            checked += 1
    assert checked > 500
    # the scans' site velocity is the derivative of the scans' site position
    for t in T0 + np.array([100.0, 400.0, 900.0, 1200.0]):     # legs and turns
        ends = aew.orbit.states(np.array([t - 0.25, t + 0.25])).pos
        assert (ends[1] - ends[0]) / 0.5 == pytest.approx(aew.orbit.states([t]).vel[0], abs=0.05)


def test_aew_sees_a_low_missile_far_beyond_a_ground_radar_horizon():
    aew = build_sensor(AEW, "sensors[1]")
    far = point_at(36.5, 44.0, 0.0, 300000.0, 50.0)
    beyond = point_at(36.5, 44.0, 180.0, 460000.0, 50.0)
    traj = stationary([far, beyond], T0, T0 + 10.0, rcs=10.0)
    assert aew.coverage(traj.pos[:, 0], T0, traj.rcs_m2, None).tolist() == [True, False]


def test_racetrack_closes_and_keeps_its_speed():
    aew = build_sensor(AEW, "sensors[1]")
    lap = (2 * 100000.0 + math.pi * 30000.0) / 180.0
    t = T0 + np.linspace(0.0, lap, 2001)
    xy, vxy = aew.orbit.plane(t)
    assert np.linalg.norm(np.diff(xy, axis=0), axis=1).max() <= 180.0 * lap / 2000 * 1.0001
    assert xy[0] == pytest.approx(xy[-1], abs=1e-3)
    assert np.linalg.norm(vxy, axis=1) == pytest.approx(np.full(t.size, 180.0))
    assert np.abs(xy[:, 0]).max() == pytest.approx(50000.0 + 15000.0, rel=1e-3)
    assert np.abs(xy[:, 1]).max() == pytest.approx(15000.0, rel=1e-6)


# ------------------------------------------------------------------ infrared satellite

def test_ir_sees_a_booster_and_a_flash_not_a_cruising_missile():
    sat = build_sensor(IR, "sensors[2]")
    t = np.linspace(T0, T0 + 100.0, 101)
    boosting = np.zeros((2, t.size), bool)
    boosting[0, :20] = True
    traj = flights([(41.0, 50.5, 41.0, 50.6, 500.0), (37.0, 47.0, 37.0, 47.5, 100.0)], t,
                   boosting=boosting)
    traj.events = [Event(t=T0 + 50.0, id="f9", event="impact", lat_rad=math.radians(35.84),
                         lon_rad=math.radians(38.55))]
    scans = all_scans(sat, traj, T0, T0 + 100.0)
    booster = labelled(scans, "f0")
    assert len(booster) >= 7 and all(tt < T0 + 19.0 for tt, _ in booster)
    assert labelled(scans, "f1") == []
    flash = labelled(scans, "f9")
    assert 1 <= len(flash) <= 2 and all(T0 + 50.0 <= tt < T0 + 54.0 for tt, _ in flash)
    point = frames.geodetic_to_ecef(math.radians(35.84), math.radians(38.55), 0.0)
    az, el, _ = frames.ecef_to_aer(point, 0.0, math.radians(57.0), 35786000.0)
    assert flash[0][1] == pytest.approx([float(az), float(el)], abs=math.radians(0.003))
    assert el < math.radians(-80.0)
    covered = sat.coverage(traj.pos[:, 0], T0, traj.rcs_m2, np.array([True, False]))
    assert covered.tolist() == [True, False]


# ------------------------------------------------------------------ position feed

def test_position_feed_reports_listed_kinds_inside_its_region_with_its_noise():
    feed = build_sensor(GEO, "sensors[3]")
    t = np.linspace(T0, T0 + 5000.0, 11)
    traj = flights([(36.0, 44.0, 36.0, 44.0, 10000.0), (36.0, 44.5, 36.0, 44.5, 100.0),
                    (30.0, 44.0, 30.0, 44.0, 10000.0)], t,
                   kinds=["aircraft", "cruise_missile", "aircraft"])
    scans = all_scans(feed, traj, T0, T0 + 5000.0)
    assert labelled(scans, "f1") == [] and labelled(scans, "f2") == []
    rows = np.array([row for _, row in labelled(scans, "f0")])
    assert binomial_ok(len(rows), len(scans), 0.9)
    meridian, prime = frames.principal_radii(math.radians(36.0), 10000.0)
    north = (rows[:, 0] - math.radians(36.0)) * meridian
    east = (rows[:, 1] - math.radians(44.0)) * prime * math.cos(math.radians(36.0))
    tolerance = 5.0 / math.sqrt(2 * len(rows))
    assert np.std([east, north, rows[:, 2] - 10000.0], axis=1, ddof=1) / [300, 300, 150] == \
        pytest.approx([1, 1, 1], abs=tolerance)
    kinds = traj.kinds
    assert feed.coverage(traj.pos[:, 0], T0, traj.rcs_m2, None, kinds=kinds).tolist() == \
        [True, False, False]


def test_position_reports_near_a_pole_stay_valid_latitudes():
    """300 m of noise on a flight 50 m from the pole: over it, never beyond 90 deg."""
    feed = build_sensor(with_fields(GEO, region={"lat": [85, 90], "lon": [-180, 180]},
                                    kinds=["aircraft"]), "s")
    t = np.linspace(T0, T0 + 2000.0, 3)
    traj = flights([(89.99955, 10.0, 89.99955, 10.0, 10000.0)], t, kinds=["aircraft"])
    rows = np.array([row for _, row in labelled(all_scans(feed, traj, T0, T0 + 2000.0), "f0")])
    assert len(rows) > 100
    assert np.all(np.abs(rows[:, 0]) <= 0.5 * math.pi) and np.all(np.abs(rows[:, 1]) <= math.pi)
    error = frames.geodetic_to_ecef(rows[:, 0], rows[:, 1], rows[:, 2]) - traj.pos[0, 0]
    assert np.all(np.linalg.norm(error, axis=1) < 6.0 * 300.0)
    assert (rows[:, 1] < 0.0).any()                      # some reports lie across the pole


# ------------------------------------------------------------------ specs and floors

@pytest.mark.parametrize("spec, field, words", [
    (with_fields(GROUND, sigma__az_deg=0.05), "sensors[2].sigma.az_deg",
     "0.05 is below the realism floor 0.1 (SCENARIO.md)"),
    (with_fields(GROUND, sigma__range_m=30), "sensors[2].sigma.range_m", "realism floor 50"),
    (with_fields(GROUND, sigma__el_deg=0.1), "sensors[2].sigma.el_deg", "realism floor 0.2"),
    (with_fields(GROUND, sigma__rr_mps=0.5), "sensors[2].sigma.rr_mps", "realism floor 1"),
    (with_fields(GROUND, period_s=4), "sensors[2].period_s", "realism band [5, 12]"),
    (with_fields(GROUND, period_s=15), "sensors[2].period_s", "realism band [5, 12]"),
    (with_fields(GROUND, r50_m=300000), "sensors[2].r50_m", "inside the range limit"),
    (with_fields(GROUND, rcs_ref_m2=0.1, r50_m=150000), "sensors[2].r50_m", "beyond range_max_m"),
    (with_fields(GROUND, false_alarms_per_rotation=0.5), "sensors[2].false_alarms_per_rotation",
     "realism floor 1"),
    (with_fields(GROUND, swerling=5), "sensors[2].swerling", "not one of"),
    (with_fields(GROUND, site__lat=95), "sensors[2].site.lat", "must be <= 90"),
    (with_fields(GROUND, site__lon=200), "sensors[2].site.lon", "must be <= 180"),
    (with_fields(AEW, orbit__lon=190), "sensors[2].orbit.lon", "must be <= 180"),
    (with_fields(GROUND, sigma="fine"), "sensors[2].sigma", "expected a mapping"),
    (with_fields(GROUND, range_maxm=3), "sensors[2].range_maxm", "unknown field"),
    (with_fields(GROUND, kind="sonar"), "sensors[2].kind", "expected one of"),
    (with_fields(AEW, sigma__az_deg=0.15), "sensors[2].sigma.az_deg", "realism floor 0.2"),
    (with_fields(AEW, orbit__speed_mps=0), "sensors[2].orbit.speed_mps", "must be > 0"),
    (with_fields(IR, sigma__el_deg=0.0001), "sensors[2].sigma.el_deg", "realism floor 0.0003"),
    (with_fields(IR, pd_booster=1.5), "sensors[2].pd_booster", "must be <= 1"),
    (with_fields(GEO, sigma__h_m=100), "sensors[2].sigma.h_m", "realism floor 200"),
    (with_fields(GEO, region__lat=[39, 33]), "sensors[2].region.lat", "must be < high"),
    (with_fields(GEO, kinds="aircraft"), "sensors[2].kinds", "non-empty list"),
    ({k: v for k, v in GROUND.items() if k != "r50_m"}, "sensors[2].r50_m", "missing"),
])
def test_bad_specs_are_rejected_naming_the_field(spec, field, words):
    with pytest.raises(InputError) as err:
        build_sensor(spec, "sensors[2]")
    assert err.value.field == field
    assert words in str(err.value) and str(err.value).startswith(field + ": ")


def test_the_bundled_schema_builds_and_describes_itself():
    kinds = {"gr-1": "radar", "aew-1": "radar", "sat-ir": "los", "geo-feed": "position"}
    for i, spec in enumerate((GROUND, AEW, IR, GEO)):
        sensor = build_sensor(spec, f"sensors[{i}]")
        description = sensor.description
        assert (sensor.id, description.kind) == (spec["id"], kinds[spec["id"]])
        # pd is that of a typical air target: 0 for an infrared satellite that sees none
        assert description.clutter_density > 0 and 0 <= description.pd <= 1
        if description.kind == "los":
            assert description.pd == spec.get("pd_cruise", 0.0)
    assert build_sensor(GROUND, "s").description.site.alt_m == 20.0
    assert build_sensor(AEW, "s").description.site is None
    assert build_sensor(GROUND, "s").description.sigma["az"] == pytest.approx(math.radians(0.15))
