"""Track initiation from detections, and the tracker's settings."""
import math
from dataclasses import replace

import numpy as np
import pytest

from tracker import frames
from tracker.config import TrackerConfig, load_config
from tracker.errors import InputError
from tracker.lifecycle import initiate, manage, radar_states
from tracker.models import Radar
from tracker.scan import Scan, Sensor, Site
from tracker.tracks import CONFIRMED, LOST, TENTATIVE, TrackTable

SITE = Site(lat_rad=math.radians(37.0), lon_rad=math.radians(49.5), alt_m=30.0)
SIGMA = {"range": 60.0, "az": math.radians(0.15), "el": math.radians(0.3), "rr": 1.5}
RADAR = Sensor(id="r", kind="radar", site=SITE, sigma=SIGMA)


def target_state():
    lat, lon, alt = math.radians(37.3), math.radians(49.9), 50.0
    pos = frames.geodetic_to_ecef(lat, lon, alt)
    vel = frames.enu_to_ecef_vector(np.array([-200.0, -150.0, 0.0]), lat, lon)
    return np.concatenate([np.ravel(pos), np.ravel(vel)])


def test_radar_detection_starts_a_track_at_its_position_with_its_radial_speed():
    x_true = target_state()
    z = Radar(site=SITE).h(x_true[None])[0]           # noise-free range, az, el, rr
    scan = Scan(t=0.0, sensor="r", kind="radar", detections=z[None])
    x, P = radar_states(scan, RADAR, np.array([0]), TrackerConfig())
    assert np.allclose(x[0, :3], x_true[:3], atol=1e-3)          # the position, exactly
    u = (x_true[:3] - np.ravel(frames.geodetic_to_ecef(SITE.lat_rad, SITE.lon_rad, SITE.alt_m)))
    u /= np.linalg.norm(u)
    assert x[0, 3:] @ u == pytest.approx(x_true[3:] @ u, abs=0.1)  # radial speed from rr
    # the radial velocity is known to ~sigma_rr, the cross velocity only to the prior
    assert u @ P[0, 3:, 3:] @ u < 1.6 ** 2
    # one horizontal axis and the vertical stay at the prior
    ini = TrackerConfig().initiation
    assert np.trace(P[0, 3:, 3:]) == pytest.approx(
        ini.velocity_sigma_h_mps ** 2 + ini.velocity_sigma_v_mps ** 2, rel=0.01)
    # position covariance: range sigma along the line of sight, cross-range ~ r sigma_az
    assert math.sqrt(u @ P[0, :3, :3] @ u) == pytest.approx(60.0, rel=0.05)
    assert np.all(np.linalg.eigvalsh(P[0]) > 0)


def test_initiate_skips_lines_of_sight_and_manage_confirms_and_deletes():
    table = TrackTable(capacity=2)
    los = Sensor(id="s", kind="los", site=SITE, sigma={"az": 1e-5, "el": 1e-5})
    scan = Scan(t=0.0, sensor="s", kind="los", detections=np.array([[0.1, 0.2]]))
    assert initiate(table, scan, los, np.array([0]), TrackerConfig()).size == 0
    z = Radar(site=SITE).h(np.stack([target_state()] * 3))
    scan = Scan(t=0.0, sensor="r", kind="radar", detections=z)
    rows = initiate(table, scan, RADAR, np.arange(3), TrackerConfig())
    assert len(table) == 3 and table.capacity >= 3                 # grew past 2
    assert len(set(table.ids[rows])) == 3 and (table.status[rows] == TENTATIVE).all()
    table.existence[rows] = [0.95, 0.5, 0.01]
    confirmed, _, _ = manage(table, TrackerConfig(), 0.0)
    assert confirmed.size == 0                  # likely, but one detection: velocity unknown
    table.n_updates[rows] = TrackerConfig().confirm_updates
    confirmed, lost, dead = manage(table, TrackerConfig(), 0.0)
    assert confirmed.tolist() == [rows[0]] and dead.tolist() == [rows[2]] and lost.size == 0
    assert table.status[rows[0]] == CONFIRMED
    table.remove(dead)
    # a confirmed track gone for want of detections is lost, not deleted, until it has
    # waited relink.max_gap_s; a tentative one is deleted at once
    table.existence[rows[:2]] = 0.01
    confirmed, lost, dead = manage(table, TrackerConfig(), 10.0)
    assert lost.tolist() == [rows[0]] and dead.tolist() == [rows[1]]
    table.remove(dead)
    assert table.status[rows[0]] == LOST and rows[0] in table.rows()
    assert rows[0] not in table.active_rows()
    wait = TrackerConfig().relink.max_gap_s
    assert manage(table, TrackerConfig(), 10.0 + wait)[2].size == 0
    assert manage(table, TrackerConfig(), 10.0 + wait + 1.0)[2].tolist() == [rows[0]]


def test_config_file_overrides_defaults_and_bad_settings_are_located(tmp_path):
    good = tmp_path / "c.yaml"
    good.write_text("gate_probability: 0.99\nprocess_noise: {horizontal: 3}\n"
                    "sensor_defaults: {radar: {pd: 0.7}}\n")
    config = load_config(good)
    assert config.gate_probability == 0.99 and config.process_noise.horizontal == 3.0
    assert config.sensor_defaults["radar"].pd == 0.7
    assert config.sensor_defaults["radar"].clutter_density == \
        TrackerConfig().sensor_defaults["radar"].clutter_density
    assert config.as_json()["process_noise"]["vertical"] == 1.0
    for text, field in [("gate_probability: 2\n", "gate_probability"),
                        ("gate_probabilty: 0.9\n", "gate_probabilty"),
                        ("process_noise: {horizontal: x}\n", "process_noise.horizontal"),
                        ("sensor_defaults: {los: {pd: 3}}\n", "sensor_defaults.los.pd")]:
        bad = tmp_path / "bad.yaml"
        bad.write_text(text)
        with pytest.raises(InputError) as err:
            load_config(bad)
        assert str(err.value).startswith(f"{bad}: {field}:"), str(err.value)


def test_imm_and_relink_settings_load_and_bad_ones_are_located(tmp_path):
    good = tmp_path / "imm.yaml"
    good.write_text("imm: {enabled: false, turn: {horizontal: 50}}\nrelink: {max_gap_s: 0}\n")
    config = load_config(good)
    assert config.imm.enabled is False and config.imm.turn.horizontal == 50.0
    assert config.relink.max_gap_s == 0.0
    for text, field in (("imm: {enabled: 3}\n", "imm.enabled"),
                        ("relink: {gate_probability: 1.5}\n", "relink.gate_probability"),
                        ("impact_prior: 2\n", "impact_prior"),
                        ("detection: {visible_prior: 0}\n", "detection.visible_prior"),
                        ("relink: {tie_likelihood_ratio: 0.5}\n", "relink.tie_likelihood_ratio"),
                        ("relink: {reference_max_lag_s: -1}\n", "relink.reference_max_lag_s"),
                        ("relink: {survival_per_s: 0}\n", "relink.survival_per_s"),
                        ("relink: {resume_max_position_sigma_m: -1}\n",
                         "relink.resume_max_position_sigma_m"),
                        ("relink: {resume_association_probability: 0.2}\n",
                         "relink.resume_association_probability"),
                        ("merge: {gate_probability: 0}\n", "merge.gate_probability"),
                        ("merge: {check_period_s: -1}\n", "merge.check_period_s")):
        bad = tmp_path / "bad.yaml"
        bad.write_text(text)
        with pytest.raises(InputError, match=f"{bad}: {field}:"):
            load_config(bad)


def _confirmed_track(table):
    z = Radar(site=SITE).h(target_state()[None])
    (row,) = initiate(table, Scan(t=0.0, sensor="r", kind="radar", detections=z), RADAR,
                      np.array([0]), TrackerConfig())
    table.status[row] = CONFIRMED
    return row


def test_a_lost_track_is_kept_from_its_last_detection_not_its_coasted_state():
    table = TrackTable()
    row = _confirmed_track(table)
    fix = table.x_fix[row].copy()
    # it coasted 60 s, and its IMM mixture slowed down and spread
    table.x[row, 3:] *= 0.8
    table.P[row] *= 50.0
    table.t_state[row] = 60.0
    table.existence[row] = 0.01
    _, lost, _ = manage(table, TrackerConfig(), 60.0)
    assert lost.tolist() == [row]
    assert np.array_equal(table.x[row], fix) and table.t_state[row] == 0.0
    assert table.t_lost[row] == 60.0


def test_a_flash_a_track_outlived_does_not_make_its_later_loss_an_impact():
    # a flash put 0.63 on the track having come down, but radars went on seeing it
    # (existence 0.99): when it leaves coverage later it is lost, not taken as impacted
    table = TrackTable()
    row = _confirmed_track(table)
    table.impact[row] = 0.63
    table.existence[row] = 0.99
    manage(table, TrackerConfig(), 10.0)
    assert table.impact[row] == pytest.approx(0.01)
    table.existence[row] = 0.01
    _, lost, dead = manage(table, TrackerConfig(), 20.0)
    assert lost.tolist() == [row] and dead.size == 0
    # a flash the track did not outlive: it goes with impact 0.9, and is deleted
    other = _confirmed_track(table)
    table.impact[other], table.existence[other] = 0.9, 0.01
    _, lost, dead = manage(table, TrackerConfig(), 30.0)
    assert lost.size == 0 and dead.tolist() == [other]


def test_a_confirmed_track_sunk_below_min_altitude_is_lost_unless_it_surely_came_down():
    table = TrackTable()
    rows = [_confirmed_track(table) for _ in range(2)]
    below = np.ravel(frames.geodetic_to_ecef(math.radians(37.3), math.radians(49.9), -600.0))
    for row, sigma in zip(rows, (1000.0, 10.0)):
        table.x[row, :3] = below
        table.P[row, :3, :3] = sigma ** 2 * np.eye(3)
    # 600 m down with a 1 km height sigma: not surely down, lost (kept for re-linking);
    # with 10 m: it came down, deleted
    _, lost, dead = manage(table, TrackerConfig(), 10.0)
    assert lost.tolist() == [rows[0]] and dead.tolist() == [rows[1]]


def test_a_one_detection_track_waits_three_revisits_for_its_second_detection():
    # a 300 m/s cross velocity prior (range-rate gives the radial one) spreads 5 km in
    # 17 s; a target seen one scan in three needs ~30 s: a tentative track is deleted at
    # initiation.max_position_sigma_m
    config = TrackerConfig()
    table = TrackTable()
    z = Radar(site=SITE).h(target_state()[None])
    (row,) = initiate(table, Scan(t=0.0, sensor="r", kind="radar", detections=z), RADAR,
                      np.array([0]), config)
    table.existence[row] = 0.2
    assert manage(table, config, 25.0)[2].size == 0            # sigma ~7.5 km at 25 s
    assert table.status[row] == TENTATIVE
    assert manage(table, config, 55.0)[2].tolist() == [row]    # ~16.5 km: gone
    # the confirmed limit, on the same track, takes it at 25 s
    strict = TrackerConfig(initiation=replace(config.initiation, max_position_sigma_m=5e3))
    table = TrackTable()
    (row,) = initiate(table, Scan(t=0.0, sensor="r", kind="radar", detections=z), RADAR,
                      np.array([0]), strict)
    table.existence[row] = 0.2
    assert manage(table, strict, 25.0)[2].tolist() == [row]
