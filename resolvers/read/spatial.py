"""Spatial reads and checks: the `Located` predicate (filters by box, area and distance, on
both read paths), where a point belongs (`region_at`), and the checks a boundary passes
before it is stored. The geometry and each engine's SQL are in models/geo.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shapely.geometry import shape
from tortoise import connections
from tortoise.expressions import Q, RawSQL

from gridhub import models
from gridhub.models.geo import (
    LOCATED_TABLES, Area, Box, GeometryError, Near, SRID, holds, inline, located_sql, parse_area, valid_lon_lat,
)
from gridhub.policies.predicate import Compare, InSubquery, Pred, SqlParams, and_
from gridhub.policies.scope import Scope
from gridhub.policies.sensitivity import comparable_where

from gridhub.resolvers.read import region_index
from gridhub.resolvers.read.query import rows, visible
from gridhub.resolvers.errors import BadInput

# how much a boundary may stick out of its parent, or overlap a sibling, before it is refused:
# 1e-8 square degrees is about 0.1 m², room for a shared edge digitised twice
AREA_TOLERANCE = 1e-8


class SpatialUnavailable(Exception):
    """PostgreSQL without PostGIS."""


_postgis: dict[int, bool] = {}


async def require_engine() -> None:
    """On PostgreSQL, PostGIS must be there (migration 0015 creates it where the package is)."""
    client = connections.get("default")
    if client.capabilities.dialect != "postgres":
        return
    key = id(client)
    if key not in _postgis:
        rows = await client.execute_query_dict("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")
        _postgis[key] = bool(rows)
    if not _postgis[key]:
        raise BadInput("spatial queries need the PostGIS extension on this PostgreSQL "
                       "(install postgresql-<version>-postgis-3, then run `gridhub migrate`)")


def dialect() -> str:
    return "postgres" if connections.get("default").capabilities.dialect == "postgres" else "sqlite"


@dataclass(frozen=True)
class Located(Pred):
    """Rows of `table` (place, thing, event) whose point lies in `where` (Box, Area, Near)."""

    table: str
    where: Any

    def to_sql(self, params: SqlParams, alias: str) -> str:
        # the engine's own SQL: `params.dialect` names the placeholders only (the compiled
        # path writes `?` everywhere and numbers them for PostgreSQL at the end)
        return located_sql(dialect(), self.table, self.where, alias, params.add)

    def to_q(self) -> Q:
        # the ORM takes no bound parameters in raw SQL: the values are numbers and WKT, inlined
        inner = located_sql(dialect(), self.table, self.where, "gh_l", inline)
        return Q(id__in=RawSQL(f"(SELECT gh_l.id FROM {self.table} gh_l WHERE {inner})"))

    def key(self):
        return ("located", self.table, type(self.where).__name__, tuple(vars(self.where).values()))

    def matches(self, row):
        return holds(self.where, row.longitude, row.latitude)


def _get(value, name):
    return value.get(name) if isinstance(value, dict) else getattr(value, name)


def shape_of(key: str, value) -> Any:
    """A filter's `box`, `area` or `near` as a models.geo shape; BAD_USER_INPUT if unusable."""
    try:
        if key == "box":
            return Box(*(float(_get(value, k)) for k in ("west", "south", "east", "north")))
        if key == "area":
            return Area.of(value)
        return Near(float(_get(value, "longitude")), float(_get(value, "latitude")), float(_get(value, "metres")))
    except GeometryError as e:
        raise BadInput(str(e), field=key) from None


SPATIAL_KEYS = ("box", "area", "near")


def spatial_predicate(kind: str, key: str, value, scope: Scope) -> Pred:
    """The rows of `kind` located in the shape: places, things and events by their own point,
    persons by their residence's. A home's exact location is sensitive (policies.sensitivity:
    `place.longitude`): the test looks at a home only where the caller sees its location
    whole, or shrinking a box around it would find it to the metre."""
    where = shape_of(key, value)
    if kind in LOCATED_TABLES:
        located = Located(kind, where)
        if kind == "place":
            revealed = comparable_where(scope, "place", "longitude")
            return and_(located, revealed) if revealed is not None else located
        return located
    if kind == "person":
        return InSubquery("residence_id", models.Place, "id",
                          spatial_predicate("place", key, value, scope))
    raise BadInput(f"{kind} cannot be filtered by {key}", field=key)


# -- where a point belongs ----------------------------------------------------------------

async def region_at(lon: float, lat: float) -> models.Region | None:
    """The deepest live region whose boundary holds the point (see `region_id_at`)."""
    found = await region_id_at(lon, lat)
    return None if found is None else await models.Region.get(id=found)


async def readable_region_at(scope: Scope, lon: float, lat: float, version: int) -> models.Region | None:
    """`regionAt`: the region at the point (as `region_id_at` answers), where the caller may
    read it, else None. Answered from the in-process index of boundaries at the policy
    `version` the request reads at (resolvers.read.region_index), row and all: no SQL (while that
    index is being built, by SQL as before). The index
    holds live regions only, and a region's read scope (region path prefixes) is decided on
    the row in memory as SQL decides it; a scope that only SQL can decide is asked of SQL."""
    try:
        valid_lon_lat(lon, lat)
    except GeometryError as e:
        raise BadInput(str(e), field="longitude") from None
    await require_engine()
    found = await region_index.region_at(version, lon, lat)
    if found is region_index.NOT_READY:  # built meanwhile; until then SQL answers
        found_id = await region_id_at(lon, lat)
        return None if found_id is None else await rows(scope, "region", Compare("id", "eq", found_id)).first()
    if found is None:
        return None
    where = visible(scope, "region")
    try:
        return found if where.matches(found) else None
    except NotImplementedError:
        return await rows(scope, "region", Compare("id", "eq", found.id)).first()


async def region_id_at(lon: float, lat: float) -> int | None:
    """The id of the deepest live region whose boundary holds the point. A point on an edge
    or corner shared by several regions of that depth belongs to the one with the lowest
    code, so every point has one owner whatever the caller may see."""
    try:
        valid_lon_lat(lon, lat)
    except GeometryError as e:
        raise BadInput(str(e), field="longitude") from None
    await require_engine()
    client = connections.get("default")
    if dialect() == "postgres":
        rows = await client.execute_query_dict(
            "SELECT id FROM region WHERE deleted_at IS NULL AND boundary IS NOT NULL AND "
            f"ST_Intersects(ST_SetSRID(ST_GeomFromGeoJSON(boundary::text), {SRID}), "
            f"ST_SetSRID(ST_MakePoint($1, $2), {SRID})) ORDER BY depth DESC, code ASC LIMIT 1", [lon, lat])
    else:
        rows = await client.execute_query_dict(
            "SELECT r.id FROM region r JOIN region_rtree t ON t.id = r.id "
            "WHERE t.minx <= ? AND t.maxx >= ? AND t.miny <= ? AND t.maxy >= ? "
            "AND r.deleted_at IS NULL AND gh_covers(r.boundary, ?, ?) = 1 "
            "ORDER BY r.depth DESC, r.code ASC LIMIT 1", [lon, lon, lat, lat, lon, lat])
    return rows[0]["id"] if rows else None


async def grid_at(lon: float, lat: float) -> models.Region:
    """The region a new located row goes to when none is named: the one at its point."""
    region = await region_at(lon, lat)
    if region is None:
        raise BadInput(f"no region's boundary holds ({lon}, {lat}); name the region", field="regionId")
    return region


# -- boundaries -----------------------------------------------------------------------------

async def check_boundary(region, geojson, *, siblings_replaced: set[int] = frozenset()):
    """The shapely geometry of `geojson` as `region`'s boundary (a Region, or what stands for
    a region a split is about to make), or BAD_USER_INPUT naming the region at fault: a valid
    (Multi)Polygon, inside its parent's boundary (where the parent has one) and overlapping no
    live sibling's beyond AREA_TOLERANCE; `siblings_replaced` (a region being split) are not
    siblings any more."""
    try:
        geom = parse_area(geojson)
    except GeometryError as e:
        raise BadInput(f"{region.code} {region.name}: {e}", field="boundary") from None
    parent = await models.Region.get_or_none(id=region.parent_id) if region.parent_id else None
    parent_boundary = parent.boundary if parent else None
    parent_name = f"{parent.code} {parent.name}" if parent else ""
    if parent_boundary:
        outside = geom.difference(shape(parent_boundary)).area
        if outside > AREA_TOLERANCE:
            raise BadInput(f"{region.code} {region.name}: the boundary reaches outside {parent_name} "
                           f"({outside:.2e} square degrees)", field="boundary")
    others = {}
    if region.parent_id:  # a region being made has no id yet: exclude none
        for s in await models.Region.filter(parent_id=region.parent_id, deleted_at__isnull=True,
                                            boundary__isnull=False).exclude(id=region.id or 0):
            if s.id not in siblings_replaced:
                others[s.id] = (f"{s.code} {s.name}", s.boundary)
    for sid, (label, b) in others.items():
        overlap = geom.intersection(shape(b)).area
        if overlap > AREA_TOLERANCE:
            raise BadInput(f"{region.code} {region.name}: the boundary overlaps {label} "
                           f"({overlap:.2e} square degrees)", field="boundary")
    return geom


