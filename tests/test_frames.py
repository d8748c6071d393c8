"""WGS-84 frames: round trips, rotations, conventions, the radio horizon."""
import inspect
from pathlib import Path

import numpy as np
import pymap3d
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from test_layout import _kernel_signatures
from tracker import _frames, frames, reference

LAT_DEG = st.floats(-90.0, 90.0)
LON_DEG = st.floats(-180.0, 180.0)
GEO_ALT_M = 35_786e3


def _horizontal_error_m(lat, lon, alt, lat2, lon2):
    """Metres between two geodetic points at the same height, along each axis."""
    meridian, prime_vertical = frames.principal_radii(lat, alt)
    return (np.abs(lat2 - lat) * meridian,
            np.abs(frames.wrap_pi(lon2 - lon)) * prime_vertical * np.cos(lat))


def _assert_round_trip(lat_deg, lon_deg, alt, tol_m=1e-3):
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    xyz = frames.geodetic_to_ecef(lat, lon, alt)
    lat2, lon2, alt2 = frames.ecef_to_geodetic(xyz)
    assert np.all(np.abs(alt2 - alt) < tol_m)
    for err in _horizontal_error_m(lat, lon, alt, lat2, lon2):
        assert np.all(err < tol_m)
    assert np.all(np.linalg.norm(frames.geodetic_to_ecef(lat2, lon2, alt2) - xyz, axis=-1)
                  < tol_m)


@given(lat=LAT_DEG, lon=LON_DEG, alt=st.floats(0.0, 100e3))
@settings(max_examples=300, deadline=None)
def test_round_trip_to_1_mm_up_to_100_km(lat, lon, alt):
    _assert_round_trip(lat, lon, alt)


@given(lat=LAT_DEG, lon=LON_DEG, alt=st.floats(0.0, 40_000e3))
@settings(max_examples=300, deadline=None)
def test_exact_inverse_to_1_mm_up_to_geostationary(lat, lon, alt):
    _assert_round_trip(lat, lon, alt)


def test_round_trip_vectorised_at_poles_and_antimeridian():
    rng = np.random.default_rng(7)
    lat = np.concatenate([[90.0, -90.0, 0.0, 89.9999999, -89.9999999],
                          rng.uniform(-90.0, 90.0, 20_000)])
    lon = np.concatenate([[180.0, -180.0, 180.0, 179.9999999, -179.9999999],
                          rng.uniform(-180.0, 180.0, 20_000)])
    alt = np.concatenate([[0.0, 100e3, GEO_ALT_M, 50.0, -400.0],
                          rng.uniform(0.0, 100e3, 20_000)])
    _assert_round_trip(lat.reshape(5, -1), lon.reshape(5, -1), alt.reshape(5, -1))


def test_pymap3d_alone_drifts_at_geostationary_height():
    # the reason ecef_to_geodetic refines pymap3d's closed form
    xyz = frames.geodetic_to_ecef(np.radians(35.0), np.radians(45.0), GEO_ALT_M)
    lat, lon, alt = pymap3d.ecef2geodetic(*xyz, deg=False)
    assert np.linalg.norm(np.stack(pymap3d.geodetic2ecef(lat, lon, alt, deg=False)) - xyz) > 1.0
    assert np.linalg.norm(frames.geodetic_to_ecef(*frames.ecef_to_geodetic(xyz)) - xyz) < 1e-6


def test_known_points():
    assert_allclose(frames.geodetic_to_ecef(0.0, 0.0, 0.0), [frames.WGS84_A, 0.0, 0.0])
    assert_allclose(frames.geodetic_to_ecef(np.pi / 2, 0.3, 0.0), [0.0, 0.0, frames.WGS84_B],
                    atol=1e-9)
    assert frames.WGS84_A == 6378137.0
    assert_allclose(1.0 / (1.0 - frames.WGS84_B / frames.WGS84_A), 298.257223563)
    lat, lon, alt = frames.ecef_to_geodetic([[0.0, 0.0, frames.WGS84_B + 10.0],
                                             [frames.WGS84_A + 5.0, 0.0, 0.0]])
    assert_allclose(lat, [np.pi / 2, 0.0], atol=1e-15)
    assert_allclose(alt, [10.0, 5.0], atol=1e-8)
    assert lon[1] == 0.0


def test_empty_and_bad_shapes():
    lat, lon, alt = frames.ecef_to_geodetic(np.empty((0, 3)))
    assert lat.shape == lon.shape == alt.shape == (0,)
    with pytest.raises(ValueError, match=r"expected \(\.\.\., 3\)"):
        frames.ecef_to_geodetic(np.zeros((4, 2)))


def test_geodetic_kernel_matches_its_numpy_twin():
    rng = np.random.default_rng(11)
    n = 50_000
    lat = np.concatenate([[np.pi / 2, -np.pi / 2, 0.0], rng.uniform(-np.pi / 2, np.pi / 2, n)])
    lon = np.concatenate([[0.3, -2.0, np.pi], rng.uniform(-np.pi, np.pi, n)])
    alt = np.concatenate([[10.0, GEO_ALT_M, -400.0], rng.uniform(-1e3, 100e3, n // 2),
                          rng.uniform(0.0, 40_000e3, n - n // 2)])
    xyz = frames.geodetic_to_ecef(lat, lon, alt)
    got, want = np.empty((3, n + 3)), np.empty((3, n + 3))
    args = (frames.WGS84_A, frames.WGS84_E2, 5)
    _frames.ecef_to_geodetic(xyz, *args, *got)
    reference.ecef_to_geodetic(xyz, *args, *want)
    # the same arithmetic; only libm's atan2 and NumPy's may round the last bit apart
    assert_allclose(got[:2], want[:2], rtol=0.0, atol=5e-16)
    assert_allclose(got[2], want[2], rtol=0.0, atol=1e-9)
    assert_allclose(got[2], alt, rtol=0.0, atol=1e-6)
    # a block boundary (64 points) is no seam: any slice gives the same values
    part = np.empty((3, 70))
    _frames.ecef_to_geodetic(np.ascontiguousarray(xyz[5:75]), *args, *part)
    assert_array_equal(part, got[:, 5:75])
    with pytest.raises(ValueError, match="lat, lon, alt"):
        _frames.ecef_to_geodetic(xyz, *args, *np.empty((3, 2)))
    # the up vector: its twin, and the last row of the ENU rotation at (lat, lon)
    up, up_twin = np.empty((n + 3, 3)), np.empty((n + 3, 3))
    _frames.ecef_to_up(xyz, *args, up)
    reference.ecef_to_up(xyz, *args, up_twin)
    assert_allclose(up, up_twin, rtol=0.0, atol=5e-16)
    assert_allclose(up, frames.enu_rotation(got[0], got[1])[:, 2], rtol=0.0, atol=1e-15)
    assert_allclose(frames.ecef_to_up(xyz[:3]), [[0, 0, 1], [0, 0, -1], [-1, 0, 0]], atol=1e-15)
    with pytest.raises(ValueError, match="up must be"):
        _frames.ecef_to_up(xyz, *args, np.empty((2, 3)))


def test_geodetic_kernel_has_a_numpy_twin_with_its_signature():
    source = Path(__file__).resolve().parents[1] / "src_cython" / "frames.pyx"
    if not source.is_file():
        pytest.skip("needs the source tree")
    kernels = _kernel_signatures(source)
    assert "ecef_to_geodetic" in kernels
    for name, args in kernels.items():
        assert list(inspect.signature(getattr(reference, name)).parameters) == args, name


@given(lat=LAT_DEG, lon=LON_DEG)
@settings(max_examples=200, deadline=None)
def test_enu_rotation_is_a_proper_rotation(lat, lon):
    rot = frames.enu_rotation(np.radians(lat), np.radians(lon))
    assert_allclose(rot @ rot.T, np.eye(3), atol=1e-15)
    assert_allclose(np.linalg.det(rot), 1.0, atol=1e-15)


def test_enu_axes_at_known_places():
    # at (0, 0): east = +y, north = +z, up = +x
    assert_allclose(frames.enu_rotation(0.0, 0.0), [[0, 1, 0], [0, 0, 1], [1, 0, 0]], atol=1e-16)
    # up is the ellipsoid normal: the step from h = 0 to h = 1 m at the point
    lat, lon = np.radians(35.9), np.radians(39.0)
    normal = frames.geodetic_to_ecef(lat, lon, 1.0) - frames.geodetic_to_ecef(lat, lon, 0.0)
    assert_allclose(frames.enu_rotation(lat, lon)[2], normal, atol=1e-9)
    # north points along increasing latitude
    step = frames.geodetic_to_ecef(lat + 1e-7, lon, 0.0) - frames.geodetic_to_ecef(lat, lon, 0.0)
    assert_allclose(frames.enu_rotation(lat, lon)[1], step / np.linalg.norm(step), atol=1e-7)


def test_vector_rotations_are_inverse_and_vectorised():
    rng = np.random.default_rng(1)
    lat, lon = rng.uniform(-1.5, 1.5, 50), rng.uniform(-3.1, 3.1, 50)
    v = rng.normal(size=(50, 3))
    v_enu = frames.ecef_to_enu_vector(v, lat, lon)
    assert_allclose(np.linalg.norm(v_enu, axis=1), np.linalg.norm(v, axis=1))
    assert_allclose(frames.enu_to_ecef_vector(v_enu, lat, lon), v, atol=1e-14)
    assert_allclose(v_enu[3], frames.enu_rotation(lat[3], lon[3]) @ v[3])


SITE = (np.radians(36.2), np.radians(37.16), 400.0)


@pytest.mark.parametrize("enu, az_deg, el_deg", [
    ([1000.0, 0.0, 0.0], 90.0, 0.0),        # due east
    ([0.0, 1000.0, 0.0], 0.0, 0.0),         # due north
    ([-1000.0, 0.0, 0.0], 270.0, 0.0),      # due west
    ([0.0, -1000.0, 1000.0], 180.0, 45.0),  # south, 45 deg up
    ([0.0, 0.0, 1000.0], None, 90.0),       # straight up
])
def test_azimuth_elevation_hand_worked(enu, az_deg, el_deg):
    target = frames.geodetic_to_ecef(*SITE) + frames.enu_to_ecef_vector(enu, SITE[0], SITE[1])
    az, el, rng = frames.ecef_to_aer(target, *SITE)
    if az_deg is not None:
        # due north may come out as 2 pi - 1e-16: compare on the circle
        assert_allclose(frames.wrap_pi(az - np.radians(az_deg)), 0.0, atol=1e-12)
    assert_allclose(el, np.radians(el_deg), atol=1e-12)
    assert_allclose(rng, np.linalg.norm(enu), rtol=1e-12)
    assert 0.0 <= az < 2 * np.pi


def test_aer_matches_pymap3d_and_inverts():
    rng = np.random.default_rng(3)
    lat, lon = rng.uniform(-1.4, 1.4, 200), rng.uniform(-np.pi, np.pi, 200)
    target = frames.geodetic_to_ecef(lat, lon, rng.uniform(0.0, 12e3, 200))
    az, el, slant = frames.ecef_to_aer(target, *SITE)
    want = pymap3d.ecef2aer(target[:, 0], target[:, 1], target[:, 2], *SITE, deg=False)
    assert_allclose(frames.wrap_pi(az - want[0]), 0.0, atol=1e-12)
    assert_allclose(el, want[1], atol=1e-12)
    assert_allclose(slant, want[2], rtol=1e-12)
    assert np.all((az >= 0.0) & (az < 2 * np.pi))
    assert_allclose(frames.aer_to_ecef(az, el, slant, *SITE), target, atol=1e-6)


def test_wrap_pi_and_two_pi():
    assert_allclose(frames.wrap_pi(np.radians(359.0) - np.radians(1.0)), np.radians(-2.0))
    assert_allclose(frames.wrap_pi(np.radians(1.0) - np.radians(359.0)), np.radians(2.0))
    assert frames.wrap_pi(-np.pi) == np.pi
    assert frames.wrap_two_pi(-1e-300) == 0.0
    assert_allclose(frames.wrap_two_pi(-np.pi / 2), 1.5 * np.pi)


def test_radar_horizon_scenario_example():
    # SCENARIO.md: an antenna at 20 m sees a 50 m target out to about 47 km
    assert abs(frames.radar_horizon_range(20.0, 50.0) - 47e3) < 1e3
    # by hand, on the IUGG mean radius: sqrt(2 * 4/3 * 6,371,008.8 m * h) for h = 20, 50 m
    assert_allclose(frames.radar_horizon_range(20.0, 50.0), 18_433.316 + 29_145.632, rtol=1e-7)
    # the textbook shortcut d[km] = 4.12 (sqrt(h1[m]) + sqrt(h2[m])) for k = 4/3
    assert_allclose(frames.radar_horizon_range(20.0, 50.0),
                    4.12e3 * (np.sqrt(20.0) + np.sqrt(50.0)), rtol=2e-3)
    # refraction extends the horizon: geometric (k = 1) is shorter by sqrt(3/4)
    assert_allclose(frames.radar_horizon_range([20.0], [50.0], k=1.0),
                    np.sqrt(0.75) * frames.radar_horizon_range(20.0, 50.0))
    # an airborne radar at 9 km sees a ground-level target several hundred km out
    assert 350e3 < frames.radar_horizon_range(9e3, 0.0) < 400e3


@pytest.mark.parametrize("args, match", [
    ((-1.0, 50.0), "h_sensor_m"), ((20.0, 50.0, 0.0), "k=0.0"),
])
def test_radar_horizon_rejects_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        frames.radar_horizon_range(*args)
