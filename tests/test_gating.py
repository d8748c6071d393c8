"""Gating: the compiled fine stage against its twin, the two-stage gate against an
all-pairs gate, the coarse radius against the gate's boundary, coverage rules,
and likelihoods against scipy."""
import inspect
import math
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy.stats import multivariate_normal

from kalman_inputs import spd
from test_layout import _kernel_signatures
from tracker import _gating, frames, gating, kalman, reference
from tracker.scan import Scan, Sector, Sensor, Site

SOURCE = Path(__file__).resolve().parents[1]
DEG = math.pi / 180.0
#: typical one-sigma scale of each measurement column, by kind and m
COLUMN_SCALE = {("radar", 3): [80.0, 2e-3, 4e-3], ("radar", 4): [80.0, 2e-3, 4e-3, 2.0],
                ("los", 2): [1e-4, 1e-4], ("position", 3): [150.0, 150.0, 150.0]}


# ------------------------------------------------------------------------ scenes


def covariances(rng, kind, m, N):
    """SPD innovation covariances with the kind's column scales, correlated, some wide."""
    scale = np.array(COLUMN_SCALE[(kind, m)]) * rng.uniform(0.5, 20.0, size=(N, 1))
    C = spd(rng, N, m, scale=1.0, cond=50.0)
    return np.ascontiguousarray(C * scale[:, :, None] * scale[:, None, :])


def predicted(rng, kind, m, N):
    """Predicted measurements: radar/los around the site (azimuth across north), position
    ECEF in a 1,000 km box on the surface."""
    if kind == "position":
        east, north = rng.uniform(-5e5, 5e5, size=(2, N))
        return frames.aer_to_ecef(np.arctan2(east, north), np.zeros(N),
                                  np.hypot(east, north), 0.6, 0.8, rng.uniform(0, 1e4, N)) \
            if N else np.empty((0, 3))
    az = rng.choice([rng.uniform(0, 2 * np.pi), 0.0, 2 * np.pi - 1e-4], size=N) \
        + rng.normal(scale=0.05, size=N)
    az = frames.wrap_two_pi(az)
    if kind == "los":
        return np.stack([az, rng.uniform(-np.pi / 2 + 0.01, 0.5, N)], axis=1)
    cols = [rng.uniform(1e3, 3e5, N), az, rng.uniform(-0.02, 0.3, N)]
    if m == 4:
        cols.append(rng.uniform(-300, 300, N))
    return np.stack(cols, axis=1)


def detections(rng, kind, z_hat, S, n_det):
    """Detections near random tracks (up to ~5 sigma out) and clutter over the scene."""
    m = z_hat.shape[1]
    near = rng.integers(0, n_det + 1) if z_hat.shape[0] else 0
    owner = rng.integers(0, max(z_hat.shape[0], 1), size=near)
    z_near = z_hat[owner] + np.einsum("nij,nj->ni", np.linalg.cholesky(S[owner]),
                                      rng.normal(size=(near, m))) * rng.uniform(0.2, 2.5, (near, 1))
    clutter = predicted(rng, kind, m, n_det - near)
    z = np.concatenate([z_near, clutter]) if n_det else np.empty((0, m))
    if kind != "position":
        col = gating.ANGLE_COLUMNS[kind][0]
        z[:, col] = frames.wrap_two_pi(z[:, col])
    return np.ascontiguousarray(z)


def scene(seed, kind, m, N, n_det):
    rng = np.random.default_rng(seed)
    z_hat = predicted(rng, kind, m, N)
    S = covariances(rng, kind, m, N)
    return z_hat, S, detections(rng, kind, z_hat, S, n_det), rng


KIND_DIMS = [("radar", 3), ("radar", 4), ("los", 2), ("position", 3)]


# ------------------------------------------------------------ kernel against twin


def run(impl, z_hat, S, z, angle, offsets, cand, active, threshold):
    N, m = z_hat.shape
    C = cand.shape[0]
    out = dict(offsets=np.full(N + 1, -7, np.intp), track=np.full(C, -7, np.intp),
               detection=np.full(C, -7, np.intp), d2=np.full(C, np.nan),
               log_likelihood=np.full(C, np.nan), innovation=np.full((C, m), np.nan),
               status=np.full(N, -7, np.int8))
    K = impl.gate_pairs(z_hat, S, z, angle, offsets, cand, active.view(np.uint8), threshold,
                        out["offsets"], out["track"], out["detection"], out["d2"],
                        out["log_likelihood"], out["innovation"], out["status"])
    return K, {k: (v if k in ("offsets", "status") else v[:K]) for k, v in out.items()}


@given(kind_dim=st.sampled_from(KIND_DIMS), N=st.integers(0, 40), n_det=st.integers(0, 60),
       threshold=st.floats(0.5, 40.0), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=120, deadline=None)
def test_gate_pairs_matches_reference(kind_dim, N, n_det, threshold, seed):
    kind, m = kind_dim
    z_hat, S, z, rng = scene(seed, kind, m, N, n_det)
    if N:                                   # a few broken tracks: not PD, not finite
        S[rng.random(N) < 0.1] *= -1.0
        z_hat[rng.random(N) < 0.05, 0] = np.nan
    active = rng.random(N) < 0.9
    counts = rng.integers(0, n_det + 1, size=N) if n_det else np.zeros(N, np.intp)
    cand = np.concatenate([np.sort(rng.choice(n_det, c, replace=False)) for c in counts]
                          + [np.empty(0, np.intp)]).astype(np.intp)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.intp)
    angle = gating.angle_columns(kind, m)
    K, got = run(_gating, z_hat, S, z, angle, offsets, cand, active, threshold)
    K_ref, want = run(reference, z_hat, S, z, angle, offsets, cand, active, threshold)
    assert K == K_ref
    for key in ("offsets", "track", "detection", "status"):
        assert_array_equal(got[key], want[key], err_msg=key)
    assert_allclose(got["d2"], want["d2"], rtol=1e-9, atol=1e-12)
    assert_allclose(got["innovation"], want["innovation"], rtol=1e-9, atol=1e-12)
    # log N = log_norm - d2/2 cancels: compare relative to the size of its two terms
    scale = np.abs(want["log_likelihood"]) + want["d2"] + 1.0
    assert np.all(np.abs(got["log_likelihood"] - want["log_likelihood"]) <= 1e-9 * scale)
    assert np.all(got["d2"] <= threshold)
    assert set(np.unique(got["status"])) <= {0, 1, 2, 4}


def test_every_gating_kernel_has_a_numpy_twin_with_its_signature():
    kernels = _kernel_signatures(SOURCE / "src_cython" / "gating.pyx")
    assert "gate_pairs" in kernels
    for name, args in kernels.items():
        if name.endswith("_wrapper"):
            continue
        assert list(inspect.signature(getattr(reference, name)).parameters) == args, name


@pytest.mark.parametrize("a", [0.0, 1e-12, -1e-12, math.pi, -math.pi, math.pi + 1e-9,
                               -math.pi - 1e-9, 3 * math.pi, -3 * math.pi, 6.2, -6.2, 1e3])
def test_wrap_pi_matches_frames(a):
    got = _gating.wrap_pi_wrapper(a)
    assert -math.pi < got <= math.pi
    if -math.pi < a <= math.pi:
        assert got == a                     # kept bit for bit
    else:
        assert got == pytest.approx(float(frames.wrap_pi(a)), abs=1e-12)


# ------------------------------------------------------------------ azimuth wrap


@pytest.mark.parametrize("kind,m,col", [("radar", 3, 1), ("radar", 4, 1), ("los", 2, 0)])
@pytest.mark.parametrize("track_deg,det_deg,nu_deg", [(359.9, 0.1, 0.2), (0.1, 359.9, -0.2)])
def test_azimuth_wraps_at_north(kind, m, col, track_deg, det_deg, nu_deg):
    """A track at 359.9 deg and a detection at 0.1 deg are 0.2 deg apart, not 359.8."""
    z_hat = np.array([COLUMN_SCALE[(kind, m)]]) * 0.0 + [[50e3, 0.0, 0.05, 10.0][:m]] \
        if kind == "radar" else np.array([[0.0, 0.1]])
    z_hat[0, col] = track_deg * DEG
    z = z_hat.copy()
    z[0, col] = det_deg * DEG
    sigma = 0.1 * DEG
    S = np.diag(np.square(COLUMN_SCALE[(kind, m)]))[None]
    S[0, col, col] = sigma ** 2
    gated = gating.gate(kind, z_hat, S, z, 0.999)
    assert len(gated) == 1
    assert gated.innovations[0, col] == pytest.approx(nu_deg * DEG, rel=1e-9)
    assert gated.d2[0] == pytest.approx((0.2 / 0.1) ** 2, rel=1e-9)


# ------------------------------------------------- the two stages against all pairs


def all_pairs(kind, z_hat, S, z, gate_probability, active):
    m = z_hat.shape[1]
    return reference.gate_all_pairs(z_hat, S, z, gating.angle_columns(kind, m), active,
                                    gating.gate_threshold(gate_probability, m))


#: the coarse stage's two ways: the compiled sweep (small scans), the k-d tree (large)
COARSE = {"sweep": gating.SWEEP_PAIRS, "k-d tree": -1}


@given(kind_dim=st.sampled_from(KIND_DIMS), N=st.integers(1, 300), n_det=st.integers(0, 500),
       p=st.sampled_from([0.9, 0.99, 0.999, 0.99999]), seed=st.integers(0, 2**32 - 1),
       coarse=st.sampled_from(sorted(COARSE)))
@settings(max_examples=80, deadline=None)
def test_gate_equals_the_all_pairs_gate(kind_dim, N, n_det, p, seed, coarse):
    """Neither coarse stage loses a pair: coarse + fine accept exactly the all-pairs gate's."""
    kind, m = kind_dim
    z_hat, S, z, rng = scene(seed, kind, m, N, n_det)
    active = rng.random(N) < 0.95
    with mock.patch.object(gating, "SWEEP_PAIRS", COARSE[coarse]):
        gated = gating.gate(kind, z_hat, S, z, p, active=active)
    track, detection, d2, log_likelihood, innovations = all_pairs(kind, z_hat, S, z, p, active)
    assert_array_equal(gated.track, track)
    assert_array_equal(gated.detection, detection)
    assert_allclose(gated.d2, d2, rtol=1e-9, atol=1e-12)
    assert_allclose(gated.innovations, innovations, rtol=1e-9, atol=1e-12)
    assert_array_equal(gated.offsets, np.concatenate([[0], np.cumsum(np.bincount(track,
                                                                                 minlength=N))]))
    assert gated.n_candidates >= len(gated)
    assert (gated.status[~active] == gating.STATUS_SKIPPED).all()
    assert (gated.status[active] == gating.STATUS_OK).all()


@given(kind_dim=st.sampled_from(KIND_DIMS), N=st.integers(0, 200), n_det=st.integers(0, 300),
       p=st.sampled_from([0.9, 0.999, 0.99999]), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_both_coarse_stages_propose_the_same_pairs(kind_dim, N, n_det, p, seed):
    kind, m = kind_dim
    z_hat, S, z, rng = scene(seed, kind, m, N, n_det)
    active = rng.random(N) < 0.9
    threshold = gating.gate_threshold(p, m)
    found = {}
    for name, limit in COARSE.items():
        with mock.patch.object(gating, "SWEEP_PAIRS", limit):
            found[name] = gating.candidates(kind, z_hat, S, z, threshold, active)
    assert_array_equal(found["sweep"].offsets, found["k-d tree"].offsets)
    assert_array_equal(found["sweep"].detection, found["k-d tree"].detection)


@given(N=st.integers(0, 60), n_det=st.integers(0, 80), capacity=st.integers(0, 100),
       axis=st.integers(0, 2), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=150, deadline=None)
def test_sweep_pairs_matches_reference(N, n_det, capacity, axis, seed):
    """The compiled sweep finds the twin's pairs, in its order, and counts them when out
    of room."""
    rng = np.random.default_rng(seed)
    points = rng.normal(0.0, 10.0, (n_det, 3))
    tracks = rng.normal(0.0, 10.0, (N, 3))
    radius = rng.uniform(0.0, 12.0, N)
    active = (rng.random(N) < 0.9).astype(np.uint8)
    by_key = np.argsort(points[:, axis], kind="stable")
    out = {}
    for impl in (_gating, reference):
        offsets, detection = np.full(N + 1, -7, np.intp), np.full(capacity, -7, np.intp)
        C = impl.sweep_pairs(points, by_key, axis, tracks, radius, active, offsets, detection)
        out[impl] = C, offsets, detection[:min(C, capacity)]
    (C, offsets, detection), (C_ref, offsets_ref, detection_ref) = out[_gating], out[reference]
    assert C == C_ref                    # out of room, the count says how much to give
    if C <= capacity:
        assert_array_equal(offsets, offsets_ref)
        assert_array_equal(detection, detection_ref)


@pytest.mark.parametrize("kind,m", KIND_DIMS)
def test_coarse_radius_holds_the_whole_gate(kind, m):
    """Detections placed on the gate's boundary (d2 = threshold, the worst case, in
    random directions) all lie within the track's coarse radius, with room to spare
    only from the documented slack."""
    rng = np.random.default_rng(7)
    N, per_track = 400, 64
    z_hat = predicted(rng, kind, m, N)
    S = covariances(rng, kind, m, N)
    S[:20] *= 1e4                           # some very wide gates (new tracks)
    threshold = gating.gate_threshold(0.999, m)
    e = rng.normal(size=(N, per_track, m))
    e /= np.linalg.norm(e, axis=2, keepdims=True)
    nu = np.sqrt(threshold) * np.einsum("nij,nkj->nki", np.linalg.cholesky(S), e)
    z = z_hat[:, None, :] + nu                          # d2 = threshold exactly
    radius = gating.coarse_radii(kind, z_hat, S, threshold)
    points = gating.measurement_points(kind, z.reshape(-1, m)).reshape(N, per_track, 3)
    distance = np.linalg.norm(points - gating.measurement_points(kind, z_hat)[:, None], axis=2)
    assert (distance <= radius[:, None]).all()
    assert (distance.max(axis=1) > 0.3 * radius).all()   # and the radius is not absurd


# ------------------------------------------------------------------- likelihoods


@pytest.mark.parametrize("kind,z_hat,S,z", [
    ("los", [0.5, 0.1], [[4e-6, 1e-6], [1e-6, 9e-6]], [0.5015, 0.0972]),
    ("position", [4e6, 3e6, 3.6e6], [[4e4, 1e4, 0.0], [1e4, 9e4, -2e4], [0.0, -2e4, 2.5e4]],
     [4e6 + 120.0, 3e6 - 200.0, 3.6e6 + 50.0]),
    ("radar", [1e5, 1.0, 0.05, -200.0], np.diag([2500.0, 1e-6, 4e-6, 1.0]),
     [1e5 + 40.0, 1.0005, 0.049, -201.5]),
])
def test_log_likelihood_matches_scipy(kind, z_hat, S, z):
    z_hat, S, z = np.array([z_hat]), np.array([S]), np.array([z])
    gated = gating.gate(kind, z_hat, S, z, 0.999)
    assert len(gated) == 1
    want = multivariate_normal(mean=z_hat[0], cov=S[0]).logpdf(z[0])
    assert gated.log_likelihood[0] == pytest.approx(want, rel=1e-12)
    assert gated.d2[0] == pytest.approx((z - z_hat)[0] @ np.linalg.solve(S[0], (z - z_hat)[0]),
                                        rel=1e-12)


def test_log_likelihood_stays_finite_where_the_likelihood_overflows():
    """A 1 mm position sigma: N(0; 0, S) = 6e7 per m^3; at 1e-8 m^2 sigmas the density
    exceeds any double's exp range only as a log, which is what is returned."""
    S = np.eye(3)[None] * 1e-300
    gated = gating.gate("position", np.zeros((1, 3)) + 6.4e6, S, np.zeros((1, 3)) + 6.4e6, 0.99)
    assert len(gated) == 1 and np.isfinite(gated.log_likelihood[0])
    assert gated.log_likelihood[0] == pytest.approx(-1.5 * math.log(2 * math.pi)
                                                    + 1.5 * 300 * math.log(10), rel=1e-12)


# ------------------------------------------------------------ status and layout


def test_bad_tracks_get_a_status_and_no_pairs_while_the_others_gate():
    z_hat = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [2.0, 0.0, 0.0], [3.0, 0.0, 0.0]]) + 6.4e6
    S = np.tile(np.eye(3) * 1e4, (4, 1, 1))
    S[1] = np.diag([1e4, 1e4, -1.0])                    # not positive definite
    z_hat[2, 1] = np.inf
    z = z_hat[[0, 0, 3]].copy()
    z[2] = z_hat[0] + 1.0
    active = np.array([True, True, True, False])
    gated = gating.gate("position", z_hat, S, z, 0.999, active=active)
    assert_array_equal(gated.status, [gating.STATUS_OK, kalman.STATUS_NOT_PD,
                                      kalman.STATUS_INVALID_INPUT, gating.STATUS_SKIPPED])
    assert_array_equal(gated.track, [0, 0, 0])
    assert_array_equal(gated.offsets, [0, 3, 3, 3, 3])


def test_gated_pairs_feed_the_pda_update():
    """Gated.innovations and .offsets are exactly what kalman.pda_update takes."""
    rng = np.random.default_rng(3)
    N = 30
    x = np.hstack([predicted(rng, "position", 3, N), rng.normal(scale=200, size=(N, 3))])
    P = spd(rng, N, 6, scale=1e4, cond=100.0)
    R = np.tile(np.eye(3) * 100.0 ** 2, (N, 1, 1))
    H = np.tile(np.hstack([np.eye(3), np.zeros((3, 3))]), (N, 1, 1))
    S = P[:, :3, :3] + R
    z = np.concatenate([x[:, :3] + rng.normal(scale=100.0, size=(N, 3)),
                        x[:5, :3] + rng.normal(scale=300.0, size=(5, 3))])
    gated = gating.gate("position", x[:, :3], S, z, 0.999)
    counts = np.diff(gated.offsets)
    beta = np.exp(gated.log_likelihood)
    total = np.add.reduceat(beta, gated.offsets[:-1]) * (counts > 0) if len(gated) else 0 * counts
    beta_none = np.full(N, 0.2)
    beta = 0.8 * beta / np.repeat(np.where(total > 0, total, 1.0), counts)
    beta_none[counts == 0] = 1.0
    _, status = kalman.pda_update(x, P, H, R, gated.innovations, beta, beta_none, gated.offsets)
    assert (status == 0).all() and np.isfinite(x).all()
    assert (counts >= 1).sum() >= N - 2             # nearly every track finds its detection


def test_empty_inputs():
    for kind, m in KIND_DIMS:
        gated = gating.gate(kind, np.empty((0, m)), np.empty((0, m, m)), np.empty((0, m)), 0.99)
        assert len(gated) == 0
        assert_array_equal(gated.offsets, [0])
        z_hat, S, _, _ = scene(1, kind, m, 5, 0)
        gated = gating.gate(kind, z_hat, S, np.empty((0, m)), 0.99)
        assert len(gated) == 0 and (gated.status == 0).all()
        assert_array_equal(gated.offsets, np.zeros(6))


def test_bad_input_raises_where_it_enters():
    z_hat, S, z, _ = scene(2, "radar", 3, 4, 6)
    z[3, 0] = np.nan
    with pytest.raises(ValueError, match=r"detection rows \[3\]"):
        gating.gate("radar", z_hat, S, z, 0.999)
    with pytest.raises(ValueError, match="S has shape"):
        gating.gate("radar", z_hat, S[:, :2, :2], z[:, :3], 0.999)
    with pytest.raises(ValueError, match="columns"):
        gating.gate("los", z_hat, S, z, 0.999)
    with pytest.raises(ValueError, match="gate_probability"):
        gating.gate("radar", z_hat, S, np.nan_to_num(z), 1.0)


# ---------------------------------------------------------------------- coverage


def radar(site_alt=20.0, range_max_m=None, **extra):
    site = Site(0.6, 0.8, site_alt)
    return Sensor(id="r", kind="radar", site=site, sigma={"range": 50.0, "az": 1e-3, "el": 2e-3},
                  range_max_m=range_max_m, extra=extra)


def scan_of(sensor, sector=None, site=None):
    m = {"radar": 3, "los": 2, "position": 3}[sensor.kind]
    return Scan(t=0.0, sensor=sensor.id, kind=sensor.kind, detections=np.empty((0, m)),
                site=site, sector=sector)


def at(site, az_deg, ground_range_m, alt_m):
    """ECEF points at azimuths and ground ranges from a site, at altitudes above the ellipsoid
    (the ground distance laid off along the great circle)."""
    az, d = np.radians(np.atleast_1d(az_deg)), np.atleast_1d(ground_range_m)
    angle = d / frames.EARTH_MEAN_RADIUS
    lat = np.arcsin(np.sin(site.lat_rad) * np.cos(angle)
                    + np.cos(site.lat_rad) * np.sin(angle) * np.cos(az))
    lon = site.lon_rad + np.arctan2(np.sin(az) * np.sin(angle) * np.cos(site.lat_rad),
                                    np.cos(angle) - np.sin(site.lat_rad) * np.sin(lat))
    return frames.geodetic_to_ecef(lat, lon, np.broadcast_to(alt_m, lat.shape))


def test_radio_horizon():
    """A 50 m target is beyond a 20 m radar's 4/3-Earth horizon (47.6 km) at 60 km,
    inside it at 40 km; the horizon moves with the antenna and target heights."""
    sensor = radar(site_alt=20.0)
    assert_array_equal(gating.coverage(scan_of(sensor), sensor, at(sensor.site, 30.0,
                                                                  [40e3, 60e3], 50.0)),
                       [True, False])
    high = at(sensor.site, 30.0, [60e3, 200e3], 3000.0)   # horizon 18.4 + 225.8 km
    assert_array_equal(gating.coverage(scan_of(sensor), sensor, high), [True, True])
    # a moving airborne radar: the horizon from the scan's site altitude (9 km: 391 km)
    moving = Sensor(id="aew", kind="radar", site=None,
                    sigma={"range": 100.0, "az": 5e-3, "el": 9e-3})
    site = Site(0.6, 0.8, 9000.0, np.array([180.0, 0.0, 0.0]))
    far = at(site, 200.0, [380e3, 440e3], 50.0)
    assert_array_equal(gating.coverage(scan_of(moving, site=site), moving, far), [True, False])
    with pytest.raises(ValueError, match="moving"):
        gating.coverage(scan_of(moving), moving, far)


def test_range_limit_and_elevation_band():
    sensor = radar(site_alt=20.0, range_max_m=150e3, el_band_deg=[-1.0, 20.0])
    points = at(sensor.site, 100.0, [100e3, 160e3, 20e3], [5000.0, 5000.0, 10000.0])
    # 100 km in; 160 km beyond range_max; 20 km at 10 km height is 26 deg up: above the band
    assert_array_equal(gating.coverage(scan_of(sensor), sensor, points), [True, False, False])
    assert_array_equal(gating.coverage(scan_of(radar(20.0)), radar(20.0), points),
                       [True, True, True])


def test_sector_through_north():
    sensor = radar(site_alt=20.0)
    az = [345.0, 355.0, 0.0, 5.0, 9.9, 10.1, 180.0, 349.9]
    points = at(sensor.site, az, 30e3, 5000.0)
    sector = Sector(az_rad=(350 * DEG, 10 * DEG))
    assert_array_equal(gating.coverage(scan_of(sensor, sector), sensor, points),
                       [False, True, True, True, True, False, False, False])
    plain = Sector(az_rad=(10 * DEG, 40 * DEG))
    assert_array_equal(gating.coverage(scan_of(sensor, plain), sensor,
                                       at(sensor.site, [5.0, 25.0, 45.0, 355.0], 30e3, 5000.0)),
                       [False, True, False, False])


def test_sector_range_interval_and_inclusive_edges():
    sensor = radar(site_alt=20.0)
    sector = Sector(az_rad=(0.0, 90 * DEG), range_m=(20e3, 40e3))
    points = at(sensor.site, 45.0, [10e3, 30e3, 45e3], 3000.0)
    assert_array_equal(gating.coverage(scan_of(sensor, sector), sensor, points),
                       [False, True, False])
    az = np.array([0.0, 90 * DEG, 90 * DEG + 1e-9, -1e-9])
    assert_array_equal(gating.in_sector(frames.wrap_two_pi(az), np.zeros(4), sector.__class__(
        az_rad=(0.0, 90 * DEG))), [True, True, False, False])


def test_a_track_outside_the_sector_gets_no_pairs():
    """The engine passes the coverage mask as ``active``: a track outside the scan's
    sector is skipped even when a detection sits on it."""
    sensor = radar(site_alt=20.0)
    points = at(sensor.site, [20.0, 200.0], 30e3, 5000.0)
    scan = scan_of(sensor, Sector(az_rad=(0.0, 90 * DEG)))
    covered = gating.coverage(scan, sensor, points)
    z_hat = np.stack(frames.ecef_to_aer(points, 0.6, 0.8, 20.0)[::-1], axis=1)[:, [0, 1, 2]]
    z_hat = np.stack([z_hat[:, 0], z_hat[:, 2], z_hat[:, 1]], axis=1)    # range, az, el
    S = np.tile(np.diag([50.0 ** 2, 1e-6, 4e-6]), (2, 1, 1))
    gated = gating.gate("radar", z_hat, S, z_hat.copy(), 0.999, active=covered)
    assert_array_equal(covered, [True, False])
    assert_array_equal(gated.track, [0])
    assert gated.status[1] == gating.STATUS_SKIPPED


def test_line_of_sight_coverage():
    """A satellite sees the tracks on its side of the Earth; a ground sensor the tracks
    above its horizon."""
    sat = Sensor(id="sat", kind="los", site=Site(0.0, 57 * DEG, 35_786e3),
                 sigma={"az": 1e-5, "el": 1e-5})
    near = frames.geodetic_to_ecef(np.radians([35.0, 0.0, -60.0]), np.radians([50.0, 57.0, 80.0]),
                                   [10e3, -20.0, 0.0])
    far = frames.geodetic_to_ecef(np.radians([0.0, 40.0]), np.radians([-120.0, 150.0]), 10e3)
    got = gating.coverage(scan_of(sat), sat, np.concatenate([near, far]))
    assert_array_equal(got, [True, True, True, False, False])
    ground = Sensor(id="irst", kind="los", site=Site(0.6, 0.8, 0.0), sigma={"az": 1e-4, "el": 1e-4})
    # 10 km up at 100 km is 5 deg above the horizon; 500 m up at 150 km is below it
    points = at(ground.site, 90.0, [100e3, 150e3], [10e3, 500.0])
    assert_array_equal(gating.coverage(scan_of(ground), ground, points), [True, False])


def test_position_feed_covers_everything_unless_the_header_gives_a_region():
    feed = Sensor(id="geo", kind="position", site=None, sigma={"h": 200.0, "v": 200.0})
    points = frames.geodetic_to_ecef(np.radians([35.0, 20.0, 36.0]), np.radians([45.0, 45.0, 179.5]),
                                     1000.0)
    assert gating.coverage(scan_of(feed), feed, points).all()
    regional = Sensor(id="geo", kind="position", site=None, sigma={"h": 200.0, "v": 200.0},
                      extra={"region": {"lat": [33, 39], "lon": [40, 48]}})
    assert_array_equal(gating.coverage(scan_of(regional), regional, points), [True, False, False])
    dateline = Sensor(id="geo", kind="position", site=None, sigma={"h": 200.0, "v": 200.0},
                      extra={"region": {"lat": [30, 40], "lon": [170, -170]}})
    assert_array_equal(gating.coverage(scan_of(dateline), dateline, points), [False, False, True])
    broken = Sensor(id="geo", kind="position", site=None, sigma={"h": 200.0, "v": 200.0},
                    extra={"region": {"lat": [33], "lon": [40, 48]}})
    with pytest.raises(ValueError, match="region.lat"):
        gating.coverage(scan_of(broken), broken, points)


@given(kind_dim=st.sampled_from(KIND_DIMS), N=st.integers(1, 60), extra=st.integers(0, 4),
       n_det=st.integers(0, 150), p=st.sampled_from([0.9, 0.999]),
       seed=st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_the_union_gate_holds_exactly_the_pairs_of_any_of_a_track_s_gates(
        kind_dim, N, extra, n_det, p, seed):
    """gate_union = the union of the all-pairs gates of each track's own and extra
    predictions (IMM modes), with innovations and d2 about its own prediction."""
    kind, m = kind_dim
    z_hat, S, z, rng = scene(seed, kind, m, N, n_det)
    owner = np.sort(rng.integers(0, N, size=N * extra))
    z_extra = predicted(rng, kind, m, owner.size) if owner.size else np.empty((0, m))
    near = rng.random(owner.size) < 0.7            # most near their track's prediction
    z_extra[near] = z_hat[owner[near]] + rng.normal(size=(near.sum(), m)) * \
        np.array(COLUMN_SCALE[(kind, m)]) * 3.0
    S_extra = covariances(rng, kind, m, owner.size)
    union = gating.gate_union(kind, z_hat, S, z, p, owner, z_extra, S_extra)
    own = all_pairs(kind, z_hat, S, z, p, np.ones(N, bool))
    other = all_pairs(kind, z_extra, S_extra, z, p, np.ones(owner.size, bool))
    expected = sorted(set(zip(own[0].tolist(), own[1].tolist()))
                      | set(zip(owner[other[0]].tolist(), other[1].tolist())))
    assert list(zip(union.track.tolist(), union.detection.tolist())) == expected
    assert_array_equal(union.offsets, np.concatenate(
        [[0], np.cumsum(np.bincount(union.track, minlength=N))]))
    # about the track's own prediction, whichever gate let the pair in
    every = all_pairs(kind, z_hat, S, z, 1.0 - 1e-15, np.ones(N, bool))
    d2_of = {(t, d): v for t, d, v in zip(every[0].tolist(), every[1].tolist(), every[2])}
    for t, d, v in zip(union.track.tolist(), union.detection.tolist(), union.d2):
        if (t, d) in d2_of:
            assert v == pytest.approx(d2_of[(t, d)], rel=1e-9, abs=1e-12)
    assert np.isfinite(union.log_likelihood).all()


def test_the_union_gate_drops_a_broken_extra_prediction_and_keeps_the_rest():
    # three tracks on a position sensor; track 1's extra covariance is NaN: its own
    # gate still counts, the broken one adds nothing, the others' extras still do
    z_hat = np.array([[0.0, 0.0, 0.0], [1e5, 0.0, 0.0], [2e5, 0.0, 0.0]]) + 6.4e6
    S = np.tile(np.eye(3) * 100.0 ** 2, (3, 1, 1))
    z = np.array([[10.0, 0.0, 0.0], [2000.0, 0.0, 0.0], [1e5 + 2000.0, 0.0, 0.0],
                  [2e5 + 2000.0, 0.0, 0.0]]) + 6.4e6
    owner = np.array([0, 1, 2])
    z_extra = z_hat + [2000.0, 0.0, 0.0]
    S_extra = S.copy()
    S_extra[1] = np.nan
    union = gating.gate_union("position", z_hat, S, z, 0.999, owner, z_extra, S_extra)
    pairs = list(zip(union.track.tolist(), union.detection.tolist()))
    assert pairs == [(0, 0), (0, 1), (2, 3)]
    assert union.d2[1] > gating.gate_threshold(0.999, 3)      # about the own prediction
    assert (union.status == gating.STATUS_OK).all()
