"""The ``expect`` block of a scenario: target areas and corridors as GeoJSON.

``expect`` is a GeoJSON FeatureCollection (RFC 7946: lon/lat degrees, closed
linear rings) of Polygon or MultiPolygon features, each with
``properties.role`` ``target_area`` (where impacts are expected) or
``corridor`` (where flight is expected) and a ``properties.name``. It is
written inline in the scenario, or as a path to a ``.geojson`` file relative
to the scenario file. Every polygon must be valid (shapely: no
self-intersection); the collection is returned as plain dicts, ready for the
recording header (DESIGN.md, "Recording").
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import shape

from tracker.errors import InputError
from .scenario_fields import Fields, fail, number, shown

ROLES = ("target_area", "corridor")
GEOMETRIES = ("Polygon", "MultiPolygon")


def _reject_constant(token: str):
    raise ValueError(f"{token} is not JSON (RFC 8259)")


def check_expect(value: Any, field: str, base_dir: Path) -> dict:
    """The checked FeatureCollection of ``value`` (inline, or a path to a file).

    An error inside a separate file names that file and the field path
    inside it (no line: a GeoJSON document is one value, DESIGN.md).
    """
    if isinstance(value, str):
        path = base_dir / value
        try:
            text = path.read_text(encoding="utf-8")
            document = json.loads(text, parse_constant=_reject_constant)
        except FileNotFoundError:
            fail(field, f"no such file {shown(str(path))}")
        except (OSError, UnicodeDecodeError) as e:
            fail(field, f"cannot read {shown(str(path))}: {e}")
        except ValueError as e:
            raise InputError(f"not JSON: {e}", path=str(path)) from None
        try:
            return _collection(document, "")
        except InputError as e:
            raise InputError(e.problem, path=str(path), field=e.field) from None
    return _collection(value, field)


def _collection(value: Any, field: str) -> dict:
    top = Fields(value, field, what="a GeoJSON FeatureCollection or a path to one")
    if top.get("type") != "FeatureCollection":
        fail(top.at("type"), f'expected "FeatureCollection", got {shown(top.value["type"])}')
    features = top.sequence("features")
    if not features:
        fail(top.at("features"), "expected at least one feature")
    for i, feature in enumerate(features):
        _feature(feature, f"{top.at('features')}[{i}]")
    top.used("bbox")
    top.used("name")
    top.done()
    return value


def _feature(value: Any, field: str) -> None:
    feature = Fields(value, field, what="a GeoJSON Feature")
    if feature.get("type") != "Feature":
        fail(feature.at("type"), f'expected "Feature", got {shown(feature.value["type"])}')
    props = feature.mapping("properties")
    props.choice("role", ROLES)
    props.text("name")
    for key in props.value:                   # other properties are the author's: kept
        props.used(key)
    geometry = feature.mapping("geometry")
    kind = geometry.choice("type", GEOMETRIES)
    coordinates = geometry.sequence("coordinates")
    polygons = [coordinates] if kind == "Polygon" else coordinates
    where = geometry.at("coordinates")
    for p, polygon in enumerate(polygons):
        pfield = where if kind == "Polygon" else f"{where}[{p}]"
        if type(polygon) is not list or not polygon:
            fail(pfield, f"expected a list of linear rings, got {shown(polygon)}")
        for r, ring in enumerate(polygon):
            _ring(ring, f"{pfield}[{r}]")
    geometry.done()
    geom = shape(geometry.value)
    if not geom.is_valid:
        fail(geometry.field, f"invalid polygon: {shapely.is_valid_reason(geom)}")
    feature.used("id")
    feature.used("bbox")
    feature.done()


def _ring(ring: Any, field: str) -> None:
    """A closed ring of at least four [lon, lat] positions (RFC 7946, 3.1.6)."""
    if type(ring) is not list or len(ring) < 4:
        fail(field, f"expected a closed ring of at least 4 [lon, lat] positions, got {shown(ring)}")
    for k, position in enumerate(ring):
        if type(position) is not list or len(position) not in (2, 3):
            fail(f"{field}[{k}]", f"expected [lon, lat], got {shown(position)}")
        number(position[0], f"{field}[{k}][0]", low=-180.0, high=180.0)
        number(position[1], f"{field}[{k}][1]", low=-90.0, high=90.0)
    if ring[0][:2] != ring[-1][:2]:
        fail(field, "the ring is not closed: its last position must repeat the first")
