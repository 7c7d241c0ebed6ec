"""Geometry: boundaries as GeoJSON, the shapes a spatial filter asks about, and how each
engine answers "is this point in that shape" (docs/maps.md).

Coordinates are longitude, latitude in decimal degrees of CGCS2000, which agrees with WGS 84
to centimetres: the SRID is 4326 on both engines. GCJ-02 (the offset datum of consumer map
tiles in China) is never stored: a client converts to it for display only.

Two engines, one meaning, held equal by tests/test_spatial.py:
- PostgreSQL: PostGIS. A located row's point is `ST_SetSRID(ST_MakePoint(longitude, latitude),
  4326)`, GiST-indexed as that expression (migration 0015); a region's boundary is indexed as
  `ST_GeomFromGeoJSON(boundary::text)`.
- SQLite: an R-tree (SQLite's rtree module, kept by triggers) chooses candidates by bounding
  box, then shapely (registered as SQL functions on each connection) decides exactly.
A point on the edge of a shape is in it (closed shapes, `intersects`) on both. A distance is
the great-circle distance on the sphere of PostGIS' `use_spheroid => false` (the mean radius
of WGS 84), in metres.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
import shapely
from shapely import wkt as shapely_wkt
from shapely.geometry import MultiPolygon, Point, Polygon, box, mapping, shape
from shapely.validation import explain_validity

SRID = 4326
EARTH_RADIUS = 6371008.7714150598  # (2a + b) / 3 of WGS 84, PostGIS' sphere
LOCATED_TABLES = ("place", "thing", "event")  # kinds with longitude, latitude columns
MAX_VERTICES = 100_000
MAX_RADIUS = 200_000.0  # metres: a county is ~60 km across


class GeometryError(ValueError):
    """A geometry the caller gave is not usable; the message says why."""


def valid_lon_lat(lon: float, lat: float) -> None:
    if not (isinstance(lon, (int, float)) and isinstance(lat, (int, float))
            and math.isfinite(lon) and math.isfinite(lat)):
        raise GeometryError("coordinates must be finite numbers")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise GeometryError(f"({lon}, {lat}) is not a longitude in [-180, 180] and a latitude in [-90, 90]")


def parse_area(geojson: Any) -> Polygon | MultiPolygon:
    """A GeoJSON Polygon or MultiPolygon geometry (a dict, or its text), valid as OGC simple
    features say (closed rings, no self-intersection), in longitude-latitude range."""
    if isinstance(geojson, str):
        try:
            geojson = json.loads(geojson)
        except ValueError:
            raise GeometryError("not GeoJSON text") from None
    if not isinstance(geojson, dict) or geojson.get("type") not in ("Polygon", "MultiPolygon"):
        raise GeometryError("a boundary is a GeoJSON geometry of type Polygon or MultiPolygon")
    try:
        geom = shape(geojson)
    except Exception as e:  # shapely says what is malformed in many ways
        raise GeometryError(f"malformed {geojson.get('type')}: {e}") from None
    if geom.is_empty:
        raise GeometryError("the polygon is empty")
    if shapely.get_num_coordinates(geom) > MAX_VERTICES:
        raise GeometryError(f"more than {MAX_VERTICES} vertices")
    w, s, e, n = geom.bounds
    for lon, lat in ((w, s), (e, n)):
        valid_lon_lat(lon, lat)
    if not geom.is_valid:
        raise GeometryError(f"not a valid polygon: {explain_validity(geom)}")
    return geom


def to_geojson(geom) -> dict:
    """GeoJSON of a shapely geometry, coordinates as lists (JSON has no tuples)."""
    return json.loads(json.dumps(mapping(geom)))


@lru_cache(maxsize=2048)
def _prepared(text: str):
    geom = shapely_wkt.loads(text) if not text.startswith("{") else shape(orjson.loads(text))
    shapely.prepare(geom)
    return geom


def great_circle(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Metres between two points on PostGIS' sphere (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS * math.asin(min(1.0, math.sqrt(h)))


# -- SQLite's functions (registered on every connection by models.sqlite_engine) -----------

def sqlite_covers(shape_text, lon, lat) -> int | None:
    """1 where the shape (WKT, or a GeoJSON text such as a region's boundary) holds the point,
    its edge included."""
    if shape_text is None or lon is None or lat is None:
        return None
    return int(_prepared(shape_text).intersects(Point(lon, lat)))


def sqlite_distance(lon1, lat1, lon2, lat2) -> float | None:
    if None in (lon1, lat1, lon2, lat2):
        return None
    return great_circle(lon1, lat1, lon2, lat2)


SQLITE_FUNCTIONS = (("gh_covers", 3, sqlite_covers), ("gh_distance", 4, sqlite_distance))


# -- the shapes a filter asks about ------------------------------------------------------

@dataclass(frozen=True)
class Box:
    west: float
    south: float
    east: float
    north: float

    def __post_init__(self):
        valid_lon_lat(self.west, self.south)
        valid_lon_lat(self.east, self.north)
        if self.west > self.east or self.south > self.north:
            raise GeometryError("a box runs west to east and south to north")

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return self.west, self.south, self.east, self.north

    def geometry(self):
        return box(*self.bounds)


@dataclass(frozen=True)
class Area:
    """A polygon (or several) given as GeoJSON, kept as WKT (numbers only, safe to inline)."""

    wkt: str

    @classmethod
    def of(cls, geojson: Any) -> Area:
        return cls(parse_area(geojson).wkt)

    @property
    def bounds(self):
        return _prepared(self.wkt).bounds

    def geometry(self):
        return _prepared(self.wkt)


@dataclass(frozen=True)
class Near:
    longitude: float
    latitude: float
    metres: float

    def __post_init__(self):
        valid_lon_lat(self.longitude, self.latitude)
        if not (math.isfinite(self.metres) and 0 <= self.metres <= MAX_RADIUS):
            raise GeometryError(f"a distance is between 0 and {MAX_RADIUS:.0f} metres")

    @property
    def bounds(self):
        """A box holding every point within the distance, with room to spare (the exact test follows)."""
        dlat = math.degrees(self.metres / EARTH_RADIUS) * 1.01 + 1e-9
        coslat = math.cos(math.radians(min(89.9, abs(self.latitude) + dlat)))
        dlon = min(180.0, dlat / max(coslat, 1e-6))
        return (self.longitude - dlon, self.latitude - dlat, self.longitude + dlon, self.latitude + dlat)

    def holds(self, lon: float, lat: float) -> bool:
        return great_circle(lon, lat, self.longitude, self.latitude) <= self.metres


def holds(where, lon: float | None, lat: float | None) -> bool:
    """Whether a point lies in a shape, in Python (for a row at hand, and for tests)."""
    if lon is None or lat is None:
        return False
    if isinstance(where, Near):
        return where.holds(lon, lat)
    return where.geometry().intersects(Point(lon, lat))


def _num(x: float) -> str:
    return repr(float(x))


def point_sql(alias: str) -> str:
    """A located row's point as PostGIS sees it; the GiST index is on this very expression."""
    return f"ST_SetSRID(ST_MakePoint({alias}.longitude, {alias}.latitude), {SRID})"


def located_sql(dialect: str, table: str, where, alias: str, add) -> str:
    """SQL that holds for the rows of `table` (aliased `alias`) located in `where`; `add(value)`
    binds a parameter and returns its placeholder."""
    lon, lat = f"{alias}.longitude", f"{alias}.latitude"
    w, s, e, n = where.bounds
    if dialect == "postgres":
        # each branch binds its values in the order they appear in its text
        point = point_sql(alias)
        if isinstance(where, Area):
            return f"ST_Intersects({point}, ST_GeomFromText({add(where.wkt)}, {SRID}))"
        envelope = f"ST_MakeEnvelope({add(w)}, {add(s)}, {add(e)}, {add(n)}, {SRID})"
        if isinstance(where, Box):
            return f"ST_Intersects({point}, {envelope})"
        centre = f"ST_SetSRID(ST_MakePoint({add(where.longitude)}, {add(where.latitude)}), {SRID})::geography"
        return (f"(ST_Intersects({point}, {envelope}) AND "
                f"ST_DWithin({point}::geography, {centre}, {add(where.metres)}, false))")
    # SQLite: the R-tree's boxes are rounded outward to 32-bit floats, so it is asked for
    # overlap (a superset), and the columns decide exactly
    candidates = (f"{alias}.id IN (SELECT id FROM {table}_rtree WHERE maxx >= {add(w)} AND minx <= {add(e)} "
                  f"AND maxy >= {add(s)} AND miny <= {add(n)})")
    in_box = f"{lon} BETWEEN {add(w)} AND {add(e)} AND {lat} BETWEEN {add(s)} AND {add(n)}"
    if isinstance(where, Box):
        return f"({candidates} AND {in_box})"
    if isinstance(where, Area):
        return f"({candidates} AND {in_box} AND gh_covers({add(where.wkt)}, {lon}, {lat}) = 1)"
    return (f"({candidates} AND {in_box} AND gh_distance({lon}, {lat}, {add(where.longitude)}, "
            f"{add(where.latitude)}) <= {add(where.metres)})")


def inline(value: Any) -> str:
    """A literal for the ORM path's raw SQL: only numbers and WKT (digits, letters, commas,
    parentheses, spaces, dots, minus) ever reach here."""
    if isinstance(value, str):
        if not set(value) <= set("0123456789.-+eE ,()POLYGNMUTI"):
            raise GeometryError("unexpected characters in a geometry")
        return "'" + value + "'"
    return _num(value)
