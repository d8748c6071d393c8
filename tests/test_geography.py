"""The bundled country polygons and the look-ups on them (tracker/geography.py)."""
from __future__ import annotations

import json

import numpy as np
import pytest
import shapely
from shapely.geometry import Point, box, shape

from tracker import geography
from tracker.errors import InputError
from tracker.geography import DEFAULT_PATH, Geography

# (lat, lon) degrees -> expected name, expected land
PLACES = {
    "Tehran": ((35.6892, 51.3890), "Iran", True),
    "Baghdad": ((33.3152, 44.3661), "Iraq", True),
    "Raqqa": ((35.95, 39.01), "Syria", True),
    "Baku": ((40.4093, 49.8671), "Azerbaijan", True),
    "Aleppo": ((36.2021, 37.1343), "Syria", True),
    "Ankara": ((39.9334, 32.8597), "Turkey", True),
    "mid-Caspian": ((42.0, 50.5), "Caspian Sea", False),
    "south Caspian": ((38.0, 51.0), "Caspian Sea", False),
    "north Caspian": ((46.0, 51.0), "Caspian Sea", False),
    "Persian Gulf": ((27.0, 51.5), "sea", False),
    "Mediterranean off Syria": ((35.0, 35.4), "sea", False),
    "Black Sea": ((43.0, 34.0), "sea", False),
    "Lake Urmia (a lake inside a country)": ((37.7, 45.5), "Iran", True),
    # Natural Earth's German-view edition leaves the Golan Heights in no country
    "Golan Heights": ((33.0, 35.75), "disputed", True),
    "outside the extent": ((10.0, 10.0), "unknown", False),
    "north of the extent": ((55.0, 40.0), "unknown", False),
}


@pytest.fixture(scope="module")
def doc():
    return json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))


def reference_country(doc, lat_deg, lon_deg):
    """One point at a time, straight from the GeoJSON: the readable twin."""
    west, south, east, north = doc["bbox"]
    if not (south <= lat_deg <= north and west <= lon_deg <= east):
        return "unknown"
    point = Point(lon_deg, lat_deg)
    for feature in doc["features"]:
        if shape(feature["geometry"]).intersects(point):
            return feature["properties"]["name"]
    return "sea"


@pytest.mark.parametrize("place", sorted(PLACES))
def test_named_places(place):
    (lat, lon), name, land = PLACES[place]
    assert geography.country_at_deg(lat, lon) == name
    assert geography.is_land_deg(lat, lon) == land
    # the radian API is the same look-up
    assert geography.country_at(np.radians(lat), np.radians(lon)) == name
    assert geography.is_land(np.radians(lat), np.radians(lon)) == land


def test_vectorised_equals_one_point_at_a_time(doc):
    rng = np.random.default_rng(20151007)
    lat = rng.uniform(23.0, 54.0, 400)           # a margin outside the extent too
    lon = rng.uniform(23.0, 65.0, 400)
    names = geography.country_at_deg(lat, lon)
    want = [reference_country(doc, a, o) for a, o in zip(lat, lon)]
    assert names.tolist() == want
    assert {"sea", "unknown", "Iran", "Caspian Sea"} <= set(want)   # the sample is varied
    land = geography.is_land_deg(lat, lon)
    kinds = {f["properties"]["name"]: f["properties"]["kind"] for f in doc["features"]}
    assert land.tolist() == [kinds.get(n) in ("country", "disputed") for n in want]


def test_shapes_broadcast_and_longitudes_wrap():
    lat = np.radians(np.array([[35.6892], [42.0]]))          # (2, 1)
    lon = np.radians(np.array([51.3890, 50.5]))              # (2,)
    got = geography.country_at(lat, lon)
    assert got.shape == (2, 2)
    assert got[0, 0] == "Iran" and got[1, 1] == "Caspian Sea"
    assert geography.is_land(lat, lon).shape == (2, 2)
    # the same places a turn east or west
    turn = 2.0 * np.pi
    assert geography.country_at(lat[0, 0], lon[0] + turn) == "Iran"
    assert geography.country_at(lat[0, 0], lon[0] - turn) == "Iran"


def test_non_finite_points_are_unknown():
    got = geography.country_at(np.array([np.nan, 0.6, np.inf]), np.array([0.9, np.nan, 0.9]))
    assert got.tolist() == ["unknown"] * 3
    assert not geography.is_land(np.array([np.nan]), np.array([0.9])).any()


def test_file_is_small():
    assert DEFAULT_PATH.stat().st_size < 1_000_000


def test_file_structure(doc):
    assert doc["type"] == "FeatureCollection"
    assert doc["bbox"] == [25.0, 25.0, 63.0, 52.0]
    extent = box(*doc["bbox"])
    names = [f["properties"]["name"] for f in doc["features"]]
    kinds = [f["properties"]["kind"] for f in doc["features"]]
    assert len(names) == len(set(names))
    assert set(kinds) == {"country", "water", "disputed"}
    assert [n for n, k in zip(names, kinds) if k == "water"] == ["Caspian Sea"]
    assert [n for n, k in zip(names, kinds) if k == "disputed"] == ["disputed"]
    countries = {n for n, k in zip(names, kinds) if k == "country"}
    # Natural Earth's English NAME, not the German edition's NAME_DE
    assert {"Iran", "Iraq", "Syria", "Turkey", "Azerbaijan", "Russia", "Kazakhstan",
            "Turkmenistan", "Saudi Arabia", "Israel", "Lebanon", "Jordan"} <= countries
    assert not countries & {"Türkei", "Syrien", "Irak", "Aserbaidschan", "Russland"}
    geoms = np.array([shape(f["geometry"]) for f in doc["features"]], dtype=object)
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in doc["features"])
    assert shapely.is_valid(geoms).all()
    assert shapely.coverage_is_valid(geoms)                   # no overlaps between features
    assert all(extent.covers(g) for g in geoms)
    # coordinates carry at most 5 decimals
    coords = shapely.get_coordinates(geoms)
    assert np.allclose(coords, np.round(coords, 5), rtol=0, atol=1e-9)


def test_caspian_is_the_water_between_its_shore_countries(doc):
    by_name = {f["properties"]["name"]: shape(f["geometry"]) for f in doc["features"]}
    caspian = by_name["Caspian Sea"]
    assert 3.0e5 < caspian.area * 111.0 * 85.0 < 4.5e5       # km², roughly 371,000
    for shore in ("Russia", "Kazakhstan", "Turkmenistan", "Iran", "Azerbaijan"):
        assert caspian.touches(by_name[shore]), shore
    assert not caspian.intersects(by_name["Georgia"])


# -- errors: a bad data file is an InputError naming the file ----------------

def write(tmp_path, text, name="borders.geojson"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def square(kind="country", name="Testland", coords=None):
    ring = coords or [[30, 30], [31, 30], [31, 31], [30, 31], [30, 30]]
    return {"type": "Feature", "properties": {"name": name, "kind": kind},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}


def collection(*features, bbox=(25, 25, 63, 52)):
    return json.dumps({"type": "FeatureCollection", "bbox": list(bbox), "features": list(features)})


def test_a_small_custom_file_loads(tmp_path):
    geo = Geography(write(tmp_path, collection(square(), square("water", "Lake", [
        [40, 40], [41, 40], [41, 41], [40, 41], [40, 40]]))))
    got = geo.country_at_deg([30.5, 40.5, 35.0, 0.0], [30.5, 40.5, 35.0, 0.0])
    assert got.tolist() == ["Testland", "Lake", "sea", "unknown"]
    assert geo.is_land_deg([30.5, 40.5, 35.0], [30.5, 40.5, 35.0]).tolist() == [True, False, False]


def test_a_point_on_a_shared_border_goes_to_the_first_feature(tmp_path):
    east = [[31, 30], [32, 30], [32, 31], [31, 31], [31, 30]]
    first = Geography(write(tmp_path, collection(square(), square(name="Eastland", coords=east))))
    second = Geography(write(tmp_path, collection(square(name="Eastland", coords=east), square()),
                             "swapped.geojson"))
    assert first.country_at_deg(30.5, 31.0) == "Testland"
    assert second.country_at_deg(30.5, 31.0) == "Eastland"


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.geojson"
    with pytest.raises(InputError, match="nowhere.geojson: no such file"):
        Geography(path)


@pytest.mark.parametrize("text, located", [
    ("{not json", r"borders\.geojson:1: not JSON"),
    ('{"type": "FeatureCollection", "bbox": [25, 25, 63, NaN], "features": []}',
     r"borders\.geojson: not JSON: NaN"),
    ('{"type": "Feature"}', r"borders\.geojson: type: not a GeoJSON FeatureCollection"),
    (collection(square(), bbox=(63, 25, 25, 52)), r"borders\.geojson: bbox: "),
    (collection(square(kind="ocean")), r"borders\.geojson: features\[0\]\.properties\.kind: "),
    (collection(square(name="sea")), r"borders\.geojson: features\[0\]\.properties\.name: "),
    (collection(square(coords=[[30, 30], [31, 31], [31, 30], [30, 31], [30, 30]])),
     r"borders\.geojson: features\[0\]\.geometry: invalid polygon"),
    (collection(square(coords=[[30, 30], [31]])),
     r"borders\.geojson: features\[0\]\.geometry: malformed"),
])
def test_malformed_file(tmp_path, text, located):
    with pytest.raises(InputError, match=located):
        Geography(write(tmp_path, text))
