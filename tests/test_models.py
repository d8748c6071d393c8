"""Motion and measurement models: hand-worked numbers, invariants, Jacobians."""
import numpy as np
import pymap3d
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from tracker import frames, models
from tracker.scan import Sensor, Site

RADAR_SITE = Site(np.radians(36.2), np.radians(37.16), 400.0)
AEW_SITE = Site(np.radians(38.0), np.radians(44.0), 9000.0, np.array([180.0, -120.0, 2.0]))
GEO_SITE = Site(0.0, np.radians(45.0), 35_786e3, np.array([0.0, 0.0, 0.0]))
SEEDS = st.integers(0, 2**32 - 1)


def state_at(site: Site, enu, vel_enu=(0.0, 0.0, 0.0)):
    """ECEF state (1, 6) at an ENU offset (m) from a site, with an ENU velocity of its own."""
    pos = frames.geodetic_to_ecef(site.lat_rad, site.lon_rad, site.alt_m)
    pos = pos + frames.enu_to_ecef_vector(np.asarray(enu, float), site.lat_rad, site.lon_rad)
    lat, lon, _ = frames.ecef_to_geodetic(pos)
    return np.concatenate([pos, frames.enu_to_ecef_vector(np.asarray(vel_enu, float), lat, lon)])[None]


def random_states(rng, site: Site, n, horizontal=(2e3, 400e3), height=(0.0, 12e3)):
    """Targets around a site, at heights above the ellipsoid, with airliner-like speeds."""
    dist = rng.uniform(*horizontal, n)
    bearing = rng.uniform(0.0, 2 * np.pi, n)
    east, north = dist * np.sin(bearing), dist * np.cos(bearing)
    pos = frames.geodetic_to_ecef(site.lat_rad, site.lon_rad, site.alt_m) + \
        frames.enu_to_ecef_vector(np.stack([east, north, np.zeros(n)], 1), site.lat_rad, site.lon_rad)
    lat, lon, _ = frames.ecef_to_geodetic(pos)
    pos = frames.geodetic_to_ecef(lat, lon, rng.uniform(*height, n))
    vel = frames.enu_to_ecef_vector(rng.normal(0.0, 150.0, (n, 3)) * [1, 1, 0.1], lat, lon)
    return np.hstack([pos, vel])


def numeric_jacobian(model, x, pos_step):
    """Central differences, step pos_step (N,) on positions and 1 m/s on velocities.

    The steps actually taken, (x + h) - (x - h), are the divisors, so ECEF rounding of
    x + h does not enter; model.residual keeps azimuth/longitude jumps out."""
    n = x.shape[0]
    jac = np.empty((n, model.dim, 6))
    for j in range(6):
        step = np.zeros_like(x)
        step[:, j] = pos_step if j < 3 else 1.0
        plus, minus = x + step, x - step
        taken = plus[:, j] - minus[:, j]
        jac[:, :, j] = model.residual(model.h(plus), model.h(minus)) / taken[:, None]
    return jac


def assert_jacobian(model, x, pos_step, rtol=1e-6):
    """Each row of the analytic Jacobian equals the numeric one to rtol of the row's size."""
    want = numeric_jacobian(model, x, pos_step)
    got = model.jacobian(x)
    assert got.shape == want.shape
    scale = np.abs(want).max(axis=2, keepdims=True)
    assert np.all(np.abs(got - want) <= rtol * scale), np.max(np.abs(got - want) / scale)


def horizontal_step(model, x, fraction=1e-4):
    _, enu, horizontal, _ = model._geometry(x)
    return fraction * horizontal


# ------------------------------------------------------------------ motion models

X_TRACK = state_at(RADAR_SITE, [30e3, 20e3, 100.0], [250.0, 0.0, 0.0])


def test_cv_transition():
    cv = models.ConstantVelocity()
    assert_allclose(cv.transition(0.0, X_TRACK), np.eye(6)[None])
    f = cv.transition(np.array([0.0, 2.5]))
    assert f.shape == (2, 6, 6)
    assert_allclose(f[1] @ X_TRACK[0], np.concatenate([X_TRACK[0, :3] + 2.5 * X_TRACK[0, 3:],
                                                       X_TRACK[0, 3:]]))


@given(seed=SEEDS, qh=st.floats(0.0, 100.0), qv=st.floats(0.0, 10.0))
@settings(max_examples=60, deadline=None)
def test_cv_process_noise_is_symmetric_psd_and_enu_shaped(seed, qh, qv):
    rng = np.random.default_rng(seed)
    x = random_states(rng, RADAR_SITE, 8)
    dt = rng.uniform(0.0, 600.0, 8)
    cv = models.ConstantVelocity(q_horizontal=qh, q_vertical=qv)
    q = cv.process_noise(x, dt)
    assert q.shape == (8, 6, 6)
    assert_allclose(q, q.transpose(0, 2, 1), rtol=0, atol=1e-12 * np.abs(q).max() + 1e-300)
    eig = np.linalg.eigvalsh(q)
    assert np.all(eig >= -1e-9 * np.abs(q).max(axis=(1, 2))[:, None] - 1e-300)
    lat, lon, _ = frames.ecef_to_geodetic(x[:, :3])
    rot = frames.enu_rotation(lat, lon)
    vel_block_enu = rot @ q[:, 3:, 3:] @ rot.transpose(0, 2, 1)
    want = np.diag([qh, qh, qv])[None] * dt[:, None, None]
    assert_allclose(vel_block_enu, want, atol=1e-9 * max(qh, qv, 1e-300) * 600.0)
    psd = cv.acceleration_psd(x)
    assert_allclose(q[:, :3, :3], dt[:, None, None] ** 3 / 3 * psd, rtol=1e-12, atol=1e-300)
    assert_allclose(q[:, :3, 3:], dt[:, None, None] ** 2 / 2 * psd, rtol=1e-12, atol=1e-300)


def test_cv_acceleration_psd_vertical_is_local_up():
    cv = models.ConstantVelocity(q_horizontal=0.0, q_vertical=2.0)
    lat, lon, _ = frames.ecef_to_geodetic(X_TRACK[:, :3])
    up = frames.enu_rotation(lat, lon)[0, 2]
    assert_allclose(cv.acceleration_psd(X_TRACK)[0], 2.0 * np.outer(up, up), atol=1e-15)


def ct_state(vel_enu=(250.0, 0.0, 0.0)):
    return state_at(RADAR_SITE, [10e3, 5e3, 100.0], vel_enu)


def enu_velocity(x):
    lat, lon, _ = frames.ecef_to_geodetic(x[:, :3])
    return frames.ecef_to_enu_vector(x[:, 3:], lat, lon)


@pytest.mark.parametrize("rate, direction", [(1.0, [0.0, -1.0, 0.0]), (-1.0, [0.0, 1.0, 0.0])])
def test_ct_quarter_turn_right_is_clockwise(rate, direction):
    # positive turn rate turns right: heading east, a quarter turn later heading south
    x = ct_state()
    dt = 10.0
    ct = models.CoordinatedTurn(turn_rate=rate * np.pi / 2 / dt)
    x1 = np.einsum("nij,nj->ni", ct.transition(dt, x), x)
    lat, lon, _ = frames.ecef_to_geodetic(x[:, :3])
    v1 = frames.ecef_to_enu_vector(x1[:, 3:], lat, lon)   # in the frame the turn used
    assert_allclose(v1[0], 250.0 * np.array(direction), atol=1e-9)
    # the position moved along the quarter circle of radius v/omega: 2R/pi east and south
    radius = 250.0 * dt / (np.pi / 2)
    moved = frames.ecef_to_enu_vector(x1[:, :3] - x[:, :3], lat, lon)[0]
    assert_allclose(moved, [radius, direction[1] * radius, 0.0], atol=1e-6)


@given(seed=SEEDS, rate_deg=st.floats(-30.0, 30.0), dt=st.floats(0.0, 600.0))
@settings(max_examples=80, deadline=None)
def test_ct_keeps_speed_and_vertical_velocity(seed, rate_deg, dt):
    rng = np.random.default_rng(seed)
    x = random_states(rng, RADAR_SITE, 5)
    f = models.CoordinatedTurn(turn_rate=np.radians(rate_deg)).transition(dt, x)
    x1 = np.einsum("nij,nj->ni", f, x)
    assert_allclose(np.linalg.norm(x1[:, 3:], axis=1), np.linalg.norm(x[:, 3:], axis=1),
                    rtol=1e-12)
    lat, lon, _ = frames.ecef_to_geodetic(x[:, :3])       # the frame the turn used
    assert_allclose(frames.ecef_to_enu_vector(x1[:, 3:], lat, lon)[:, 2], enu_velocity(x)[:, 2],
                    atol=1e-9)


def test_ct_matches_numerical_integration():
    # position after T = integral of the turning velocity, by the midpoint rule
    x = ct_state((200.0, 80.0, 5.0))
    rate, dt, steps = np.radians(4.0), 40.0, 20_000
    lat, lon, _ = frames.ecef_to_geodetic(x[:, :3])
    up = frames.enu_rotation(lat, lon)[0, 2]
    k = models.cross_matrix(up)
    t = (np.arange(steps) + 0.5) * dt / steps
    theta = -rate * t
    rot = np.eye(3) + np.sin(theta)[:, None, None] * k + (1 - np.cos(theta))[:, None, None] * (k @ k)
    want = x[0, :3] + (rot @ x[0, 3:]).sum(axis=0) * dt / steps
    got = models.CoordinatedTurn(turn_rate=rate).transition(dt, x) @ x[0]
    assert_allclose(got[0, :3], want, atol=1e-3)


@given(seed=SEEDS, dt=st.floats(0.0, 600.0))
@settings(max_examples=40, deadline=None)
def test_ct_tends_to_cv(seed, dt):
    x = random_states(np.random.default_rng(seed), RADAR_SITE, 4)
    cv = models.ConstantVelocity().transition(dt, x)
    assert_allclose(models.CoordinatedTurn(turn_rate=0.0).transition(dt, x), cv, atol=1e-15)
    near = models.CoordinatedTurn(turn_rate=1e-9).transition(dt, x)
    assert_allclose(near, cv, atol=1e-9 * max(dt, 1.0) ** 2)


def test_ct_series_and_closed_form_agree_at_the_switch(monkeypatch):
    x = ct_state()
    dt = 600.0
    ct = models.CoordinatedTurn(turn_rate=models._SERIES_BELOW / dt)
    monkeypatch.setattr(models, "_SERIES_BELOW", 1.0)           # series everywhere below 1
    series = ct.transition(dt, x)
    monkeypatch.setattr(models, "_SERIES_BELOW", 0.0)           # closed form everywhere
    closed = ct.transition(dt, x)
    assert_allclose(series, closed, rtol=0, atol=1e-11)


def test_ct_per_track_turn_rates():
    x = np.vstack([ct_state(), ct_state()])
    rates = np.array([0.05, -0.02])
    f = models.CoordinatedTurn(turn_rate=rates).transition(np.array([3.0, 7.0]), x)
    for i in range(2):
        one = models.CoordinatedTurn(turn_rate=rates[i]).transition([3.0, 7.0][i], x[i:i + 1])
        assert_allclose(f[i], one[0])
    with pytest.raises(ValueError, match="turn_rate has shape"):
        models.CoordinatedTurn(turn_rate=rates).transition(1.0, np.vstack([x, x]))


# ------------------------------------------------------------- measurement models

@pytest.mark.parametrize("enu, az_deg, el_deg", [
    ([20e3, 0.0, 0.0], 90.0, None),     # due east
    ([0.0, 20e3, 0.0], 0.0, None),      # due north
    ([0.0, 0.0, 5e3], None, 90.0),      # straight up
])
def test_radar_hand_worked_angles(enu, az_deg, el_deg):
    radar = models.Radar(RADAR_SITE)
    z = radar.h(state_at(RADAR_SITE, enu))[0]
    assert_allclose(z[0], np.linalg.norm(enu), rtol=1e-12)
    if az_deg is not None:
        assert_allclose(frames.wrap_pi(z[1] - np.radians(az_deg)), 0.0, atol=1e-12)
    if el_deg is not None:
        assert_allclose(z[2], np.radians(el_deg), atol=1e-12)
    assert 0.0 <= z[1] < 2 * np.pi


def test_radar_range_rate_sign():
    radar = models.Radar(RADAR_SITE)
    opening = state_at(RADAR_SITE, [20e3, 0, 1e3], [250.0, 0.0, 0.0])     # flying away, east
    closing = state_at(RADAR_SITE, [20e3, 0, 1e3], [-250.0, 0.0, 0.0])
    crossing = state_at(RADAR_SITE, [20e3, 0, 0.0], [0.0, 250.0, 0.0])
    assert radar.h(opening)[0, 3] > 200.0
    assert radar.h(closing)[0, 3] < -200.0
    assert abs(radar.h(crossing)[0, 3]) < 1.0
    # a moving radar closing on a still target sees the range close
    site = Site(RADAR_SITE.lat_rad, RADAR_SITE.lon_rad, 400.0, np.array([100.0, 0.0, 0.0]))
    still = state_at(RADAR_SITE, [20e3, 0, 0.0])
    assert_allclose(models.Radar(site).h(still)[0, 3], -100.0, rtol=1e-4)


def test_residual_wraps_azimuth():
    radar = models.Radar(RADAR_SITE)
    z = np.array([[1000.0, np.radians(359.0), 0.1, 3.0]])
    z_hat = np.array([[990.0, np.radians(1.0), 0.2, 1.0]])
    assert_allclose(radar.residual(z, z_hat), [[10.0, np.radians(-2.0), -0.1, 2.0]])
    los = models.LineOfSight(RADAR_SITE)
    assert_allclose(los.residual([[np.radians(1.0), 0.0]], [[np.radians(359.0), 0.0]]),
                    [[np.radians(2.0), 0.0]])
    geo = models.GeodeticPosition()
    assert_allclose(geo.residual([[0.1, np.radians(-179.5), 5.0]], [[0.1, np.radians(179.5), 0.0]]),
                    [[0.0, np.radians(1.0), 5.0]], atol=1e-12)


@pytest.mark.parametrize("site", [RADAR_SITE, AEW_SITE, GEO_SITE], ids=["ground", "aew", "geo"])
def test_angles_match_pymap3d(site):
    x = random_states(np.random.default_rng(5), RADAR_SITE, 50)
    z = models.LineOfSight(site).h(x)
    az, el, _ = pymap3d.ecef2aer(x[:, 0], x[:, 1], x[:, 2], site.lat_rad, site.lon_rad,
                                 site.alt_m, deg=False)
    assert_allclose(frames.wrap_pi(z[:, 0] - az), 0.0, atol=1e-11)
    assert_allclose(z[:, 1], el, atol=1e-11)
    assert np.all((z[:, 0] >= 0) & (z[:, 0] < 2 * np.pi))


@pytest.mark.parametrize("make, sites, horizontal", [
    (models.Radar, (RADAR_SITE, AEW_SITE), (2e3, 400e3)),
    (models.LineOfSight, (AEW_SITE, GEO_SITE), (0.0, 1500e3)),
], ids=["radar", "los"])
@given(seed=SEEDS)
@settings(max_examples=40, deadline=None)
def test_jacobian_random_states(make, sites, horizontal, seed):
    # targets spread over the theatre around RADAR_SITE, seen from each site
    rng = np.random.default_rng(seed)
    for site in sites:
        model = make(site)
        x = random_states(rng, RADAR_SITE, 20, horizontal=horizontal)
        assert_jacobian(model, x, horizontal_step(model, x))


@pytest.mark.parametrize("enu", [
    [3.0, 4.0, 10e3],         # nearly overhead: 5 m off the vertical at 10 km
    [40e3, 1e3, 40.0],         # grazing: 0.05 deg elevation
    [0.0, 1e4, -30.0],         # due north just below the horizontal (azimuth wraps)
    [-2e3, -150e3, 5e3],
])
def test_radar_jacobian_special_geometries(enu):
    x = state_at(RADAR_SITE, enu, [120.0, -200.0, 3.0])
    for radar in (models.Radar(RADAR_SITE), models.Radar(AEW_SITE),
                  models.Radar(RADAR_SITE, sigma_rr=None)):
        assert_jacobian(radar, x, horizontal_step(radar, x))


def test_line_of_sight_from_geostationary_is_well_conditioned():
    los = models.LineOfSight(GEO_SITE)
    x = state_at(RADAR_SITE, [0.0, 0.0, 50.0], [250.0, 0.0, 0.0])
    z = los.h(x)[0]
    assert -np.pi / 2 < z[1] < -np.pi / 2 + np.radians(15.0)     # looking nearly straight down
    jac = los.jacobian(x)[0]
    # one metre across the line of sight is 1/range rad, about 2.7e-8 at ~37,000 km
    rng = np.linalg.norm(x[0, :3] - los.site_ecef[0])
    assert 35_786e3 < rng < 40_000e3
    across = np.linalg.svd(jac[:, :3], compute_uv=False)
    assert np.all(across > 0.3 / rng) and np.all(across < 30.0 / rng)
    # the same metre moved along the line of sight changes nothing
    assert_allclose(jac[:, :3] @ ((x[0, :3] - los.site_ecef[0]) / rng), 0.0, atol=1e-20)


@given(seed=SEEDS)
@settings(max_examples=40, deadline=None)
def test_geodetic_jacobian(seed):
    rng = np.random.default_rng(seed)
    lat, lon = rng.uniform(-1.5, 1.5, 20), rng.uniform(-np.pi, np.pi, 20)
    lon[:2] = [np.pi - 1e-9, -np.pi + 1e-9]                       # across the antimeridian
    pos = frames.geodetic_to_ecef(lat, lon, rng.uniform(-100.0, 20e3, 20))
    x = np.hstack([pos, rng.normal(0.0, 200.0, (20, 3))])
    model = models.GeodeticPosition()
    assert_jacobian(model, x, np.full(20, 1.0))
    assert_allclose(model.h(x)[:, 0], lat, atol=1e-14)


def test_geodetic_ecef_form_matches_the_geodetic_noise():
    model = models.GeodeticPosition(sigma_h=300.0, sigma_v=120.0)
    z = np.array([[np.radians(35.84), np.radians(38.55), 300.0],
                  [np.radians(-60.0), np.radians(179.99), 9e3]])
    positions, cov = model.ecef_detections(z)
    assert_allclose(positions, frames.geodetic_to_ecef(z[:, 0], z[:, 1], z[:, 2]))
    rot = frames.enu_rotation(z[:, 0], z[:, 1])
    assert_allclose(rot @ cov @ rot.transpose(0, 2, 1),
                    np.broadcast_to(np.diag([300.0**2, 300.0**2, 120.0**2]), (2, 3, 3)), atol=1e-8)
    # the ECEF covariance carried through the geodetic Jacobian is the geodetic noise
    jac = model.jacobian(np.hstack([positions, np.zeros((2, 3))]))[:, :, :3]
    carried, noise = jac @ cov @ jac.transpose(0, 2, 1), model.noise(z)
    scale = 1.0 / np.sqrt(np.diagonal(noise, axis1=1, axis2=2))      # compare as correlations
    assert_allclose(scale[:, :, None] * carried * scale[:, None, :],
                    np.broadcast_to(np.eye(3), (2, 3, 3)), atol=1e-9)
    assert_allclose(np.sqrt(model.noise(z)[0, 0, 0]) * 6.37e6, 300.0, rtol=0.01)
    assert_allclose(models.POSITION_OBSERVATION @ np.arange(6.0), [0.0, 1.0, 2.0])


# ------------------------------------------------------------- construction


def sensor(kind, sigma, site=RADAR_SITE):
    return Sensor(id="s1", kind=kind, site=site, sigma=sigma)


def test_measurement_model_from_sensor():
    radar = models.measurement_model(sensor("radar", {"range": 60.0, "az": 0.002, "el": 0.004,
                                                      "rr": 1.5}))
    assert isinstance(radar, models.Radar) and radar.dim == 4 and radar.sigma_rr == 1.5
    assert_allclose(radar.noise(), np.diag([3600.0, 4e-6, 1.6e-5, 2.25]))
    plain = models.measurement_model(sensor("radar", {"range": 60.0, "az": 0.002, "el": 0.004,
                                                      "rr": 1.5}), range_rate=False)
    assert plain.dim == 3 and plain.h(X_TRACK).shape == (1, 3) and plain.noise().shape == (3, 3)
    moving = sensor("los", {"az": 1e-5, "el": 1e-5}, site=None)
    with pytest.raises(ValueError, match="moving: site is required"):
        models.measurement_model(moving)
    los = models.measurement_model(moving, GEO_SITE)
    assert isinstance(los, models.LineOfSight) and los.site is GEO_SITE
    assert_allclose(los.noise(), np.diag([1e-10, 1e-10]))
    pos = models.measurement_model(sensor("position", {"h": 250.0, "v": 90.0}, site=None))
    assert (pos.sigma_h, pos.sigma_v) == (250.0, 90.0)
    with pytest.raises(ValueError, match="sigma.el is missing"):
        models.measurement_model(sensor("los", {"az": 1e-5}))


def test_moving_radar_with_range_rate_needs_its_velocity():
    moving = Sensor(id="aew", kind="radar", site=None,
                    sigma={"range": 60.0, "az": 0.002, "el": 0.004, "rr": 1.5})
    still = Site(AEW_SITE.lat_rad, AEW_SITE.lon_rad, AEW_SITE.alt_m)
    with pytest.raises(ValueError, match="moving and reports range-rate: site.vel_enu"):
        models.measurement_model(moving, still)
    assert models.measurement_model(moving, still, range_rate=False).dim == 3
    assert models.measurement_model(moving, AEW_SITE).dim == 4
    fixed = Sensor(id="gr", kind="radar", site=RADAR_SITE, sigma=moving.sigma)
    assert models.measurement_model(fixed).dim == 4      # a fixed site is still in ECEF


def test_moving_site_velocity_is_rotated_to_ecef():
    radar = models.Radar(AEW_SITE)
    _, velocity = radar.site_ecef
    assert_allclose(frames.ecef_to_enu_vector(velocity, AEW_SITE.lat_rad, AEW_SITE.lon_rad),
                    AEW_SITE.vel_enu, atol=1e-12)


@pytest.mark.parametrize("make, name", [
    (lambda: models.ConstantVelocity(q_horizontal=-1.0), "q_horizontal"),
    (lambda: models.ConstantVelocity(q_vertical=np.nan), "q_vertical"),
    (lambda: models.CoordinatedTurn(turn_rate=np.inf), "turn_rate"),
    (lambda: models.Radar(RADAR_SITE, sigma_range=0.0), "sigma_range"),
    (lambda: models.Radar(RADAR_SITE, sigma_rr=-1.0), "sigma_rr"),
    (lambda: models.LineOfSight(RADAR_SITE, sigma_el=np.nan), "sigma_el"),
    (lambda: models.GeodeticPosition(sigma_h=-5.0), "sigma_h"),
    (lambda: models.Radar(Site(0.1, 0.2, 3.0, np.array([1.0, 2.0]))), "vel_enu"),
    (lambda: models.ConstantVelocity().transition(-1.0), "dt"),
    (lambda: models.ConstantVelocity().process_noise(np.zeros((2, 5)), 1.0), "x has shape"),
])
def test_bad_parameters_are_named(make, name):
    with pytest.raises(ValueError, match=name):
        make()


def test_exactly_overhead_stays_finite():
    # at (0, 0) the ENU rotation is exact, so this target has e = n = 0 exactly
    site = Site(0.0, 0.0, 0.0)
    x = np.array([[frames.WGS84_A + 5e3, 0.0, 0.0, 10.0, 0.0, 0.0]])
    for model in (models.Radar(site), models.LineOfSight(site)):
        assert_allclose(model.h(x)[0, 1 if model.dim == 2 else 2], np.pi / 2)
        assert np.isfinite(model.h(x)).all() and np.isfinite(model.jacobian(x)).all()


def test_target_at_the_site_stays_finite():
    at_site = state_at(AEW_SITE, [0.0, 0.0, 0.0], [30.0, 0.0, 0.0])
    for model in (models.Radar(AEW_SITE), models.LineOfSight(AEW_SITE)):
        assert np.isfinite(model.h(at_site)).all() and np.isfinite(model.jacobian(at_site)).all()
    assert models.Radar(AEW_SITE).h(at_site)[0, 0] < 1e-6
