"""Which country lies under a point, and whether it is land: the bundled borders.

The data is ``tracker/data/countries.geojson``, built from Natural Earth 1:10m
admin-0 countries by ``tools/make_borders.py`` (docs/geography.md): one feature
per country (``kind: "country"``, named by Natural Earth's ``NAME``), the
Caspian Sea (``kind: "water"``) and land that Natural Earth leaves in no country
(``kind: "disputed"``), all clipped to the document's ``bbox``, the extent.

A point is classified as, in this order:

* ``"unknown"`` outside the extent (or with a non-finite coordinate);
* the ``name`` of the feature it lies in (on a shared border: the feature
  listed first in the file), so a country's name, ``"Caspian Sea"`` or
  ``"disputed"``;
* ``"sea"``: inside the extent and in no feature. Natural Earth's countries
  include their lakes except the Caspian, so that is open sea.

Land is what a ``country`` or ``disputed`` feature covers; the Caspian, the
sea and everything outside the extent is not land.

Angles are radians, as everywhere inside airtrack (``*_deg`` twins take
degrees). Every function broadcasts ``lat`` against ``lon`` and works on whole
arrays at once (shapely 2's vectorised predicates, one call per feature, no
Python loop per point). The bundled file is read once, on first use.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape

from .errors import InputError

#: the bundled borders
DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "countries.geojson"
UNKNOWN = "unknown"          #: outside the bundled extent
SEA = "sea"                  #: water inside the extent other than a named water feature
DISPUTED = "disputed"        #: land inside the extent in no country
CASPIAN = "Caspian Sea"
KINDS = ("country", "water", "disputed")
LAND_KINDS = ("country", "disputed")

_CODE_UNKNOWN = 0            # codes: 0 unknown, 1 sea, 2 + i feature i
_CODE_SEA = 1


def _reject_constant(token: str):
    raise ValueError(f"{token} is not JSON (RFC 8259)")


class Geography:
    """Country polygons with vectorised point look-ups.

    Parameters
    ----------
    path : str or Path
        A GeoJSON FeatureCollection as ``tools/make_borders.py`` writes it: a
        ``bbox`` ``[west, south, east, north]`` in degrees, and features whose
        ``properties`` hold ``name`` and ``kind`` (one of :data:`KINDS`) and
        whose geometry is a valid Polygon or MultiPolygon in lon/lat degrees.

    Raises
    ------
    InputError
        The file is missing, unreadable, not strict JSON or not of that form;
        the message names the file (and the field).
    """

    def __init__(self, path: str | Path):
        self.path = str(path)
        doc = self._read()
        #: the parsed FeatureCollection, as in the file (for drawing maps)
        self.document = doc
        self.extent = self._extent(doc)
        names, kinds, geoms = self._features(doc)
        self.names = np.array(names, dtype=str)                 #: per feature
        self.kinds = np.array(kinds, dtype=str)                 #: per feature
        self.geometries = np.array(geoms, dtype=object)         #: per feature, lon/lat degrees
        #: output label per code: "unknown", "sea", then the feature names
        self.labels = np.array([UNKNOWN, SEA] + names, dtype=str)
        self._land = np.concatenate([[False, False], np.isin(self.kinds, LAND_KINDS)])
        shapely.prepare(self.geometries)
        self._bounds = shapely.bounds(self.geometries)

    # -- loading ---------------------------------------------------------

    def _error(self, problem: str, field: str | None = None) -> InputError:
        return InputError(problem, path=self.path, field=field)

    def _read(self) -> dict:
        try:
            text = Path(self.path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise self._error("no such file") from None
        except IsADirectoryError:
            raise self._error("is a directory, not a GeoJSON file") from None
        except UnicodeDecodeError as e:
            raise self._error(f"not UTF-8: {e.reason}") from None
        except OSError as e:
            raise self._error(f"cannot read: {e.strerror or e}") from None
        try:
            doc = json.loads(text, parse_constant=_reject_constant)
        except json.JSONDecodeError as e:
            raise InputError(f"not JSON: {e.msg} (column {e.colno})", path=self.path,
                             line=e.lineno) from None
        except ValueError as e:
            raise self._error(f"not JSON: {e}") from None
        if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
            raise self._error("not a GeoJSON FeatureCollection", "type")
        return doc

    def _extent(self, doc: dict) -> tuple[float, float, float, float]:
        bbox = doc.get("bbox")
        ok = (isinstance(bbox, list) and len(bbox) == 4
              and all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bbox))
        if ok:
            west, south, east, north = (float(b) for b in bbox)
            ok = -180.0 <= west < east <= 180.0 and -90.0 <= south < north <= 90.0
        if not ok:
            raise self._error("expected [west, south, east, north] in degrees, "
                              "west < east, south < north", "bbox")
        return west, south, east, north

    def _features(self, doc: dict) -> tuple[list[str], list[str], list]:
        features = doc.get("features")
        if not isinstance(features, list):
            raise self._error("expected a list of features", "features")
        names, kinds, geoms = [], [], []
        for i, feature in enumerate(features):
            where = f"features[{i}]"
            props = feature.get("properties") if isinstance(feature, dict) else None
            if not isinstance(props, dict):
                raise self._error("expected an object", f"{where}.properties")
            name, kind = props.get("name"), props.get("kind")
            if not isinstance(name, str) or not name or name in (UNKNOWN, SEA):
                raise self._error(f'expected a name other than "{UNKNOWN}" and "{SEA}"',
                                  f"{where}.properties.name")
            if kind not in KINDS:
                raise self._error(f"expected one of {', '.join(KINDS)}", f"{where}.properties.kind")
            gj = feature.get("geometry")
            if not isinstance(gj, dict) or gj.get("type") not in ("Polygon", "MultiPolygon"):
                raise self._error("expected a Polygon or MultiPolygon", f"{where}.geometry")
            try:
                geom = shape(gj)
            except (TypeError, ValueError, AttributeError, IndexError,
                    shapely.errors.ShapelyError) as e:
                raise self._error(f"malformed coordinates: {e}", f"{where}.geometry") from None
            if geom.is_empty or not geom.is_valid:
                reason = shapely.is_valid_reason(geom) if not geom.is_empty else "empty"
                raise self._error(f"invalid polygon: {reason}", f"{where}.geometry")
            names.append(name)
            kinds.append(kind)
            geoms.append(geom)
        return names, kinds, geoms

    # -- look-ups ----------------------------------------------------------

    def codes_deg(self, lat_deg, lon_deg) -> np.ndarray:
        """Class code of each point: 0 unknown, 1 sea, 2 + i for feature i.

        ``lat_deg`` and ``lon_deg`` (degrees, broadcast together) give an int
        array of their broadcast shape; :attr:`labels` maps codes to names.
        """
        lat, lon = np.broadcast_arrays(np.asarray(lat_deg, dtype=np.float64),
                                       np.asarray(lon_deg, dtype=np.float64))
        shape_out = lat.shape
        lat = lat.ravel()
        lon = (lon.ravel() + 180.0) % 360.0 - 180.0            # into [-180, 180)
        west, south, east, north = self.extent
        free = (lat >= south) & (lat <= north) & (lon >= west) & (lon <= east)
        codes = np.where(free, _CODE_SEA, _CODE_UNKNOWN)
        for i, geom in enumerate(self.geometries):
            gw, gs, ge, gn = self._bounds[i]
            near = np.flatnonzero(free & (lon >= gw) & (lon <= ge) & (lat >= gs) & (lat <= gn))
            if near.size == 0:
                continue
            hit = near[shapely.intersects_xy(geom, lon[near], lat[near])]
            codes[hit] = i + 2
            free[hit] = False                      # on a shared border the first feature wins
        return codes.reshape(shape_out)

    def country_at_deg(self, lat_deg, lon_deg) -> np.ndarray:
        """:meth:`country_at` with latitude and longitude in degrees."""
        return self.labels[self.codes_deg(lat_deg, lon_deg)]

    def country_at(self, lat, lon) -> np.ndarray:
        """Name of the country (or water, or "sea", ...) under each point.

        Parameters
        ----------
        lat, lon : array_like of float
            Geodetic latitude and longitude, radians, WGS-84; broadcast together.
            Any longitude is wrapped into [-pi, pi).

        Returns
        -------
        ndarray of str, the broadcast shape
            Natural Earth's ``NAME`` of the country under the point,
            ``"Caspian Sea"``, ``"sea"`` for other water inside the extent,
            ``"disputed"`` for land in no country, ``"unknown"`` outside the
            extent or where a coordinate is not finite.
        """
        return self.country_at_deg(np.degrees(lat), np.degrees(lon))

    def is_land_deg(self, lat_deg, lon_deg) -> np.ndarray:
        """:meth:`is_land` with latitude and longitude in degrees."""
        return self._land[self.codes_deg(lat_deg, lon_deg)]

    def is_land(self, lat, lon) -> np.ndarray:
        """True where a point (radians, broadcast) lies on land.

        Land is a country or disputed land; the Caspian, the sea and every
        point outside the extent (see :meth:`in_extent`) are not land.
        """
        return self.is_land_deg(np.degrees(lat), np.degrees(lon))

    def in_extent(self, lat, lon) -> np.ndarray:
        """True where a point (radians, broadcast) lies inside the data's extent."""
        return self.codes_deg(np.degrees(lat), np.degrees(lon)) != _CODE_UNKNOWN


@functools.lru_cache(maxsize=None)
def load(path: str | Path = DEFAULT_PATH) -> Geography:
    """The borders in ``path`` (default: the bundled file), read once and kept."""
    return Geography(path)


def country_at(lat, lon) -> np.ndarray:
    """:meth:`Geography.country_at` on the bundled borders (radians)."""
    return load().country_at(lat, lon)


def country_at_deg(lat_deg, lon_deg) -> np.ndarray:
    """:meth:`Geography.country_at_deg` on the bundled borders (degrees)."""
    return load().country_at_deg(lat_deg, lon_deg)


def is_land(lat, lon) -> np.ndarray:
    """:meth:`Geography.is_land` on the bundled borders (radians)."""
    return load().is_land(lat, lon)


def is_land_deg(lat_deg, lon_deg) -> np.ndarray:
    """:meth:`Geography.is_land_deg` on the bundled borders (degrees)."""
    return load().is_land_deg(lat_deg, lon_deg)


__all__ = ["Geography", "load", "country_at", "country_at_deg", "is_land", "is_land_deg",
           "DEFAULT_PATH", "UNKNOWN", "SEA", "DISPUTED", "CASPIAN", "KINDS", "LAND_KINDS"]
